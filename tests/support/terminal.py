"""Run a command on a pseudo-terminal and answer its prompts as a person would, each once it has appeared.

WHY wait for the prompt: `getpass` switches echo off with TCSAFLUSH, which discards whatever was typed before the
prompt, so answers cannot be written up front. The child gets a new session and so no controlling terminal:
`getpass` then reads the pty on stdin and writes its prompt to stderr, the same pty (Lib/getpass.py's fallback).
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# A prompt to wait for, and the line to type then (made from the screen so far, e.g. a code from a printed secret).
Answer = tuple[str, Callable[[str], str]]


@dataclass(frozen=True)
class Session:
    """What the terminal showed (the pty's `\\r\\n` line ends made `\\n`) and the exit code."""

    screen: str
    code: int


def run_on_terminal(
    command: Sequence[str], *, answers: Sequence[Answer], cwd: Path, env: Mapping[str, str], timeout: float = 120.0
) -> Session:
    """Start `command` with a pty as stdin, stdout and stderr; type each answer once its prompt is on screen."""
    leader, follower = os.openpty()
    process = subprocess.Popen(
        list(command), cwd=cwd, env=dict(env), stdin=follower, stdout=follower, stderr=follower, start_new_session=True
    )
    os.close(follower)
    deadline = time.monotonic() + timeout
    screen = ""
    try:
        for prompt, reply in answers:
            start = len(screen)
            while prompt not in screen[start:]:
                chunk = _read(leader, deadline)
                if chunk is None:
                    raise AssertionError(f"the terminal closed before {prompt!r}; it showed: {screen!r}")
                screen += chunk
            os.write(leader, (reply(screen) + "\n").encode())
        while (chunk := _read(leader, deadline)) is not None:
            screen += chunk
        return Session(
            screen=screen.replace("\r\n", "\n"), code=process.wait(timeout=max(deadline - time.monotonic(), 1))
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)


def _read(leader: int, deadline: float) -> str | None:
    """The next output, or None once the command closed the terminal; AssertionError after the deadline."""
    ready, _, _ = select.select([leader], [], [], max(deadline - time.monotonic(), 0))
    if not ready:
        raise AssertionError("the command showed nothing more before the deadline")
    try:
        data = os.read(leader, 4096)
    except OSError:  # EIO: every holder of the follower side has closed it
        return None
    return data.decode(errors="replace") if data else None
