"""Publish a stack's values three ways: CfnOutput with an export name, SSM parameter, and a typed attribute.

Other stacks in this app take the Python attribute (a reference); other apps read the export
(``Fn.import_value("<app>-<stage>-<Key>")``) or the SSM parameter (``/<app>/<stage>/<key>``), which,
unlike an export, can be changed without first removing every importer.

WHY only some values are exported: CloudFormation refuses to update or delete an export while another
stack imports it, so an export whose value changes with a setting or with code would block that change once
anyone imported it. Which keys are exported, and why the others are not, is listed once in
stacks/output_keys.py (``EXPORTED_OUTPUTS``, ``SSM_ONLY_OUTPUTS``); the rest get a plain output and the SSM
parameter. Export names are unique per account and region, so each key is published by exactly one stack of
a stage (tests/stacks/test_deploy_rehearsal.py checks both).
"""

from __future__ import annotations

import re

from aws_cdk import CfnOutput
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stacks.config import StageConfig
from stacks.output_keys import EXPORTED_OUTPUTS


def parameter_name(config: StageConfig, output_key: str) -> str:
    """``RuntimeArn`` → ``/agentcore-session/dev/runtime-arn``: the one naming rule consumers rely on."""
    kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", output_key).lower()
    return f"{config.ssm_prefix}/{kebab}"


def export_name(config: StageConfig, output_key: str) -> str:
    """``RuntimeArn`` → ``agentcore-session-dev-RuntimeArn``."""
    return f"{config.export_prefix}-{output_key}"


class StackOutputs(Construct):
    """Adds each value as a CfnOutput (logical id = output key) and an SSM String parameter.

    Attributes:
        outputs: each published CfnOutput by its key (the pipeline's smoke step forwards some of them).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.outputs: dict[str, CfnOutput] = {}

    def add(self, key: str, value: str, description: str) -> None:
        """Publish one value; its logical id is ``key``, so outputs files and consumers see ``key``.

        Exported only if ``key`` is in ``EXPORTED_OUTPUTS`` (stable for the life of the stage).
        """
        output = CfnOutput(
            self,
            key,
            value=value,
            description=description,
            export_name=export_name(self._config, key) if key in EXPORTED_OUTPUTS else None,
        )
        output.override_logical_id(key)
        self.outputs[key] = output
        ssm.StringParameter(
            self,
            f"{key}Parameter",
            parameter_name=parameter_name(self._config, key),
            string_value=value,
            description=description,
        )
