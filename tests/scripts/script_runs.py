"""Running the Makefile's helper scripts as make runs them, and reading make's recipes."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.support.aws_env import REGION
from tests.support.emulators import EmulatorProcess
from tests.support.paths import REPO


def run_module(
    module: str, args: list[str], emulator: EmulatorProcess | None, **extra_env: str | None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m scripts.<module>`` from the repository root, as make does, against the emulator
    (an ``extra_env`` value of None removes that variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
    }
    if emulator is not None:
        env["AWS_ENDPOINT_URL"] = emulator.endpoint_url
    env |= {k: v for k, v in extra_env.items() if v is not None}
    for key in [k for k, v in extra_env.items() if v is None]:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", f"scripts.{module}", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def recipe_steps(target: str, script: str, cdk_command: str) -> tuple[list[str], list[int]]:
    """``make -n <target> STAGE=dev``'s lines, and the indices of those running ``scripts.<script> --stage dev``
    or matching the ``cdk_command`` pattern."""
    recipe = subprocess.run(
        ["make", "-n", target, "STAGE=dev"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    steps = [
        i for i, line in enumerate(recipe) if f"scripts.{script} --stage dev" in line or re.search(cdk_command, line)
    ]
    return recipe, steps
