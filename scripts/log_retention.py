"""After `make deploy`: give the runtime's service-created log groups the stage's retention.

WHY a step after deploy: AgentCore creates the runtime's log groups itself (the execution role may
``logs:CreateLogGroup`` under ``/aws/bedrock-agentcore/runtimes/``), named after the runtime id the service
generates, and a log group created that way never expires. The stack cannot own them (it would have to create
them first and race the service), so this sets ``log_retention_days`` (cdk.json) on every group of the stage's
runtime, found by the ``/aws/bedrock-agentcore/runtimes/<runtime id>-`` prefix whatever endpoint or suffix
follows. A group the service creates later (first invocation of a new runtime) gets it on the next run.

    python -m scripts.log_retention --stage dev
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from scripts.stage_stacks import StageStackError, describe, runtime_stack_name, stage_config
from stacks.output_keys import RUNTIME_ID

RUNTIME_LOG_GROUP_PREFIX = "/aws/bedrock-agentcore/runtimes/"


class RetentionError(RuntimeError):
    """Retention could not be set; the message names the stack or log group and the error."""


def retention_days(stage: str) -> int:
    """The stage's ``log_retention_days`` as cdk.json sets it."""
    return stage_config(stage).log_retention_days


def set_runtime_log_retention(cloudformation: Any, logs: Any, *, stage: str, days: int) -> list[str]:
    """Put ``days`` on every log group of the stage's runtime; return their names (sorted).

    Raises:
        RetentionError: the stack is missing or unreadable, or CloudWatch Logs refused a call.
    """
    stack_name = runtime_stack_name(stage)
    try:
        stack = describe(cloudformation, stack_name)
    except StageStackError as error:
        raise RetentionError(str(error)) from error
    if stack is None or not stack.outputs.get(RUNTIME_ID):
        raise RetentionError(f"stack {stack_name} has no {RUNTIME_ID} output; deploy the stage first")
    prefix = f"{RUNTIME_LOG_GROUP_PREFIX}{stack.outputs[RUNTIME_ID]}-"
    try:
        groups = sorted(
            group["logGroupName"]
            for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix)
            for group in page.get("logGroups", [])
        )
        for name in groups:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    except (ClientError, BotoCoreError) as error:
        raise RetentionError(f"cannot set retention under {prefix}: {error}") from error
    return groups


def main(argv: list[str] | None = None) -> int:
    """Set the retention; exit 1 with a one-line message when it could not be set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    days = retention_days(args.stage)
    try:
        groups = set_runtime_log_retention(
            boto3.client("cloudformation"), boto3.client("logs"), stage=args.stage, days=days
        )
    except RetentionError as error:
        print(f"log retention not set: {error}", file=sys.stderr)
        return 1
    if not groups:
        print("no runtime log groups yet (AgentCore creates them on first use): run `make deploy` again later")
    for name in groups:
        print(f"retention {days} days: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
