"""Polling with a deadline: for what completes asynchronously (AgentCore Memory's extraction), never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(
    fetch: Callable[[], T], accept: Callable[[T], bool], *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Call ``fetch`` until ``accept`` holds for its result; that result, or AssertionError with the last one.

    Args:
        fetch: reads the current state (e.g. lists memory records).
        accept: the condition the test waits for.
        timeout: seconds before giving up (generous: the machine is shared and loaded).
        interval: pause between reads.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if accept(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {value!r}")
        time.sleep(interval)
