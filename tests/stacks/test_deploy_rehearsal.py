"""Deploy rehearsal: the rules CloudFormation and the services enforce, over the real cloud assemblies of
every configuration (tests/stacks/conftest.py CONFIGURATIONS), each shown catching a broken copy.

Rules live in deploy_rules.py; each test here runs one rule on the synthesized assemblies, or one rule on a
deliberately broken copy of them, with the exact problem it must report.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacks.runtime.runtime_stack import AGENT_DIR
from tests.stacks import deploy_rules as rules
from tests.support.cdk_app import ACCOUNT, CONFIGURATIONS, IAM_INVOKER, REGION, build_pipeline, build_stage
from tests.support.paths import REPO


@pytest.fixture(scope="session")
def sharing_an_account(stacks_of) -> list[list[rules.SynthesizedStack]]:
    """The deployments that can land in one account and region: `make deploy` of dev and of prod, and the pipeline."""
    return [stacks_of("dev"), stacks_of("prod"), stacks_of("pipeline")]


@pytest.fixture(scope="session")
def changed_agent(tmp_path_factory) -> Path:
    """A copy of agent/ whose only difference is one changed line of code (the real agent/ is untouched)."""
    copy = tmp_path_factory.mktemp("agent") / "agent"
    shutil.copytree(AGENT_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "app.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# a code change: a new image, a new runtime version\n")
    return copy


@pytest.fixture(scope="session")
def after_code_change(tmp_path_factory, changed_agent) -> dict[str, list[rules.SynthesizedStack]]:
    """dev and the pipeline synthesized again from the changed agent."""
    dev_app, _ = build_stage(tmp_path_factory.mktemp("dev-changed"), agent_dir=changed_agent)
    pipeline_app, _ = build_pipeline(tmp_path_factory.mktemp("pipeline-changed"), agent_dir=changed_agent)
    return {
        "dev": rules.load_stacks(Path(dev_app.synth().directory)),
        "pipeline": rules.load_stacks(Path(pipeline_app.synth().directory)),
    }


def _resource(stack: rules.SynthesizedStack, resource_type: str, prefix: str = "") -> dict[str, Any]:
    (found,) = [r for k, r in stack.resources(resource_type) if k.startswith(prefix)]
    return found


# --- export and SSM parameter names: one per name, within a stage and across stages -----------------------


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_published_names_are_unique_within_each_configuration(stacks_of, name):
    assert rules.published_name_clashes([stacks_of(name)]) == []


def test_published_names_are_unique_across_stages_sharing_an_account(sharing_an_account):
    assert rules.published_name_clashes(sharing_an_account) == []


def test_published_name_rule_catches_region_published_by_both_stacks(stacks_of):
    """Main's Identity stack also published Region: its export collided with the Runtime stack's."""
    dev = rules.mutable(stacks_of("dev"))
    identity = rules.stack(dev, "Identity")
    identity.template["Outputs"]["Region"] = {"Value": "us-east-1", "Export": {"Name": "agentcore-session-dev-Region"}}
    identity.template["Resources"]["RegionParameter"] = {
        "Type": "AWS::SSM::Parameter",
        "Properties": {"Type": "String", "Value": "us-east-1", "Name": "/agentcore-session/dev/region"},
    }
    assert rules.published_name_clashes([dev]) == [
        "export agentcore-session-dev-Region is used by AgentCoreSession-dev-Identity and AgentCoreSession-dev-Runtime",
        "SSM parameter /agentcore-session/dev/region is used by AgentCoreSession-dev-Identity and "
        "AgentCoreSession-dev-Runtime",
    ]


def test_published_name_rule_catches_prod_reusing_a_dev_parameter(stacks_of):
    prod = rules.mutable(stacks_of("prod"))
    parameter = next(
        r
        for _, r in rules.stack(prod, "Runtime").resources("AWS::SSM::Parameter")
        if r["Properties"]["Name"].endswith("/runtime-arn")
    )
    parameter["Properties"]["Name"] = "/agentcore-session/dev/runtime-arn"
    assert rules.published_name_clashes([stacks_of("dev"), prod]) == [
        "SSM parameter /agentcore-session/dev/runtime-arn is used by AgentCoreSession-dev-Runtime and "
        "AgentCoreSession-prod-Runtime"
    ]


# --- no export changes when only the agent's code changes -------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "pipeline"])
def test_no_export_changes_with_the_agent_code(stacks_of, after_code_change, name):
    before, after = stacks_of(name), after_code_change[name]
    image = lambda stacks: [  # noqa: E731 - the published image URI of each runtime stack
        r["Properties"]["Value"]
        for s in stacks
        for _, r in s.resources("AWS::SSM::Parameter")
        if r["Properties"]["Name"].endswith("/image-uri")
    ]
    assert image(before) != image(after), "the agent change did not change the image: the rule would prove nothing"
    assert rules.volatile_exports(before, after) == []


def test_volatile_export_rule_catches_an_exported_image_uri(stacks_of, after_code_change):
    """Main exported ImageUri: once imported, every code deploy would fail to update it."""
    before, after = rules.mutable(stacks_of("dev")), rules.mutable(after_code_change["dev"])
    for stacks in (before, after):
        rules.stack(stacks, "Runtime").template["Outputs"]["ImageUri"]["Export"] = {
            "Name": "agentcore-session-dev-ImageUri"
        }
    assert rules.volatile_exports(before, after) == [
        "AgentCoreSession-dev-Runtime export agentcore-session-dev-ImageUri changes with the agent's code"
    ]


# --- platform version: every runtime states its choice ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_every_runtime_states_its_platform_choice(stacks_of, name):
    runtimes = [r for s in stacks_of(name) for _, r in s.resources("AWS::BedrockAgentCore::Runtime")]
    assert runtimes, "no runtime: the rule would prove nothing"
    assert rules.platform_choice_problems(stacks_of(name)) == []


def test_platform_rule_catches_a_runtime_left_to_the_service_default_silently(stacks_of):
    """Main rendered no PlatformVersion: the runtime got whatever the service defaults to in its Region."""
    dev = rules.mutable(stacks_of("dev"))
    runtime_stack = rules.stack(dev, "Runtime")
    ((logical_id, runtime),) = list(runtime_stack.resources("AWS::BedrockAgentCore::Runtime"))
    del runtime["Properties"]["PlatformVersion"]
    assert rules.platform_choice_problems(dev) == [
        f"AgentCoreSession-dev-Runtime/{logical_id}: states no platform version (no PlatformVersion, no "
        "PlatformVersionChoice)"
    ]
    runtime["Properties"]["PlatformVersion"] = "v2"
    assert rules.platform_choice_problems(dev) == [
        f"AgentCoreSession-dev-Runtime/{logical_id}: PlatformVersion is 'v2', not one of V2, V1"
    ]


# --- AgentCore Memory: per-actor namespaces, recalled exactly ----------------------------------------------


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_memory_namespaces_end_after_the_actor_and_are_the_ones_recalled(stacks_of, name):
    assert rules.memory_namespace_problems(stacks_of(name)) == []


def test_namespace_rule_has_strategies_to_judge(stacks_of):
    """Without strategies in some configuration the rule would prove nothing."""
    _, memory, _ = _long_term_memory(stacks_of("long-term-memory"))
    assert len(memory["Properties"]["MemoryStrategies"]) == 2


def _long_term_memory(stacks: list[rules.SynthesizedStack]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    runtime_stack = rules.stack(stacks, "Runtime")
    ((logical_id, memory),) = list(runtime_stack.resources("AWS::BedrockAgentCore::Memory"))
    ((_, runtime),) = list(runtime_stack.resources("AWS::BedrockAgentCore::Runtime"))
    return logical_id, memory, runtime


def test_namespace_rule_catches_a_namespace_without_the_closing_delimiter(stacks_of):
    stacks = rules.mutable(stacks_of("long-term-memory"))
    logical_id, memory, runtime = _long_term_memory(stacks)
    memory["Properties"]["MemoryStrategies"][0]["SemanticMemoryStrategy"]["Namespaces"] = ["/facts/{actorId}"]
    runtime["Properties"]["EnvironmentVariables"]["LONG_TERM_MEMORY_NAMESPACES"] = (
        "/facts/{actorId},/preferences/{actorId}/"
    )

    assert rules.memory_namespace_problems(stacks) == [
        f"AgentCoreSession-dev-Runtime/{logical_id}: SemanticMemoryStrategy facts namespace '/facts/{{actorId}}' "
        "does not end with '/{actorId}/' (the one actor segment)"
    ]


def test_namespace_rule_catches_a_namespace_the_agent_does_not_recall(stacks_of):
    stacks = rules.mutable(stacks_of("long-term-memory"))
    _, _, runtime = _long_term_memory(stacks)
    runtime["Properties"]["EnvironmentVariables"]["LONG_TERM_MEMORY_NAMESPACES"] = "/facts/{actorId}/"
    runtime_id = next(k for k, _ in rules.stack(stacks, "Runtime").resources("AWS::BedrockAgentCore::Runtime"))

    assert rules.memory_namespace_problems(stacks) == [
        f"AgentCoreSession-dev-Runtime/{runtime_id}: LONG_TERM_MEMORY_NAMESPACES recalls ['/facts/{{actorId}}/'] "
        "but the memory's strategies write ['/facts/{actorId}/', '/preferences/{actorId}/']"
    ]


# --- exports across settings: switching the authorizer or the store is one deploy -------------------------

SETTING_CHANGES = [
    ("dev", "iam", "authorizer jwt → iam"),
    ("iam", "dev", "authorizer iam → jwt"),
    ("dev", "memory", "session_store s3 → agentcore-memory"),
    ("memory", "dev", "session_store agentcore-memory → s3"),
    ("memory", "long-term-memory", "long_term_memory false → true"),
    ("long-term-memory", "memory", "long_term_memory true → false"),
    ("pipeline", "pipeline-iam", "dev's authorizer jwt → iam in the pipeline"),
    ("pipeline-iam", "pipeline", "dev's authorizer iam → jwt in the pipeline"),
]


@pytest.mark.parametrize(("before", "after", "change"), SETTING_CHANGES, ids=[c for *_, c in SETTING_CHANGES])
def test_exports_are_a_superset_across_authorizer_and_store(stacks_of, before, after, change):
    exported = [name for s in stacks_of(before) for name in rules.exported_names(s)]
    assert len(exported) >= 10, "too few exports: the rule would prove little"
    assert rules.export_changes(stacks_of(before), stacks_of(after), change) == []


def test_export_rule_catches_the_user_pool_exports_dropped_by_an_iam_switch(stacks_of):
    """Main: an IAM runtime imports nothing from Identity, so CDK dropped the exports the JWT runtime imported."""
    iam = rules.mutable(stacks_of("iam"))
    identity = rules.stack(iam, "Identity")
    dropped = sorted(k for k in identity.template["Outputs"] if k.startswith("ExportsOutputRef"))
    for key in dropped:
        del identity.template["Outputs"][key]
    assert [k.removeprefix("ExportsOutputRef")[:8] for k in dropped] == ["UserPool", "UserPool"]
    assert rules.export_changes(stacks_of("dev"), iam, "authorizer jwt → iam") == [
        f"AgentCoreSession-dev-Identity export AgentCoreSession-dev-Identity:{key} disappears when authorizer jwt → iam"
        for key in dropped
    ]


def test_export_rule_catches_an_exported_setting(stacks_of):
    """Main exported AuthorizerType and SessionStore: their values are the setting itself."""
    before, after = rules.mutable(stacks_of("dev")), rules.mutable(stacks_of("memory"))
    for stacks in (before, after):
        outputs = rules.stack(stacks, "Runtime").template["Outputs"]
        outputs["SessionStore"]["Export"] = {"Name": "agentcore-session-dev-SessionStore"}
    assert rules.export_changes(before, after, "session_store s3 → agentcore-memory") == [
        "AgentCoreSession-dev-Runtime export agentcore-session-dev-SessionStore changes value when session_store "
        "s3 → agentcore-memory"
    ]


def test_export_rule_catches_a_replaced_resource_behind_an_export(stacks_of):
    """A create-only property changed (runtime_name): the runtime is replaced, so every export of its ARN or id
    changes, though the template's GetAtt does not. Why RuntimeArn and RuntimeId are SSM-only (main exported
    them); CDK's own references from the Monitoring stack are caught the same way."""
    before, after = rules.mutable(stacks_of("dev")), rules.mutable(stacks_of("dev"))
    for stacks in (before, after):
        outputs = rules.stack(stacks, "Runtime").template["Outputs"]
        outputs["RuntimeArn"]["Export"] = {"Name": "agentcore-session-dev-RuntimeArn"}
    _resource(rules.stack(after, "Runtime"), "AWS::BedrockAgentCore::Runtime")["Properties"]["AgentRuntimeName"] = (
        "renamed"
    )
    cdk_reference = "AgentCoreSession-dev-Runtime:ExportsOutputFnGetAttRuntime99E3DDFAAgentRuntime"
    assert rules.export_changes(before, after, "runtime_name changes") == [
        "AgentCoreSession-dev-Runtime export agentcore-session-dev-RuntimeArn changes value when runtime_name changes",
        f"AgentCoreSession-dev-Runtime export {cdk_reference}Arn83DF9A4C changes value when runtime_name changes",
        f"AgentCoreSession-dev-Runtime export {cdk_reference}Id8D381947 changes value when runtime_name changes",
    ]


