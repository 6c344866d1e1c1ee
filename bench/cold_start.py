"""Cold start: process spawn → first ``/ping`` 200, and spawn → first answer, repeated and summarized by median.

Targets are started in a rotating order each repetition so that background load on the machine falls
on all of them alike. The first answer is a new session stating a name, so ours pays for creating its
first per-session agent (and, with the file store, writing it) inside the measured time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.client import invoke, new_session_id
from bench.scenarios import name_prompt
from bench.stats import median
from bench.targets import TargetSpec, spawn_target

COLD_NAME = "Cold Start"
EXPECTED_ANSWER = f"Nice to meet you, {COLD_NAME}."


def _one_cold_start(spec: TargetSpec, client: httpx.Client, log_dir: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-cold-{spec.name}-") as session_dir:
        server = spawn_target(spec, log_dir=log_dir, session_dir=Path(session_dir))
        try:
            ping_s = server.wait_healthy()
            call = invoke(client, server.base_url, new_session_id("cold"), name_prompt(COLD_NAME))
            answer_s = time.perf_counter() - server.spawned_at
        finally:
            server.stop()
    return {"ping_s": ping_s, "answer_s": answer_s, "ok": call.ok and call.answer == EXPECTED_ANSWER}


def measure_cold_start(specs: list[TargetSpec], *, reps: int, log_dir: Path) -> dict[str, Any]:
    """Per target: every repetition's seconds plus the medians."""
    runs: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in specs}
    with httpx.Client() as client:
        for rep in range(reps):
            order = specs[rep % len(specs) :] + specs[: rep % len(specs)]
            for spec in order:
                runs[spec.name].append(_one_cold_start(spec, client, log_dir))
    return {
        name: {
            "reps": len(items),
            "ping_s": [round(i["ping_s"], 4) for i in items],
            "answer_s": [round(i["answer_s"], 4) for i in items],
            "median_ping_s": round(median([i["ping_s"] for i in items]), 4),
            "median_answer_s": round(median([i["answer_s"] for i in items]), 4),
            "wrong_answers": sum(not i["ok"] for i in items),
        }
        for name, items in runs.items()
    }
