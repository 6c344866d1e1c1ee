"""The one "collect every problem" helper: each check names key, value and limit, and passes a valid value."""

from __future__ import annotations

import re

import pytest

from stacks.validation import ConfigError, Problems

PATTERN = re.compile(r"^[a-z]+$")


def test_problems_pass_valid_values_and_raise_nothing():
    problems = Problems()
    assert problems.match("name", "abc", PATTERN, "lowercase letters")
    assert problems.one_of("mode", "a", ("a", "b"))
    assert problems.within("days", 3650, (1, 3650))
    assert problems.at_most("tags", 50, "entries", 50)
    assert not problems
    problems.raise_if_any()


def test_problems_collect_each_failed_check_then_raise_once():
    problems = Problems()
    assert not problems.match("name", "ABC", PATTERN, "lowercase letters")
    assert not problems.match("name", 7, PATTERN, "lowercase letters")
    assert not problems.one_of("mode", "c", ("a", "b"))
    assert not problems.within("days", 0, (1, 3650))
    assert not problems.at_most("tags", 51, "entries", 50)
    problems.add("vpc_id is missing but network_mode is 'vpc'")
    with pytest.raises(ConfigError) as error:
        problems.raise_if_any()
    assert error.value.problems == [
        "name is 'ABC' but must be lowercase letters (pattern ^[a-z]+$)",
        "name is 7 but must be lowercase letters (pattern ^[a-z]+$)",
        "mode is 'c' but must be one of: a, b",
        "days is 0 but must be between 1 and 3650",
        "tags has 51 entries but must have at most 50",
        "vpc_id is missing but network_mode is 'vpc'",
    ]
    assert str(error.value).splitlines() == ["invalid configuration:", *(f"  - {p}" for p in error.value.problems)]
