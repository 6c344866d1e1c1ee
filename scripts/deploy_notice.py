"""Before `make deploy`: on the first deploy of a stage, print the once-per-account steps AWS requires.

What counts as a first deploy: the stage's Runtime stack (``AgentCoreSession-<stage>-Runtime``) does not
exist, or exists but never finished its first create (REVIEW_IN_PROGRESS, CREATE_*, ROLLBACK_* — a failed
first attempt). Then nothing has invoked the model from this account through this app yet, and two
account-level settings decide whether the first conversation works:

- a third-party model (e.g. Anthropic) needs an AWS Marketplace subscription, which Bedrock starts on the
  first invocation only if *the caller* may subscribe (``aws-marketplace:Subscribe``; Bedrock user guide,
  "Access Amazon Bedrock foundation models"); the runtime's role may not, so subscribe once from the
  deploying credentials. Anthropic also requires its first-use form once per account (or organization);
- AgentCore traces reach CloudWatch only with Transaction Search enabled once per account and region
  (CloudWatch user guide, "Enable transaction search").

The notice never blocks the deploy: if CloudFormation cannot be read, it says so and points to docs/deploy.md.

    python -m scripts.deploy_notice --stage dev
"""

from __future__ import annotations

import argparse
import sys

import boto3
from botocore.exceptions import BotoCoreError

from scripts.stage_stacks import StageStackError, describe, runtime_stack_name, stage_config
from stacks.model_access import split_model_id
from stacks.validation import ConfigError

README_SECTION = 'docs/deploy.md, section "First deploy on a fresh account"'
FIRST_PARTY_PROVIDERS = ("amazon",)


def foundation_model(stage: str) -> str:
    """The foundation model behind the stage's configured model id (cdk.json), e.g. ``anthropic.claude-sonnet-4-6``."""
    return split_model_id(stage_config(stage).model_id)[1]


def notice(stage: str, model: str) -> str:
    """The steps, as commands, for ``model``; the same commands as docs/deploy.md shows."""
    provider = model.split(".", 1)[0]
    lines = [
        f"First deploy of stage {stage} ({runtime_stack_name(stage)} has never been created). Once per account:",
        "",
    ]
    if provider == "anthropic":
        lines += [
            "Anthropic's first-use form (an error from the first command means it was never submitted):",
            "  aws bedrock get-use-case-for-model-access",
            "  aws bedrock put-use-case-for-model-access --form-data fileb://use-case.json",
            "",
        ]
    if provider not in FIRST_PARTY_PROVIDERS:
        lines += [
            f"Marketplace subscription to {model}, from these credentials (the runtime's role may not subscribe):",
            f"  OFFER=$(aws bedrock list-foundation-model-agreement-offers --model-id {model} --offer-type PUBLIC "
            "--query 'offers[0].offerToken' --output text)",
            f'  aws bedrock create-foundation-model-agreement --model-id {model} --offer-token "$OFFER"',
            f"  aws bedrock get-foundation-model-availability --model-id {model}",
            "",
        ]
    lines += [
        "CloudWatch Transaction Search, for the runtime's traces (write the policy document as docs/deploy.md shows):",
        "  aws logs put-resource-policy --policy-name AgentCoreTransactionSearch --policy-document file://transaction-search-policy.json",
        "  aws xray update-trace-segment-destination --destination CloudWatchLogs",
        "  aws xray get-trace-segment-destination",
        "Through the API, Transaction Search may not create the aws/spans log group; check, create it if absent:",
        "  aws logs describe-log-groups --log-group-name-prefix aws/spans --query 'logGroups[].logGroupName'",
        "  aws logs create-log-group --log-group-name aws/spans",
        "",
        f"Why, and the files these commands read: {README_SECTION}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the notice on a first deploy; never fail the deploy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    try:
        model = foundation_model(args.stage)
        stack = describe(boto3.client("cloudformation"), runtime_stack_name(args.stage))
    except (ConfigError, StageStackError, BotoCoreError) as error:
        print(
            f"deploy notice: cannot tell whether this is the first deploy of {args.stage} ({error}); "
            f"the once-per-account steps are in {README_SECTION}",
            file=sys.stderr,
        )
        return 0
    if stack is None or not stack.ever_created:
        print(notice(args.stage, model))
    return 0


if __name__ == "__main__":
    sys.exit(main())
