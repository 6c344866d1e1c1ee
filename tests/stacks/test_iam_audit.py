"""IAM audit over every synthesized policy: no wildcard resource AWS does not force on us, no service:* action.

The allowlist is the one the stacks acknowledge to cdk-nag (stacks/runtime_findings.py), so a new
wildcard fails here even where a broad cdk-nag acknowledgment (Resource::*) would let it pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from stacks.constructs.pipeline_findings import render
from stacks.constructs.session_store import S3_OBJECT_ACTIONS
from stacks.runtime_findings import RUNTIME_ROLE_WILDCARDS
from tests.stacks.conftest import CONFIGURATIONS


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(assembly: Path) -> Iterator[tuple[str, dict]]:
    """(template/resource, statement) for every identity policy statement in the assembly."""
    for template_file in sorted(assembly.rglob("*.template.json")):
        for logical_id, resource in json.loads(template_file.read_text()).get("Resources", {}).items():
            documents = []
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                documents.append(resource["Properties"]["PolicyDocument"])
            if resource["Type"] == "AWS::IAM::Role":
                documents += [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
            for document in documents:
                for statement in document["Statement"]:
                    yield f"{template_file.name}/{logical_id}", statement


def accepted(resource: str, actions: list[str]) -> bool:
    """Whether a wildcard resource is on the allowlist, used only for the actions listed there."""
    for wildcard in RUNTIME_ROLE_WILDCARDS:
        if resource.endswith(wildcard.resource_suffix) and (wildcard.resource_suffix != "*" or resource == "*"):
            if set(actions) <= set(wildcard.actions):
                return True
    if resource.endswith(">/sessions/*") and resource.startswith("<SessionStoreBucket") and set(actions) <= set(S3_OBJECT_ACTIONS):
        return True
    return False


def violations(assembly: Path) -> list[str]:
    found = []
    for where, statement in statements(assembly):
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement["Action"])
        found += [f"{where}: action {a}" for a in actions if a == "*" or a.endswith(":*")]
        for resource in map(render, as_list(statement.get("Resource", []))):
            if "*" in resource and not accepted(resource, actions):
                found.append(f"{where}: {actions} on {resource}")
    return found


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_iam_policies_have_only_required_wildcards(synthesized, name):
    assembly = synthesized(name)
    assert list(statements(assembly)), "no policies found: the audit would prove nothing"
    assert violations(assembly) == []


def test_iam_allowlist_entries_each_give_a_reason():
    for wildcard in RUNTIME_ROLE_WILDCARDS:
        assert len(wildcard.reason) > 60, wildcard
        assert wildcard.actions


def test_iam_audit_flags_a_new_wildcard(tmp_path):
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
                            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/t"},
                            {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"},
                        ]
                    }
                },
            }
        }
    }
    (tmp_path / "x.template.json").write_text(json.dumps(template))
    assert violations(tmp_path) == [
        "x.template.json/Policy: ['s3:GetObject'] on *",
        "x.template.json/Policy: action dynamodb:*",
    ]