# --- a runtime rename: nothing imports a value that changes with it ---------------------------------------

RENAMED = "agentcore_session_dev_renamed"


@pytest.fixture(scope="session")
def renamed(tmp_path_factory) -> dict[str, list[rules.SynthesizedStack]]:
    """dev (make deploy) and the pipeline, synthesized again with dev's ``runtime_name`` changed (create-only)."""
    dev_app, _ = build_stage(tmp_path_factory.mktemp("dev-renamed"), overrides={"runtime_name": RENAMED})
    pipeline_app, _ = build_pipeline(
        tmp_path_factory.mktemp("pipeline-renamed"), stage_overrides={"dev": {"runtime_name": RENAMED}}
    )
    return {
        "dev": rules.load_stacks(Path(dev_app.synth().directory)),
        "pipeline": rules.load_stacks(Path(pipeline_app.synth().directory)),
    }


@pytest.mark.parametrize("name", ["dev", "pipeline"])
def test_no_stack_imports_a_value_a_runtime_rename_changes(stacks_of, renamed, name):
    """The Runtime stack's former references stay exported (the upgrade from CDK references is one deploy), and
    they do change on a rename: the rule has something to find, and no stack imports them."""
    before, after = stacks_of(name), renamed[name]
    changed = rules.export_changes(before, after, "runtime_name changes")
    assert len([p for p in changed if "ExportsOutputFnGetAttRuntime99E3DDFAAgentRuntime" in p]) == 2
    assert rules.imported_changes(before, after, "runtime_name changes") == []


