"""Resident memory per idle session held in the registry.

After a warm-up (lazily imported code resident, allocator arenas at steady state), RSS of the server process is read from
``/proc/<pid>/status``; then sessions are created (one call each, then left idle) and RSS is read again at
each checkpoint. Per-session cost = (RSS at N − RSS before) / N. Ours must be started with
``MAX_SESSIONS`` ≥ the largest checkpoint so nothing is evicted during the measurement.

The baseline holds no per-session state, so its figure is the per-call growth every Strands server
shows (its shared history plus allocator churn): the floor ours is compared with.
"""

from __future__ import annotations

from typing import Any

import httpx

from bench.client import invoke, new_session_id
from bench.processes import Server, rss_kib
from bench.scenarios import name_prompt, warm_up

# ~100 warm-up calls: the allocator reaches its steady state first, so later growth is what sessions hold.
WARMUP_SESSIONS = 25


def _create_sessions(server: Server, start: int, stop: int) -> int:
    """Open sessions ``start``..``stop-1`` with one call each, one after another; returns how many failed.

    Sequential on purpose: the baseline cannot take overlapping calls, and extra server worker threads
    would add their own memory to the per-session figure.
    """
    with httpx.Client() as client:
        return sum(not invoke(client, server.base_url, new_session_id(f"mem{i}"), name_prompt(f"Idle {i}")).ok
                   for i in range(start, stop))


def measure_memory(server: Server, *, checkpoints: tuple[int, ...]) -> dict[str, Any]:
    """RSS before and at each checkpoint, and KiB per idle session."""
    for i in range(WARMUP_SESSIONS):
        warm_up(server.base_url, f"warm{i}")
    base = rss_kib(server.process.pid)
    created, errors, points = 0, 0, []
    for count in checkpoints:
        errors += _create_sessions(server, created, count)
        created = count
        rss = rss_kib(server.process.pid)
        points.append({"sessions": count, "rss_kib": rss, "kib_per_session": round((rss - base) / count, 1)})
    return {"rss_before_kib": base, "checkpoints": points, "errors": errors}
