"""Resident memory per idle session held in the registry.

After a warm-up (lazily imported code resident, allocator arenas at steady state), RSS of the server process is
read from ``/proc/<pid>/status``; then sessions are created (one call each, then left idle) and RSS is read again at
each checkpoint. Per-session cost = (RSS at N − RSS before) / N. Ours must be started with
``MAX_SESSIONS`` ≥ the largest checkpoint so nothing is evicted during the measurement.

The baseline holds no per-session state, so its figure is the per-call growth every Strands server
shows (its shared history plus allocator churn): the floor ours is compared with.

The machine is shared: a server whose sessions cost megabytes would take gigabytes at 1,000 sessions, so
creation stops once RSS has grown by :data:`MAX_GROWTH_KIB`; the checkpoint then reports the count reached
(``reached`` < ``sessions``, with ``stopped``), and its per-session figure is over that count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bench.client import invoke, new_session_id
from bench.scenarios import name_prompt, warm_up
from local.processes import ServerProcess

# ~100 warm-up calls: the allocator reaches its steady state first, so later growth is what sessions hold.
WARMUP_SESSIONS = 25
MAX_GROWTH_KIB = 2 * 1024 * 1024


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB, from ``/proc/<pid>/status`` (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"VmRSS not found for pid {pid}")


def _create_sessions(server: ServerProcess, start: int, stop: int, *, rss_limit_kib: int) -> tuple[int, int]:
    """Open sessions ``start``..``stop-1`` with one call each, one after another, until RSS passes ``rss_limit_kib``.

    Sequential on purpose: the baseline cannot take overlapping calls, and extra server worker threads
    would add their own memory to the per-session figure.

    Returns:
        (sessions created up to, calls that failed)
    """
    errors = 0
    with httpx.Client() as client:
        for i in range(start, stop):
            errors += not invoke(client, server.base_url, new_session_id(f"mem{i}"), name_prompt(f"Idle {i}")).ok
            if rss_kib(server.process.pid) > rss_limit_kib:
                return i + 1, errors
    return stop, errors


def measure_memory(
    server: ServerProcess,
    *,
    checkpoints: tuple[int, ...],
    max_growth_kib: int = MAX_GROWTH_KIB,
    warmup_sessions: int = WARMUP_SESSIONS,
) -> dict[str, Any]:
    """RSS before and at each checkpoint, and KiB per idle session."""
    for i in range(warmup_sessions):
        warm_up(server.base_url, f"warm{i}")
    base = rss_kib(server.process.pid)
    created, errors, points = 0, 0, []
    for count in checkpoints:
        created, failed = _create_sessions(server, created, count, rss_limit_kib=base + max_growth_kib)
        errors += failed
        rss = rss_kib(server.process.pid)
        point: dict[str, Any] = {
            "sessions": count,
            "reached": created,
            "rss_kib": rss,
            "kib_per_session": round((rss - base) / created, 1),
        }
        points.append(point)
        if created < count:
            point["stopped"] = f"RSS grew by more than {max_growth_kib // 1024} MiB"
            break
    return {"rss_before_kib": base, "checkpoints": points, "errors": errors}