def _swap(value: Any, old: Any, new: Any) -> Any:
    """``value`` with every part equal to ``old`` replaced by ``new``."""
    if value == old:
        return new
    if isinstance(value, list):
        return [_swap(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _swap(item, old, new) for key, item in value.items()}
    return value


def _import_instead_of_parameter(stack: rules.SynthesizedStack, key: str, export: str) -> None:
    """Make ``stack`` import ``export`` wherever it now refers to the SSM parameter of ``key`` (``runtimearn``)."""
    (parameter,) = [
        p for p in stack.template["Parameters"] if p.startswith(f"SsmParameterValueagentcoresessiondev{key}")
    ]
    resources = stack.template["Resources"]
    swapped = _swap(resources, {"Ref": parameter}, {"Fn::ImportValue": export})
    assert swapped != resources, f"{stack.stack_name} does not use {parameter}"
    stack.template["Resources"] = swapped


def test_rename_rule_catches_the_monitoring_and_web_stacks_importing_the_runtime(stacks_of, renamed):
    """Main: the Monitoring stack took the runtime by reference (its alarms' Resource dimension imported the ARN,
    the dashboard the id) and WebContent's config.json imported the ARN, so a rename failed in the Runtime stack."""
    before = rules.mutable(stacks_of("dev"))
    arn = "AgentCoreSession-dev-Runtime:ExportsOutputFnGetAttRuntime99E3DDFAAgentRuntimeArn83DF9A4C"
    runtime_id = "AgentCoreSession-dev-Runtime:ExportsOutputFnGetAttRuntime99E3DDFAAgentRuntimeId8D381947"
    _import_instead_of_parameter(rules.stack(before, "Monitoring"), "runtimearn", arn)
    _import_instead_of_parameter(rules.stack(before, "Monitoring"), "runtimeid", runtime_id)
    _import_instead_of_parameter(rules.stack(before, "WebContent"), "runtimearn", arn)
    assert rules.imported_changes(before, renamed["dev"], "runtime_name changes") == [
        f"AgentCoreSession-dev-Monitoring imports {arn}, which changes value when runtime_name changes",
        f"AgentCoreSession-dev-Monitoring imports {runtime_id}, which changes value when runtime_name changes",
        f"AgentCoreSession-dev-WebContent imports {arn}, which changes value when runtime_name changes",
    ]


def test_rename_rule_ignores_an_import_whose_export_a_rename_keeps(stacks_of, renamed):
    """The execution role's generated name does not depend on runtime_name: importing its ARN blocks nothing."""
    before = rules.mutable(stacks_of("dev"))
    role = "AgentCoreSession-dev-Runtime:ExportsOutputFnGetAttExecutionRole605A040BArnA891DEDE"
    _import_instead_of_parameter(rules.stack(before, "Monitoring"), "executionrolearn", role)
    assert rules.imported_changes(before, renamed["dev"], "runtime_name changes") == []


# --- a second deploy after make destroy ----------------------------------------------------------------


def test_a_retained_memory_is_the_one_name_a_redeploy_after_destroy_collides_with(tmp_path_factory):
    """prod retains its stateful resources; only the Memory has a fixed service-unique name (the bucket's and
    the user pool's are generated, the alarm key has none): docs/delivery.md says how to redeploy."""
    app, _ = build_stage(
        tmp_path_factory.mktemp("prod-memory"), stage="prod", overrides={"session_store": "agentcore-memory"}
    )
    stacks = rules.load_stacks(Path(app.synth().directory))
    memory = next(k for k, _ in rules.stack(stacks, "Runtime").resources("AWS::BedrockAgentCore::Memory"))
    assert rules.retained_name_conflicts(stacks) == [
        f"AgentCoreSession-prod-Runtime/{memory}: AWS::BedrockAgentCore::Memory Name agentcore_session_prod_memory "
        "outlives make destroy; the next deploy needs another name or the retained one deleted"
    ]


@pytest.mark.parametrize("name", ["dev", "prod", "memory"])
def test_no_other_retained_resource_has_a_fixed_name(stacks_of, name):
    assert rules.retained_name_conflicts(stacks_of(name)) == []


# --- resource policies: the services that must get in, and nobody else ------------------------------------


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_resource_policies_let_in_exactly_the_services_that_use_them(stacks_of, name):
    stacks = stacks_of(name)
    assert any(rules.required_uses(s) for s in stacks), "no required use found: the rule would prove nothing"
    assert rules.resource_policy_problems(stacks) == []


def test_every_alarm_topic_and_its_key_are_required_to_let_cloudwatch_in(stacks_of):
    monitoring = rules.stack(stacks_of("dev"), "Monitoring")
    uses = {
        logical_id: [(u.principal, u.actions) for u in found]
        for logical_id, found in rules.required_uses(monitoring).items()
    }
    topic_policy = next(k for k, _ in monitoring.resources("AWS::SNS::TopicPolicy"))
    key = next(k for k, _ in monitoring.resources("AWS::KMS::Key"))
    assert uses == {
        topic_policy: [("cloudwatch.amazonaws.com", ("sns:Publish",))],
        key: [("cloudwatch.amazonaws.com", ("kms:Decrypt", "kms:GenerateDataKey*"))],
    }


def test_policy_rule_catches_a_topic_closed_to_cloudwatch(stacks_of):
    """Main's topic policy held only the TLS Deny: alarms fired and nobody was told."""
    dev = rules.mutable(stacks_of("dev"))
    monitoring = rules.stack(dev, "Monitoring")
    policy = _resource(monitoring, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]
    policy["Statement"] = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    topic = next(k for k, _ in monitoring.resources("AWS::SNS::Topic"))
    policy_id = next(k for k, _ in monitoring.resources("AWS::SNS::TopicPolicy"))
    assert rules.resource_policy_problems(dev) == [
        f"AgentCoreSession-dev-Monitoring/{policy_id}: cloudwatch.amazonaws.com may not sns:Publish (alarms publish "
        f"to topic {topic})"
    ]


def test_policy_rule_catches_a_key_cloudwatch_cannot_use(stacks_of):
    """A key allowing kms:GenerateDataKey only, and without the kms:ViaService guard: both are reported."""
    dev = rules.mutable(stacks_of("dev"))
    monitoring = rules.stack(dev, "Monitoring")
    ((key_id, key),) = list(monitoring.resources("AWS::KMS::Key"))
    statement = next(
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    )
    statement["Action"] = ["kms:Decrypt", "kms:GenerateDataKey"]
    del statement["Condition"]
    topic = next(k for k, _ in monitoring.resources("AWS::SNS::Topic"))
    assert rules.resource_policy_problems(dev) == [
        f"AgentCoreSession-dev-Monitoring/{key_id}: cloudwatch.amazonaws.com may not kms:Decrypt, kms:GenerateDataKey* "
        f"(alarms publish to topic {topic} encrypted with it)",
        f"AgentCoreSession-dev-Monitoring/{key_id}: cloudwatch.amazonaws.com is let in without kms:ViaService "
        "(confused deputy)",
    ]


def test_policy_rule_catches_principals_nothing_needs(stacks_of):
    dev = rules.mutable(stacks_of("dev"))
    monitoring = rules.stack(dev, "Monitoring")
    policy_id = next(k for k, _ in monitoring.resources("AWS::SNS::TopicPolicy"))
    _resource(monitoring, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"] += [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Subscribe", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": "*"},
    ]
    assert rules.resource_policy_problems(dev) == [
        f"AgentCoreSession-dev-Monitoring/{policy_id}: lets in AWS *, which nothing here needs",
        f"AgentCoreSession-dev-Monitoring/{policy_id}: lets in Service events.amazonaws.com, which nothing here needs",
    ]


XRAY_POLICY = {
    "Type": "AWS::XRay::ResourcePolicy",
    "Properties": {
        "PolicyName": "TraceDelivery",
        "PolicyDocument": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "logs.amazonaws.com"},
                        "Action": "xray:PutTraceSegments",
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": "123456789012"},
                            "ArnLike": {"aws:SourceArn": "*"},
                        },
                    }
                ],
            }
        ),
    },
}


