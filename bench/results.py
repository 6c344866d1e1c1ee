"""The results document: machine facts, writing ``bench/results/latest.json`` (and the report beside it as
``latest.md``) and checking its shape."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2  # 2: Bedrock targets, stand_in_round_trip, container configurations
REQUIRED_KEYS: dict[str, type | tuple[type, ...]] = {
    "schema_version": int,
    "date": str,
    "machine": dict,
    "config": dict,
    "duration_s": (int, float),
    "load_avg_start": list,
    "load_avg_end": list,
    "budgets": list,
}
MACHINE_KEYS = ("cpu_model", "cores", "mem_gib", "kernel", "python")
BUDGET_KEYS = ("budget", "target", "measured", "baseline", "value", "limit", "met")


def cpu_model() -> str:
    """``model name`` from /proc/cpuinfo (the machine the numbers belong to)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def mem_gib() -> float:
    """Total RAM in GiB from /proc/meminfo."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def machine() -> dict[str, Any]:
    """Facts about this machine."""
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "mem_gib": mem_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def load_avg() -> list[float]:
    """1/5/15-minute load averages: other work on the box skews every number, so it is recorded."""
    return [round(x, 2) for x in os.getloadavg()]


def now_iso() -> str:
    """UTC timestamp of the run."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schema_problems(results: Any) -> list[str]:
    """Everything wrong with the shape of a results document (empty when valid)."""
    if not isinstance(results, dict):
        return [f"results must be an object, got {type(results).__name__}"]
    problems = [f"key {key!r} missing" for key in REQUIRED_KEYS if key not in results]
    problems += [
        f"key {key!r} must be {kind}, got {type(results[key]).__name__}"
        for key, kind in REQUIRED_KEYS.items()
        if key in results and not isinstance(results[key], kind)
    ]
    if isinstance(results.get("machine"), dict):
        problems += [f"machine.{key} missing" for key in MACHINE_KEYS if key not in results["machine"]]
    for index, row in enumerate(results.get("budgets") or []):
        problems += [f"budgets[{index}].{key} missing" for key in BUDGET_KEYS if key not in row]
    return problems


def write_results(results: dict[str, Any], path: Path) -> None:
    """Write the document (pretty-printed, stable key order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def report_path(results_path: Path) -> Path:
    """Where the markdown report goes: beside the results file, so docs/bench.md can link one readable result."""
    return results_path.with_suffix(".md")


def write_report(report: str, results_path: Path) -> None:
    """Write the markdown report the run printed to ``report_path(results_path)``."""
    path = report_path(results_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report + "\n", encoding="utf-8")
