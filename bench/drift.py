"""Latency drift with traffic: p50 of the first calls vs the last calls of a long sequential run.

Sessions take their calls in consecutive blocks (session 1 gets calls 1–5, session 2 calls 6–10, …), so
every window holds the same mix of first turns and follow-ups and only the server's total traffic
differs between the start and the end. An agent whose work grows with everyone's traffic (one shared
history) drifts; one whose work depends only on the session's own history does not.
"""

from __future__ import annotations

from typing import Any

import httpx

from bench.client import new_session_id
from bench.processes import Server
from bench.scenarios import SessionOutcome, cross_talk, run_session, warm_up
from bench.stats import percentile


def measure_drift(server: Server, *, calls: int, window: int, turns_per_session: int) -> dict[str, Any]:
    """Sequential run of ``calls`` calls; compares the first and last ``window`` calls' p50."""
    warm_up(server.base_url)
    outcomes: list[SessionOutcome] = []
    with httpx.Client() as client:
        remaining, index = calls, 0
        while remaining > 0:
            turns = min(turns_per_session, remaining)
            outcomes.append(run_session(client, server.base_url, new_session_id(f"drift{index}"), f"Drifter {index}", turns))
            remaining, index = remaining - turns, index + 1
    ms = [c.seconds * 1000 for o in outcomes for c in o.calls]
    early, late = percentile(ms[:window], 50), percentile(ms[-window:], 50)
    return {
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
