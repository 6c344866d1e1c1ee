"""The deployed configuration, offline: the real agent server with exactly the environment the stack gives it.

Parts, all real and all over HTTP:
- the dev stage's Runtime stack, synthesized once per test session (``tests/support/deployed_stack.py``);
- moto in server mode as S3 (its own process, with moto's request recorder on, so the IAM test can read
  every S3 request the agent made), holding a bucket created for the template's session bucket;
- the Bedrock Runtime stand-in (``local/bedrock_runtime.py``), which records every Converse call;
- the agent, ``python -m agent``, started with the template's ``EnvironmentVariables`` (the bucket ``Ref``
  resolved to the bucket on moto) plus only what AgentCore and the offline setup add: the region, dummy
  credentials, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` → the stand-in, ``AWS_ENDPOINT_URL_S3`` → moto,
  ``AWS_ENDPOINT_URL`` → moto as a catch-all (any other AWS service the agent called would land in the
  recording instead of leaving the machine), and the three OpenTelemetry exporters set to ``none``
  (the template turns observability on; its X-Ray/CloudWatch destinations are not reachable offline).
"""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.bedrock_runtime import BedrockRuntimeStandIn, start_bedrock_runtime
from tests.support.deployed_stack import BUCKET_TYPE, DeployedRuntimeStack, synthesize_runtime_stack
from tests.support.processes import ServerProcess, free_port, start_server

# Distinct keys tell the agent's calls apart from the test's own in moto's recording.
AGENT_ACCESS_KEY_ID = "AKIADEPLOYEDAGENT000"
HARNESS_CREDENTIALS = {"aws_access_key_id": "AKIATESTHARNESS00000", "aws_secret_access_key": "harness"}
OFFLINE_TELEMETRY = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}


@pytest.fixture(scope="session")
def runtime_stack(tmp_path_factory: pytest.TempPathFactory) -> DeployedRuntimeStack:
    """The dev stage's Runtime stack as `cdk synth` writes it (once per test session and worker)."""
    return synthesize_runtime_stack(tmp_path_factory.mktemp("deployed-cdk"))


@dataclass(frozen=True)
class RecordingEmulator:
    """moto in server mode in its own process, recording every request to ``recording``."""

    server: ServerProcess
    recording: Path

    @property
    def endpoint_url(self) -> str:
        """moto's URL."""
        return self.server.base_url


def start_recording_emulator(directory: Path) -> RecordingEmulator:
    """``python -m local.aws_emulator`` with moto's recorder on (MOTO_ENABLE_RECORDING, MOTO_RECORDER_FILEPATH)."""
    port, recording = free_port(), directory / "moto-recording.jsonl"
    recording.touch()
    server = start_server(
        [sys.executable, "-m", "local.aws_emulator", "--port", str(port)], port=port, log_path=directory / "moto.log",
        env={"MOTO_ENABLE_RECORDING": "true", "MOTO_RECORDER_FILEPATH": str(recording)},
        health_path="/moto-api/data.json",
    )
    return RecordingEmulator(server=server, recording=recording)


@dataclass(frozen=True)
class Deployment:
    """One offline deployment of the dev stage: its stand-ins, its bucket and the agent's environment."""

    stack: DeployedRuntimeStack
    emulator: RecordingEmulator
    bedrock: BedrockRuntimeStandIn
    bucket: str
    bucket_logical_id: str
    agent_env: dict[str, str]
    directory: Path

    @property
    def physical_ids(self) -> dict[str, str]:
        """Logical id → physical id of what the test created for the template."""
        return {self.bucket_logical_id: self.bucket}

    def s3(self) -> Any:
        """An S3 client for the test's own checks (its calls are not the agent's)."""
        return boto3.client("s3", region_name=self.stack.region, endpoint_url=self.emulator.endpoint_url, **HARNESS_CREDENTIALS)

    def stored_keys(self, prefix: str = "") -> list[str]:
        """Every key in the session bucket under ``prefix``."""
        listing = self.s3().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))


def deploy(stack: DeployedRuntimeStack, directory: Path) -> Deployment:
    """Start moto and the Bedrock stand-in, create the session bucket, build the agent's environment."""
    emulator = start_recording_emulator(directory)
    bedrock = start_bedrock_runtime()
    bucket_logical_id, _ = stack.only(BUCKET_TYPE)
    bucket = f"agentcoresession-dev-runtime-sessionstorebucket-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", region_name=stack.region, endpoint_url=emulator.endpoint_url, **HARNESS_CREDENTIALS).create_bucket(Bucket=bucket)
    home = directory / "home"
    home.mkdir()
    agent_env = {
        **stack.runtime_environment({bucket_logical_id: bucket}),
        "AWS_REGION": stack.region,
        "AWS_DEFAULT_REGION": stack.region,
        "AWS_ACCESS_KEY_ID": AGENT_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": "deployed-agent-secret",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.endpoint_url,
        "AWS_ENDPOINT_URL_S3": emulator.endpoint_url,
        "AWS_ENDPOINT_URL": emulator.endpoint_url,
        "HOME": str(home),  # no shared ~/.aws config or credentials of this machine
        **OFFLINE_TELEMETRY,
    }
    return Deployment(stack=stack, emulator=emulator, bedrock=bedrock, bucket=bucket, bucket_logical_id=bucket_logical_id,
                      agent_env=agent_env, directory=directory)


@pytest.fixture(scope="module")
def deployment(runtime_stack: DeployedRuntimeStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """moto, the Bedrock stand-in and the bucket, shared by a module's tests (each uses its own sessions)."""
    deployed = deploy(runtime_stack, tmp_path_factory.mktemp("deployment"))
    yield deployed
    deployed.bedrock.stop()
    deployed.emulator.server.stop()


AgentStarter = Callable[[], ServerProcess]


def agent_starter(deployed: Deployment) -> tuple[AgentStarter, list[ServerProcess]]:
    """A function that starts ``python -m agent`` with the deployment's environment, and the list it fills."""
    started: list[ServerProcess] = []
    counter = itertools.count()

    def start() -> ServerProcess:
        port = free_port()
        server = start_server([sys.executable, "-m", "agent"], port=port, log_path=deployed.directory / f"agent-{next(counter)}.log",
                              env={**deployed.agent_env, "PORT": str(port)}, inherit_env=False, timeout=60)
        started.append(server)
        return server

    return start, started


@pytest.fixture
def start_agent(deployment: Deployment) -> Iterator[AgentStarter]:
    """Agents of a test's own (for restarts); all stopped afterwards."""
    start, started = agent_starter(deployment)
    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def deployed_agent(deployment: Deployment) -> Iterator[ServerProcess]:
    """One agent shared by a module's request-only tests."""
    start, started = agent_starter(deployment)
    yield start()
    for server in started:
        server.stop()
