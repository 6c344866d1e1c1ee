"""One list of output keys (stacks/output_keys.py): every configuration publishes exactly it, and what the
other parts read or write (the client, `make local`'s outputs file, the smoke step) is checked against the
synthesized outputs rather than against a copy of the list."""

from __future__ import annotations

import pytest

from client.targets import target_from_outputs
from local.deployed_twin import long_term_namespaces
from local.identity_pool import LocalIdentity
from local.outputs_file import outputs_document
from stacks.output_keys import (
    CLIENT_OUTPUTS,
    EXECUTION_ROLE_ARN,
    EXPORTED_OUTPUTS,
    IDENTITY,
    IMAGE_URI,
    RUNTIME,
    SSM_ONLY_OUTPUTS,
    STORE_OUTPUTS,
    published_outputs,
    stack_name,
)
from tests.stacks.deploy_rules import SynthesizedStack, mutable
from tests.support.cdk_app import CONFIGURATIONS

# The values `make local` cannot have: no image is pushed, no role is assumed.
NOT_LOCAL = {EXECUTION_ROLE_ARN, IMAGE_URI}


def outputs_by_stack(stacks: list[SynthesizedStack]) -> dict[str, set[str]]:
    """The stack's API: its outputs without CDK's cross-stack plumbing (ExportsOutput...)."""
    return {
        s.stack_name: {key for key in s.template.get("Outputs", {}) if not key.startswith("ExportsOutput")}
        for s in stacks
    }


def expected_outputs(
    stages: dict[str, str],
    pipeline: bool,
    authorizers: dict[str, str] | None = None,
    long_term: frozenset[str] = frozenset(),
) -> dict[str, set[str]]:
    """``{stack name: keys}`` for stages given as ``{stage: session store}`` (``authorizers``: a stage's
    authorizer when not ``jwt``; ``long_term``: the stages with long_term_memory on)."""
    expected = {"AgentCoreSession-Pipeline": set()} if pipeline else {}
    for stage, store in stages.items():
        authorizer = (authorizers or {}).get(stage, "jwt")
        published = published_outputs(store, authorizer=authorizer, long_term_memory=stage in long_term)
        expected |= {stack_name(stage, stack): set(keys) for stack, keys in published.items()}
    return expected


STAGES = {
    "dev": {"dev": "s3"},
    "prod": {"prod": "s3"},
    "memory": {"dev": "agentcore-memory"},
    "long-term-memory": {"dev": "agentcore-memory"},
    "vpc": {"dev": "s3"},
    "iam": {"dev": "s3"},
    "agnostic": {"dev": "s3"},
    "pipeline": {"dev": "s3", "prod": "s3"},
    "pipeline-iam": {"dev": "s3", "prod": "s3"},
}
# The stages whose authorizer is not jwt, per configuration.
AUTHORIZERS = {"iam": {"dev": "iam"}, "pipeline-iam": {"dev": "iam"}}
# The stages with long_term_memory on, per configuration.
LONG_TERM = {"long-term-memory": frozenset({"dev"})}


def test_every_configuration_is_listed():
    assert sorted(STAGES) == sorted(CONFIGURATIONS)


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_each_stack_publishes_exactly_the_listed_keys(stacks_of, name):
    published = outputs_by_stack(stacks_of(name))
    expected = expected_outputs(
        STAGES[name],
        pipeline=name.startswith("pipeline"),
        authorizers=AUTHORIZERS.get(name, {}),
        long_term=LONG_TERM.get(name, frozenset()),
    )
    assert published == expected


def test_output_check_catches_an_unlisted_output(stacks_of):
    """A stack publishing a key the list lacks (or missing one it has) is reported (control)."""
    stacks = mutable(stacks_of("dev"))
    runtime = next(s for s in stacks if s.stack_name == stack_name("dev", RUNTIME))
    runtime.template["Outputs"] = {
        **{k: v for k, v in runtime.template["Outputs"].items() if k != "Region"},
        "RuntimeVersion": {"Value": "1"},
    }
    published = outputs_by_stack(stacks)[stack_name("dev", RUNTIME)]
    expected = expected_outputs(STAGES["dev"], pipeline=False)[stack_name("dev", RUNTIME)]
    assert (published - expected, expected - published) == ({"RuntimeVersion"}, {"Region"})


