"""Empty a stage's S3 session store before `cdk destroy`, unless the deployed stack retains it.

WHY: CloudFormation cannot delete a bucket that still holds objects (every stored conversation), so
`make destroy STAGE=dev` would fail once anyone had chatted. A Lambda-backed custom resource (CDK's
``auto_delete_objects``) would do this at stack deletion; here it is one boto3 pass from the machine that
runs `make destroy`, with nothing deployed for it.

WHY the deployed template decides: the bucket name comes from the Runtime stack's ``SessionBucketName``
output, and the bucket's ``DeletionPolicy`` from the template CloudFormation holds for that stack (not the
local cdk.json, which may have changed since). Anything but ``Delete`` (prod: ``Retain``) is never touched.

    python -m scripts.empty_session_store --stage dev
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from scripts.stage_stacks import StageStackError, describe, runtime_stack_name
from stacks.output_keys import SESSION_BUCKET_NAME

logger = logging.getLogger("empty_session_store")

# DeleteObjects takes at most 1000 keys per request (S3 API reference, DeleteObjects).
DELETE_BATCH = 1000


class EmptyStoreError(RuntimeError):
    """The store could not be emptied; the message says which bucket and why."""


def empty_session_store(cloudformation: Any, s3: Any, *, stage: str) -> str:
    """Empty the stage's session bucket if its stack would delete it; return what was done, as one line.

    Raises:
        EmptyStoreError: CloudFormation or S3 refused a call, or S3 reported objects it did not delete.
    """
    stack_name = runtime_stack_name(stage)
    try:
        stack = describe(cloudformation, stack_name)
    except StageStackError as error:
        raise EmptyStoreError(str(error)) from error
    if stack is None:
        return f"stack {stack_name} does not exist: nothing to empty"
    bucket = stack.outputs.get(SESSION_BUCKET_NAME)
    if not bucket:
        return f"stack {stack_name} has no {SESSION_BUCKET_NAME} output (no S3 session store): nothing to empty"
    policy = _deletion_policy(cloudformation, stack_name, bucket)
    if policy != "Delete":
        return f"bucket {bucket} is retained (DeletionPolicy {policy}): not touched"
    deleted = _delete_every_version(s3, bucket)
    return f"emptied bucket {bucket}: deleted {deleted} object versions and delete markers"


def _deletion_policy(cloudformation: Any, stack_name: str, bucket: str) -> str:
    """The DeletionPolicy of the template resource whose physical id is ``bucket`` (CloudFormation's default:
    Delete)."""
    try:
        resources = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        logical_ids = [
            r["LogicalResourceId"]
            for page in resources
            for r in page["StackResourceSummaries"]
            if r["ResourceType"] == "AWS::S3::Bucket" and r.get("PhysicalResourceId") == bucket
        ]
        body = cloudformation.get_template(StackName=stack_name, TemplateStage="Original")["TemplateBody"]
    except (ClientError, BotoCoreError) as error:
        raise EmptyStoreError(f"cannot read the template of stack {stack_name}: {error}") from error
    if not logical_ids:
        raise EmptyStoreError(f"bucket {bucket} is not a resource of stack {stack_name}: refusing to empty it")
    template = json.loads(body) if isinstance(body, str) else body
    return str(template["Resources"][logical_ids[0]].get("DeletionPolicy", "Delete"))


def _delete_every_version(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker (unversioned objects are version ``null``)."""
    deleted = 0
    try:
        for batch in _batches(_versions(s3, bucket), DELETE_BATCH):
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise EmptyStoreError(
                    f"S3 did not delete {len(response['Errors'])} objects of bucket {bucket}, "
                    f"e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )
            deleted += len(batch)
            logger.info("bucket=<%s>, deleted=<%d> | deleted a batch", bucket, deleted)
    except (ClientError, BotoCoreError) as error:
        raise EmptyStoreError(f"cannot empty bucket {bucket}: {error}") from error
    return deleted


def _versions(s3: Any, bucket: str) -> Iterator[dict[str, str]]:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in (*page.get("Versions", []), *page.get("DeleteMarkers", [])):
            yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}


def _batches(items: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    batch: list[dict[str, str]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when the store is empty, retained or absent; 1 with a one-line message otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        print(empty_session_store(boto3.client("cloudformation"), boto3.client("s3"), stage=args.stage))
    except (EmptyStoreError, BotoCoreError) as error:
        print(f"emptying the session store failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
