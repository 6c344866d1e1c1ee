"""Fixtures that build the CDK app in-process, like `cdk synth` does (tests/support/cdk_app.py), once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from stacks.pipeline.pipeline_stack import PipelineStack
from stacks.stage import AgentCoreSessionStage
from tests.stacks import deploy_rules as rules
from tests.support.cdk_app import CONFIGURATIONS, build_pipeline, build_stage

ALARM_EMAIL = "ops@example.com"


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


@pytest.fixture(scope="session")
def alarm_email_stage(build) -> tuple[AgentCoreSessionStage, Path]:
    """The dev stage with an alarm e-mail (the monitoring topic's subscription), synthesized once per run:
    (stage, cloud assembly folder). The monitoring tests read it; the one cfn-lint run lints its template."""
    app, stage = build(overrides={"alarm_email": ALARM_EMAIL})
    return stage, Path(app.synth().directory)


@pytest.fixture(scope="session")
def pipeline_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineStack, Path]:
    """The pipeline app, synthesized once per run: (pipeline stack, cloud assembly folder)."""
    app, pipeline = build_pipeline(tmp_path_factory.mktemp("pipeline"))
    return pipeline, Path(app.synth().directory)


@pytest.fixture(scope="session")
def synthesized(
    build, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """synthesized(name) → the cloud assembly folder of that configuration, synthesized once per run (the
    pipeline app only when a test asks for it)."""
    cache: dict[str, Path] = {}

    def _synthesized(name: str) -> Path:
        if name == "pipeline":
            pipeline_build: tuple[PipelineStack, Path] = request.getfixturevalue("pipeline_build")
            return pipeline_build[1]
        if name not in cache:
            configuration = CONFIGURATIONS[name]
            if configuration.get("pipeline"):
                app, _ = build_pipeline(
                    tmp_path_factory.mktemp(name), stage_overrides=configuration.get("stage_overrides")
                )
            else:
                app, _ = build(**configuration)
            cache[name] = Path(app.synth().directory)
        return cache[name]

    return _synthesized


@pytest.fixture(scope="session")
def stacks_of(synthesized) -> Callable[[str], list[rules.SynthesizedStack]]:
    """stacks_of(configuration) → its synthesized stacks (load once, copy before breaking)."""
    cache: dict[str, list[rules.SynthesizedStack]] = {}

    def _stacks(name: str) -> list[rules.SynthesizedStack]:
        if name not in cache:
            cache[name] = rules.load_stacks(synthesized(name))
        return cache[name]

    return _stacks
