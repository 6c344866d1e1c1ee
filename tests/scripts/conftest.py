"""Fixtures for the `make deploy` / `make destroy` helpers: moto (a process of its own) and the stage's real bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from aws_cdk.assertions import Template

from tests.support.aws_env import CREDENTIALS, REGION
from tests.support.cdk_app import build_stage
from tests.support.emulators import EmulatorProcess


@pytest.fixture
def aws(own_emulator: EmulatorProcess) -> Iterator[dict[str, Any]]:
    """Clients on the emulator; moto's state is reset after each test."""
    clients = {
        name: boto3.client(name, endpoint_url=own_emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
        for name in ("cloudformation", "s3")
    }
    yield clients
    assert httpx.post(f"{own_emulator.endpoint_url}/moto-api/reset").status_code == 200


@pytest.fixture(scope="session")
def stages(tmp_path_factory) -> dict[str, Any]:
    """The dev and prod stages as `make synth STAGE=…` builds them."""
    return {stage: build_stage(tmp_path_factory.mktemp(stage), stage=stage)[1] for stage in ("dev", "prod")}


@pytest.fixture(scope="session")
def runtime_templates(stages) -> dict[str, dict[str, Any]]:
    """The synthesized Runtime stack templates of dev and prod (the real bucket resources and their policies)."""
    return {name: Template.from_stack(stage.runtime).to_json() for name, stage in stages.items()}
