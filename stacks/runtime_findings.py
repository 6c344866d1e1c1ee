"""Wildcards on the runtime's execution role that AWS requires, each with its reason.

cdk-nag's IAM5 findings on the role's policy are acknowledged only where every statement producing
them is one of these (stacks/constructs/iam_wildcards.py), so any new wildcard fails synth; the IAM
audit and the deploy rehearsal (tests/stacks/) check the synthesized templates against the same list.
"""

from __future__ import annotations

from aws_cdk import aws_bedrockagentcore as agentcore

from stacks.constructs.iam_wildcards import ENV_PATTERN, RequiredWildcard, acknowledge_required_wildcards
from stacks.constructs.session_store import S3_OBJECT_ACTIONS


def _arn(service: str) -> str:
    """Regex of ``arn:<partition>:<service>:<region>:<account>`` as cdk-nag renders it."""
    return rf"arn:<AWS::Partition>:{service}:" + ENV_PATTERN


# Statements the L2 Runtime adds to its execution role, and the session store's object grant.
RUNTIME_ROLE_WILDCARDS: tuple[RequiredWildcard, ...] = (
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
    RequiredWildcard(
        resource=r"<SessionStoreBucket[0-9A-F]{8}\.Arn>/[a-z0-9][a-z0-9/_-]*/\*",
        actions=S3_OBJECT_ACTIONS,
        reason="Strands' S3 session manager writes one object per session, agent and message with generated "
        "keys; access is confined to the store's prefix of this one bucket.",
    ),
)


def acknowledge_runtime_role_findings(runtime: agentcore.Runtime) -> None:
    """Acknowledge IAM5 on the role's default policy for the wildcards listed above, nowhere else."""
    acknowledge_required_wildcards(runtime.role.node.find_child("DefaultPolicy"), RUNTIME_ROLE_WILDCARDS)
