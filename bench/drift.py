"""Latency drift with traffic: p50 of the last calls of a long run vs a fresh process at the same moment.

Sessions take their calls in consecutive blocks (session 1 gets calls 1–5, session 2 calls 6–10, …), so
every window holds the same mix of first turns and follow-ups and only the server's total traffic
differs. An agent whose work grows with everyone's traffic (one shared history) drifts; one whose work
depends only on the session's own history does not.

On a shared VM the machine's speed itself wanders by tens of percent over minutes, so comparing calls
1–50 with calls 251–300 of one process (``late_over_early``, reported) mixes drift with that. The
budget uses ``late_over_fresh``: while the long-running process takes its last window, a fresh process
of the same target takes its first window, call by call interleaved with it — same moment, same call
pattern, the only difference being the traffic already served.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from bench.client import Call
from bench.interleave import Invoker, blocks_of, run_interleaved
from bench.scenarios import SessionOutcome, cross_talk
from bench.stats import percentile

FRESH_SUFFIX = "#fresh"
# Starts one fresh, warmed-up process per target name and yields their invokers.
FreshStarter = Callable[[], AbstractContextManager[dict[str, Invoker]]]


def _p50_ms(calls: list[Call]) -> float:
    return percentile([c.seconds * 1000 for c in calls], 50)


def _judged(outcomes: list[SessionOutcome]) -> dict[str, int]:
    return {
        "errors": sum(o.errors for o in outcomes),
        "wrong_recalls": sum(len(o.wrong_recalls) for o in outcomes),
        "cross_talk": cross_talk(outcomes),
    }


def measure_drift(
    invokers: dict[str, Invoker], start_fresh: FreshStarter, *, calls: int, window: int, turns_per_session: int
) -> dict[str, dict[str, Any]]:
    """Per target: p50 of its first and last ``window`` calls, and of a fresh process's first window."""
    plan = blocks_of(turns_per_session)
    long_run = run_interleaved(invokers, calls=calls - window, plan=plan, label="drift")
    with start_fresh() as fresh:
        pairs: dict[str, Invoker] = {}
        for name, invoker in invokers.items():
            pairs[name] = invoker
            if name in fresh:
                pairs[name + FRESH_SUFFIX] = fresh[name]
        last = run_interleaved(pairs, calls=window, plan=plan, label="late")
    results = {}
    for name in invokers:
        ordered = long_run[name][0] + last[name][0]
        early, late = _p50_ms(ordered[:window]), _p50_ms(ordered[-window:])
        entry: dict[str, Any] = {
            "calls": calls,
            "window": window,
            "sessions": len(long_run[name][1]) + len(last[name][1]),
            "early_p50_ms": round(early, 2),
            "late_p50_ms": round(late, 2),
            "late_over_early": round(late / early, 3),
            **_judged(long_run[name][1] + last[name][1]),
        }
        if name + FRESH_SUFFIX in last:
            fresh_p50 = _p50_ms(last[name + FRESH_SUFFIX][0])
            entry |= {"fresh_p50_ms": round(fresh_p50, 2), "late_over_fresh": round(late / fresh_p50, 3)}
        results[name] = entry
    return results
