#!/usr/bin/env python3
"""CDK app entry point: read the stage config, build the stage, run cdk-nag as a validation plugin."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import CONTEXT_ROOT, STAGE_KEY, load_stage_config, setting_overrides
from stacks.nag_report import UnacknowledgedFindings, raise_on_findings
from stacks.pipeline.pipeline_config import PIPELINE_KEY, load_pipeline_config, pipeline_requested
from stacks.pipeline.pipeline_stack import PipelineStack
from stacks.runtime.runtime_stack import AGENT_DIR
from stacks.stage import AgentCoreSessionStage
from stacks.validation import ConfigError, Problem


def build_app(app: cdk.App, *, agent_dir: Path = AGENT_DIR) -> AgentCoreSessionStage:
    """Add the configured stage to app and attach cdk-nag; tests call this with their own context
    (and the deploy rehearsal with a modified copy of the agent as ``agent_dir``)."""
    config = load_stage_config(
        app.node.try_get_context(CONTEXT_ROOT) or {},
        app.node.try_get_context(STAGE_KEY),
        overrides=setting_overrides(app.node.try_get_context),
    )
    stage = AgentCoreSessionStage(app, config.stage, config=config, agent_dir=agent_dir, env=deployment_environment())
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stage


def deployment_environment() -> cdk.Environment:
    """Account and region from the standard CDK environment (set by the CLI from credentials).

    With neither set the templates are environment-agnostic, so synth needs no credentials.
    """
    return cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))


# --- delivery pipeline (opt-in with -c pipeline=true; without it the app above is unchanged) ---
PIPELINE_STACK_NAME = "AgentCoreSession-Pipeline"


def build_pipeline_app(app: cdk.App, *, agent_dir: Path = AGENT_DIR) -> PipelineStack:
    """Add the pipeline that deploys the dev stage, then prod after approval; cdk-nag checks it too."""
    context = app.node.try_get_context(CONTEXT_ROOT) or {}
    if given := setting_overrides(app.node.try_get_context):
        # The pipeline deploys dev and prod from what is committed; a one-off -c value would apply to neither.
        allowed = f"unset with -c {PIPELINE_KEY}=true: the pipeline deploys what {CONTEXT_ROOT}.stages sets"
        raise ConfigError([Problem(f"-c {name}", value, allowed) for name, value in sorted(given.items())])
    pipeline = PipelineStack(
        app,
        PIPELINE_STACK_NAME,
        pipeline_config=load_pipeline_config(app.node.try_get_context),
        dev=load_stage_config(context, "dev"),
        prod=load_stage_config(context, "prod"),
        agent_dir=agent_dir,
        env=deployment_environment(),
        description="CDK pipeline: test and synth, arm64 assets, dev, smoke, approval, prod, smoke",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return pipeline


def main(application: cdk.App | None = None) -> int:
    """Synthesize; a bad config or a cdk-nag finding is reported as a message, not a traceback.

    ``application``: the CLI's (context and output folder from its environment) unless a test passes its own.
    """
    application = application or cdk.App()
    try:
        if pipeline_requested(application.node.try_get_context(PIPELINE_KEY)):
            build_pipeline_app(application)
        else:
            build_app(application)
        raise_on_findings(application.synth().directory)
    except (ConfigError, UnacknowledgedFindings) as error:
        print(f"synth failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
