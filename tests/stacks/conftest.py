"""Fixtures that build the CDK app in-process, like `cdk synth` does, with a fixed environment."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest

from app import build_app
from stacks.config import CONTEXT_ROOT
from stacks.stage import AgentCoreSessionStage

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"


def cdk_json_context() -> dict[str, Any]:
    """The context exactly as cdk.json ships it."""
    return json.loads((REPO / "cdk.json").read_text())["context"]


def build_stage(tmp_path: Path, *, stage: str = "dev", overrides: dict[str, Any] | None = None, env: bool = True) -> tuple[cdk.App, AgentCoreSessionStage]:
    """Build the app for stage with the given per-stage overrides merged over cdk.json."""
    context = copy.deepcopy(cdk_json_context())
    context["stage"] = stage
    if overrides:
        context[CONTEXT_ROOT]["stages"][stage] = {**context[CONTEXT_ROOT]["stages"].get(stage, {}), **overrides}
    app = cdk.App(context=context, outdir=str(tmp_path / "cdk.out"))
    environment = {"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": REGION} if env else {}
    with pytest.MonkeyPatch.context() as patch:
        for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
            patch.delenv(key, raising=False)
        for key, value in environment.items():
            patch.setenv(key, value)
        stage_construct = build_app(app)
    return app, stage_construct


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[cdk.App, AgentCoreSessionStage]]:
    """build(stage=..., overrides=...) → (app, stage); each call gets its own output folder."""

    def _build(**kwargs: Any) -> tuple[cdk.App, AgentCoreSessionStage]:
        return build_stage(tmp_path_factory.mktemp("cdk"), **kwargs)

    return _build


@pytest.fixture(scope="session")
def dev(build) -> AgentCoreSessionStage:
    """The default stage as `make synth` builds it."""
    return build()[1]


@pytest.fixture(scope="session")
def prod(build) -> AgentCoreSessionStage:
    return build(stage="prod")[1]
