"""The deployed configuration, offline, for the benchmark: the Bedrock Runtime stand-in and moto S3 as processes.

The stack deploys the agent with ``MODEL_PROVIDER=bedrock``, its ``MODEL_ID`` and ``SESSION_STORE=s3``
(``stacks/runtime/runtime_stack.py`` ``_environment``). The bench's Bedrock targets run that path unchanged: botocore
reaches the stand-in (``python -m local.bedrock_runtime``) through ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` and
moto in server mode (``python -m local.aws_emulator``) through ``AWS_ENDPOINT_URL_S3`` (botocore's
service-specific endpoint variables), with dummy credentials and a region.

The model id and the session prefix are read from ``cdk.json`` — the stage's settings over the app's
defaults, the same merge ``stacks/config.py`` makes — so the bench measures what ``make deploy`` ships,
not a second copy of it. Both servers run in processes of their own, like the OpenAI stub, so their
work never competes with the timing client for its interpreter.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.aws_emulator import start_emulator_process
from local.processes import LOOPBACK, REPO_ROOT, ServerProcess, free_port, python_module, running

CDK_JSON = REPO_ROOT / "cdk.json"
APP_CONTEXT_KEY = "agentcore-session"
DEPLOYED_STAGE = "dev"  # what `make deploy` deploys without STAGE=
REGION = "us-east-1"
# Dummy keys: the stand-in and moto accept any SigV4 signature; nothing leaves the machine.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


@dataclass(frozen=True, kw_only=True)
class DeployedSettings:
    """What the stack gives the agent that the bench must match.

    Attributes:
        model_id: the ``MODEL_ID`` the Runtime gets (``model_id`` in cdk.json).
        session_prefix: the ``SESSION_PREFIX`` of the S3 store (``session_prefix`` in cdk.json).
    """

    model_id: str
    session_prefix: str


def deployed_settings(stage: str = DEPLOYED_STAGE, cdk_json: Path = CDK_JSON) -> DeployedSettings:
    """The stage's model id and session prefix from ``cdk.json`` (stage values over ``defaults``).

    Raises:
        KeyError: cdk.json has no such setting (the message names the file and the key).
    """
    context = json.loads(cdk_json.read_text(encoding="utf-8"))["context"][APP_CONTEXT_KEY]
    merged = {**context.get("defaults", {}), **(context.get("stages", {}).get(stage) or {})}
    missing = [key for key in ("model_id", "session_prefix") if key not in merged]
    if missing:
        raise KeyError(f"{cdk_json} sets no {', '.join(missing)} for stage {stage!r}")
    return DeployedSettings(model_id=merged["model_id"], session_prefix=merged["session_prefix"])


@dataclass(frozen=True)
class BedrockPath:
    """Where the stand-in and moto listen on this machine's loopback, the session bucket, the deployed settings."""

    stand_in_port: int
    moto_port: int
    bucket: str
    settings: DeployedSettings

    @property
    def stand_in_url(self) -> str:
        """The stand-in's base URL from this machine."""
        return f"http://{LOOPBACK}:{self.stand_in_port}"

    @property
    def moto_url(self) -> str:
        """moto's base URL from this machine."""
        return f"http://{LOOPBACK}:{self.moto_port}"

    def model_env(self, host: str = LOOPBACK) -> dict[str, str]:
        """Bedrock provider against the stand-in, as seen from ``host`` (10.0.2.2 inside a container)."""
        return {
            "MODEL_PROVIDER": "bedrock",
            "MODEL_ID": self.settings.model_id,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **CREDENTIALS,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://{host}:{self.stand_in_port}",
            # No ~/.aws of this machine (a profile's region or endpoint would change what is measured).
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    def store_env(self, host: str = LOOPBACK) -> dict[str, str]:
        """The S3 session store on moto, with the deployed prefix."""
        return {
            "SESSION_STORE": "s3",
            "SESSION_BUCKET": self.bucket,
            "SESSION_PREFIX": self.settings.session_prefix,
            "AWS_ENDPOINT_URL_S3": f"http://{host}:{self.moto_port}",
        }


def s3_client(endpoint_url: str) -> Any:
    """An S3 client on moto with the bench's dummy credentials."""
    import boto3

    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@contextmanager
def started_stand_in(*, log_dir: Path) -> Iterator[ServerProcess]:
    """``python -m local.bedrock_runtime`` on a free port."""
    port = free_port()
    with running(
        python_module("local.bedrock_runtime", "--port", str(port)),
        name="bedrock-stand-in",
        port=port,
        log_path=log_dir / "bedrock-stand-in.log",
    ) as server:
        yield server


@contextmanager
def started_moto(*, log_dir: Path, recording: Path | None = None) -> Iterator[ServerProcess]:
    """``python -m local.aws_emulator`` (moto in server mode) on a free port; with ``recording``, moto's request
    recorder appends every request to that file (``MOTO_ENABLE_RECORDING``, ``MOTO_RECORDER_FILEPATH``)."""
    env = {"MOTO_ENABLE_RECORDING": "true", "MOTO_RECORDER_FILEPATH": str(recording)} if recording else None
    server = start_emulator_process(log_path=log_dir / ("moto-recording.log" if recording else "moto.log"), env=env)
    try:
        yield server
    finally:
        server.stop()


def new_session_bucket(moto_url: str) -> str:
    """Create the session bucket the stack would create, on moto; returns its name."""
    bucket = f"bench-sessions-{uuid.uuid4().hex[:12]}"
    s3_client(moto_url).create_bucket(Bucket=bucket)
    return bucket


@contextmanager
def started_bedrock_path(*, log_dir: Path) -> Iterator[BedrockPath]:
    """Start the stand-in and moto, create the session bucket; both stopped on exit."""
    with started_stand_in(log_dir=log_dir) as stand_in, started_moto(log_dir=log_dir) as moto:
        yield BedrockPath(
            stand_in_port=stand_in.port,
            moto_port=moto.port,
            bucket=new_session_bucket(moto.base_url),
            settings=deployed_settings(),
        )
