"""cdk-nag findings on the runtime's execution role that AWS requires, each with its reason.

Every entry names the exact wildcard resource it accepts, so any new wildcard fails synth.
The same list feeds the IAM audit test (tests/stacks/test_iam_audit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Stack, Token, Validations, aws_bedrockagentcore as agentcore
from constructs import IConstruct


@dataclass(frozen=True, kw_only=True)
class AcceptedWildcard:
    """A wildcard resource the service forces on us, with the actions it is used for and why."""

    resource_suffix: str
    actions: tuple[str, ...]
    reason: str


# Statements the L2 Runtime adds to its default role. The resource suffix is matched against the
# end of the synthesized ARN (after the partition/region/account tokens).
RUNTIME_ROLE_WILDCARDS: tuple[AcceptedWildcard, ...] = (
    AcceptedWildcard(
        resource_suffix=":log-group:/aws/bedrock-agentcore/runtimes/*",
        actions=("logs:DescribeLogStreams", "logs:CreateLogGroup"),
        reason="AgentCore names the runtime's log groups after the runtime id and endpoint, known only "
        "after deployment; the wildcard stays under /aws/bedrock-agentcore/runtimes/.",
    ),
    AcceptedWildcard(
        resource_suffix=":log-group:/aws/bedrock-agentcore/runtimes/*:log-stream:*",
        actions=("logs:CreateLogStream", "logs:PutLogEvents"),
        reason="Log streams are created per session microVM with generated names, under the runtime log groups.",
    ),
    AcceptedWildcard(
        resource_suffix=":log-group:*",
        actions=("logs:DescribeLogGroups",),
        reason="logs:DescribeLogGroups does not support resource-level permissions beyond the account's log groups.",
    ),
    AcceptedWildcard(
        resource_suffix="*",
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
    AcceptedWildcard(
        resource_suffix=":workload-identity-directory/default/workload-identity/*",
        actions=(
            "bedrock-agentcore:GetWorkloadAccessToken",
            "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
            "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
        ),
        reason="The runtime's workload identity is created by the service with a generated name when the runtime is created.",
    ),
)

S3_SESSION_OBJECTS_REASON = (
    "Strands' S3 session manager writes one object per session, agent and message with generated keys; "
    "access is confined to the store's prefix of this one bucket."
)


def acknowledge_runtime_role_findings(runtime: agentcore.Runtime, *, session_store: IConstruct) -> None:
    """Acknowledge IAM5 for each accepted wildcard on the role's default policy, nowhere else."""
    policy = runtime.role.node.find_child("DefaultPolicy")
    validations = Validations.of(policy)
    for finding, reason in _iam5_findings(Stack.of(runtime), session_store):
        validations.acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason))


def _iam5_findings(stack: Stack, session_store: IConstruct) -> list[tuple[str, str]]:
    """cdk-nag's granular finding ids for the accepted wildcards (it prints unresolved pseudo
    parameters as ``<AWS::Region>`` and a concrete environment as its literal value)."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    arn = "arn:<AWS::Partition>:{service}:" + region + ":" + account + "{suffix}"
    findings = [
        ("Resource::" + arn.format(service="logs", suffix=w.resource_suffix), w.reason)
        for w in RUNTIME_ROLE_WILDCARDS
        if w.resource_suffix.startswith(":log-group")
    ]
    findings += [
        ("Resource::" + arn.format(service="bedrock-agentcore", suffix=w.resource_suffix), w.reason)
        for w in RUNTIME_ROLE_WILDCARDS
        if w.resource_suffix.startswith(":workload")
    ]
    findings.append(("Resource::*", next(w.reason for w in RUNTIME_ROLE_WILDCARDS if w.resource_suffix == "*")))
    bucket = getattr(session_store, "bucket", None)
    if bucket is not None:
        logical_id = session_store.node.scope.get_logical_id(bucket.node.default_child)
        findings.append((f"Resource::<{logical_id}.Arn>/{session_store.prefix}*", S3_SESSION_OBJECTS_REASON))
    return findings
