"""A deployed stage's stacks as CloudFormation reports them, for the `make deploy` / `make destroy` helpers.

Run the helpers as modules from the repository root (``python -m scripts.deploy_notice``), so ``stacks``
is importable for the one stack-naming rule and the output keys (stacks/output_keys.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from stacks.config import CONTEXT_ROOT, StageConfig, load_stage_config
from stacks.output_keys import RUNTIME, stack_name

REPO = Path(__file__).resolve().parent.parent

# A stack in one of these never finished its first create: deploying it again is still a first deploy.
NEVER_CREATED = frozenset(
    {
        "REVIEW_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_FAILED",
        "ROLLBACK_COMPLETE",
    }
)


class StageStackError(RuntimeError):
    """CloudFormation could not be read; the message names the stack and the error."""


@dataclass(frozen=True, kw_only=True)
class DeployedStack:
    """What the helpers need from DescribeStacks."""

    name: str
    status: str
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def ever_created(self) -> bool:
        return self.status not in NEVER_CREATED


def stage_config(stage: str) -> StageConfig:
    """The stage's settings as the local cdk.json gives them, validated as synth validates them."""
    context = json.loads((REPO / "cdk.json").read_text())["context"][CONTEXT_ROOT]
    return load_stage_config(context, stage)


def runtime_stack_name(stage: str) -> str:
    """``AgentCoreSession-<stage>-Runtime``, the stack that holds the session store."""
    return stack_name(stage, RUNTIME)


def describe(cloudformation: Any, stack_name: str) -> DeployedStack | None:
    """The stack, or None when CloudFormation says it does not exist.

    Raises:
        StageStackError: any other error (credentials, permissions, throttling), with the stack named.
    """
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        if "does not exist" in message:
            return None
        raise StageStackError(f"cannot read stack {stack_name}: {message}") from error
    stack = stacks[0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return DeployedStack(name=stack_name, status=stack["StackStatus"], outputs=outputs)