def test_client_reaches_the_runtime_from_the_forwarded_outputs_alone(stacks_of):
    """The smoke step forwards CLIENT_OUTPUTS and writes them for `client demo`: the client needs no other key."""
    published = outputs_by_stack(stacks_of("dev"))
    forwarded = {}
    for stack, keys in CLIENT_OUTPUTS.items():
        assert set(keys) <= published[stack_name("dev", stack)]
        forwarded |= {key: f"<{key}>" for key in keys}
    forwarded["AuthorizerType"] = "jwt"
    target = target_from_outputs(forwarded, name="dev", source="the smoke step's outputs")
    assert (target.runtime_arn, target.runtime_id, target.endpoint_name, target.region) == (
        "<RuntimeArn>",
        "<RuntimeId>",
        "<EndpointName>",
        "<Region>",
    )
    assert (target.user_pool_id, target.client_id) == ("<UserPoolId>", "<UserPoolClientId>")


def test_client_refuses_outputs_missing_a_forwarded_key():
    """Control: without one forwarded key the client stops, so the test above proves the keys are needed."""
    forwarded = {key: f"<{key}>" for keys in CLIENT_OUTPUTS.values() for key in keys if key != "UserPoolClientId"}
    forwarded["AuthorizerType"] = "jwt"
    with pytest.raises(Exception, match="UserPoolClientId"):
        target_from_outputs(forwarded, name="dev", source="the smoke step's outputs")


def test_local_outputs_file_uses_the_deployed_keys(stacks_of):
    """`make local` (the twin of the deployed S3 configuration, local/deployed_twin.py) writes the outputs file
    `make deploy` writes: the same keys, less what has no local meaning."""
    local = _local_output_keys(session_store="s3", session_bucket="agentcore-session-local")
    published = outputs_by_stack(stacks_of("dev"))
    deployed = published[stack_name("dev", IDENTITY)] | published[stack_name("dev", RUNTIME)]
    assert (local - deployed, deployed - local) == (set(), NOT_LOCAL)


def test_every_stage_output_is_either_exported_or_ssm_only_with_a_reason():
    """One decision per key (stacks/output_keys.py): stable values exported, the rest SSM-only with why."""
    keys = {
        key
        for store in STORE_OUTPUTS
        for long_term in (False, True)
        for stack in (IDENTITY, RUNTIME)
        for key in published_outputs(store, long_term_memory=long_term)[stack]
    }
    assert EXPORTED_OUTPUTS.isdisjoint(SSM_ONLY_OUTPUTS)
    assert EXPORTED_OUTPUTS | set(SSM_ONLY_OUTPUTS) == keys
    assert all(SSM_ONLY_OUTPUTS.values())


def test_local_long_term_memory_outputs_file_uses_the_deployed_keys(stacks_of):
    """`make local LONG_TERM_MEMORY=1` twins the long-term configuration: its outputs, with the stack's values for
    the namespaces (local/deployed_twin.py keeps its own copy: local/ may not import stacks/)."""
    local = _local_output_keys(
        session_store="agentcore-memory",
        memory_id="agentcore_session_local_memory-0123456789",
        long_term_memory_namespaces=long_term_namespaces(),
    )
    stacks = stacks_of("long-term-memory")
    published = outputs_by_stack(stacks)
    deployed = published[stack_name("dev", IDENTITY)] | published[stack_name("dev", RUNTIME)]
    runtime_outputs = next(s for s in stacks if s.stack_name == stack_name("dev", RUNTIME)).template["Outputs"]

    assert (local - deployed, deployed - local) == (set(), NOT_LOCAL)
    assert long_term_namespaces() == runtime_outputs["LongTermMemoryNamespaces"]["Value"]


def _local_output_keys(**store: str) -> set[str]:
    """The keys of the outputs file `make local` writes for ``store`` (its -Local stack's own keys left out)."""
    document = outputs_document(
        identity=LocalIdentity(
            user_pool_id="us-east-1_local", client_id="client", region="us-east-1", endpoint_url="http://127.0.0.1:1"
        ),
        runtime_arn="arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_local-0123456789",
        endpoint_name="live",
        front_door_url="http://127.0.0.1:2",
        **store,
    )
    return {key for stack, values in document.items() if not stack.endswith("-Local") for key in values}
