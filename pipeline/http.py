"""A small polite HTTP client for the live literature sources: spaced requests, bounded retries with backoff,
and secrets (the `api_key` parameter) kept out of every message and log line."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from urllib.parse import quote_plus, urlsplit

import requests

from .errors import ReviewError, SourceUnreachableError

log = logging.getLogger(__name__)

SECRET_PARAMS = ("api_key",)
MAX_WAIT_S = 60.0
BACKOFF_S = 1.0
RETRY_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_SECRET_IN_URL = re.compile(r"((?:%s)=)[^&\s'\"]+" % "|".join(SECRET_PARAMS))

Params = Mapping[str, str | int]


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with every secret value, and any `api_key=...` in a URL, replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***").replace(quote_plus(secret), "***")
    return _SECRET_IN_URL.sub(r"\1***", text)


class _RedactingFilter(logging.Filter):
    """urllib3 logs every request line, query string included, at DEBUG level; scrub the key from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_urllib3_log = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RedactingFilter) for f in _urllib3_log.filters):
    _urllib3_log.addFilter(_RedactingFilter())


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds, or None when absent or given as an HTTP date (then the backoff applies)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class PoliteClient:
    def __init__(self, base_url: str, min_interval_s: float, max_tries: int = 5, timeout_s: float = 30,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.min_interval_s = min_interval_s
        self.max_tries = max_tries
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self.min_interval_s - (self._clock() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def get(self, path: str, params: Params) -> requests.Response:
        """GET base_url + path; returns a 2xx response or raises SourceUnreachableError / ReviewError."""
        url = self.base_url + path.lstrip("/")
        secrets = tuple(str(params[name]) for name in SECRET_PARAMS if params.get(name))
        last_error = ""
        for attempt in range(1, self.max_tries + 1):
            self._wait_turn()
            delay = min(BACKOFF_S * 2 ** (attempt - 1), MAX_WAIT_S)
            try:
                response = self.session.get(url, params=params, timeout=self.timeout_s)
            except RETRY_ERRORS as exc:
                last_error = redact(f"{type(exc).__name__}: {exc}", secrets)
            except requests.RequestException as exc:
                # A bad URL or similar: retrying cannot help. `from None` keeps the unredacted cause out of tracebacks.
                raise ReviewError(redact(f"{self.host}: request failed: {type(exc).__name__}: {exc}",
                                         secrets)) from None
            else:
                if response.ok:
                    return response
                last_error = f"HTTP {response.status_code} {response.reason}"
                if response.status_code == 429:
                    retry_after = _retry_after(response)
                    if retry_after is not None:
                        delay = min(retry_after, MAX_WAIT_S)
                elif response.status_code < 500:
                    body = " ".join(response.text[:300].split())
                    raise ReviewError(redact(f"{self.host} refused the request: {last_error}: {body}", secrets))
            if attempt < self.max_tries:
                log.warning("%s: %s; try %d of %d, next in %.1f s", self.host, last_error, attempt + 1,
                            self.max_tries, delay)
                self._sleep(delay)
        raise SourceUnreachableError(f"{self.host} unreachable after {self.max_tries} tries; last error: {last_error}")
