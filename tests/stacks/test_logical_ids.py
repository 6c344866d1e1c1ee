"""The logical ids of every stateful resource, pinned per configuration: a refactor that renames a construct
id (or a stack) would make CloudFormation replace the resource: a new bucket, a new user pool (every user
gone), a new Memory, a new runtime ARN. Changing one of these on purpose means a migration, not a test edit."""

from __future__ import annotations

import pytest

from tests.stacks import deploy_rules as rules
from tests.support.cdk_app import CONFIGURATIONS

STATEFUL_TYPES = (
    "AWS::S3::Bucket",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::BedrockAgentCore::Memory",
    "AWS::BedrockAgentCore::Runtime",
    "AWS::BedrockAgentCore::RuntimeEndpoint",
    "AWS::KMS::Key",
    "AWS::SNS::Topic",
    # A new distribution or domain is a new URL: every callback, bookmark and sign-in link changes.
    "AWS::CloudFront::Distribution",
    "AWS::Cognito::UserPoolDomain",
)
S3_STORE = {"SessionStoreBucket5762F7CC": "AWS::S3::Bucket"}
MEMORY_STORE = {"SessionStoreMemory451E5AAD": "AWS::BedrockAgentCore::Memory"}


def stage(name: str, store: dict[str, str], *, web: bool = True) -> dict[str, dict[str, str]]:
    """The stateful resources of one stage's stacks (the web stacks exist with the JWT authorizer only)."""
    web_stacks = {
        f"AgentCoreSession-{name}-WebHosting": {
            "Bucket83908E77": "AWS::S3::Bucket",
            "Distribution830FAC52": "AWS::CloudFront::Distribution",
        },
        f"AgentCoreSession-{name}-WebLogin": {
            "Domain66AC69E0": "AWS::Cognito::UserPoolDomain",
            "WebClient697086FD": "AWS::Cognito::UserPoolClient",
        },
        f"AgentCoreSession-{name}-WebContent": {},
    }
    return {
        **(web_stacks if web else {}),
        f"AgentCoreSession-{name}-Identity": {
            "UserPool6BA7E5F2": "AWS::Cognito::UserPool",
            "UserPoolCliClient1F174B79": "AWS::Cognito::UserPoolClient",
        },
        f"AgentCoreSession-{name}-Runtime": {
            "Runtime99E3DDFA": "AWS::BedrockAgentCore::Runtime",
            "RuntimeEndpointlive725B2D33": "AWS::BedrockAgentCore::RuntimeEndpoint",
            **store,
        },
        f"AgentCoreSession-{name}-Monitoring": {
            "MonitoringAlarmsTopic63051086": "AWS::SNS::Topic",
            "MonitoringAlarmsTopicKey17676A11": "AWS::KMS::Key",
        },
    }


PIPELINE = {
    "AgentCoreSession-Pipeline": {
        "PipelineArtifactsBucketAEA9A052": "AWS::S3::Bucket",
        "PipelineArtifactsBucketEncryptionKeyF5BF0670": "AWS::KMS::Key",
    }
}
PINNED = {
    "dev": stage("dev", S3_STORE),
    "prod": stage("prod", S3_STORE),
    "memory": stage("dev", MEMORY_STORE),
    # The same memory as "memory": turning long_term_memory on updates it in place.
    "long-term-memory": stage("dev", MEMORY_STORE),
    "vpc": stage("dev", S3_STORE),
    "iam": stage("dev", S3_STORE, web=False),
    "agnostic": stage("dev", S3_STORE),
    "pipeline": {**PIPELINE, **stage("dev", S3_STORE), **stage("prod", S3_STORE)},
    "pipeline-iam": {**PIPELINE, **stage("dev", S3_STORE, web=False), **stage("prod", S3_STORE)},
}


def stateful_resources(stacks: list[rules.SynthesizedStack]) -> dict[str, dict[str, str]]:
    """``{stack name: {logical id: type}}`` of the stateful resources of every stack."""
    return {s.stack_name: {logical_id: r["Type"] for logical_id, r in s.resources(*STATEFUL_TYPES)} for s in stacks}


def test_every_configuration_is_pinned():
    assert sorted(PINNED) == sorted(CONFIGURATIONS)


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_stateful_logical_ids_are_unchanged(stacks_of, name):
    assert stateful_resources(stacks_of(name)) == PINNED[name]


def test_pin_catches_a_renamed_store(stacks_of):
    """Control: the store under another construct id is a new bucket (and the old one is deleted or orphaned)."""
    stacks = rules.mutable(stacks_of("dev"))
    runtime = rules.stack(stacks, "Runtime")
    runtime.template["Resources"]["ConversationStoreBucket1A2B3C4D"] = runtime.template["Resources"].pop(
        "SessionStoreBucket5762F7CC"
    )
    found = stateful_resources(stacks)["AgentCoreSession-dev-Runtime"]
    assert set(found) ^ set(PINNED["dev"]["AgentCoreSession-dev-Runtime"]) == {
        "ConversationStoreBucket1A2B3C4D",
        "SessionStoreBucket5762F7CC",
    }
