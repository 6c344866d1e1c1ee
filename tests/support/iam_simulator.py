"""Evaluate authorization requests against IAM policies with an established evaluator: @cloud-copilot/iam-simulate.

WHY this evaluator (pinned in package.json, installed by ``make setup`` with the CDK CLI, run on the
virtualenv's Node.js): it is maintained against AWS's published IAM data, implements every condition
operator (``StringLike`` on ``s3:prefix``, ``StringEquals`` on ``bedrock:InferenceProfileArn``, ``Bool`` on
``aws:SecureTransport``, ``NumericLessThan`` …), explicit-deny precedence and resource policies, and it
validates each request: the action must exist, the resource ARN must be of a type the action takes, and a
condition key that does not apply to the action is reported as ignored. The alternatives checked:
moto's ``moto.iam.access_control`` (its own docstring: Resource and Condition support is a TODO; it treats
``StringLike`` as always true and a failed condition as an explicit deny) and PMapper's local policy
simulation (unmaintained since 2022; fails to import on Python ≥ 3.10). The package is AGPL-3.0: a test
tool only, never shipped in the agent image or the CDK app.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.aws_calls import AwsCall

SCRIPT = Path(__file__).with_name("iam_simulate.mjs")
ALLOWED = "Allowed"


@dataclass(frozen=True)
class Decision:
    """The evaluator's answer for one call."""

    call: AwsCall
    result: str
    ignored_context_keys: tuple[str, ...]
    errors: Any

    @property
    def allowed(self) -> bool:
        """True when IAM would allow the call."""
        return self.result == ALLOWED


def _node() -> str:
    beside_python = Path(sys.executable).with_name("node")  # the virtualenv's Node.js (scripts/link_node.py)
    found = str(beside_python) if beside_python.exists() else shutil.which("node")
    if found is None:
        raise RuntimeError("node is not installed; run `make setup`")
    return found


def evaluate(
    calls: list[AwsCall],
    *,
    principal_arn: str,
    account: str,
    identity_policies: list[dict[str, Any]],
    resource_policies: dict[str, dict[str, Any]] | None = None,
) -> list[Decision]:
    """Decide each call as IAM would for ``principal_arn`` with these identity policies.

    Args:
        calls: the authorization requests.
        principal_arn: the caller (the execution role).
        account: the account of the principal and of every resource.
        identity_policies: the role's policy documents.
        resource_policies: resource-ARN prefix → resource policy (e.g. the bucket ARN → its bucket policy);
            a call whose resource starts with a prefix is evaluated with that policy too.
    """
    simulations = [
        {
            "identityPolicies": [{"name": f"policy{i}", "policy": p} for i, p in enumerate(identity_policies)],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
            **_resource_policy(call.resource, resource_policies or {}),
            "request": {
                "action": call.action,
                "principal": principal_arn,
                "resource": {"resource": call.resource, "accountId": account},
                "contextVariables": call.context,
            },
        }
        for call in calls
    ]
    completed = subprocess.run(
        [_node(), str(SCRIPT)],
        input=json.dumps(simulations),
        capture_output=True,
        text=True,
        cwd=SCRIPT.parent,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"iam-simulate failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return [
        Decision(
            call=call,
            result=r["overallResult"] or r["resultType"],
            ignored_context_keys=tuple(r["ignoredContextKeys"]),
            errors=r["errors"],
        )
        for call, r in zip(calls, json.loads(completed.stdout), strict=True)
    ]


def _resource_policy(resource: str, policies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    for prefix, policy in policies.items():
        if resource == prefix or resource.startswith(f"{prefix}/"):
            return {"resourcePolicy": policy}
    return {}


def granted_actions(policies: list[dict[str, Any]]) -> set[str]:
    """Every action an ``Allow`` statement names (the role's grants, before conditions)."""
    actions: set[str] = set()
    for policy in policies:
        statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        for statement in statements:
            if statement["Effect"] == "Allow":
                named = statement.get("Action", [])
                actions.update([named] if isinstance(named, str) else named)
    return actions