def test_policy_rule_catches_trace_delivery_shut_out(stacks_of):
    """A stack that brings its own X-Ray policy must let the log-delivery service in."""
    dev = rules.mutable(stacks_of("dev"))
    rules.stack(dev, "Runtime").template["Resources"]["TraceDelivery"] = copy.deepcopy(XRAY_POLICY)
    assert rules.resource_policy_problems(dev) == [
        "AgentCoreSession-dev-Runtime/TraceDelivery: delivery.logs.amazonaws.com may not xray:PutTraceSegments "
        "(traces are delivered to X-Ray)",
        "AgentCoreSession-dev-Runtime/TraceDelivery: lets in Service logs.amazonaws.com, which nothing here needs",
    ]


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_no_stack_holds_an_xray_resource_policy(stacks_of, name):
    assert rules.xray_policy_slots(stacks_of(name)) == []


def test_xray_slot_rule_catches_a_per_stack_policy(stacks_of):
    """Main's Runtime stack held one (the L2's default): with dev, prod and the pipeline's stages in one
    account, three of the account's five were gone."""
    dev = rules.mutable(stacks_of("dev"))
    rules.stack(dev, "Runtime").template["Resources"]["TraceDelivery"] = copy.deepcopy(XRAY_POLICY)
    assert rules.xray_policy_slots(dev) == [
        "AgentCoreSession-dev-Runtime/TraceDelivery: an X-Ray resource policy per stack; an account holds at most 5"
    ]


# --- IAM mode: only the listed principals may invoke ----------------------------------------------------


