"""When to call the runtime again after a refusal, and how long to wait first.

WHY a small policy object and not a retry library: the decision depends on the answer (status, error code,
`Retry-After`), and the wait on a clock and a random source that tests inject to assert exact delays.
- httpx's own `HTTPTransport(retries=…)` retries failed connects only, never a status (httpcore
  `_sync/connection.py`, `_connect`).
- httpx-retries 0.6 sleeps with the process-wide `time.sleep` and draws jitter from the global `random`,
  shortens a `Retry-After` above its cap and retries early, and, being a transport, hands back the last
  refusal without the number of attempts the error message reports.
- tenacity 9 would run the loop and take a `sleep`, but its jittered waits also use the global `random` and it
  knows no `Retry-After`, so the wait below would be ours anyway; what it would replace is an 8-line loop
  (`BearerInvoker.invoke`) that must also close each refused streaming response before waiting.
The backoff has the shape of botocore's standard mode (full jitter, doubling, capped), which boto3 applies to
this client's AWS calls.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)

# Throttled, or the service (or the agent's connection guard) is overloaded: always worth another attempt.
RETRYABLE_STATUSES = frozenset({429, 503})
# 409 means "this session is busy with another request": worth another attempt only when the server says when
# (`Retry-After`). `session_busy` is the agent's code; `RetryableConflictException` is AgentCore's error name for
# a 409 of InvokeAgentRuntime (botocore's bedrock-agentcore service model).
BUSY_STATUS = 409
BUSY_CODES = frozenset({"session_busy", "RetryableConflictException"})


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Attempts and waits for one invocation.

    Without `Retry-After` the wait is botocore's standard-mode backoff, truncated binary exponential with full
    jitter (botocore/retries/standard.py, `ExponentialBackoff.delay_amount`): `random() * min(max_backoff_seconds,
    base_seconds * 2 ** (attempt - 1))`. With `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date)
    the wait is what the server asked for plus `random() * base_seconds`, so clients told the same second do not
    all come back in it.

    Attributes:
        max_attempts: calls in all, the first included (4 = the first call and up to 3 retries).
        base_seconds: the first backoff's upper bound; it doubles with each retry.
        max_backoff_seconds: the upper bound of any backoff without `Retry-After`.
        max_retry_after_seconds: a longer `Retry-After` is not waited for: the call fails at once and says so.
        random: a number in [0, 1) per wait (default `random.random`).
        clock: the wall clock in epoch seconds, to turn an HTTP-date into a wait (default `time.time`).
    """

    max_attempts: int = 4
    base_seconds: float = 0.5
    max_backoff_seconds: float = 8.0
    max_retry_after_seconds: float = 30.0
    random: Callable[[], float] = field(default=random.random, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def __post_init__(self) -> None:
        """Check every limit and raise once, naming each field, its value and the limit."""
        problems = []
        if self.max_attempts < 1:
            problems.append(f"max_attempts is {self.max_attempts} but must be at least 1")
        for name in ("base_seconds", "max_backoff_seconds", "max_retry_after_seconds"):
            value = getattr(self, name)
            if not value >= 0:  # also refuses NaN
                problems.append(f"{name} is {value} but must be at least 0")
        if problems:
            raise ValueError("; ".join(problems))

    def delay_before_retry(self, *, attempt: int, status: int, code: str, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when there should be no such attempt.

        Args:
            attempt: the attempt that was just answered (1 for the first call).
            status: its HTTP status.
            code: its error code (the body's `code`, else `x-amzn-ErrorType`).
            retry_after: its `Retry-After` in seconds (see `retry_after_seconds`), None without a usable one.
        """
        if attempt >= self.max_attempts or not is_retryable(status, code, retry_after):
            return None
        if retry_after is None:
            return self.backoff(attempt)
        if self.waits_too_long(retry_after):
            return None
        return retry_after + self.random() * self.base_seconds

    def backoff(self, attempt: int) -> float:
        """The jittered wait after attempt `attempt` when the server did not say how long."""
        return self.random() * min(self.max_backoff_seconds, self.base_seconds * 2.0 ** (attempt - 1))

    def waits_too_long(self, retry_after: float | None) -> bool:
        """True when the server asks for a longer wait than this policy is willing to make."""
        return retry_after is not None and retry_after > self.max_retry_after_seconds


def is_retryable(status: int, code: str, retry_after: float | None) -> bool:
    """429 and 503 always; a busy session's 409 only with `Retry-After`."""
    if status in RETRYABLE_STATUSES:
        return True
    return status == BUSY_STATUS and code in BUSY_CODES and retry_after is not None


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """A `Retry-After` header as seconds from `now`; None when absent or not valid.

    RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`, delay-seconds being a non-negative decimal
    integer. An HTTP-date in the past means "now" (0). Anything else is ignored, so the caller backs off as
    if the header were missing.
    """
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        logger.debug("retry_after=<%s> | not delay-seconds nor an HTTP-date, ignored", text)
        return None
    if moment.tzinfo is None:  # "-0000" zones parse as naive; HTTP-dates are always GMT
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)
