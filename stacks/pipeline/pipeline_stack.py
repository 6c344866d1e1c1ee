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
from constructs import Construct

from stacks.config import StageConfig
from stacks.pipeline.pipeline_config import PipelineConfig
from stacks.pipeline.pipeline_findings import acknowledge_pipeline_findings
from stacks.pipeline.smoke_step import SmokeTarget, smoke_step
from stacks.runtime.runtime_stack import AGENT_DIR
from stacks.stage import AgentCoreSessionStage

# `make setup` installs from the lock files: requirements-dev.lock with uv (hashes checked) and `npm ci`
# (package-lock.json), plus Node.js 24 from its wheel. As in `.ci/run`, the container prerequisites
# (podman, the local base image) are installed too and CI=true, so `make test` runs the whole suite,
# container test included (podman needs a privileged build container), instead of skipping it.
# The build image is Ubuntu: debootstrap needs Debian's archive keyring to build the bookworm base image.
# CodeBuild's standard images delete the package lists in every layer that installs packages
# (`rm -rf /var/lib/apt/lists/*`, aws/aws-codebuild-docker-images ubuntu/standard/7.0/Dockerfile), so
# `apt-get install` without `apt-get update` first fails with "Unable to locate package".
SYNTH_INSTALL_COMMANDS = (
    "make setup",
    "apt-get update -qq",
    "apt-get install -y -qq debian-archive-keyring",
    "bash scripts/container_prereqs.sh",
)
SYNTH_ENVIRONMENT = {"CI": "true"}
SYNTH_TEST_COMMAND = "make test"
CDK_BIN_PATH = 'export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"'
ASSET_BUILD_IMAGE = codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0
SYNTH_BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
SYNTH_PYTHON_VERSION = "3.12"
APPROVAL_STEP_ID = "PromoteToProd"
LINT_METADATA_KEY = "cfn-lint"
PIPELINE_LINT_IGNORES = ("E3703",)
PACKAGE_JSON = Path(__file__).resolve().parents[2] / "package.json"


def pinned_cdk_cli_version() -> str:
    """The CDK CLI version package.json pins, so self-mutation deploys with the CLI `make` uses."""
    return str(json.loads(PACKAGE_JSON.read_text())["devDependencies"]["aws-cdk"])


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
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self._synth_step(source, pipeline_config),
            self_mutation=True,
            cli_version=pinned_cdk_cli_version(),
            cross_account_keys=True,
            enable_key_rotation=True,
            asset_publishing_code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=ASSET_BUILD_IMAGE, privileged=True)
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
            build_environment=codebuild.BuildEnvironment(build_image=SYNTH_BUILD_IMAGE, privileged=True),
            partial_build_spec=codebuild.BuildSpec.from_object(
                {"phases": {"install": {"runtime-versions": {"python": SYNTH_PYTHON_VERSION}}}}
            ),
        )


def smoke_target(stage: AgentCoreSessionStage) -> SmokeTarget:
    """What the smoke step of ``stage`` checks: its runtime, the outputs of its stacks, its alarms."""
    return SmokeTarget(
        stage=stage.config.stage,
        runtime_name=stage.config.runtime_name,
        runtime_arn=stage.runtime.runtime.agent_runtime_arn,
        outputs={**stage.identity.stack_outputs.outputs, **stage.runtime.stack_outputs.outputs},
        alarms=stage.monitoring.alarms.alarms,
    )