def _invoke_policies(stacks: list[rules.SynthesizedStack]) -> tuple[str, str]:
    """(logical id of the runtime's resource policy, of the endpoint's)."""
    runtime = rules.stack(stacks, "Runtime")
    owner = {
        resource["Properties"]["ResourceArn"]["Fn::GetAtt"][0]: logical_id
        for logical_id, resource in runtime.resources("AWS::BedrockAgentCore::ResourcePolicy")
    }
    ((runtime_id, _),) = runtime.resources("AWS::BedrockAgentCore::Runtime")
    ((endpoint_id, _),) = runtime.resources("AWS::BedrockAgentCore::RuntimeEndpoint")
    assert len(owner) == 2
    return owner[runtime_id], owner[endpoint_id]


def test_iam_runtime_and_endpoint_deny_invoke_to_everyone_not_listed(stacks_of):
    stacks = stacks_of("iam")
    _invoke_policies(stacks)  # one on the runtime, one on the endpoint
    assert rules.invoke_policy_problems(stacks, [IAM_INVOKER]) == []


def test_invoke_rule_catches_a_runtime_without_policy_and_a_policy_without_the_deny(stacks_of):
    """Main's IAM runtime had no resource policy: anyone granted the action in the account could invoke."""
    iam = rules.mutable(stacks_of("iam"))
    runtime = rules.stack(iam, "Runtime")
    runtime_policy, endpoint_policy = _invoke_policies(iam)
    del runtime.template["Resources"][endpoint_policy]
    policy = runtime.template["Resources"][runtime_policy]["Properties"]
    policy["Policy"] = json.dumps(
        {"Statement": [s for s in rules.policy_document(policy["Policy"])["Statement"] if s["Effect"] == "Allow"]}
    )
    endpoint = next(k for k, _ in runtime.resources("AWS::BedrockAgentCore::RuntimeEndpoint"))
    assert rules.invoke_policy_problems(iam, [IAM_INVOKER]) == [
        f"AgentCoreSession-dev-Runtime/{runtime_policy}: no Deny of bedrock-agentcore:InvokeAgentRuntime to every "
        f"principal but ['{IAM_INVOKER}']",
        f"AgentCoreSession-dev-Runtime/{endpoint}: no resource policy; any principal allowed "
        "bedrock-agentcore:InvokeAgentRuntime may invoke",
    ]


def test_invoke_rule_catches_a_deny_that_locks_out_management_or_spares_a_stranger(stacks_of):
    iam = rules.mutable(stacks_of("iam"))
    runtime = rules.stack(iam, "Runtime")
    runtime_policy, _ = _invoke_policies(iam)
    policy = runtime.template["Resources"][runtime_policy]["Properties"]
    document = rules.policy_document(policy["Policy"])
    allow, deny = document["Statement"]
    deny["Action"] = "bedrock-agentcore:*"
    stranger = "arn:aws:iam::123456789012:role/anyone"
    deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"].append(stranger)
    allow["Principal"]["AWS"].append(stranger)
    policy["Policy"] = json.dumps(document)
    where = f"AgentCoreSession-dev-Runtime/{runtime_policy}"
    assert rules.invoke_policy_problems(iam, [IAM_INVOKER]) == [
        f"{where}: no Deny of bedrock-agentcore:InvokeAgentRuntime to every principal but ['{IAM_INVOKER}']",
        f"{where}: denies {', '.join(rules.MANAGEMENT_ACTIONS)} (CloudFormation and administrators need them)",
        f"{where}: allows {stranger}, which is not listed",
    ]


