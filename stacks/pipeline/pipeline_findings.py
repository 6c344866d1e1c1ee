"""cdk-nag findings on the resources CDK Pipelines generates for this pipeline, acknowledged policy by policy
with the reason.

WHY computed and not listed: the generated roles and their logical ids depend on the stages and steps.
Each generated policy's statements are checked against ``PIPELINE_WILDCARDS`` (resource pattern plus the
only actions allowed with it, stacks/iam_wildcards.py): the wildcards CDK Pipelines generates,
listed here, and those of the smoke steps' own grants, listed beside them (stacks/pipeline/smoke_step.py).
A finding is acknowledged on a policy only if every statement producing it is explained, so a new
``"Resource": "*"`` statement (cdk-nag reports any of them as the same bare ``Resource::*``) stays a
finding and fails synth.

Three of the ``*`` resources below are CDK Pipelines' own choice, not an AWS requirement (the actions do
support resource-level permissions): narrowing them would mean overriding policies CDK generates
internally. They are listed with the source that generates them, and accepted only with exactly those actions.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations, pipelines

from stacks.iam_wildcards import (
    CDK_BUCKET_PUT_ACL_ACTIONS,
    CDK_BUCKET_READ_WRITE_ACTIONS,
    ENV_PATTERN,
    RequiredWildcard,
    acknowledge_required_wildcards,
    policies_under,
)
from stacks.pipeline.smoke_step import SMOKE_STEP_WILDCARDS

_ARTIFACTS = (
    "CDK Pipelines' grant on this pipeline's own artifact bucket and key: artifact object keys are generated "
    "per execution and CDK grants its standard read/write action groups (s3:GetObject*, kms:GenerateDataKey* ...)."
)
_LOGS = r"arn:<AWS::Partition>:logs:" + ENV_PATTERN + r":log-group:/aws/codebuild/"
_REPORTS = r"arn:<AWS::Partition>:codebuild:" + ENV_PATTERN + r":report-group/"
_LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
_REPORT_ACTIONS = (
    "codebuild:CreateReportGroup",
    "codebuild:CreateReport",
    "codebuild:UpdateReport",
    "codebuild:BatchPutTestCases",
    "codebuild:BatchPutCodeCoverages",
)
GENERATED_WILDCARDS: tuple[RequiredWildcard, ...] = (
    RequiredWildcard(
        resource=r"<PipelineArtifactsBucket[0-9A-F]{8}\.Arn>(?:/\*)?",
        actions=(*CDK_BUCKET_READ_WRITE_ACTIONS, *CDK_BUCKET_PUT_ACL_ACTIONS),
        reason=_ARTIFACTS,
    ),
    RequiredWildcard(
        resource=r"<PipelineArtifactsBucketEncryptionKey[0-9A-F]{8}\.Arn>",
        actions=("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"),
        reason=_ARTIFACTS,
    ),
    RequiredWildcard(
        resource=_LOGS + r"<[A-Za-z0-9]+>(?::\*)?",
        actions=_LOG_ACTIONS,
        reason="CodeBuild writes one log stream per build, with a generated name, in its project's log group.",
    ),
    RequiredWildcard(
        resource=_REPORTS + r"<[A-Za-z0-9]+>-\*",
        actions=_REPORT_ACTIONS,
        reason="CodeBuild names a project's test report groups <project>-<report>; the grant is limited to this "
        "project's.",
    ),
    RequiredWildcard(
        resource=_LOGS + r"\*",
        actions=_LOG_ACTIONS,
        reason="The asset-publishing role is shared by every Docker asset project CDK Pipelines generates (one per "
        "image, names generated at synth), so CDK scopes its logs to CodeBuild's namespace.",
    ),
    RequiredWildcard(
        resource=_REPORTS + r"\*",
        actions=_REPORT_ACTIONS,
        reason="The asset-publishing role is shared by every asset project CDK Pipelines generates, so CDK scopes "
        "its report groups to CodeBuild's namespace.",
    ),
    RequiredWildcard(
        resource=r"\*",
        actions=("codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"),
        reason="CDK Pipelines' shared asset-publishing role "
        "(aws-cdk-lib pipelines/lib/private/asset-singleton-role.ts) adds these on * when it is created, for "
        "asset projects whose names are generated; not narrowable without overriding CDK's generated policy.",
    ),
    RequiredWildcard(
        resource=r"\*",
        actions=("cloudformation:DescribeStacks", "s3:ListBucket"),
        reason="CDK Pipelines' self-mutation step (aws-cdk-lib pipelines/lib/codepipeline/codepipeline.ts) runs "
        "`cdk deploy`, which reads the bootstrap stack and checks the staging bucket; both are named at bootstrap "
        "time, not at synth, so CDK grants these lookups on *.",
    ),
    RequiredWildcard(
        resource=r"arn:\*:iam::(?:<AWS::AccountId>|\d{12}):role/\*",
        actions=("sts:AssumeRole",),
        reason="Self-mutation assumes the CDK bootstrap roles; the statement is conditioned on the "
        "iam:ResourceTag/aws-cdk:bootstrap-role tag, so only bootstrap roles of this account match.",
    ),
)
# Every wildcard a pipeline policy may hold: CDK Pipelines' own and the smoke steps' grants.
PIPELINE_WILDCARDS: tuple[RequiredWildcard, ...] = (*GENERATED_WILDCARDS, *SMOKE_STEP_WILDCARDS)

ACCEPTED_PIPELINE_FINDINGS: dict[str, str] = {
    "AwsSolutions-S1": "The pipeline artifact bucket is KMS-encrypted, TLS-only and reachable only by this pipeline's "
    "roles; object-level access is audited with CloudTrail data events rather than a second log bucket.",
}


def acknowledge_pipeline_findings(pipeline: pipelines.CodePipeline) -> None:
    """Acknowledge each explained IAM5 finding on its own policy, and S1 on the artifact bucket."""
    for policy in policies_under(pipeline):
        acknowledge_required_wildcards(policy, PIPELINE_WILDCARDS)
    bucket = pipeline.pipeline.artifact_bucket
    for rule, reason in ACCEPTED_PIPELINE_FINDINGS.items():
        Validations.of(bucket).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
