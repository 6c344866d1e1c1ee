"""IAM audit over every synthesized policy, pipeline included: every wildcard is one listed as required,
used only with the actions listed for it; no ``service:*`` or ``*`` action.

The lists are the ones the stacks acknowledge to cdk-nag with (stacks/runtime_findings.py,
stacks/constructs/pipeline_findings.py), checked here statement by statement on the templates, so a new
wildcard fails here even in a policy where cdk-nag's bare ``Resource::*`` was acknowledged before it was added.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from stacks.constructs.iam_wildcards import as_list, explained, render
from stacks.constructs.pipeline_findings import PIPELINE_WILDCARDS
from stacks.runtime_findings import RUNTIME_ROLE_WILDCARDS
from tests.stacks.conftest import CONFIGURATIONS

REQUIRED_WILDCARDS = (*RUNTIME_ROLE_WILDCARDS, *PIPELINE_WILDCARDS)


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


def violations(assembly: Path) -> list[str]:
    found = []
    for where, statement in statements(assembly):
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement["Action"])
        found += [f"{where}: action {a}" for a in actions if a == "*" or a.endswith(":*")]
        if not explained(statement, REQUIRED_WILDCARDS):
            wildcards = [r for r in map(render, as_list(statement.get("Resource"))) if "*" in r]
            found.append(f"{where}: {actions} on {', '.join(wildcards) or 'its resources'}")
    return found


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_iam_policies_have_only_required_wildcards(synthesized, name):
    assembly = synthesized(name)
    assert list(statements(assembly)), "no policies found: the audit would prove nothing"
    assert violations(assembly) == []


def test_iam_audit_covers_every_pipeline_role(synthesized):
    audited = {where.split("/")[0] for where, _ in statements(synthesized("pipeline"))}
    assert "AgentCoreSession-Pipeline.template.json" in audited
    policies = {where for where, _ in statements(synthesized("pipeline")) if where.startswith("AgentCoreSession-Pipeline.")}
    assert {p.split("/")[1].split("Role")[0] for p in policies} >= {
        "Pipeline", "PipelineBuildSynthCdkBuildProject", "PipelineUpdatePipelineSelfMutation", "PipelineAssetsDocker",
        "PipelinedevSmokeTestdev", "PipelineprodSmokeTestprod",
    }


def test_iam_allowlist_entries_each_give_a_reason():
    for wildcard in REQUIRED_WILDCARDS:
        assert len(wildcard.reason) > 60, wildcard
        assert wildcard.actions
        assert not [a for a in wildcard.actions if a == "*" or a.endswith(":*")], wildcard


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
                            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "codebuild:StartBuild"], "Resource": "*"},
                            {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"},
                            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
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
        "x.template.json/Policy: ['dynamodb:*'] on its resources",
        "x.template.json/Policy: ['xray:PutTraceSegments', 'codebuild:StartBuild'] on *",
    ]