def _web_bucket_policy(stacks: list[rules.SynthesizedStack]) -> tuple[str, str, str, dict[str, Any]]:
    """(policy id, bucket id, distribution id, CloudFront's statement) of the web hosting stack."""
    hosting = rules.stack(stacks, "WebHosting")
    ((policy_id, policy),) = list(hosting.resources("AWS::S3::BucketPolicy"))
    ((distribution_id, _),) = list(hosting.resources("AWS::CloudFront::Distribution"))
    bucket_id = policy["Properties"]["Bucket"]["Ref"]
    statement = next(s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow")
    return policy_id, bucket_id, distribution_id, statement


def test_web_bucket_is_required_to_let_in_its_distribution_only(stacks_of):
    hosting = rules.stack(stacks_of("dev"), "WebHosting")
    policy_id, _bucket, _distribution, _ = _web_bucket_policy(stacks_of("dev"))
    uses = {k: [(u.principal, u.actions) for u in found] for k, found in rules.required_uses(hosting).items()}
    assert uses == {policy_id: [("cloudfront.amazonaws.com", ("s3:GetObject",))]}


def test_policy_rule_catches_a_web_bucket_open_to_every_distribution(stacks_of):
    """Without AWS:SourceArn any distribution (another account's too) could read the bucket through OAC."""
    dev = rules.mutable(stacks_of("dev"))
    policy_id, bucket_id, distribution_id, statement = _web_bucket_policy(dev)
    del statement["Condition"]
    assert rules.resource_policy_problems(dev) == [
        f"AgentCoreSession-dev-WebHosting/{policy_id}: cloudfront.amazonaws.com may not s3:GetObject (distribution "
        f"{distribution_id} reads bucket {bucket_id} through origin access control)",
        f"AgentCoreSession-dev-WebHosting/{policy_id}: cloudfront.amazonaws.com is let in without aws:SourceArn "
        "(confused deputy)",
    ]


def test_policy_rule_catches_a_web_bucket_naming_another_distribution(stacks_of):
    dev = rules.mutable(stacks_of("dev"))
    policy_id, bucket_id, distribution_id, statement = _web_bucket_policy(dev)
    statement["Condition"]["StringEquals"]["AWS:SourceArn"] = "arn:aws:cloudfront::111111111111:distribution/E1"
    assert rules.resource_policy_problems(dev) == [
        f"AgentCoreSession-dev-WebHosting/{policy_id}: cloudfront.amazonaws.com may not s3:GetObject (distribution "
        f"{distribution_id} reads bucket {bucket_id} through origin access control)",
    ]


# --- CodeBuild: every command list is valid on its image --------------------------------------------------


def test_codebuild_commands_run_on_their_images(stacks_of):
    projects = [k for s in stacks_of("pipeline") for k, _ in s.resources("AWS::CodeBuild::Project")]
    # synth, self-mutation, docker asset, two smoke steps, and one project per file asset of the web content
    # stack (the built app, BucketDeployment's handler code and its AWS CLI layer, config.json's source)
    assert len(projects) == 9, projects
    assert len([p for p in projects if "FileAsset" in p]) == 4, projects
    assert rules.codebuild_problems(stacks_of("pipeline"), REPO) == []


def _synth_project(stacks: list[rules.SynthesizedStack]) -> tuple[str, dict[str, Any]]:
    pipeline = rules.stack(stacks, "AgentCoreSession-Pipeline")
    return next(
        (k, r["Properties"])
        for k, r in pipeline.resources("AWS::CodeBuild::Project")
        if k.startswith("PipelineBuildSynth")
    )


def _edit_spec(project: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> None:
    spec = json.loads(project["Source"]["BuildSpec"])
    edit(spec)
    project["Source"]["BuildSpec"] = json.dumps(spec)


def test_codebuild_rule_catches_an_install_before_the_package_lists(stacks_of):
    """An earlier synth step: `apt-get install` on an image whose /var/lib/apt/lists is empty."""
    stacks = rules.mutable(stacks_of("pipeline"))
    logical_id, project = _synth_project(stacks)
    _edit_spec(
        project,
        lambda spec: spec["phases"]["install"]["commands"].append("apt-get install -y -qq debian-archive-keyring"),
    )
    assert rules.codebuild_problems(stacks, REPO) == [
        f"AgentCoreSession-Pipeline/{logical_id}: `apt-get install -y -qq debian-archive-keyring` runs before any "
        "apt-get update "
        "(the image has no package lists)"
    ]


def test_codebuild_rule_catches_a_tool_the_image_lacks(stacks_of):
    stacks = rules.mutable(stacks_of("pipeline"))
    logical_id, project = _synth_project(stacks)
    _edit_spec(project, lambda spec: spec["phases"]["build"]["commands"].append("jq .version cdk.out/manifest.json"))
    assert rules.codebuild_problems(stacks, REPO) == [
        f"AgentCoreSession-Pipeline/{logical_id}: `jq .version cdk.out/manifest.json` runs jq, which is not on the "
        "image"
    ]


def test_codebuild_rule_catches_a_tool_used_before_it_is_installed(stacks_of):
    stacks = rules.mutable(stacks_of("pipeline"))
    logical_id, project = _synth_project(stacks)
    _edit_spec(project, lambda spec: spec["phases"]["install"]["commands"].insert(0, "cdk --version"))
    assert rules.codebuild_problems(stacks, REPO) == [
        f"AgentCoreSession-Pipeline/{logical_id}: `cdk --version` runs cdk, which is not on the image"
    ]


def test_codebuild_rule_catches_a_runtime_version_the_image_lacks(stacks_of):
    stacks = rules.mutable(stacks_of("pipeline"))
    logical_id, project = _synth_project(stacks)
    _edit_spec(project, lambda spec: spec["phases"]["install"]["runtime-versions"].update(python="3.7"))
    assert rules.codebuild_problems(stacks, REPO) == [
        f"AgentCoreSession-Pipeline/{logical_id}: runtime python 3.7 is not on aws/codebuild/standard:7.0"
    ]


def test_codebuild_rule_catches_a_make_target_the_makefile_lacks(stacks_of):
    stacks = rules.mutable(stacks_of("pipeline"))
    logical_id, project = _synth_project(stacks)
    _edit_spec(project, lambda spec: spec["phases"]["build"]["commands"].insert(0, "make test-everything"))
    assert rules.codebuild_problems(stacks, REPO) == [
        f"AgentCoreSession-Pipeline/{logical_id}: `make test-everything` runs make target test-everything, which the "
        "Makefile lacks"
    ]


def test_codebuild_rule_reads_the_scripts_a_build_runs(stacks_of, tmp_path):
    """An install hidden in a repository script counts too (scripts/container_prereqs.sh updates first)."""
    (tmp_path / "Makefile").write_text("setup:\n\ttrue\ntest-fast:\n\ttrue\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "prepare.sh").write_text("#!/bin/sh\nset -e\napt-get install -y podman\n")
    stacks = rules.mutable(stacks_of("pipeline"))
    logical_id, project = _synth_project(stacks)
    _edit_spec(
        project, lambda spec: spec["phases"]["install"].update(commands=["make setup", "bash scripts/prepare.sh"])
    )
    assert rules.codebuild_problems(stacks, tmp_path) == [
        f"AgentCoreSession-Pipeline/{logical_id}: `apt-get install -y podman` runs before any apt-get update (the "
        "image has no package lists)"
    ]


# --- IAM: the audit covers the pipeline; no bare Resource::* acknowledgment -------------------------------


def test_iam_audit_covers_the_pipeline(stacks_of):
    assert "pipeline" in CONFIGURATIONS
    audited = {where.split("/")[0] for where, _ in rules.policy_statements(stacks_of("pipeline"))}
    assert "AgentCoreSession-Pipeline" in audited
    assert rules.unexplained_wildcards(stacks_of("pipeline")) == []


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_no_bare_resource_star_acknowledgment(stacks_of, synthesized, name):
    report = json.loads((synthesized(name) / "validation-report.json").read_text())
    acknowledged = [
        v
        for p in report["pluginReports"]
        for v in p["suppressedViolations"]
        if v["ruleName"] == "AwsSolutions-IAM5[Resource::*]"
    ]
    assert acknowledged, "no Resource::* acknowledgment to check: the rule would prove nothing"
    assert rules.bare_star_acknowledgments(stacks_of(name), report) == []


def test_bare_star_rule_catches_an_acknowledged_policy_gaining_a_star(stacks_of, synthesized):
    """Main acknowledged Resource::* on every pipeline policy: a later `*` statement there passed cdk-nag."""
    stacks = rules.mutable(stacks_of("pipeline"))
    report = json.loads((synthesized("pipeline") / "validation-report.json").read_text())
    (path,) = [
        c["constructPath"]
        for p in report["pluginReports"]
        for v in p["suppressedViolations"]
        if v["ruleName"] == "AwsSolutions-IAM5[Resource::*]"
        for c in v["violatingConstructs"]
        if "SelfMutation" in c["constructPath"]
    ]
    pipeline = rules.stack(stacks, "AgentCoreSession-Pipeline")
    policy_id = pipeline.logical_ids[f"/{path}"]
    pipeline.template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    )
    assert rules.bare_star_acknowledgments(stacks, report) == [
        f"{path}: Resource::* acknowledged, but ['s3:GetObject'] on * is not a required wildcard"
    ]
    assert rules.unexplained_wildcards(stacks) == [f"AgentCoreSession-Pipeline/{policy_id}: ['s3:GetObject'] on *"]


# --- physical names unique across stages -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_physical_names_are_unique_within_each_configuration(stacks_of, name):
    assert rules.name_clashes([stacks_of(name)]) == []


def test_physical_names_are_unique_across_stages_sharing_an_account(sharing_an_account):
    names = {name for deployment in sharing_an_account for s in deployment for name in rules.physical_names(s)}
    kinds = {kind for kind, _ in names}
    assert {
        "AWS::BedrockAgentCore::Runtime AgentRuntimeName",
        "AWS::Logs::DeliverySource Name",
        "AWS::Logs::DeliveryDestination Name",
        "AWS::SSM::Parameter Name",
        "export",
    } <= kinds
    assert rules.name_clashes(sharing_an_account) == []


def test_physical_name_rule_catches_a_runtime_name_shared_by_two_stages(stacks_of):
    prod = rules.mutable(stacks_of("prod"))
    _resource(rules.stack(prod, "Runtime"), "AWS::BedrockAgentCore::Runtime")["Properties"]["AgentRuntimeName"] = (
        "agentcore_session_dev"
    )
    assert rules.name_clashes([stacks_of("dev"), prod]) == [
        "AWS::BedrockAgentCore::Runtime AgentRuntimeName agentcore_session_dev is used by "
        "AgentCoreSession-dev-Runtime and AgentCoreSession-prod-Runtime"
    ]


def test_physical_name_rule_catches_a_log_delivery_source_shared_by_two_stages(stacks_of):
    prod = rules.mutable(stacks_of("prod"))
    dev_name = _resource(rules.stack(stacks_of("dev"), "Runtime"), "AWS::Logs::DeliverySource")["Properties"]["Name"]
    _resource(rules.stack(prod, "Runtime"), "AWS::Logs::DeliverySource")["Properties"]["Name"] = dev_name
    assert rules.name_clashes([stacks_of("dev"), prod]) == [
        f"AWS::Logs::DeliverySource Name {dev_name} is used by AgentCoreSession-dev-Runtime and "
        "AgentCoreSession-prod-Runtime"
    ]


def test_the_same_stage_from_make_deploy_and_the_pipeline_is_one_set_of_stacks(stacks_of):
    """`make deploy STAGE=dev` and the pipeline's dev stage update the same stacks: not a clash (control)."""
    dev_names = {n for s in stacks_of("dev") for n in rules.physical_names(s)}
    pipeline_dev = {n for s in stacks_of("pipeline") if s.stage == "dev" for n in rules.physical_names(s)}
    assert dev_names & pipeline_dev
    assert rules.name_clashes([stacks_of("dev"), stacks_of("pipeline")]) == []


# --- pipeline smoke steps: the role allows what the commands call, for every authorizer ----------------------


def _smoke_project(stacks: list[rules.SynthesizedStack], stage: str) -> tuple[str, dict[str, Any]]:
    pipeline = rules.stack(stacks, "AgentCoreSession-Pipeline")
    (found,) = [
        (k, r) for k, r in pipeline.resources("AWS::CodeBuild::Project") if k.startswith(f"Pipeline{stage}Smoke")
    ]
    return found


@pytest.mark.parametrize(("name", "authorizer"), [("pipeline", "jwt"), ("pipeline-iam", "iam")])
def test_smoke_roles_allow_what_the_smoke_commands_call(stacks_of, name, authorizer):
    stacks = stacks_of(name)
    assert rules.stage_runtimes(stacks)["dev"].authorizer == authorizer
    assert rules.smoke_permission_problems(stacks, account=ACCOUNT, region=REGION) == []
    actions = {call.action for _, call in rules.smoke_calls(stacks, account=ACCOUNT, region=REGION)}
    dev_secret = "secretsmanager:GetSecretValue"
    invoke = "bedrock-agentcore:InvokeAgentRuntime"
    # JWT: the demo's users log in with the secret's passwords; IAM: the role itself signs the invocations.
    assert (dev_secret in actions, invoke in actions) == (authorizer == "jwt", authorizer == "iam")


def test_smoke_rule_catches_an_iam_demo_without_invoke_permission(stacks_of):
    """Main's IAM dev stage: the demo signed InvokeAgentRuntime with a role that could only read the runtime."""
    stacks = rules.mutable(stacks_of("pipeline-iam"))
    project_id, project = _smoke_project(stacks, "dev")
    role_id = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    pipeline = rules.stack(stacks, "AgentCoreSession-Pipeline")
    for _, policy in pipeline.resources("AWS::IAM::Policy"):
        document = policy["Properties"]["PolicyDocument"]
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "InvokeStageRuntime"]
    arn = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:runtime/agentcore_session_dev-{rules.SAMPLE_RUNTIME_SUFFIX}"
    assert rules.smoke_permission_problems(stacks, account=ACCOUNT, region=REGION) == [
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not bedrock-agentcore:InvokeAgentRuntime on {arn}",
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not bedrock-agentcore:InvokeAgentRuntime on "
        f"{arn}/runtime-endpoint/live",
    ]


@pytest.mark.parametrize("name", ["pipeline", "pipeline-iam"])
def test_smoke_rule_catches_an_alarm_check_without_its_grant(stacks_of, name):
    """The delivery check sets and reads the stage's latency alarm: without the grant, both calls are denied."""
    stacks = rules.mutable(stacks_of(name))
    project_id, project = _smoke_project(stacks, "dev")
    role_id = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    pipeline = rules.stack(stacks, "AgentCoreSession-Pipeline")
    for _, policy in pipeline.resources("AWS::IAM::Policy"):
        document = policy["Properties"]["PolicyDocument"]
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "ProveAlarmDelivery"]
    arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:AgentCoreSession-dev-Monitoring-Latency"
    assert rules.smoke_permission_problems(stacks, account=ACCOUNT, region=REGION) == [
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not cloudwatch:SetAlarmState on {arn}",
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not cloudwatch:DescribeAlarmHistory on {arn}",
    ]


