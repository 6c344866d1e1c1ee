#!/usr/bin/env python3
"""CDK app entry point: read the stage config, build the stage, run cdk-nag as a validation plugin."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.nag_report import raise_on_findings
from stacks.config import CONTEXT_ROOT, STAGE_KEY, load_stage_config
from stacks.stage import AgentCoreSessionStage


def build_app(app: cdk.App) -> AgentCoreSessionStage:
    """Add the configured stage to app and attach cdk-nag; tests call this with their own context."""
    config = load_stage_config(app.node.try_get_context(CONTEXT_ROOT) or {}, app.node.try_get_context(STAGE_KEY))
    stage = AgentCoreSessionStage(app, config.stage, config=config, env=deployment_environment())
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stage


def deployment_environment() -> cdk.Environment:
    """Account and region from the standard CDK environment (set by the CLI from credentials).

    With neither set the templates are environment-agnostic, so synth needs no credentials.
    """
    return cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))


if __name__ == "__main__":
    application = cdk.App()
    build_app(application)
    raise_on_findings(application.synth().directory)
