"""Fixtures for the `make deploy` / `make destroy` helpers: moto in server mode and the stage's real bucket resource."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from aws_cdk.assertions import Template

from local.aws_emulator import Emulator, start_emulator
from tests.stacks.conftest import build_stage

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture
def aws(emulator) -> Iterator[dict[str, Any]]:
    """Clients on the emulator; moto's state is reset after each test."""
    clients = {
        name: boto3.client(name, endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
        for name in ("cloudformation", "s3")
    }
    yield clients
    assert httpx.post(f"{emulator.endpoint_url}/moto-api/reset").status_code == 200


@pytest.fixture(scope="session")
def stages(tmp_path_factory) -> dict[str, Any]:
    """The dev and prod stages as `make synth STAGE=…` builds them."""
    return {stage: build_stage(tmp_path_factory.mktemp(stage), stage=stage)[1] for stage in ("dev", "prod")}


@pytest.fixture(scope="session")
def runtime_templates(stages) -> dict[str, dict[str, Any]]:
    """The synthesized Runtime stack templates of dev and prod (the real bucket resources and their policies)."""
    return {name: Template.from_stack(stage.runtime).to_json() for name, stage in stages.items()}


def run_module(
    module: str, args: list[str], emulator: Emulator | None, **extra_env: str | None
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
