"""IAM audit over every synthesized policy, pipeline included: every wildcard is one listed as required,
used only with the actions listed for it; no ``service:*`` or ``*`` action.

The lists are the ones the stacks acknowledge to cdk-nag with (stacks/runtime/execution_role.py,
stacks/runtime/conversation_store.py, stacks/pipeline/pipeline_findings.py and stacks/pipeline/smoke_step.py),
checked here statement by statement on the templates
(tests/stacks/deploy_rules.py), so a new wildcard fails here even in a policy where cdk-nag's bare
``Resource::*`` was acknowledged before it was added.
"""

from __future__ import annotations

import pytest

from tests.stacks.deploy_rules import (
    REQUIRED_WILDCARDS,
    SynthesizedStack,
    policy_statements,
    unexplained_wildcards,
)
from tests.support.cdk_app import CONFIGURATIONS


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_iam_policies_have_only_required_wildcards(stacks_of, name):
    stacks = stacks_of(name)
    assert list(policy_statements(stacks)), "no policies found: the audit would prove nothing"
    assert unexplained_wildcards(stacks) == []


def test_iam_audit_covers_every_pipeline_role(stacks_of):
    audited = {
        where for where, _ in policy_statements(stacks_of("pipeline")) if where.startswith("AgentCoreSession-Pipeline/")
    }
    roles = {where.split("/")[1].split("Role")[0] for where in audited}
    assert roles >= {
        "Pipeline",
        "PipelineBuildSynthCdkBuildProject",
        "PipelineUpdatePipelineSelfMutation",
        "PipelineAssetsDocker",
        "PipelinedevSmokeTestdev",
        "PipelineprodSmokeTestprod",
    }


def test_iam_allowlist_entries_each_give_a_reason():
    for wildcard in REQUIRED_WILDCARDS:
        assert len(wildcard.reason) > 60, wildcard
        assert wildcard.actions
        assert not [a for a in wildcard.actions if a == "*" or a.endswith(":*")], wildcard


def test_iam_audit_flags_a_new_wildcard():
    statements = [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/t"},
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "codebuild:StartBuild"], "Resource": "*"},
        {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    ]
    template = {
        "Resources": {
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": statements}}}
        }
    }
    stack = SynthesizedStack(stack_name="X", stage="dev", template=template)
    assert unexplained_wildcards([stack]) == [
        "X/Policy: ['s3:GetObject'] on *",
        "X/Policy: action dynamodb:*",
        "X/Policy: ['dynamodb:*'] on its resources",
        "X/Policy: ['xray:PutTraceSegments', 'codebuild:StartBuild'] on *",
    ]


def test_iam_audit_accepts_the_model_region_wildcard_only_under_the_profile_condition():
    """The geographic-profile wildcard is required only through the profile: without the condition it is caught."""
    routed = {
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": "arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6",
    }
    conditioned = {**routed, "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:x"}}}
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"PolicyDocument": {"Statement": [conditioned, routed]}},
            }
        }
    }
    stack = SynthesizedStack(stack_name="X", stage="dev", template=template)
    assert unexplained_wildcards([stack]) == [
        "X/Policy: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] on "
        "arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6"
    ]
