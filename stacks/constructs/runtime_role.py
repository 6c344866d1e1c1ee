"""The runtime's execution role: trusted by AgentCore for this stage's runtime only.

WHY not the L2's default role: the AgentCore L2 ``Runtime`` trusts ``aws:SourceArn``
``…:runtime/<runtime name>*`` (aws-cdk-lib 2.275 jsii bundle, aws-bedrockagentcore/lib/runtime/runtime.js:
``resourceName: `${this.agentRuntimeName}*` ``), which also matches every runtime whose name merely
starts with this one (``agentcore_session_dev*`` matches ``agentcore_session_dev2``, another stage's
runtime). Runtime ARNs
are ``runtime/<name>-<10 alphanumerics>`` (botocore ``bedrock-agentcore-control`` model, shape
``AgentRuntimeArn``) and names cannot contain ``-`` (``AgentRuntimeName`` pattern
``[a-zA-Z][a-zA-Z0-9_]{0,47}``), so ``runtime/<name>-*`` matches this runtime (and its endpoints) and no
other. The L2 still adds its execution permissions to this role (it does for a passed role too).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

AGENTCORE_SERVICE_PRINCIPAL = "bedrock-agentcore.amazonaws.com"
# AgentCore sessions last at most 8 hours (max lifetime 28800 s), as the L2's default role allows.
MAX_SESSION_DURATION = Duration.hours(8)
# Workload tokens for a caller-supplied user id, with no IdP token verification. AWS's runtime-permissions
# page (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-permissions.html): "For
# production deployments where your application has JWT tokens available, explicitly deny
# GetWorkloadAccessTokenForUserId and grant only GetWorkloadAccessTokenForJWT."
USER_ID_TOKEN_ACTIONS = ("bedrock-agentcore:GetWorkloadAccessTokenForUserId",)


def runtime_source_arn(stack: Stack, runtime_name: str) -> str:
    """``arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<runtime_name>-*``."""
    return stack.format_arn(service="bedrock-agentcore", resource="runtime", resource_name=f"{runtime_name}-*")


def runtime_execution_role(scope: Construct, construct_id: str, *, runtime_name: str) -> iam.Role:
    """A role only AgentCore may assume, and only for this account's runtime named ``runtime_name``."""
    stack = Stack.of(scope)
    principal = iam.ServicePrincipal(
        AGENTCORE_SERVICE_PRINCIPAL,
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": runtime_source_arn(stack, runtime_name)},
        },
    )
    return iam.Role(
        scope,
        construct_id,
        assumed_by=principal,
        description=f"Execution role of the AgentCore runtime {runtime_name}",
        max_session_duration=MAX_SESSION_DURATION,
    )


def deny_user_id_tokens(role: iam.IRole) -> None:
    """Explicitly deny workload tokens for arbitrary user ids (JWT runtimes: the user comes from the token)."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="DenyWorkloadTokenForUserId",
            effect=iam.Effect.DENY,
            actions=list(USER_ID_TOKEN_ACTIONS),
            resources=["*"],
        )
    )
