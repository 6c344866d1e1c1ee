"""The runtime's execution role: trusted by AgentCore for this stage's runtime only, and the wildcards
the AgentCore L2 puts on it, each with the reason AWS requires it.

WHY not the L2's default role: the AgentCore L2 ``Runtime`` trusts ``aws:SourceArn``
``…:runtime/<runtime name>*`` (aws-cdk-lib 2.275 jsii bundle, aws-bedrockagentcore/lib/runtime/runtime.js:
``resourceName: `${this.agentRuntimeName}*` ``), which also matches every runtime whose name merely
starts with this one (``agentcore_session_dev*`` matches ``agentcore_session_dev2``, another stage's
runtime). Runtime ARNs are ``runtime/<name>-<10 alphanumerics>`` (botocore ``bedrock-agentcore-control``
model, shape ``AgentRuntimeArn``) and names cannot contain ``-`` (``AgentRuntimeName`` pattern
``[a-zA-Z][a-zA-Z0-9_]{0,47}``), so ``runtime/<name>-*`` matches this runtime (and its endpoints) and no
other. The L2 still adds its execution permissions to this role (it does for a passed role too).

cdk-nag's IAM5 findings on the role's default policy are acknowledged only where every statement producing
them is one of ``EXECUTION_ROLE_WILDCARDS`` or a wildcard the conversation store declares
(stacks/iam_wildcards.py), so any new wildcard fails synth; the IAM audit and the deploy
rehearsal (tests/stacks/) check the synthesized templates against the same lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.iam_wildcards import ENV_PATTERN, RequiredWildcard, acknowledge_required_wildcards, policies_under

AGENTCORE_SERVICE_PRINCIPAL = "bedrock-agentcore.amazonaws.com"
# AgentCore sessions last at most 8 hours (max lifetime 28800 s), as the L2's default role allows.
MAX_SESSION_DURATION = Duration.hours(8)
# Workload tokens for a caller-supplied user id, with no IdP token verification. AWS's runtime-permissions
# page (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-permissions.html): "For
# production deployments where your application has JWT tokens available, explicitly deny
# GetWorkloadAccessTokenForUserId and grant only GetWorkloadAccessTokenForJWT."
USER_ID_TOKEN_ACTIONS = ("bedrock-agentcore:GetWorkloadAccessTokenForUserId",)


def _arn(service: str) -> str:
    """Regex of ``arn:<partition>:<service>:<region>:<account>`` as cdk-nag renders it."""
    return rf"arn:<AWS::Partition>:{service}:" + ENV_PATTERN


# The statements the L2 Runtime adds to its execution role.
EXECUTION_ROLE_WILDCARDS: tuple[RequiredWildcard, ...] = (
    RequiredWildcard(
        resource=_arn("logs") + r":log-group:/aws/bedrock-agentcore/runtimes/\*",
        actions=("logs:DescribeLogStreams", "logs:CreateLogGroup"),
        reason="AgentCore names the runtime's log groups after the runtime id and endpoint, known only "
        "after deployment; the wildcard stays under /aws/bedrock-agentcore/runtimes/.",
    ),
    RequiredWildcard(
        resource=_arn("logs") + r":log-group:/aws/bedrock-agentcore/runtimes/\*:log-stream:\*",
        actions=("logs:CreateLogStream", "logs:PutLogEvents"),
        reason="Log streams are created per session microVM with generated names, under the runtime log groups.",
    ),
    RequiredWildcard(
        resource=_arn("logs") + r":log-group:\*",
        actions=("logs:DescribeLogGroups",),
        reason="logs:DescribeLogGroups does not support resource-level permissions beyond the account's log groups.",
    ),
    RequiredWildcard(
        resource=r"\*",
        actions=(
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "cloudwatch:PutMetricData",
            "ecr:GetAuthorizationToken",
        ),
        reason="X-Ray trace/sampling actions, ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no "
        "resource-level permissions (AWS service authorization reference); PutMetricData is limited by the "
        "cloudwatch:namespace condition to bedrock-agentcore.",
    ),
    RequiredWildcard(
        resource=_arn("bedrock-agentcore") + r":workload-identity-directory/default(?:/workload-identity/\*)?",
        actions=(
            "bedrock-agentcore:GetWorkloadAccessToken",
            "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
            "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
        ),
        reason="The runtime's workload identity is created by the service with a generated name when the "
        "runtime is created. A JWT runtime's role also explicitly denies GetWorkloadAccessTokenForUserId.",
    ),
)


def runtime_arn_pattern(stack: Stack, runtime_name: str) -> str:
    """``arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<runtime_name>-*``: this stage's runtime
    (and, followed by ``/runtime-endpoint/…``, its endpoints) and no other.

    The service appends a generated suffix to the name to make the runtime id, known only after the stage
    deploys (after any policy naming it exists), so the name plus ``-*`` is the narrowest match.
    """
    return stack.format_arn(service="bedrock-agentcore", resource="runtime", resource_name=f"{runtime_name}-*")


def runtime_execution_role(scope: Construct, construct_id: str, *, runtime_name: str) -> iam.Role:
    """A role only AgentCore may assume, and only for this account's runtime named ``runtime_name``."""
    stack = Stack.of(scope)
    principal = iam.ServicePrincipal(
        AGENTCORE_SERVICE_PRINCIPAL,
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": runtime_arn_pattern(stack, runtime_name)},
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


def acknowledge_execution_role_findings(role: iam.Role, granted: Sequence[RequiredWildcard] = ()) -> None:
    """Acknowledge IAM5 on the role's policies for the L2's wildcards and ``granted`` (the wildcards of the
    grants other constructs made to this role), nowhere else.

    WHY every ``iam.Policy`` under the role: ``Role.add_to_principal_policy`` (which the L2 and every grant
    call) puts statements in the role's default policy, an ``iam.Policy`` the role creates below itself; its
    construct id is not public API. Each policy is acknowledged only for findings its own statements explain.
    Call it once every statement is on the role: a statement added later is not covered and fails synth.
    """
    for policy in policies_under(role):
        acknowledge_required_wildcards(policy, (*EXECUTION_ROLE_WILDCARDS, *granted))
