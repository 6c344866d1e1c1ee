"""The one exception type the command line turns into a single stderr line and an exit code.

WHY: users should see "sign-in failed for alice: Incorrect username or password." — never a
traceback. Every lower-level failure (botocore, httpx, file system) is wrapped into `CliError` where it
happens, with a message that says what to do next.
"""

from __future__ import annotations


class CliError(Exception):
    """A failure to report to the user as one line on stderr.

    Attributes:
        message: what went wrong and, where possible, what to do about it.
        exit_code: the process exit code (non-zero).
    """

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class RuntimeHttpError(CliError):
    """The runtime (or local front door) answered an invocation with a non-200 status."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
