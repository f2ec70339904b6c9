"""A small polite HTTP client for the live literature sources: spaced requests, bounded retries with backoff,
a deadline per response and per source, and a cap on what a server may ask us to wait or send.

Secrets (the `api_key` parameter) are kept out of messages by `pipeline.secrets`, through which every
error, log record and output line passes."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import requests

from pipeline.core.errors import NotFoundError, ReviewError, SourceUnreachableError

log = logging.getLogger(__name__)

MAX_WAIT_S = 60.0  # the longest this run sleeps before one retry, whatever Retry-After asks
BACKOFF_S = 1.0
RESPONSE_DEADLINE_S = 300.0  # one response must arrive whole within this (a server dripping bytes is cut off)
SOURCE_DEADLINE_S = 3600.0  # every request to one source within this
MAX_RESPONSE_BYTES = 512 * 2**20
RETRY_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

Params = Mapping[str, str | int]


class _TooSlow(Exception):
    pass


_QUERY_STRING = re.compile(r"(https?://[^\s?'\"]*|/[^\s?'\"]*)\?[^\s'\")]+")


def _brief(exc: Exception) -> str:
    """The error without the request's query string: a 1.5 KB search term repeated in every retry message
    helps nobody (and the key is in there)."""
    return f"{type(exc).__name__}: " + _QUERY_STRING.sub(r"\1?...", str(exc))


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds, or None when absent or given as an HTTP date (then the backoff applies)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class PoliteClient:
    def __init__(self, base_url: str, min_interval_s: float, max_tries: int = 5, timeout_s: float = 30,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, response_deadline_s: float = RESPONSE_DEADLINE_S,
                 source_deadline_s: float = SOURCE_DEADLINE_S, max_response_bytes: int = MAX_RESPONSE_BYTES):
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.min_interval_s = min_interval_s
        self.max_tries = max_tries
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        self.response_deadline_s = response_deadline_s
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._clock = clock
        self._deadline = clock() + source_deadline_s
        self._source_deadline_s = source_deadline_s
        self._last_request: float | None = None

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self.min_interval_s - (self._clock() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _check_deadline(self) -> None:
        if self._clock() > self._deadline:
            raise SourceUnreachableError(f"{self.host}: the search took longer than its "
                                         f"{self._source_deadline_s:.0f} s deadline; nothing was written")

    def _read(self, response: requests.Response) -> None:
        """Read the body within the response deadline and size cap (requests' timeout is per socket read)."""
        started = time.monotonic()
        chunks, size = [], 0
        while chunk := response.raw.read1(1 << 16, decode_content=True):  # returns what has arrived, however little
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_response_bytes:
                response.close()
                raise ReviewError(f"{self.host} sent more than {self.max_response_bytes // 2**20} MiB in one "
                                  f"response; nothing was written")
            if time.monotonic() - started > self.response_deadline_s:
                response.close()
                raise _TooSlow(f"the response took over {self.response_deadline_s:.0f} s")
        response._content = b"".join(chunks)
        response._content_consumed = True

    def get(self, path: str, params: Params) -> requests.Response:
        """GET base_url + path; returns a 2xx response or raises SourceUnreachableError / ReviewError."""
        url = self.base_url + path.lstrip("/")
        last_error = ""
        for attempt in range(1, self.max_tries + 1):
            self._check_deadline()
            self._wait_turn()
            delay = min(BACKOFF_S * 2 ** (attempt - 1), MAX_WAIT_S)
            try:
                response = self.session.get(url, params=params, timeout=self.timeout_s, stream=True)
                self._read(response)
            except (*RETRY_ERRORS, _TooSlow) as exc:
                last_error = _brief(exc)
            except requests.RequestException as exc:
                # A bad URL or similar: retrying cannot help.
                raise ReviewError(f"{self.host}: request failed: {_brief(exc)}") from None
            else:
                if response.ok:
                    return response
                last_error = f"HTTP {response.status_code} {response.reason}"
                if response.status_code == 429:
                    retry_after = _retry_after(response)
                    if retry_after is not None and retry_after > MAX_WAIT_S:
                        raise SourceUnreachableError(
                            f"{self.host} asks us to wait {retry_after:.0f} s before the next request, longer than "
                            f"the {MAX_WAIT_S:.0f} s this run waits; nothing was written, run again later")
                    if retry_after is not None:
                        delay = retry_after
                elif response.status_code == 404:
                    raise NotFoundError(f"{self.host}: {path} not found (HTTP 404)")
                elif response.status_code < 500:
                    body = " ".join(response.text[:300].split())
                    raise ReviewError(f"{self.host} refused the request: {last_error}: {body}")
            if attempt < self.max_tries:
                log.warning("%s: %s; try %d of %d, next in %.1f s", self.host, last_error, attempt + 1,
                            self.max_tries, delay)
                self._sleep(delay)
        raise SourceUnreachableError(f"{self.host} unreachable after {self.max_tries} tries; last error: {last_error}")
