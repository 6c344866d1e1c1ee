"""Synth time of the project's CDK app vs a one-stack minimal app, same CLI and flags, same run.

The pinned CLI in ``node_modules/.bin`` runs with ``.venv/bin`` first in ``PATH`` (as ``make synth`` does),
into a temporary output directory so the project's ``cdk.out`` is left alone. Runs alternate between
the two apps (and which goes first) so background load and cache warm-up fall on both alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import median
from local.processes import REPO_ROOT

MINIMAL_APP_DIR = Path(__file__).resolve().parent / "minimal_app"
CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"
SYNTH_TIMEOUT_SECONDS = 600
FULL_APP_ARGS = ("--app", f"{Path(sys.executable).parent / 'python'} app.py", "-c", "stage=dev")


def _synth_env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join([venv_bin, str(CDK_CLI.parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "CDK_DISABLE_CLI_TELEMETRY": "true"}


def synth_into(cwd: Path, out_dir: Path, app_args: tuple[str, ...] = ()) -> float:
    """Seconds for one ``cdk synth --quiet`` in ``cwd``, writing the cloud assembly to ``out_dir``.

    Raises:
        RuntimeError: the synth failed (message carries its output tail).
    """
    command = [str(CDK_CLI), *app_args, "synth", "--quiet", "--no-notices", "--output", str(out_dir)]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=_synth_env(), capture_output=True, text=True, timeout=SYNTH_TIMEOUT_SECONDS, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cdk synth in {cwd} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return seconds


def synth_once(cwd: Path, app_args: tuple[str, ...] = ()) -> float:
    """Seconds for one synth into a temporary directory (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as out_dir:
        return synth_into(cwd, Path(out_dir), app_args)


def measure_synth(*, reps: int) -> dict[str, Any]:
    """Median synth seconds of each app and their ratio."""
    if not CDK_CLI.exists():
        return {"measured": False, "reason": f"{CDK_CLI} missing; run make setup"}
    full, minimal = [], []
    for rep in range(reps):
        # Alternate which app goes first: the very first synth also warms the disk cache for the second.
        if rep % 2 == 0:
            minimal.append(synth_once(MINIMAL_APP_DIR))
            full.append(synth_once(REPO_ROOT, FULL_APP_ARGS))
        else:
            full.append(synth_once(REPO_ROOT, FULL_APP_ARGS))
            minimal.append(synth_once(MINIMAL_APP_DIR))
    full_s, minimal_s = median(full), median(minimal)
    return {
        "measured": True,
        "reps": reps,
        "full_s": [round(s, 3) for s in full],
        "minimal_s": [round(s, 3) for s in minimal],
        "median_full_s": round(full_s, 3),
        "median_minimal_s": round(minimal_s, 3),
        "ratio": round(full_s / minimal_s, 3),
    }