def test_smoke_rule_catches_a_grant_on_another_alarm(stacks_of):
    """A grant naming the prod alarm does not let the dev step set the dev alarm."""
    stacks = rules.mutable(stacks_of("pipeline"))
    project_id, project = _smoke_project(stacks, "dev")
    role_id = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    pipeline = rules.stack(stacks, "AgentCoreSession-Pipeline")
    for _, policy in pipeline.resources("AWS::IAM::Policy"):
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Sid") == "ProveAlarmDelivery":
                statement["Resource"] = rules.render(statement["Resource"]).replace("-dev-", "-prod-")
    arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:AgentCoreSession-dev-Monitoring-Latency"
    assert rules.smoke_permission_problems(stacks, account=ACCOUNT, region=REGION) == [
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not cloudwatch:SetAlarmState on {arn}",
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not cloudwatch:DescribeAlarmHistory on {arn}",
    ]


def test_smoke_rule_catches_a_cognito_login_against_an_iam_runtime(stacks_of):
    """Main ran the JWT login steps whatever the authorizer: on an IAM runtime the client refuses to log in."""
    stacks = rules.mutable(stacks_of("pipeline-iam"))
    project_id, project = _smoke_project(stacks, "dev")
    login = 'printf "%s\\n" "$CI_PASSWORD_A" | python3 -m client login "$CI_USER_A" --stage dev --password-stdin'
    _edit_spec(project["Properties"], lambda spec: spec["phases"]["build"]["commands"].insert(2, login))
    assert rules.smoke_permission_problems(stacks, account=ACCOUNT, region=REGION) == [
        f"AgentCoreSession-Pipeline/{project_id}: `{login}` logs in to an IAM-authorized runtime "
        "(no user pool to trust)"
    ]


