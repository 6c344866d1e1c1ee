"""Reading the banner ``python -m local`` prints once every part of the local runtime answers."""

from __future__ import annotations

import subprocess

# The banner's last client command, in both the JWT and the IAM banner.
BANNER_LAST_LINE_END = " demo"


def read_banner(process: subprocess.Popen[str]) -> list[str]:
    """The banner's lines, read from the process's stdout through its last client command (``… demo``).

    The banner is printed in one go once everything answers, so reading it is the wait for startup. A process
    whose stdout ends first fails the test, with its stderr when that is a pipe.
    """
    assert process.stdout is not None, "python -m local must be started with stdout=subprocess.PIPE"
    banner: list[str] = []
    while not banner or not banner[-1].rstrip().endswith(BANNER_LAST_LINE_END):
        line = process.stdout.readline()
        if not line:
            errors = process.stderr.read() if process.stderr else "(stderr not captured)"
            raise AssertionError(f"python -m local exited before its banner ended: {''.join(banner)}{errors}")
        banner.append(line)
    return banner
