"""cdk-nag findings on the Lambda function and role CDK's BucketDeployment generates, acknowledged there only.

WHY accepted: BucketDeployment (aws-cdk-lib aws-s3-deployment/lib/bucket-deployment.ts) is CDK's own way to copy
an asset into a bucket and invalidate a distribution; its singleton handler's runtime, managed policy and grants
are CDK's. The IAM5 findings are acknowledged policy by policy only where every statement is one listed in
``CONTENT_WILDCARDS`` (stacks/iam_wildcards.py), so a new wildcard still fails synth.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from stacks.iam_wildcards import (
    CDK_BUCKET_READ_ACTIONS,
    CDK_BUCKET_READ_WRITE_ACTIONS,
    RequiredWildcard,
    acknowledge_required_wildcards,
    policies_under,
)
from stacks.output_keys import WEB_BUCKET_NAME

CONTENT_WILDCARDS: tuple[RequiredWildcard, ...] = (
    RequiredWildcard(
        resource=r"arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-(?:<AWS::AccountId>|\d{12})-"
        r"(?:<AWS::Region>|[a-z]{2}(?:-[a-z]+)+-\d)(?:/\*)?",
        actions=CDK_BUCKET_READ_ACTIONS,
        reason="BucketDeployment reads the asset zip from the CDK bootstrap's asset bucket; the object key is a "
        "content hash chosen at publish time, so CDK grants read on the bucket's objects.",
    ),
    RequiredWildcard(
        # The hosting stack's bucket, imported by its export name (stacks/web/content_stack.py).
        resource=r"arn:<AWS::Partition>:s3:::[a-z][a-z0-9-]*-[a-z][a-z0-9]*-" + WEB_BUCKET_NAME + r"(?:/\*)?",
        actions=CDK_BUCKET_READ_WRITE_ACTIONS,
        reason="BucketDeployment replaces every object of the web bucket (prune) with the build's files, whose "
        "names are hashed per build, so it needs object-level write on the whole bucket.",
    ),
    RequiredWildcard(
        resource=r"\*",
        actions=("cloudfront:GetInvalidation", "cloudfront:CreateInvalidation"),
        reason="BucketDeployment's invalidation grant is on * in aws-cdk-lib (bucket-deployment.ts); the handler is "
        "a singleton shared by every deployment of the stack.",
    ),
)
HANDLER_ID_PREFIX = "Custom::CDKBucketDeployment"  # the singleton's construct id (bucket-deployment.ts)
ACCEPTED_ROLE_FINDINGS: dict[str, str] = {
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]": (
        "BucketDeployment's handler role: CDK attaches the AWS managed basic execution policy (its logs only)."
    ),
}
ACCEPTED_FUNCTION_FINDINGS: dict[str, str] = {
    "AwsSolutions-L1": "BucketDeployment's handler runtime is chosen by aws-cdk-lib and moves with its upgrades.",
}


def acknowledge_deployment_findings(stack: Stack) -> None:
    """On the generated handler and its role only: IAM4 and L1 with their reasons, IAM5 where explained."""
    for handler in stack.node.children:
        if not (isinstance(handler, lambda_.Function) and handler.node.id.startswith(HANDLER_ID_PREFIX)):
            continue
        _acknowledge(handler, ACCEPTED_FUNCTION_FINDINGS)
        if handler.role is not None:
            _acknowledge(handler.role, ACCEPTED_ROLE_FINDINGS)
        for policy in policies_under(handler):
            acknowledge_required_wildcards(policy, CONTENT_WILDCARDS)


def _acknowledge(construct: IConstruct, accepted: dict[str, str]) -> None:
    for rule, reason in accepted.items():
        Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
