"""The CDK app built in-process as `cdk synth` builds it (fixed environment), its configurations, and the pinned CLI.

Shared by tests/stacks, tests/scripts, tests/deployed and tests/container: the one way the suite builds the app.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from app import build_app, build_pipeline_app
from stacks.config import CONTEXT_ROOT
from stacks.pipeline.pipeline_stack import PipelineStack
from stacks.runtime.runtime_stack import AGENT_DIR
from stacks.stage import AgentCoreSessionStage
from tests.support.paths import REPO
from tests.support.tool_path import with_tools_first

ACCOUNT = "123456789012"
REGION = "us-east-1"
CONNECTION_ARN = "arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
# The backend an IAM-mode stage lets invoke (invoke_principals): every other principal is denied.
IAM_INVOKER = "arn:aws:iam::123456789012:role/backend"
PIPELINE_CONTEXT = {
    "pipeline": "true",
    "pipeline_repository": "my-org/agentcore-session-stack",
    "pipeline_connection_arn": CONNECTION_ARN,
}


def cdk_json_context() -> dict[str, Any]:
    """The context exactly as cdk.json ships it."""
    return json.loads((REPO / "cdk.json").read_text())["context"]


def build_stage(
    tmp_path: Path,
    *,
    stage: str = "dev",
    overrides: dict[str, Any] | None = None,
    env: bool = True,
    agent_dir: Path = AGENT_DIR,
    absent: tuple[str, ...] = (),
) -> tuple[cdk.App, AgentCoreSessionStage]:
    """Build the app for stage with the given per-stage overrides merged over cdk.json (``absent``: settings
    removed from cdk.json's defaults first, as an older cdk.json would lack them)."""
    context = copy.deepcopy(cdk_json_context())
    context["stage"] = stage
    for setting in absent:
        del context[CONTEXT_ROOT]["defaults"][setting]
    if overrides:
        context[CONTEXT_ROOT]["stages"][stage] = {**context[CONTEXT_ROOT]["stages"].get(stage, {}), **overrides}
    app = cdk.App(context=context, outdir=str(tmp_path / "cdk.out"))
    with _environment(env):
        stage_construct = build_app(app, agent_dir=agent_dir)
    return app, stage_construct


def build_pipeline(
    tmp_path: Path, *, agent_dir: Path = AGENT_DIR, stage_overrides: dict[str, dict[str, Any]] | None = None
) -> tuple[cdk.App, PipelineStack]:
    """Build the pipeline app as
    `cdk synth -c pipeline=true -c pipeline_repository=… -c pipeline_connection_arn=…` does, with
    ``stage_overrides`` (``{stage: {setting: value}}``) merged over cdk.json's stages as a user would edit them."""
    context = {**copy.deepcopy(cdk_json_context()), **PIPELINE_CONTEXT}
    for stage, overrides in (stage_overrides or {}).items():
        stages = context[CONTEXT_ROOT]["stages"]
        stages[stage] = {**stages.get(stage, {}), **overrides}
    app = cdk.App(context=context, outdir=str(tmp_path / "cdk.out"))
    with _environment(True):
        pipeline = build_pipeline_app(app, agent_dir=agent_dir)
    return app, pipeline


@contextlib.contextmanager
def _environment(env: bool) -> Iterator[None]:
    """The fixed account/region as the CLI would set them (or none: an environment-agnostic synth)."""
    with pytest.MonkeyPatch.context() as patch:
        for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
            patch.delenv(key, raising=False)
        if env:
            patch.setenv("CDK_DEFAULT_ACCOUNT", ACCOUNT)
            patch.setenv("CDK_DEFAULT_REGION", REGION)
        yield


# Every configuration users can choose that changes the templates; lint, nag, the IAM audit and the deploy
# rehearsal run on each. "pipeline" is the opt-in pipeline app (its own stack plus the dev and prod stages).
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "dev": {},
    "prod": {"stage": "prod"},
    "memory": {"overrides": {"session_store": "agentcore-memory"}},
    "long-term-memory": {"overrides": {"session_store": "agentcore-memory", "long_term_memory": True}},
    "vpc": {
        "overrides": {
            "network_mode": "vpc",
            "vpc_id": "vpc-0123456789abcdef0",
            "subnet_ids": ["subnet-0123456789abcdef0"],
            "security_group_ids": ["sg-0123456789abcdef0"],
            "availability_zone_ids": ["use1-az1"],
        }
    },
    "iam": {"overrides": {"authorizer": "iam", "invoke_principals": [IAM_INVOKER]}},
    "agnostic": {"env": False},
    "pipeline": {"pipeline": True},
    # The pipeline with an IAM-authorized dev stage: its smoke step signs the demo with its own role.
    "pipeline-iam": {"pipeline": True, "stage_overrides": {"dev": {"authorizer": "iam"}}},
}


def run_cdk(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run the pinned CDK CLI from the repo with the virtualenv's Node.js first on PATH."""
    env = {**os.environ, "PATH": with_tools_first(os.environ["PATH"]), "CDK_DISABLE_VERSION_CHECK": "1"}
    for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "AWS_PROFILE"):
        env.pop(key, None)
    return subprocess.run(["cdk", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, **kwargs)
