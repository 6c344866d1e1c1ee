"""Opt-in delivery pipeline (``-c pipeline=true``): source → test+synth → self-mutate → assets → dev →
smoke → approval → prod → smoke, with CDK Pipelines.

WHY an ARM asset build: the agent image is linux/arm64 (AgentCore runs only arm64). Building it on an
x86 CodeBuild host needs QEMU emulation and fails or crawls; an ARM build image builds it natively.
The image is tagged by content hash, so each change rolls a new runtime version (never ``latest``).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import StageConfig
from stacks.pipeline.pipeline_config import PipelineConfig
from stacks.pipeline.pipeline_findings import acknowledge_pipeline_findings
from stacks.pipeline.smoke_step import NOTIFIED_ALARM, SmokeTarget, smoke_step
from stacks.runtime.runtime_stack import AGENT_DIR
from stacks.stage import AgentCoreSessionStage

# `make setup` installs from the lock files: requirements-dev.lock with uv (hashes checked) and `npm ci`
# (package-lock.json), plus Node.js 24 from its wheel. The step runs the fast tier (`make test-fast`: linters and
# every test but the container, restore, browser and slow ones; docs/testing.md), which needs nothing else:
# CodeBuild's Ubuntu image has no Debian Chromium for the browser tests and no CRIU that works there for the
# restore tests, and the container test needed a privileged build and apt installs only it used. The full
# tier runs in CI (`.ci/run`, GitHub Actions). CI=true: a prerequisite a selected test lacks fails, never skips.
SYNTH_INSTALL_COMMANDS = ("make setup",)
SYNTH_ENVIRONMENT = {"CI": "true"}
SYNTH_TEST_COMMAND = "make test-fast"
CDK_BIN_PATH = 'export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"'
ASSET_BUILD_IMAGE = codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0
SYNTH_BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
# MEDIUM (4 vCPUs, 8 GiB; SMALL: 2 vCPUs, 4 GiB; CodeBuild API, ProjectEnvironment computeType): tests/stacks
# alone, on one worker, peaks at about 1.3 GB across pytest and its jsii Node processes (measured), and
# pytest-xdist runs one worker per vCPU beside it; twice the CPUs for twice SMALL's per-minute price.
SYNTH_COMPUTE_TYPE = codebuild.ComputeType.MEDIUM
SYNTH_PYTHON_VERSION = "3.12"
APPROVAL_STEP_ID = "PromoteToProd"
LINT_METADATA_KEY = "cfn-lint"
PIPELINE_LINT_IGNORES = ("E3703",)
PACKAGE_JSON = Path(__file__).resolve().parents[2] / "package.json"
# Node.js for the projects CDK Pipelines generates (self-mutation on standard:7.0, assets on
# amazonlinux-aarch64-standard:3.0): both images activate Node 18 last (`RUN n $NODE_18_VERSION`,
# aws/aws-codebuild-docker-images ubuntu/standard/7.0/Dockerfile and al/aarch64/standard/3.0/Dockerfile at 1590e48),
# which the pinned CDK CLI no longer supports (it names ^22 and ^24); both list 24 in runtimes.yml. `make setup`
# brings its own Node 24 for the synth step.
CODEBUILD_NODE_VERSION = "24"
# Build logs of every pipeline project: long enough to look into a failed release, not kept forever
# (CodeBuild's own /aws/codebuild/<project> groups never expire).
CODEBUILD_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS


def pinned_version(package: str) -> str:
    """The version package.json pins for ``package``, so the pipeline runs what `make` runs.

    ``aws-cdk``: the CLI self-mutation deploys with; ``cdk-assets``: what the asset steps publish with
    (CDK Pipelines installs ``cdk-assets@latest`` unless told).
    """
    return str(json.loads(PACKAGE_JSON.read_text())["devDependencies"][package])


def node_runtime() -> codebuild.BuildSpec:
    """The partial build spec that selects ``CODEBUILD_NODE_VERSION``."""
    return codebuild.BuildSpec.from_object(
        {"phases": {"install": {"runtime-versions": {"nodejs": CODEBUILD_NODE_VERSION}}}}
    )


class PipelineStack(Stack):
    """The pipeline that deploys the dev stage, then prod after a manual approval.

    Attributes:
        pipeline: the CDK Pipelines ``CodePipeline`` (built; the underlying CodePipeline is ``pipeline.pipeline``).
        stages: the deployed ``AgentCoreSessionStage``s in order (dev, prod).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline_config: PipelineConfig,
        dev: StageConfig,
        prod: StageConfig,
        agent_dir: Path = AGENT_DIR,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            pipeline_config.repository, pipeline_config.branch, connection_arn=pipeline_config.connection_arn
        )
        build_logs = logs.LogGroup(self, "BuildLogs", retention=CODEBUILD_LOG_RETENTION)
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self._synth_step(source, pipeline_config),
            self_mutation=True,
            cli_version=pinned_version("aws-cdk"),
            cdk_assets_cli_version=pinned_version("cdk-assets"),
            # Kept in one account for what the flag also does: a customer-managed, rotating key for the artifact
            # bucket and every CodeBuild project, whose key policy admits only this pipeline's roles. Without it
            # the artifacts (source, templates) fall back to the AWS managed keys, usable by any principal of the
            # account with S3/CodeBuild access, and cdk-nag's CB4 (CodeBuild without a KMS key) fires on all five
            # projects. No cross-account role or bucket policy follows from it: dev and prod deploy here.
            cross_account_keys=True,
            enable_key_rotation=True,
            # V2: the current type (V1 is what aws-cdk-lib renders without the defaultPipelineTypeToV2 flag);
            # the default SUPERSEDED execution mode is unchanged, so is the one-release-at-a-time behaviour.
            pipeline_type=codepipeline.PipelineType.V2,
            code_build_defaults=pipelines.CodeBuildOptions(
                logging=codebuild.LoggingOptions(cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=build_logs))
            ),
            self_mutation_code_build_defaults=pipelines.CodeBuildOptions(partial_build_spec=node_runtime()),
            asset_publishing_code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=ASSET_BUILD_IMAGE, privileged=True),
                partial_build_spec=node_runtime(),
            ),
        )
        dev_stage = AgentCoreSessionStage(self, dev.stage, config=dev, agent_dir=agent_dir)
        self.pipeline.add_stage(
            dev_stage,
            post=[
                smoke_step(self, smoke_target(dev_stage), source=source, ci_secret_name=pipeline_config.ci_secret_name)
            ],
        )
        prod_stage = AgentCoreSessionStage(self, prod.stage, config=prod, agent_dir=agent_dir)
        self.pipeline.add_stage(
            prod_stage,
            pre=[
                pipelines.ManualApprovalStep(
                    APPROVAL_STEP_ID, comment=f"Deploy to {prod.stage} after the {dev.stage} smoke test passed?"
                )
            ],
            post=[smoke_step(self, smoke_target(prod_stage), source=source, ci_secret_name=None)],
        )
        self.stages: Sequence[AgentCoreSessionStage] = (dev_stage, prod_stage)
        self.pipeline.build_pipeline()
        acknowledge_pipeline_findings(self.pipeline)
        self._ignore_lint_style_rule()

    def _ignore_lint_style_rule(self) -> None:
        """cfn-lint E3703 ("prefer Fn::Sub over Fn::Join with an empty delimiter") fires on the deploy
        actions' role ARNs that CDK Pipelines renders with Fn::Join: a style preference, the value is the
        same. Ignored on the pipeline resource only, so every other template and resource is still checked."""
        pipeline_resource = self.pipeline.pipeline.node.default_child
        if not isinstance(pipeline_resource, CfnResource):
            raise TypeError(f"expected the pipeline's CfnPipeline, found {type(pipeline_resource).__name__}")
        pipeline_resource.add_metadata(LINT_METADATA_KEY, {"config": {"ignore_checks": list(PIPELINE_LINT_IGNORES)}})

    @staticmethod
    def _synth_step(source: pipelines.CodePipelineSource, config: PipelineConfig) -> pipelines.CodeBuildStep:
        """Install from the lock files, run the tests, then synthesize this same pipeline app."""
        context = " ".join(f"-c {shlex.quote(argument)}" for argument in config.context_arguments())
        return pipelines.CodeBuildStep(
            "Synth",
            input=source,
            install_commands=list(SYNTH_INSTALL_COMMANDS),
            commands=[SYNTH_TEST_COMMAND, CDK_BIN_PATH, f"cdk synth --quiet {context}"],
            primary_output_directory="cdk.out",
            env=dict(SYNTH_ENVIRONMENT),
            build_environment=codebuild.BuildEnvironment(
                build_image=SYNTH_BUILD_IMAGE, compute_type=SYNTH_COMPUTE_TYPE
            ),
            partial_build_spec=codebuild.BuildSpec.from_object(
                {"phases": {"install": {"runtime-versions": {"python": SYNTH_PYTHON_VERSION}}}}
            ),
        )


def smoke_target(stage: AgentCoreSessionStage) -> SmokeTarget:
    """What the smoke step of ``stage`` checks: its runtime, the outputs of its stacks, its alarms."""
    return SmokeTarget(
        stage=stage.config.stage,
        authorizer=stage.config.authorizer,
        runtime_name=stage.config.runtime_name,
        runtime_arn=stage.monitoring.runtime.agent_runtime_arn,
        outputs={**stage.identity.stack_outputs.outputs, **stage.runtime.stack_outputs.outputs},
        alarms=stage.monitoring.alarms.alarms,
        notified_alarm=stage.monitoring.alarms.names[NOTIFIED_ALARM],
    )
