"""The one exception type the command line turns into a single stderr line and exit code 1.

WHY: users should see "sign-in failed for alice: Incorrect username or password." — never a
traceback. Every lower-level failure (botocore, httpx, file system) is wrapped into `CliError` where it
happens, with a message that says what to do next.
"""

from __future__ import annotations


class CliError(Exception):
    """A failure to report to the user as one line on stderr.

    Attributes:
        message: what went wrong and, where possible, what to do about it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuntimeHttpError(CliError):
    """The runtime (or local front door) answered an invocation with a non-200 status."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
