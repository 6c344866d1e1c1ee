"""The one message shape of the CDK app's configuration problems: key, value given, what is allowed."""

from __future__ import annotations

from stacks.validation import UNSET, ConfigError, Problem


def test_a_problem_names_key_value_and_what_is_allowed():
    problem = Problem("agentcore-session.stages.prod.session_expiry_days", 0, "an integer from 1 to 3650")

    assert str(problem) == "agentcore-session.stages.prod.session_expiry_days = 0; allowed: an integer from 1 to 3650"


def test_an_unset_key_and_a_long_value_stay_readable():
    assert str(Problem("stage", UNSET, "a stage name")) == "stage = (unset); allowed: a stage name"
    long = str(Problem("session_prefix", "p" * 600, "at most 63 characters"))
    assert "(600 characters)" in long and len(long) < 160


def test_config_error_lists_every_problem_one_a_line():
    problems = [Problem("a", 1, "x"), Problem("b", "y", "z")]

    error = ConfigError(problems)

    assert error.problems == problems
    assert str(error).splitlines() == ["invalid configuration:", "  - a = 1; allowed: x", "  - b = 'y'; allowed: z"]