def test_smoke_rule_catches_a_secret_the_role_may_not_read(stacks_of):
    stacks = rules.mutable(stacks_of("pipeline"))
    project_id, project = _smoke_project(stacks, "dev")
    role_id = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    for variable in project["Properties"]["Environment"]["EnvironmentVariables"]:
        if variable["Name"] == "CI_USER_A":
            variable["Value"] = "someone-elses/secret:user_a"
    assert rules.smoke_permission_problems(stacks, account=ACCOUNT, region=REGION) == [
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not secretsmanager:GetSecretValue on "
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:someone-elses/secret-AbCdEf"
    ]


# --- CodeBuild: Node.js, pinned installs, log retention -------------------------------------------------------


@pytest.mark.parametrize("name", ["pipeline", "pipeline-iam"])
def test_pipeline_projects_run_maintained_node_pinned_tools_and_expiring_logs(stacks_of, name):
    stacks = stacks_of(name)
    assert rules.node_problems(stacks) == []
    assert rules.log_retention_problems(stacks) == []


def _project_by_prefix(stacks: list[rules.SynthesizedStack], prefix: str) -> tuple[str, dict[str, Any]]:
    pipeline = rules.stack(stacks, "AgentCoreSession-Pipeline")
    return next((k, r["Properties"]) for k, r in pipeline.resources("AWS::CodeBuild::Project") if k.startswith(prefix))


def test_node_rule_catches_the_images_default_node_and_an_unpinned_install(stacks_of):
    """Main: self-mutation and asset publishing ran on their images' Node 18; cdk-assets was @latest."""
    stacks = rules.mutable(stacks_of("pipeline"))
    mutation_id, mutation = _project_by_prefix(stacks, "PipelineUpdatePipelineSelfMutation")
    assets_id, assets = _project_by_prefix(stacks, "PipelineAssetsDocker")
    _edit_spec(mutation, lambda spec: spec["phases"]["install"].pop("runtime-versions"))
    _edit_spec(assets, lambda spec: spec["phases"]["install"].update(commands=["npm install -g cdk-assets@latest"]))
    assert rules.node_problems(stacks) == [
        f"AgentCoreSession-Pipeline/{mutation_id}: `npm install -g aws-cdk@2.1148.1` runs on Node.js 18, not a "
        "maintained line (22, 24)",
        f"AgentCoreSession-Pipeline/{assets_id}: `npm install -g cdk-assets@latest` installs cdk-assets unpinned "
        "(latest)",
    ]


def test_log_rule_catches_a_project_logging_to_codebuilds_own_group(stacks_of):
    """Main: every pipeline project wrote to /aws/codebuild/<project>, which never expires."""
    stacks = rules.mutable(stacks_of("pipeline"))
    synth_id, synth = _project_by_prefix(stacks, "PipelineBuildSynth")
    del synth["LogsConfig"]
    assert rules.log_retention_problems(stacks) == [
        f"AgentCoreSession-Pipeline/{synth_id}: build logs never expire (no log group with a retention)"
    ]


def test_smoke_rule_catches_an_invoke_policy_that_leaves_out_the_smoke_role(stacks_of):
    """An IAM dev stage with invoke_principals: the runtime's Deny covers every principal not listed, the smoke
    step's role included, whatever its identity policy allows (docs/delivery.md: list that role)."""
    stacks = rules.mutable(stacks_of("pipeline-iam"))
    dev_runtime = next(s for s in stacks if s.stack_name == "AgentCoreSession-dev-Runtime")
    restricted = rules.stack(stacks_of("iam"), "Runtime")
    for logical_id, policy in restricted.resources("AWS::BedrockAgentCore::ResourcePolicy"):
        dev_runtime.template["Resources"][logical_id] = policy
    project_id, project = _smoke_project(stacks, "dev")
    role_id = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    arn = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:runtime/agentcore_session_dev-{rules.SAMPLE_RUNTIME_SUFFIX}"
    policies = rules.stage_resource_policies(stacks, account=ACCOUNT, region=REGION)["dev"]
    assert list(policies) == [f"{arn}/runtime-endpoint/live", arn]
    assert all(p["Statement"][0]["Principal"] == {"AWS": [IAM_INVOKER]} for p in policies.values())
    assert rules.smoke_permission_problems(stacks, account=ACCOUNT, region=REGION) == [
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not bedrock-agentcore:InvokeAgentRuntime on {arn}",
        f"AgentCoreSession-Pipeline/{project_id}: role {role_id} may not bedrock-agentcore:InvokeAgentRuntime on "
        f"{arn}/runtime-endpoint/live",
    ]
