"""Collect every problem of one configuration, then raise once: the one validator the stacks side uses.

Each message names the key, the value and the limit ("idle_timeout_seconds is 30 but must be between 60
and 28800"), so a bad ``cdk.json`` or ``-c`` value fails synth in one round trip with every problem listed.
The stage config (stacks/config.py) and the pipeline settings (stacks/pipeline/pipeline_config.py) use it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any


class ConfigError(ValueError):
    """Raised once with every problem found, one per line.

    Attributes:
        problems: the messages, in the order they were found.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


class Problems:
    """The problems found so far; each check adds at most one message and returns whether it passed."""

    def __init__(self) -> None:
        self._messages: list[str] = []

    def __bool__(self) -> bool:
        return bool(self._messages)

    def add(self, message: str) -> None:
        """Record a problem no check below expresses (a missing key, a rule between two keys)."""
        self._messages.append(message)

    def match(self, key: str, value: Any, pattern: re.Pattern[str], allowed: str) -> bool:
        """``value`` is a string matching ``pattern``; ``allowed`` says what that means to a user."""
        if isinstance(value, str) and pattern.match(value):
            return True
        self.add(f"{key} is {value!r} but must be {allowed} (pattern {pattern.pattern})")
        return False

    def one_of(self, key: str, value: Any, allowed: Collection[str]) -> bool:
        """``value`` is one of ``allowed`` (listed in the message in their given order)."""
        if value in allowed:
            return True
        self.add(f"{key} is {value!r} but must be one of: {', '.join(allowed)}")
        return False

    def within(self, key: str, value: int, bounds: tuple[int, int]) -> bool:
        """``low <= value <= high``."""
        low, high = bounds
        if low <= value <= high:
            return True
        self.add(f"{key} is {value} but must be between {low} and {high}")
        return False

    def at_most(self, key: str, count: int, noun: str, limit: int) -> bool:
        """A collection of ``count`` ``noun`` holds at most ``limit``."""
        if count <= limit:
            return True
        self.add(f"{key} has {count} {noun} but must have at most {limit}")
        return False

    def raise_if_any(self) -> None:
        """Raise ConfigError with every problem recorded, if there is one.

        Raises:
            ConfigError: listing each problem.
        """
        if self._messages:
            raise ConfigError(list(self._messages))
