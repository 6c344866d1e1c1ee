"""Latency drift with traffic: p50 of the first calls vs the last calls of a long sequential run.

Sessions take their calls in consecutive blocks (session 1 gets calls 1–5, session 2 calls 6–10, …), so
every window holds the same mix of first turns and follow-ups and only the server's total traffic
differs between the start and the end. An agent whose work grows with everyone's traffic (one shared
history) drifts; one whose work depends only on the session's own history does not. Targets are
interleaved call by call so background load falls on all of them alike.
"""

from __future__ import annotations

from typing import Any

from bench.interleave import Invoker, blocks_of, run_interleaved
from bench.scenarios import cross_talk
from bench.stats import percentile


def measure_drift(invokers: dict[str, Invoker], *, calls: int, window: int, turns_per_session: int) -> dict[str, dict[str, Any]]:
    """Per target: first and last ``window`` calls' p50 and their ratio."""
    runs = run_interleaved(invokers, calls=calls, plan=blocks_of(turns_per_session), label="drift")
    results = {}
    for name, (ordered, outcomes) in runs.items():
        ms = [c.seconds * 1000 for c in ordered]
        early, late = percentile(ms[:window], 50), percentile(ms[-window:], 50)
        results[name] = {
            "calls": calls,
            "window": window,
            "sessions": len(outcomes),
            "early_p50_ms": round(early, 2),
            "late_p50_ms": round(late, 2),
            "late_over_early": round(late / early, 3),
            "errors": sum(o.errors for o in outcomes),
            "wrong_recalls": sum(len(o.wrong_recalls) for o in outcomes),
            "cross_talk": cross_talk(outcomes),
        }
    return results
