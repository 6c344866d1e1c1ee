"""Concurrent sessions: S sessions × N calls at once; latency, errors and cross-session answers.

Each session runs in its own thread with its own HTTP client and starts at the same barrier. A recall
answer naming another session's name is cross-talk; a non-200 is an error (the baseline's shared agent
raises its concurrency error when two calls overlap).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.client import new_session_id
from bench.scenarios import SessionOutcome, cross_talk, run_session, warm_up
from bench.stats import summary_ms
from local.processes import ServerProcess


def _session_worker(server: ServerProcess, index: int, calls: int, barrier: threading.Barrier) -> SessionOutcome:
    with httpx.Client() as client:
        barrier.wait()
        return run_session(client, server.base_url, new_session_id(f"conc{index}"), f"Person {index}", calls)


def measure_concurrency(server: ServerProcess, *, sessions: int, calls: int) -> dict[str, Any]:
    """Run every session at once and judge every answer."""
    warm_up(server.base_url)
    barrier = threading.Barrier(sessions)
    with ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="bench-session") as pool:
        outcomes = list(pool.map(lambda i: _session_worker(server, i, calls, barrier), range(sessions)))
    all_calls = [c for o in outcomes for c in o.calls]
    statuses: dict[str, int] = {}
    for call in all_calls:
        statuses[str(call.status)] = statuses.get(str(call.status), 0) + 1
    return {
        **summary_ms([c.seconds for c in all_calls]),
        "sessions": sessions,
        "calls_per_session": calls,
        "errors": sum(o.errors for o in outcomes),
        "statuses": statuses,
        "wrong_recalls": sum(len(o.wrong_recalls) for o in outcomes),
        "cross_talk": cross_talk(outcomes),
    }
