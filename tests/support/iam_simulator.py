"""Evaluate authorization requests against IAM policies with an established evaluator: @cloud-copilot/iam-simulate.

WHY this evaluator (run on the virtualenv's Node.js): it is maintained against AWS's published IAM data,
implements every condition operator (``StringLike`` on ``s3:prefix``, ``StringEquals`` on
``bedrock:InferenceProfileArn``, ``Bool`` on ``aws:SecureTransport``, ``NumericLessThan`` …), explicit-deny
precedence and resource policies, and it validates each request: the action must exist, the resource ARN must
be of a type the action takes, and a condition key that does not apply to the action is reported as ignored.
The alternatives checked: moto's ``moto.iam.access_control`` (its own docstring: Resource and Condition
support is a TODO; it treats ``StringLike`` as always true and a failed condition as an explicit deny) and
PMapper's local policy simulation (unmaintained since 2022; fails to import on Python ≥ 3.10).

WHY installed here and not by ``make setup``: the package is AGPL-3.0-or-later. It is a test tool only, never
shipped in the agent image or the CDK app, and a user who runs only ``make synth`` should not download it.
It has a ``package.json`` and ``package-lock.json`` of its own in ``tests/support/iam/``; the first evaluation
runs ``npm ci`` there (every file checked against the lock's sha512 integrity, no install scripts) and again
whenever the lock changes, so ``make test``, CI and a direct ``pytest`` all get the pinned version.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.aws_calls import AwsCall

EVALUATOR_DIR = Path(__file__).with_name("iam")
SCRIPT = EVALUATOR_DIR / "iam_simulate.mjs"
LOCK_FILE = EVALUATOR_DIR / "package-lock.json"
# Written after a successful `npm ci`: the sha256 of the lock it installed.
INSTALLED_STAMP = EVALUATOR_DIR / "node_modules" / ".installed-lock.sha256"
# pytest-xdist workers install once, one at a time (in .build/, ignored by git; npm ci empties node_modules).
INSTALL_MUTEX = EVALUATOR_DIR.parents[2] / ".build" / "iam-evaluator-install.lock"
NPM_CI = ("ci", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts")
INSTALL_TIMEOUT_SECONDS = 300
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


def _tool(name: str) -> str:
    """The virtualenv's `node` or `npm` (scripts/link_node.py), else the one on PATH."""
    beside_python = Path(sys.executable).with_name(name)
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed; run `make setup`")
    return found


def ensure_evaluator() -> None:
    """Install the evaluator from its lock unless that exact lock is installed already."""
    wanted = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()
    INSTALL_MUTEX.parent.mkdir(exist_ok=True)
    with INSTALL_MUTEX.open("w") as mutex:
        fcntl.flock(mutex, fcntl.LOCK_EX)
        if INSTALLED_STAMP.is_file() and INSTALLED_STAMP.read_text(encoding="utf-8") == wanted:
            return
        installed = subprocess.run(
            [_tool("npm"), *NPM_CI],
            cwd=EVALUATOR_DIR,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if installed.returncode != 0:
            raise RuntimeError(f"npm ci in {EVALUATOR_DIR} failed ({installed.returncode}): {installed.stderr[-2000:]}")
        INSTALLED_STAMP.write_text(wanted, encoding="utf-8")


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
    ensure_evaluator()
    completed = subprocess.run(
        [_tool("node"), str(SCRIPT)],
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
