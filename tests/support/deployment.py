"""An offline deployment of a stage's Runtime stack: moto (recording), the Bedrock stand-in, a bucket, the agent's env.

The agent's environment is the template's ``EnvironmentVariables`` (the session bucket ``Ref`` resolved to a
bucket created on moto) plus only what AgentCore and the offline setup add: the region, dummy credentials,
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` → the Bedrock stand-in, ``AWS_ENDPOINT_URL_S3`` → moto,
``AWS_ENDPOINT_URL`` → moto as a catch-all (any other AWS service the agent called lands in moto's
recording instead of leaving the machine), and the three OpenTelemetry exporters set to ``none`` (the
template turns observability on; its X-Ray/CloudWatch destinations are not reachable offline).

``endpoint_host`` is how the agent reaches this host: ``127.0.0.1`` for a process, ``10.0.2.2`` (slirp4netns'
host loopback) for a container. Both servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local.aws_emulator import start_emulator_process
from local.bedrock_runtime import BedrockRuntimeStandIn, start_bedrock_runtime
from local.processes import ServerProcess
from tests.support.deployed_stack import BUCKET_TYPE, MEMORY_TYPE, DeployedRuntimeStack

# Distinct keys tell the agent's calls apart from the test's own in moto's recording.
AGENT_ACCESS_KEY_ID = "AKIADEPLOYEDAGENT000"
HARNESS_CREDENTIALS = {"aws_access_key_id": "AKIATESTHARNESS00000", "aws_secret_access_key": "harness"}
OFFLINE_TELEMETRY = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}


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
    recording = directory / "moto-recording.jsonl"
    recording.touch()
    server = start_emulator_process(
        log_path=directory / "moto.log",
        env={"MOTO_ENABLE_RECORDING": "true", "MOTO_RECORDER_FILEPATH": str(recording)},
    )
    return RecordingEmulator(server=server, recording=recording)


@dataclass(frozen=True)
class Deployment:
    """One offline deployment of the dev stage: its stand-ins, its bucket and the agent's environment."""

    stack: DeployedRuntimeStack
    emulator: RecordingEmulator
    bedrock: BedrockRuntimeStandIn
    bucket: str | None
    bucket_logical_id: str | None
    agent_env: dict[str, str]
    directory: Path
    memory_id: str | None = None
    memory_logical_id: str | None = None

    @property
    def physical_ids(self) -> dict[str, str]:
        """Logical id → physical id of what the test created for the template (the bucket or the memory)."""
        created = {self.bucket_logical_id: self.bucket, self.memory_logical_id: self.memory_id}
        return {logical_id: physical for logical_id, physical in created.items() if logical_id and physical}

    def memory_data_plane(self) -> Any:
        """A bedrock-agentcore client for the test's own checks (its calls are not the agent's)."""
        return boto3.client(
            "bedrock-agentcore",
            region_name=self.stack.region,
            endpoint_url=self.emulator.endpoint_url,
            **HARNESS_CREDENTIALS,
        )

    def s3(self) -> Any:
        """An S3 client for the test's own checks (its calls are not the agent's)."""
        return boto3.client(
            "s3", region_name=self.stack.region, endpoint_url=self.emulator.endpoint_url, **HARNESS_CREDENTIALS
        )

    def stored_keys(self, prefix: str = "") -> list[str]:
        """Every key in the session bucket under ``prefix``."""
        listing = self.s3().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def stop(self) -> None:
        """Stop moto and the Bedrock stand-in."""
        self.bedrock.stop()
        self.emulator.server.stop()


def _reached_from(url: str, host: str) -> str:
    return url.replace("127.0.0.1", host, 1)


def _create_memory(stack: DeployedRuntimeStack, memory: dict[str, Any], endpoint_url: str) -> str:
    """The template's memory on moto's control plane, its strategies as CreateMemory takes them (the CloudFormation
    schema's PascalCase keys are the API's camelCase ones: ``SemanticMemoryStrategy.Namespaces`` → ``namespaces``)."""
    properties = memory["Properties"]
    strategies = [
        {kind[0].lower() + kind[1:]: {"name": body["Name"], "namespaces": body.get("Namespaces", [])}}
        for strategy in properties.get("MemoryStrategies", [])
        for kind, body in strategy.items()
    ]
    control = boto3.client(
        "bedrock-agentcore-control", region_name=stack.region, endpoint_url=endpoint_url, **HARNESS_CREDENTIALS
    )
    created = control.create_memory(
        name=properties["Name"], eventExpiryDuration=properties["EventExpiryDuration"], memoryStrategies=strategies
    )
    return str(created["memory"]["id"])


def deploy(stack: DeployedRuntimeStack, directory: Path, *, endpoint_host: str = "127.0.0.1") -> Deployment:
    """Start moto and the Bedrock stand-in, create the session bucket or the memory, build the agent's environment."""
    emulator = start_recording_emulator(directory)
    bedrock = start_bedrock_runtime()
    bucket_logical_id = bucket = memory_logical_id = memory_id = None
    created: dict[str, str] = {}  # logical id → physical id, as Deployment.physical_ids gives it
    if stack.resources_of_type(BUCKET_TYPE):
        bucket_logical_id, _ = stack.only(BUCKET_TYPE)
        bucket = created[bucket_logical_id] = f"agentcoresession-dev-runtime-sessionstorebucket-{uuid.uuid4().hex[:12]}"
        boto3.client(
            "s3", region_name=stack.region, endpoint_url=emulator.endpoint_url, **HARNESS_CREDENTIALS
        ).create_bucket(Bucket=bucket)
    if stack.resources_of_type(MEMORY_TYPE):
        memory_logical_id, memory = stack.only(MEMORY_TYPE)
        memory_id = created[memory_logical_id] = _create_memory(stack, memory, emulator.endpoint_url)
    home = directory / "home"
    home.mkdir()
    agent_env = {
        **stack.runtime_environment(created),
        "AWS_REGION": stack.region,
        "AWS_DEFAULT_REGION": stack.region,
        "AWS_ACCESS_KEY_ID": AGENT_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": "deployed-agent-secret",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": _reached_from(bedrock.endpoint_url, endpoint_host),
        "AWS_ENDPOINT_URL_S3": _reached_from(emulator.endpoint_url, endpoint_host),
        "AWS_ENDPOINT_URL": _reached_from(emulator.endpoint_url, endpoint_host),
        "HOME": str(home),  # no shared ~/.aws config or credentials of this machine
        **OFFLINE_TELEMETRY,
    }
    return Deployment(
        stack=stack,
        emulator=emulator,
        bedrock=bedrock,
        bucket=bucket,
        bucket_logical_id=bucket_logical_id,
        agent_env=agent_env,
        directory=directory,
        memory_id=memory_id,
        memory_logical_id=memory_logical_id,
    )
