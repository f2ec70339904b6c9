"""Errors the command line reports as one clear line and a non-zero exit, never as a traceback.

Every message is redacted when the error is made (a server's echo of the request cannot carry the API key
into a log), so all errors raised by the review pass through one place."""

from pipeline.core.secrets import redact


class ReviewError(Exception):
    """A problem with the user's input or environment, worded for the user."""

    exit_code = 1

    def __init__(self, message: str = ""):
        super().__init__(redact(str(message)))


class ConfigError(ReviewError):
    exit_code = 2


class InvalidDataError(ReviewError):
    """Data under data/ breaks the schema; carries every problem found."""

    exit_code = 3

    def __init__(self, problems: list[str]):
        self.problems = [redact(problem) for problem in problems]
        super().__init__(f"{len(problems)} problem(s) in the review data:\n" + "\n".join(self.problems))


class BuildError(ReviewError):
    exit_code = 4


class SourceUnreachableError(ReviewError):
    exit_code = 5


class NotFoundError(ReviewError):
    """The server answered that what was asked for does not exist (HTTP 404): an answer, not a fault."""


class IncompleteSearchError(SourceUnreachableError):
    """A source announced more (or other) records than it delivered: the window is not counted as searched."""


class LockHeldError(ReviewError):
    exit_code = 6
