"""Import a deployed runtime from the SSM parameters its stack writes, for monitoring from another app.

WHY SSM and not exports: an exported value cannot change while another stack imports it, so a
runtime replacement would be blocked by every consumer; SSM parameters are read at deploy time.
The parameter names come from the same ``parameter_name()`` the runtime stack uses to write them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.stack_outputs import parameter_name

# Output keys of the runtime stack that the import needs (see RuntimeStack._publish).
IMPORTED_KEYS = ("RuntimeArn", "RuntimeId", "ExecutionRoleArn", "EndpointName")


@dataclass(frozen=True, kw_only=True)
class ImportedRuntime:
    """A runtime known only through SSM: the construct (for metrics, grants) and its endpoint name."""

    runtime: agentcore.IBedrockAgentRuntime
    endpoint_name: str
    parameter_names: tuple[str, ...]


def runtime_from_ssm(scope: Construct, construct_id: str, *, config: StageConfig) -> ImportedRuntime:
    """Resolve ``/<app>/<stage>/runtime-arn`` etc. at deploy time and import the runtime from them.

    The runtime name is not a parameter: it is the stage's configured ``runtime_name``.
    """
    names = {key: parameter_name(config, key) for key in IMPORTED_KEYS}
    value = {key: ssm.StringParameter.value_for_string_parameter(scope, name) for key, name in names.items()}
    runtime = agentcore.Runtime.from_agent_runtime_attributes(
        scope,
        construct_id,
        agent_runtime_arn=value["RuntimeArn"],
        agent_runtime_id=value["RuntimeId"],
        agent_runtime_name=config.runtime_name,
        role_arn=value["ExecutionRoleArn"],
    )
    return ImportedRuntime(runtime=runtime, endpoint_name=value["EndpointName"], parameter_names=tuple(names.values()))
