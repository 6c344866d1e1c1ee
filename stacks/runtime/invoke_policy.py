"""Who may invoke an IAM-mode runtime: its resource-based policy, on the runtime and on its endpoint.

WHY a Deny for everyone not listed: in one account an identity policy alone lets a principal invoke
("IAM policy grants access, resource policy silent: allowed", AgentCore developer guide, "Resource-based
policies for Amazon Bedrock AgentCore", Policy evaluation), so an Allow here restricts nothing; an explicit
Deny does, whatever identity policies say. The Deny names only the invoke actions: management actions
(UpdateAgentRuntime, PutResourcePolicy, DeleteResourcePolicy …) are never denied, so CloudFormation and
administrators can still change or remove this policy.

WHY on the endpoint too: the same guide ("Hierarchical authorization") evaluates the policy of the runtime
*and* of the endpoint named by the qualifier for an InvokeAgentRuntime call, and a Deny in either wins. The
runtime's policy covers every qualifier (``DEFAULT`` included, which has no CloudFormation resource); the
stage's endpoint gets the same statements so that policy never admits what the runtime's refuses.

The policy is ``AWS::BedrockAgentCore::ResourcePolicy`` (cfn-lint's bundled schema: ``ResourceArn``,
create-only and the primary identifier, and ``Policy``, a JSON string of at most 20,480 characters); aws-cdk-lib
2.275 has only the L1 (``CfnResourcePolicy``), no L2 method on ``Runtime``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from constructs import Construct

# Granted to the listed principals (botocore bedrock-agentcore: InvokeAgentRuntime; the client's only call).
INVOKE_ACTIONS = ("bedrock-agentcore:InvokeAgentRuntime",)
# Denied to everyone else: every invoke variant (ForUser, the command and WebSocket forms AWS adds under the
# same prefix) and stopping a session, all data-plane calls on the runtime; nothing that manages it.
DENIED_ACTIONS = ("bedrock-agentcore:InvokeAgentRuntime*", "bedrock-agentcore:StopRuntimeSession")
PRINCIPAL_ARN_KEY = "aws:PrincipalArn"


def invoke_policy_document(resource_arn: str, principals: Sequence[str]) -> dict[str, object]:
    """Allow the listed principals to invoke ``resource_arn``; deny every other principal the invoke actions."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowListedInvokers",
                "Effect": "Allow",
                "Principal": {"AWS": list(principals)},
                "Action": list(INVOKE_ACTIONS),
                "Resource": resource_arn,
            },
            {
                "Sid": "DenyInvokeToEveryoneElse",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(DENIED_ACTIONS),
                "Resource": resource_arn,
                "Condition": {"ArnNotEquals": {PRINCIPAL_ARN_KEY: list(principals)}},
            },
        ],
    }


class InvokePolicy(Construct):
    """The same invoke policy on the runtime and on its endpoint.

    Attributes:
        policies: the ``CfnResourcePolicy`` of the runtime, then of the endpoint.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: agentcore.Runtime,
        endpoint: agentcore.RuntimeEndpoint,
        principals: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.policies = [
            agentcore.CfnResourcePolicy(
                self,
                name,
                resource_arn=arn,
                policy=stack.to_json_string(invoke_policy_document(arn, principals)),
            )
            for name, arn in (
                ("Runtime", runtime.agent_runtime_arn),
                ("Endpoint", endpoint.agent_runtime_endpoint_arn),
            )
        ]
