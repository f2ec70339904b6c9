"""Secrets (the NCBI API key) never leave the process: every error message, every line printed and every
file written passes through `redact`, so a server that echoes the request back cannot put the key into a
log or the data."""

from __future__ import annotations

import io
import os
import re
from urllib.parse import quote, quote_plus

SECRET_ENVIRONMENT = ("NCBI_API_KEY",)
SECRET_PARAMS = ("api_key",)
MASK = "***"
_SECRET_IN_URL = re.compile(r"((?:%s)=)[^&\s'\"<>]+" % "|".join(SECRET_PARAMS))


def current_secrets() -> tuple[str, ...]:
    """The secret values set in the environment now (read each time: tests and cron jobs set them late)."""
    return tuple(value for name in SECRET_ENVIRONMENT if len(value := os.environ.get(name, "")) >= 4)


def _forms(secret: str) -> set[str]:
    return {secret, quote_plus(secret), quote(secret, safe="")}


def redact(text: str) -> str:
    """`text` with every secret value (as is or URL-encoded) and any `api_key=...` replaced by ***."""
    for secret in current_secrets():
        for form in _forms(secret):
            text = text.replace(form, MASK)
    return _SECRET_IN_URL.sub(rf"\1{MASK}", text)


def redact_bytes(data: bytes) -> bytes:
    for secret in current_secrets():
        for form in _forms(secret):
            data = data.replace(form.encode("utf-8"), MASK.encode())
    return data


class RedactingStream(io.TextIOBase):
    """A text stream that redacts what is written before passing it on (stdout/stderr of the CLI, and so
    every print, log record, progress bar and traceback)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self):
        return getattr(self._stream, "encoding", "utf-8")


def _redacting_record_factory(factory):
    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging's own error report
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    make.redacts = True
    return make


def redact_log_records() -> None:
    """Redact every log record when it is made, whichever logger (urllib3's request lines included)."""
    import logging

    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacts", False):
        logging.setLogRecordFactory(_redacting_record_factory(factory))
