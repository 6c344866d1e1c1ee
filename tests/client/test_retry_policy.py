"""The retry policy: which refusals get another attempt, jittered backoff, and `Retry-After` (RFC 9110 §10.2.3)."""

from __future__ import annotations

import pytest

from client.retry_policy import RetryPolicy, retry_after_seconds

# Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date, as epoch seconds.
EXAMPLE_DATE = 784111777.0


def _policy(*randoms: float, **changes: float) -> RetryPolicy:
    """A policy whose random source returns `randoms` in order (and fails the test if asked for more)."""
    return RetryPolicy(random=iter(randoms).__next__, **changes)


def test_backoff_doubles_up_to_the_cap_and_scales_by_the_random_draw():
    policy = _policy(0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
    assert [policy.backoff(attempt) for attempt in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]


@pytest.mark.parametrize(("draw", "expected"), [(0.0, [0.0, 0.0, 0.0]), (0.999, [0.4995, 0.999, 1.998])])
def test_backoff_stays_within_zero_and_the_doubling_bound(draw, expected):
    policy = _policy(draw, draw, draw)
    assert [policy.backoff(attempt) for attempt in (1, 2, 3)] == expected


@pytest.mark.parametrize("status", [429, 503])
def test_delay_without_retry_after_is_the_backoff(status):
    assert _policy(0.5).delay_before_retry(attempt=2, status=status, code="x", retry_after=None) == 0.5


@pytest.mark.parametrize("status", [429, 503])
def test_delay_with_retry_after_waits_at_least_that_long(status):
    assert _policy(0.5).delay_before_retry(attempt=1, status=status, code="x", retry_after=3.0) == 3.25


@pytest.mark.parametrize("code", ["session_busy", "RetryableConflictException"])
def test_busy_session_is_retried_when_the_server_says_when(code):
    assert _policy(0.0).delay_before_retry(attempt=1, status=409, code=code, retry_after=1.0) == 1.0


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [
        (409, "session_busy", None),  # busy, but no word on when: the agent already waited for it
        (409, "conflict", 1.0),
        (400, "invalid_request", 1.0),
        (401, "invalid_token", None),
        (403, "session_forbidden", None),
        (500, "model_error", 1.0),
        (502, "runtime_unavailable", None),
    ],
)
def test_delay_is_none_for_refusals_that_another_attempt_would_not_change(status, code, retry_after):
    assert _policy().delay_before_retry(attempt=1, status=status, code=code, retry_after=retry_after) is None


def test_delay_is_none_once_the_attempts_are_used_up():
    policy = _policy(0.5, 0.5, 0.5)
    delays = [policy.delay_before_retry(attempt=a, status=429, code="x", retry_after=None) for a in (1, 2, 3, 4)]
    assert delays == [0.25, 0.5, 1.0, None]


def test_retry_after_longer_than_the_limit_is_not_waited_for():
    policy = _policy(0.0, max_retry_after_seconds=30.0)
    assert policy.delay_before_retry(attempt=1, status=429, code="x", retry_after=30.0) == 30.0
    assert policy.delay_before_retry(attempt=1, status=429, code="x", retry_after=31.0) is None
    assert [policy.waits_too_long(seconds) for seconds in (30.0, 31.0, None)] == [False, True, False]


@pytest.mark.parametrize(("header", "seconds"), [("3", 3.0), (" 7 ", 7.0), ("0", 0.0), ("120", 120.0)])
def test_retry_after_delay_seconds(header, seconds):
    assert retry_after_seconds(header, now=EXAMPLE_DATE) == seconds


@pytest.mark.parametrize(
    "header",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
    ids=["imf-fixdate", "rfc850", "asctime"],
)
def test_retry_after_http_date_is_counted_from_the_clock(header):
    """All three forms RFC 9110 §5.6.7 says a recipient must accept."""
    assert retry_after_seconds(header, now=EXAMPLE_DATE - 7) == 7.0


def test_retry_after_http_date_in_the_past_means_now():
    assert retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", now=EXAMPLE_DATE + 60) == 0.0


@pytest.mark.parametrize("header", [None, "", "1.5", "-1", "soon", "\u0663", "Sun, 99 Nov 1994 08:49:37 GMT"])
def test_retry_after_that_is_not_valid_is_ignored(header):
    assert retry_after_seconds(header, now=EXAMPLE_DATE) is None


def test_policy_names_every_limit_it_breaks():
    with pytest.raises(ValueError) as raised:
        RetryPolicy(max_attempts=0, base_seconds=-0.5, max_retry_after_seconds=float("nan"))
    assert str(raised.value) == (
        "max_attempts is 0 but must be at least 1; base_seconds is -0.5 but must be at least 0; "
        "max_retry_after_seconds is nan but must be at least 0"
    )
    assert RetryPolicy(max_attempts=1, base_seconds=0.0).max_attempts == 1  # control: the limits themselves pass
