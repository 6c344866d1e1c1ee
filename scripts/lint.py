"""`make lint`: ruff check, ruff format --check, the import contracts and mypy, each announced and timed.

WHY this script rather than one shell line: a cold mypy (a fresh clone: every CDK and boto3 stub module to
analyse) printed nothing for minutes and looked hung. Each step is announced, a line every
``HEARTBEAT_SECONDS`` says it is still running, and its time is printed at the end. Every step runs even
after one fails, so one run shows every finding.

mypy's and import-linter's caches live outside the clone, under ``$XDG_CACHE_HOME`` (default ``~/.cache``)
in a folder named after the project, so a fresh clone on the same machine starts warm. mypy checks each
cached module's source hash, so clones at other commits share the cache safely.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT = "agentcore-session-stack"
HEARTBEAT_SECONDS = 30.0


@dataclass(frozen=True, kw_only=True)
class Step:
    """One linter run: its name and its argv."""

    name: str
    argv: Sequence[str]


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/agentcore-session-stack`` (``~/.cache`` when unset), per the XDG base directory spec."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / PROJECT


def default_steps(bin_dir: Path, cache: Path) -> list[Step]:
    """The linters `make lint` runs, from the venv's bin folder, with their caches under ``cache``."""
    return [
        Step(name="ruff check", argv=[str(bin_dir / "ruff"), "check", "."]),
        Step(name="ruff format --check", argv=[str(bin_dir / "ruff"), "format", "--check", "."]),
        Step(
            name="import contracts (lint-imports)",
            argv=[str(bin_dir / "lint-imports"), "--no-logo", "--cache-dir", str(cache / "import-linter")],
        ),
        Step(name="mypy", argv=[str(bin_dir / "mypy"), "--cache-dir", str(cache / "mypy")]),
    ]


def run_step(step: Step, *, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> bool:
    """Run one step with its output on this terminal; print a line every ``heartbeat_seconds`` until it ends."""
    print(f"lint: {step.name} ...", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(list(step.argv))
    while True:
        try:
            process.wait(timeout=heartbeat_seconds)
            break
        except subprocess.TimeoutExpired:
            print(f"lint: {step.name} still running ({time.perf_counter() - started:.0f} s)", flush=True)
    outcome = "ok" if process.returncode == 0 else f"FAILED (exit {process.returncode})"
    print(f"lint: {step.name} {outcome} in {time.perf_counter() - started:.1f} s", flush=True)
    return process.returncode == 0


def run_steps(steps: Sequence[Step], *, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> int:
    """Every step, in order; 1 if any failed."""
    results = [run_step(step, heartbeat_seconds=heartbeat_seconds) for step in steps]
    return 0 if all(results) else 1


def main() -> int:
    cache = cache_root()
    print(f"lint: caches in {cache} (a cold mypy takes minutes)", flush=True)
    return run_steps(default_steps(Path(sys.executable).parent, cache))


if __name__ == "__main__":
    sys.exit(main())
