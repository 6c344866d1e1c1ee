"""Which IAM wildcards are required, how a policy statement is checked against them, and the cdk-nag
acknowledgments that follow from that check.

WHY statements and not finding ids: cdk-nag's IAM5 finding for a ``"Resource": "*"`` statement is the
bare id ``Resource::*`` whatever the actions (cdk-nag 3.0.2, rules/iam/IAMNoWildcardPermissions.js), so
acknowledging that id on a policy would accept any later ``*`` statement there. Here a finding is
acknowledged on a policy only when *every* Allow statement of that policy that produces it is explained
by one ``RequiredWildcard``: each of its resources matches the entry's resource pattern and each of its
actions is one the entry lists. The IAM audit (tests/stacks/test_iam_audit.py) and the deploy rehearsal
apply the same check to the synthesized templates, so a wildcard added after the acknowledgments were
computed is still caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam

# cdk-nag renders an environment-agnostic stack's region/account as pseudo parameters, a concrete one literally.
ENV_PATTERN = r"(?:<AWS::Region>|[a-z]{2}(?:-[a-z]+)+-\d):(?:<AWS::AccountId>|\d{12})"
NAG_IAM5 = "AwsSolutions::AwsSolutions-IAM5"
# The action groups aws-cdk-lib's bucket grants emit (aws-s3/lib/perms.ts: BUCKET_READ_ACTIONS, then
# BUCKET_DELETE_ACTIONS + BUCKET_PUT_ACTIONS for grant_read_write, BUCKET_PUT_ACL_ACTIONS for grant_put_acl):
# a generated policy we acknowledge may hold exactly these on its bucket.
CDK_BUCKET_READ_ACTIONS = ("s3:GetObject*", "s3:GetBucket*", "s3:List*")
CDK_BUCKET_READ_WRITE_ACTIONS = (
    *CDK_BUCKET_READ_ACTIONS,
    "s3:DeleteObject*",
    "s3:PutObject",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:Abort*",
)
CDK_BUCKET_PUT_ACL_ACTIONS = ("s3:PutObjectAcl", "s3:PutObjectVersionAcl")


@dataclass(frozen=True, kw_only=True)
class RequiredWildcard:
    """A wildcard AWS (or a generator we use) forces on us: where it may appear, for which actions, and why.

    Attributes:
        resource: regex (full match) over a statement resource as cdk-nag renders it
            (``arn:<AWS::Partition>:logs:us-east-1:123456789012:log-group:...``, ``<Bucket1234ABCD.Arn>/*``).
        actions: the only actions a statement matching ``resource`` may hold.
        reason: why the wildcard cannot be narrowed.
        conditions: condition keys the statement must carry (the wildcard is acceptable only under them).
    """

    resource: str
    actions: tuple[str, ...]
    reason: str
    conditions: tuple[str, ...] = ()

    def explains(self, resources: Sequence[str], actions: Sequence[str], condition_keys: Sequence[str] = ()) -> bool:
        """Every resource matches, every action is listed, and every required condition key is present."""
        return (
            all(re.fullmatch(self.resource, r) for r in resources)
            and set(actions) <= set(self.actions)
            and set(self.conditions) <= set(condition_keys)
        )


def render(value: Any) -> str:
    """A CloudFormation value as cdk-nag prints it: ``{"Ref": X}`` → ``<X>``, ``GetAtt`` → ``<A.B>``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return "<" + ".".join(value["Fn::GetAtt"]) + ">"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    if "Fn::ImportValue" in value:  # another stack's export, by its name (cdk-nag prints the name alone)
        return render(value["Fn::ImportValue"])
    if "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", r"<\1>", value["Fn::Sub"])
    return str(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def statement_findings(statement: dict[str, Any]) -> list[str]:
    """cdk-nag's IAM5 ids (``Action::…``, ``Resource::…``) for one statement; Deny statements have none."""
    if statement.get("Effect") != "Allow":
        return []
    found = [f"Action::{a}" for a in as_list(statement.get("Action")) if "*" in a]
    found += [f"Resource::{r}" for r in map(render, as_list(statement.get("Resource"))) if "*" in r]
    return found


def explained(statement: dict[str, Any], required: Iterable[RequiredWildcard]) -> bool:
    """True when the statement has no wildcard, or one entry of ``required`` explains all of it."""
    if not statement_findings(statement):
        return True
    if "NotAction" in statement or "NotResource" in statement:
        return False
    return reason_for(statement, required) is not None


def reason_for(statement: dict[str, Any], required: Iterable[RequiredWildcard]) -> str | None:
    """The reason of the first entry explaining the statement's wildcards, if any."""
    resources = [render(r) for r in as_list(statement.get("Resource"))]
    actions = as_list(statement.get("Action"))
    keys = [key for operator in statement.get("Condition", {}).values() for key in operator]
    return next((e.reason for e in required if e.explains(resources, actions, keys)), None)


def acknowledgeable(document: dict[str, Any], required: Sequence[RequiredWildcard]) -> dict[str, str]:
    """``{finding: reason}`` for findings every producing statement of which is explained by ``required``."""
    reasons: dict[str, str] = {}
    blocked: set[str] = set()
    for statement in document.get("Statement", []):
        findings = statement_findings(statement)
        reason = reason_for(statement, required) if findings else None
        for finding in findings:
            if reason is None:
                blocked.add(finding)
            else:
                reasons.setdefault(finding, reason)
    return {finding: reason for finding, reason in reasons.items() if finding not in blocked}


def acknowledge_required_wildcards(policy: iam.Policy, required: Sequence[RequiredWildcard]) -> None:
    """Acknowledge, on this policy only, each IAM5 finding its statements fully explain; leave the rest."""
    document = Stack.of(policy).resolve(policy.document.to_json())
    validations = Validations.of(policy)
    for finding, reason in sorted(acknowledgeable(document, required).items()):
        validations.acknowledge(Acknowledgment(id=f"{NAG_IAM5}[{finding}]", reason=reason))


def policies_under(scope: Any) -> Iterator[iam.Policy]:
    """Every ``iam.Policy`` (a role's DefaultPolicy included) in the construct tree below ``scope``."""
    return (node for node in scope.node.find_all() if isinstance(node, iam.Policy))
