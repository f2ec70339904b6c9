"""Errors the command line reports as one clear line and a non-zero exit, never as a traceback."""


class ReviewError(Exception):
    """A problem with the user's input or environment, worded for the user."""

    exit_code = 1


class ConfigError(ReviewError):
    exit_code = 2


class InvalidDataError(ReviewError):
    """Data under data/ breaks the schema; carries every problem found."""

    exit_code = 3

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the review data:\n" + "\n".join(problems))


class BuildError(ReviewError):
    exit_code = 4


class SourceUnreachableError(ReviewError):
    exit_code = 5


class LockHeldError(ReviewError):
    exit_code = 6
