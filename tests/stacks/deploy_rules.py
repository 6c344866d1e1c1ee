"""Rules CloudFormation and the services enforce at deploy time that cfn-lint and cdk-nag do not check,
as functions over synthesized cloud assemblies. Each returns the problems it finds, one line each.

The deploy rehearsal (test_deploy_rehearsal.py) runs them over every configuration the app supports and
shows each catching a deliberately broken copy of a real template. Sources are named beside each rule.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

from stacks.config import PLATFORM_VERSIONS
from stacks.iam_wildcards import RequiredWildcard, as_list, explained, render
from stacks.pipeline.pipeline_findings import PIPELINE_WILDCARDS
from stacks.runtime.conversation_store import S3ConversationStore
from stacks.runtime.execution_role import EXECUTION_ROLE_WILDCARDS
from stacks.runtime.platform_version import CHOICE_METADATA_KEY
from stacks.runtime.runtime_stack import PROFILE_ROUTED_MODEL_WILDCARD
from stacks.web.content_findings import CONTENT_WILDCARDS
from tests.support.aws_calls import AwsCall
from tests.support.iam_simulator import evaluate

# Every list the stacks acknowledge cdk-nag's IAM5 findings with, each beside the construct it concerns.
REQUIRED_WILDCARDS: tuple[RequiredWildcard, ...] = (
    *EXECUTION_ROLE_WILDCARDS,
    *S3ConversationStore.required_wildcards,
    PROFILE_ROUTED_MODEL_WILDCARD,
    *PIPELINE_WILDCARDS,
    *CONTENT_WILDCARDS,
)
SCHEMA_REGION = "us-east-1"


# --- loading -------------------------------------------------------------------------------------------


@dataclass
class SynthesizedStack:
    """One stack of a cloud assembly: its name, stage, template, and construct path → logical id."""

    stack_name: str
    stage: str
    template: dict[str, Any]
    logical_ids: dict[str, str] = field(default_factory=dict)

    def resources(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.template.get("Resources", {}).items():
            if not types or resource["Type"] in types:
                yield logical_id, resource


def stage_of(stack_name: str) -> str:
    """``AgentCoreSession-dev-Runtime`` → ``dev``; the pipeline's own stack → ``pipeline``."""
    match = re.fullmatch(r"AgentCoreSession-([a-z][a-z0-9]*)-[A-Za-z]+", stack_name)
    return match.group(1) if match else "pipeline"


def load_stacks(assembly: Path) -> list[SynthesizedStack]:
    """Every stack of the assembly and its nested stage assemblies, in manifest order."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    found: list[SynthesizedStack] = []
    for artifact in manifest.get("artifacts", {}).values():
        props = artifact.get("properties", {})
        if artifact.get("type") == "cdk:cloud-assembly":
            found += load_stacks(assembly / props["directoryName"])
        elif artifact.get("type") == "aws:cloudformation:stack":
            metadata = artifact.get("metadata") or {}
            if artifact.get("additionalMetadataFile"):
                metadata = json.loads((assembly / artifact["additionalMetadataFile"]).read_text())
            logical_ids = {
                path: entry["data"]
                for path, entries in metadata.items()
                for entry in entries
                if entry["type"] == "aws:cdk:logicalId"
            }
            name = props.get("stackName", artifact.get("displayName"))
            template = json.loads((assembly / props["templateFile"]).read_text())
            found.append(
                SynthesizedStack(stack_name=name, stage=stage_of(name), template=template, logical_ids=logical_ids)
            )
    return found


def mutable(stacks: Sequence[SynthesizedStack]) -> list[SynthesizedStack]:
    """A deep copy to break deliberately."""
    return copy.deepcopy(list(stacks))


def stack(stacks: Sequence[SynthesizedStack], name_part: str) -> SynthesizedStack:
    """The one stack whose name contains ``name_part``."""
    (found,) = [s for s in stacks if name_part in s.stack_name]
    return found


# --- names: exports, SSM parameters, physical names ------------------------------------------------------

# Names the service keeps unique per account and region although the schema's primary identifier is a
# generated id: a second CreateAgentRuntime / CreateMemory with a taken name fails with ConflictException
# (listed among both operations' errors in botocore's bedrock-agentcore-control model).
SERVICE_UNIQUE_NAMES = {
    "AWS::BedrockAgentCore::Runtime": "AgentRuntimeName",
    "AWS::BedrockAgentCore::Memory": "Name",
}


def _literal(value: Any, stack: SynthesizedStack) -> str | None:
    """A name as deployed, or None when it depends on another resource (then CloudFormation generates it)."""
    text = render(value).replace("<AWS::StackName>", stack.stack_name)
    return None if re.search(r"<(?!AWS::(Partition|Region|AccountId|URLSuffix)>)[^>]+>", text) else text


def exported_names(stack: SynthesizedStack) -> Iterator[tuple[str, str]]:
    """("export", name) for every output with an export (CDK's cross-stack references included)."""
    for output in stack.template.get("Outputs", {}).values():
        if "Export" in output:
            name = _literal(output["Export"]["Name"], stack)
            if name:
                yield "export", name


def parameter_names(stack: SynthesizedStack) -> Iterator[tuple[str, str]]:
    for _, resource in stack.resources("AWS::SSM::Parameter"):
        name = _literal(resource["Properties"].get("Name"), stack) if "Name" in resource.get("Properties", {}) else None
        if name:
            yield "SSM parameter", name


def physical_names(stack: SynthesizedStack) -> Iterator[tuple[str, str]]:
    """Exports, plus every property the CloudFormation schema makes the resource's primary identifier
    (cfn-lint's bundled schemas, ``primaryIdentifier``: such a name is unique per account and region; an
    AWS::IAM::Role's RoleName per account), plus SERVICE_UNIQUE_NAMES."""
    yield from exported_names(stack)
    for _, resource in stack.resources():
        properties = resource.get("Properties", {})
        for name_property in _name_properties(resource["Type"]):
            if name_property in properties:
                name = _literal(properties[name_property], stack)
                if name:
                    yield f"{resource['Type']} {name_property}", name


def _name_properties(resource_type: str) -> list[str]:
    if resource_type.startswith(("Custom::", "AWS::CDK::")) or resource_type == "AWS::CloudFormation::CustomResource":
        return []
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    identifier = schema.get("primaryIdentifier", [])
    names = [identifier[0].removeprefix("/properties/")] if len(identifier) == 1 else []
    if resource_type in SERVICE_UNIQUE_NAMES:
        names.append(SERVICE_UNIQUE_NAMES[resource_type])
    return names


def name_clashes(deployments: Sequence[Sequence[SynthesizedStack]], names=physical_names) -> list[str]:
    """Names used twice where CloudFormation or the service needs them unique.

    Each deployment is one synthesized app (its stacks may span stages, like the pipeline's). A name may
    not appear twice within a deployment, nor in two deployments of different stages: dev and prod (and
    the pipeline) can share one account and region. The same stage from two deployments (`make deploy` and
    the pipeline both deploy ``AgentCoreSession-dev-*``) is one set of stacks, not a clash.
    """
    seen: dict[tuple[str, str], list[tuple[int, SynthesizedStack]]] = defaultdict(list)
    for index, stacks in enumerate(deployments):
        for synthesized in stacks:
            for kind, name in names(synthesized):
                seen[(kind, name)].append((index, synthesized))
    problems = []
    for (kind, name), uses in seen.items():
        for position, (index_a, stack_a) in enumerate(uses):
            clash = next(((i, s) for i, s in uses[position + 1 :] if i == index_a or s.stage != stack_a.stage), None)
            if clash:
                problems.append(f"{kind} {name} is used by {stack_a.stack_name} and {clash[1].stack_name}")
                break
    return problems


def retained_name_conflicts(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """Retained resources with a fixed unique name (``physical_names``): after `make destroy` they stay, and the
    next deploy's create fails on the taken name (CreateMemory: ConflictException, botocore
    bedrock-agentcore-control). A retained resource without such a name (the bucket, the alarm key) does not."""
    problems = []
    for synthesized in stacks:
        for logical_id, resource in synthesized.resources():
            if resource.get("DeletionPolicy") != "Retain":
                continue
            properties = resource.get("Properties", {})
            for name_property in _name_properties(resource["Type"]):
                name = _literal(properties[name_property], synthesized) if name_property in properties else None
                if name:
                    problems.append(
                        f"{synthesized.stack_name}/{logical_id}: {resource['Type']} {name_property} {name} outlives "
                        "make destroy; the next deploy needs another name or the retained one deleted"
                    )
    return problems


def published_name_clashes(deployments: Sequence[Sequence[SynthesizedStack]]) -> list[str]:
    """Export names (unique per account and region: a second stack exporting one fails to create) and SSM
    parameter names (AWS::SSM::Parameter's primary identifier), within and across stages."""

    def names(synthesized: SynthesizedStack) -> Iterator[tuple[str, str]]:
        yield from exported_names(synthesized)
        yield from parameter_names(synthesized)

    return name_clashes(deployments, names)


# --- exports that change with code ----------------------------------------------------------------------


def volatile_exports(before: Sequence[SynthesizedStack], after: Sequence[SynthesizedStack]) -> list[str]:
    """Exports whose value differs between two synths that differ only in the agent's code.

    An exported value cannot be updated while another stack imports it ("Export ... cannot be updated as it
    is in use by ..."), so such an export would fail every code deploy once anyone imported it.
    """
    earlier = {s.stack_name: s for s in before}
    problems = []
    for later in after:
        outputs = earlier[later.stack_name].template.get("Outputs", {})
        for key, output in later.template.get("Outputs", {}).items():
            if "Export" in output and outputs.get(key, {}).get("Value") != output["Value"]:
                problems.append(
                    f"{later.stack_name} export {render(output['Export']['Name'])} changes with the agent's code"
                )
    return problems


# --- platform version: every runtime states its choice ------------------------------------------------------


def platform_choice_problems(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """Each AgentCore Runtime pins ``PlatformVersion`` to a version aws-cdk-lib 2.275 knows (``V1``, ``V2``), or
    says in its metadata why it leaves the choice to the service: an unstated runtime lands on whatever the
    service defaults to in its Region, which differs by Region since 2026-11-12 (stacks/runtime/platform_version.py).
    """
    problems = []
    for synthesized in stacks:
        for logical_id, runtime in synthesized.resources("AWS::BedrockAgentCore::Runtime"):
            where = f"{synthesized.stack_name}/{logical_id}"
            version = runtime["Properties"].get("PlatformVersion")
            if version is None and CHOICE_METADATA_KEY not in runtime.get("Metadata", {}):
                problems.append(f"{where}: states no platform version (no PlatformVersion, no {CHOICE_METADATA_KEY})")
            elif version is not None and version not in PLATFORM_VERSIONS:
                problems.append(f"{where}: PlatformVersion is {version!r}, not one of {', '.join(PLATFORM_VERSIONS)}")
    return problems


# --- AgentCore Memory: long-term records are per actor, and the agent recalls the memory's namespaces ---------

ACTOR_NAMESPACE_END = "/{actorId}/"
RECALL_VARIABLE = "LONG_TERM_MEMORY_NAMESPACES"


def memory_namespace_problems(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """Every namespace of every Memory strategy ends with ``/{actorId}/`` and names the actor once, and the
    runtime's ``LONG_TERM_MEMORY_NAMESPACES`` lists exactly the memory's namespaces.

    WHY: the agent recalls by ``namespacePath``, a prefix match (botocore bedrock-agentcore RetrieveMemoryRecords:
    "all memory records where namespace falls under the same parent hierarchy"); without the closing delimiter,
    ``/facts/bob`` also matches bob-x's ``/facts/bob-x`` (devguide memory-organization: "use /actors/alice/ rather
    than /actors/alice"). CloudFormation accepts either (cfn-lint's schema: Namespace pattern
    ``^[a-zA-Z0-9\\-_/]*(\\{[a-zA-Z][a-zA-Z0-9]*\\}[a-zA-Z0-9\\-_/]*)*$``). A namespace the agent does not
    recall from holds records no turn ever sees, and one it recalls from that no strategy writes stays empty:
    neither fails at deploy, both fail silently.
    """
    problems = []
    for synthesized in stacks:
        memories = dict(synthesized.resources("AWS::BedrockAgentCore::Memory"))
        written: set[str] = set()
        for logical_id, memory in memories.items():
            for strategy in memory["Properties"].get("MemoryStrategies", []):
                ((kind, body),) = strategy.items()
                for namespace in [*body.get("Namespaces", []), *body.get("NamespaceTemplates", [])]:
                    written.add(namespace)
                    if not namespace.endswith(ACTOR_NAMESPACE_END) or namespace.count("{actorId}") != 1:
                        problems.append(
                            f"{synthesized.stack_name}/{logical_id}: {kind} {body.get('Name')} namespace "
                            f"{namespace!r} does not end with {ACTOR_NAMESPACE_END!r} (the one actor segment)"
                        )
        for logical_id, runtime in synthesized.resources("AWS::BedrockAgentCore::Runtime"):
            listed = runtime["Properties"].get("EnvironmentVariables", {}).get(RECALL_VARIABLE)
            recalled = set(listed.split(",")) if listed else set()
            if recalled != written:
                problems.append(
                    f"{synthesized.stack_name}/{logical_id}: {RECALL_VARIABLE} recalls {sorted(recalled)} but the "
                    f"memory's strategies write {sorted(written)}"
                )
    return problems


# --- exports across settings: a stage can switch authorizer or store in one deploy -----------------------------


def _exports(stack: SynthesizedStack) -> dict[str, Any]:
    """{export name: value} of the stack (CDK's cross-stack references included)."""
    return {
        render(output["Export"]["Name"]): output["Value"]
        for output in stack.template.get("Outputs", {}).values()
        if "Export" in output
    }


def _create_only(stack: SynthesizedStack, logical_id: str) -> dict[str, Any]:
    """The resource's create-only properties as the template sets them (cfn-lint's bundled schema,
    ``createOnlyProperties``): a change to any of them replaces the resource, so its Ref/GetAtt changes."""
    resource = stack.template["Resources"][logical_id]
    if resource["Type"].startswith("Custom::"):
        return {}
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource["Type"]).schema
    names = {p.removeprefix("/properties/").split("/")[0] for p in schema.get("createOnlyProperties", [])}
    return {name: resource.get("Properties", {}).get(name) for name in sorted(names)}


def _referenced(value: Any) -> set[str]:
    """The logical ids a value refers to (Ref and GetAtt anywhere inside it; pseudo parameters excluded)."""
    if isinstance(value, list):
        return {found for item in value for found in _referenced(item)}
    if not isinstance(value, dict):
        return set()
    found = {value["Ref"]} if isinstance(value.get("Ref"), str) and not value["Ref"].startswith("AWS::") else set()
    if "Fn::GetAtt" in value:
        found.add(value["Fn::GetAtt"][0])
    if "Fn::Sub" in value:
        template = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        found |= set(re.findall(r"\$\{(?!AWS::)([A-Za-z0-9]+)(?:\.[A-Za-z.]+)?\}", template))
    return found | {f for key, item in value.items() if key not in ("Ref", "Fn::GetAtt") for f in _referenced(item)}


def export_changes(before: Sequence[SynthesizedStack], after: Sequence[SynthesizedStack], change: str) -> list[str]:
    """Exports of ``before`` that ``after`` drops or gives another value, stack by stack.

    CloudFormation updates a stage's stacks in dependency order (the exporting stack first) and refuses to
    delete or change an export another stack still imports ("Export ... cannot be deleted/updated as it is in
    use by ..."; AWS CloudFormation user guide, "Exporting stack output values"). So for a setting to be
    changeable in one deploy, each stack's exports after the change must be a superset of those before, with
    the same values: a literal must not differ, and a referenced resource must keep its create-only properties
    (else it is replaced and its id or ARN changes).
    """
    return [
        f"{stack_name} export {name} {how} when {change}" for stack_name, name, how in _changed_exports(before, after)
    ]


def _changed_exports(
    before: Sequence[SynthesizedStack], after: Sequence[SynthesizedStack]
) -> Iterator[tuple[str, str, str]]:
    """(stack name, export name, "disappears" or "changes value") for each export of ``before`` ``after`` breaks."""
    later = {s.stack_name: s for s in after}
    for earlier in before:
        if earlier.stack_name not in later:
            continue
        now = later[earlier.stack_name]
        exported = _exports(now)
        for name, value in _exports(earlier).items():
            if name not in exported:
                yield earlier.stack_name, name, "disappears"
            elif render(value) != render(exported[name]) or any(
                _create_only(earlier, target) != _create_only(now, target) for target in _referenced(value)
            ):
                yield earlier.stack_name, name, "changes value"


def _imports(value: Any) -> Iterator[str]:
    """The export names a template (or any part of it) imports with ``Fn::ImportValue``."""
    if isinstance(value, list):
        for item in value:
            yield from _imports(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Fn::ImportValue":
                yield render(item)
            else:
                yield from _imports(item)


def imported_changes(before: Sequence[SynthesizedStack], after: Sequence[SynthesizedStack], change: str) -> list[str]:
    """Imports, in the stacks of ``before`` (what is deployed when the change is made), of an export that ``after``
    drops or changes: the exporting stack deploys first and CloudFormation refuses to change or delete an export
    in use ("Export ... cannot be updated as it is in use by ..."; AWS CloudFormation user guide, "Exporting stack
    output values"), so the change never deploys. An export nobody imports may change freely (CDK's
    ``export_value`` keeps former references that way while importers move to SSM parameters).
    """
    broken = {name: how for _, name, how in _changed_exports(before, after)}
    return [
        f"{importer.stack_name} imports {name}, which {broken[name]} when {change}"
        for importer in before
        for name in sorted(set(_imports(importer.template)) & broken.keys())
    ]


# --- resource policies: who must get in, and nobody else -------------------------------------------------

POLICY_PROPERTY = {
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::XRay::ResourcePolicy": "PolicyDocument",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
}
CLOUDWATCH = "cloudwatch.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
CLOUDFRONT = "cloudfront.amazonaws.com"
CONFUSED_DEPUTY_KEYS = ("aws:SourceAccount", "aws:SourceArn")
# A key is used by the service holding the data (SNS for a topic), calling KMS for the publisher: the SNS and
# CloudTrail guides grant the publisher's service principal on the key without the source keys, and no AWS page
# says that request carries them, so on a key the guard is the calling service (KMS developer guide,
# "kms:ViaService"); the source keys stay on the topic policy (stacks/monitoring/monitoring_alarms.py).
GUARD_KEYS = {"AWS::KMS::Key": ("kms:ViaService",)}
# CDK Pipelines' deploy role reads the artifacts (cross-account keys): CDK bootstrap roles of this account.
BOOTSTRAP_ROLE = (
    r"arn:<AWS::Partition>:iam::(?:<AWS::AccountId>|\d{12}):role/"
    r"cdk-[a-z0-9]+-(?:deploy|file-publishing|image-publishing)-role-(?:<AWS::AccountId>|\d{12})-(?:<AWS::Region>|[a-z0-9-]+)"
)
ACCOUNT_ROOT = r"arn:<AWS::Partition>:iam::(?:<AWS::AccountId>|\d{12}):root"


def policy_document(value: Any) -> dict[str, Any]:
    """A policy as a dict: given as one, as a JSON string, or as Fn::Join of a JSON string and references."""
    if isinstance(value, dict) and "Statement" in value:
        return value
    return json.loads(value if isinstance(value, str) else render(value))


@dataclass(frozen=True)
class Use:
    """A service principal that must be let into a resource policy, for these actions."""

    principal: str
    actions: tuple[str, ...]
    why: str
    # The condition keys that must scope it; a source ARN that contains the account suffices alone (IAM user
    # guide, "The confused deputy problem"): e.g. a distribution's ARN, which must then match this pattern.
    deputy_keys: tuple[str, ...] = CONFUSED_DEPUTY_KEYS
    source_arn: str | None = None


def _ref(value: Any) -> str | None:
    """The logical id a Ref / GetAtt points to."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def required_uses(stack: SynthesizedStack) -> dict[str, list[Use]]:
    """{resource-policy logical id: uses} derived from the template's wiring.

    - An alarm's action on a topic: CloudWatch publishes as ``cloudwatch.amazonaws.com`` (CloudWatch user
      guide, "Notifying users on alarm changes"); a topic policy replaces SNS's default policy, so it must
      allow sns:Publish, and the topic's key must allow kms:Decrypt and kms:GenerateDataKey* (SNS developer
      guide, sns-key-management.html, "compatibility with AWS services").
    - An S3 origin with origin access control: CloudFront reads as ``cloudfront.amazonaws.com``, so the
      bucket policy must allow s3:GetObject on condition ``AWS:SourceArn`` = that distribution's ARN
      (CloudFront developer guide, "Restrict access to an Amazon S3 origin").
    - A vended-logs delivery to X-Ray: ``delivery.logs.amazonaws.com`` puts the trace segments, so the X-Ray
      resource policy must allow xray:PutTraceSegments (CloudWatch Logs user guide, "Enable logging from
      AWS services", X-Ray destination).
    """
    resources = stack.template.get("Resources", {})
    uses: dict[str, list[Use]] = defaultdict(list)
    alarmed_topics = {
        _ref(action)
        for _, alarm in stack.resources("AWS::CloudWatch::Alarm")
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions")
        for action in alarm["Properties"].get(key, [])
    } - {None}
    for topic in alarmed_topics:
        for policy_id, policy in stack.resources("AWS::SNS::TopicPolicy"):
            if topic in {_ref(t) for t in policy["Properties"]["Topics"]}:
                uses[policy_id].append(Use(CLOUDWATCH, ("sns:Publish",), f"alarms publish to topic {topic}"))
        key = _ref(resources.get(topic, {}).get("Properties", {}).get("KmsMasterKeyId"))
        if key:
            uses[key].append(
                Use(
                    CLOUDWATCH,
                    ("kms:Decrypt", "kms:GenerateDataKey*"),
                    f"alarms publish to topic {topic} encrypted with it",
                )
            )
    for distribution_id, distribution in stack.resources("AWS::CloudFront::Distribution"):
        for origin in distribution["Properties"]["DistributionConfig"].get("Origins", []):
            bucket = _ref(origin.get("DomainName"))
            if "OriginAccessControlId" not in origin or bucket is None:
                continue
            for policy_id, policy in stack.resources("AWS::S3::BucketPolicy"):
                if _ref(policy["Properties"]["Bucket"]) == bucket:
                    uses[policy_id].append(
                        Use(
                            CLOUDFRONT,
                            ("s3:GetObject",),
                            f"distribution {distribution_id} reads bucket {bucket} through origin access control",
                            deputy_keys=("aws:SourceArn",),
                            source_arn=r"arn:<AWS::Partition>:cloudfront::(?:<AWS::AccountId>|\d{12}):distribution/<"
                            + distribution_id
                            + ">",
                        )
                    )
    if any(
        d["Properties"].get("DeliveryDestinationType") == "XRAY"
        for _, d in stack.resources("AWS::Logs::DeliveryDestination")
    ):
        for policy_id, _ in stack.resources("AWS::XRay::ResourcePolicy"):
            uses[policy_id].append(Use(LOG_DELIVERY, ("xray:PutTraceSegments",), "traces are delivered to X-Ray"))
    return uses


def _pipeline_artifact_store(stack: SynthesizedStack) -> set[str]:
    """The artifact bucket, its key and its policy: CDK Pipelines lets the bootstrap deploy role read them."""
    store: set[str] = set()
    for _, pipeline in stack.resources("AWS::CodePipeline::Pipeline"):
        location = pipeline["Properties"].get("ArtifactStore", {})
        store |= {_ref(location.get("Location")), _ref(location.get("EncryptionKey", {}).get("Id"))} - {None}
    store |= {pid for pid, p in stack.resources("AWS::S3::BucketPolicy") if _ref(p["Properties"]["Bucket"]) in store}
    return store


def _principals(statement: dict[str, Any]) -> list[tuple[str, str]]:
    principal = statement.get("Principal")
    if principal == "*":
        return [("AWS", "*")]
    return [(kind, render(value)) for kind, values in (principal or {}).items() for value in as_list(values)]


def _actions_cover(granted: Sequence[str], needed: Sequence[str]) -> bool:
    patterns = [re.escape(a).replace(r"\*", ".*") for a in granted]
    return all(any(re.fullmatch(p, n, re.IGNORECASE) for p in patterns) for n in needed)


def resource_policy_problems(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """Each required service use is allowed, with confused-deputy conditions; no other principal is let in
    (besides the key administrator statement of the account's root and, on the pipeline's artifact store,
    the CDK bootstrap deploy role)."""
    problems = []
    for synthesized in stacks:
        uses = required_uses(synthesized)
        artifact_store = _pipeline_artifact_store(synthesized)
        for logical_id, resource in synthesized.resources(*POLICY_PROPERTY):
            document = policy_document(resource["Properties"][POLICY_PROPERTY[resource["Type"]]])
            allows = [s for s in document.get("Statement", []) if s.get("Effect") == "Allow"]
            where = f"{synthesized.stack_name}/{logical_id}"
            for use in uses.get(logical_id, []):
                if not any(
                    ("Service", use.principal) in _principals(s)
                    and _actions_cover(as_list(s.get("Action")), use.actions)
                    and (use.source_arn is None or re.fullmatch(use.source_arn, _source_arn(s)))
                    for s in allows
                ):
                    problems.append(f"{where}: {use.principal} may not {', '.join(use.actions)} ({use.why})")
            expected = {use.principal: use.deputy_keys for use in uses.get(logical_id, [])}
            for statement in allows:
                problems += _unexpected(where, statement, resource["Type"], expected, logical_id in artifact_store)
    return problems


def _source_arn(statement: dict[str, Any]) -> str:
    """The statement's ``aws:SourceArn`` condition value, rendered (condition keys are case-insensitive)."""
    for operator in (statement.get("Condition") or {}).values():
        for key, value in operator.items():
            if key.lower() == "aws:sourcearn":
                return render(value)
    return ""


def _unexpected(
    where: str,
    statement: dict[str, Any],
    resource_type: str,
    services: dict[str, tuple[str, ...]],
    artifact_store: bool,
) -> list[str]:
    problems = []
    # Condition keys are case-insensitive (IAM user guide, "IAM JSON policy elements: Condition").
    conditions = {key.lower() for operator in (statement.get("Condition") or {}).values() for key in operator}
    for kind, principal in _principals(statement):
        if kind == "Service" and principal in services:
            keys = GUARD_KEYS.get(resource_type, services[principal])
            missing = [k for k in keys if k.lower() not in conditions]
            if missing:
                problems.append(f"{where}: {principal} is let in without {', '.join(missing)} (confused deputy)")
        elif kind == "AWS" and resource_type == "AWS::KMS::Key" and re.fullmatch(ACCOUNT_ROOT, principal):
            continue  # the key policy's administrator statement: without it the key is unmanageable
        elif kind == "AWS" and artifact_store and re.fullmatch(BOOTSTRAP_ROLE, principal):
            continue
        else:
            problems.append(f"{where}: lets in {kind} {principal}, which nothing here needs")
    return problems


def xray_policy_slots(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """X-Ray resource policies held by a stack. An account holds at most 5 (botocore xray PutResourcePolicy:
    "Each Amazon Web Services account can have a maximum of 5 resource policies"); AWS creates one for all
    AgentCore runtimes of the account when trace delivery is set up (CloudWatch Logs user guide, "Traces sent
    to X-Ray"), so a policy per stage only spends that quota."""
    return [
        f"{s.stack_name}/{logical_id}: an X-Ray resource policy per stack; an account holds at most 5"
        for s in stacks
        for logical_id, _ in s.resources("AWS::XRay::ResourcePolicy")
    ]


# --- IAM-mode runtimes: only the listed principals may invoke -------------------------------------------

RUNTIME_TYPES = ("AWS::BedrockAgentCore::Runtime", "AWS::BedrockAgentCore::RuntimeEndpoint")
INVOKE_ACTION = "bedrock-agentcore:InvokeAgentRuntime"
# Actions CloudFormation and administrators need to change or remove the runtime and this policy
# (botocore bedrock-agentcore-control operations); a Deny matching any of them would lock them out.
MANAGEMENT_ACTIONS = (
    "bedrock-agentcore:UpdateAgentRuntime",
    "bedrock-agentcore:DeleteAgentRuntime",
    "bedrock-agentcore:UpdateAgentRuntimeEndpoint",
    "bedrock-agentcore:DeleteAgentRuntimeEndpoint",
    "bedrock-agentcore:PutResourcePolicy",
    "bedrock-agentcore:GetResourcePolicy",
    "bedrock-agentcore:DeleteResourcePolicy",
)


def invoke_policy_problems(stacks: Sequence[SynthesizedStack], principals: Sequence[str]) -> list[str]:
    """The runtime and each endpoint carry a resource policy that denies the invoke action to every principal
    not in ``principals`` (``aws:PrincipalArn``), allows it to no one else, and denies no management action.

    Both policies, because InvokeAgentRuntime with a qualifier evaluates the runtime's and the endpoint's
    (AgentCore developer guide, "Resource-based policies", hierarchical authorization; stacks/runtime/invoke_policy.py).
    """
    problems = []
    for synthesized in stacks:
        policies = {
            _ref(resource["Properties"]["ResourceArn"]): (logical_id, resource)
            for logical_id, resource in synthesized.resources("AWS::BedrockAgentCore::ResourcePolicy")
        }
        for logical_id, _ in synthesized.resources(*RUNTIME_TYPES):
            where = f"{synthesized.stack_name}/{logical_id}"
            if logical_id not in policies:
                problems.append(f"{where}: no resource policy; any principal allowed {INVOKE_ACTION} may invoke")
                continue
            policy_id, policy = policies[logical_id]
            document = policy_document(policy["Properties"]["Policy"])
            problems += _invoke_policy_problems(f"{synthesized.stack_name}/{policy_id}", document, set(principals))
    return problems


def _invoke_policy_problems(where: str, document: dict[str, Any], principals: set[str]) -> list[str]:
    problems = []
    statements = document.get("Statement", [])
    denies = [s for s in statements if s.get("Effect") == "Deny"]
    if not any(_denies_all_but(s, principals) for s in denies):
        problems.append(f"{where}: no Deny of {INVOKE_ACTION} to every principal but {sorted(principals)}")
    for statement in denies:
        locked = [a for a in MANAGEMENT_ACTIONS if _actions_cover(as_list(statement.get("Action")), [a])]
        if locked:
            problems.append(f"{where}: denies {', '.join(locked)} (CloudFormation and administrators need them)")
    for statement in statements:
        if statement.get("Effect") == "Allow":
            strangers = sorted({p for _, p in _principals(statement)} - principals)
            if strangers:
                problems.append(f"{where}: allows {', '.join(strangers)}, which is not listed")
    return problems


def _denies_all_but(statement: dict[str, Any], principals: set[str]) -> bool:
    """A Deny of the invoke action to Principal ``*`` unless aws:PrincipalArn is one of ``principals``."""
    condition = statement.get("Condition") or {}
    excepted = {
        value
        for operator in ("ArnNotEquals", "ArnNotLike")
        for value in as_list(condition.get(operator, {}).get("aws:PrincipalArn"))
    }
    return (
        _principals(statement) == [("AWS", "*")]
        and _actions_cover(as_list(statement.get("Action")), [INVOKE_ACTION])
        and excepted == principals
        and set(condition) <= {"ArnNotEquals", "ArnNotLike"}
    )


# --- CodeBuild: every command runs on its image ------------------------------------------------------------

# Checked against aws/aws-codebuild-docker-images (commit 1590e48): ubuntu/standard/7.0/Dockerfile and
# runtimes.yml, al/aarch64/standard/3.0/Dockerfile and runtimes.yml. Only the tools this app's build
# specs use are listed; a new tool must be added here with its source, or installed first.
# ``default_node``: the Node.js a build runs when its spec selects none: both Dockerfiles end their final stage
# with `RUN n $NODE_18_VERSION`.
IMAGES: dict[str, dict[str, Any]] = {
    "aws/codebuild/standard:7.0": {
        # Ubuntu 22.04; every apt layer ends with `rm -rf /var/lib/apt/lists/*`.
        "package_lists_removed": True,
        "default_node": "18",
        "tools": {
            "apt-get",
            "apt",
            "bash",
            "sh",
            "make",
            "git",
            "curl",
            "python3",
            "python",
            "pip",
            "pip3",
            "node",
            "npm",
            "docker",
            "aws",
        },
        "runtimes": {"python": {"3.9", "3.10", "3.11", "3.12", "3.13", "3.14"}, "nodejs": {"18", "20", "22", "24"}},
    },
    "aws/codebuild/amazonlinux-aarch64-standard:3.0": {
        # Amazon Linux 2023: dnf/yum fetch repository metadata on demand.
        "package_lists_removed": False,
        "default_node": "18",
        "tools": {"yum", "dnf", "bash", "sh", "make", "git", "curl", "python3", "pip3", "node", "npm", "docker", "aws"},
        "runtimes": {"python": {"3.9", "3.10", "3.11", "3.12", "3.13", "3.14"}, "nodejs": {"18", "20", "22", "24"}},
    },
}
SHELL_BUILTINS = {"export", "cd", "printf", "echo", "set", "test", "[", "true", "false", "source", ".", "exit"}
# Commands that put further tools on the PATH (make setup: .venv/bin and node_modules/.bin, see Makefile).
PROVIDES = {
    "make setup": {"cdk", "cfn-lint", "pytest"},
    "npm install -g aws-cdk@": {"cdk"},
    "npm install -g cdk-assets@": {"cdk-assets"},
}
PHASES = ("install", "pre_build", "build", "post_build")
APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")
APT_UPDATE = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*update\b")


def build_commands(project: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(runtime-versions, commands in the order CodeBuild runs them) of a project's build spec."""
    spec = project["Source"]["BuildSpec"]
    spec = json.loads(spec) if isinstance(spec, str) else spec
    phases = spec.get("phases", {})
    runtimes = phases.get("install", {}).get("runtime-versions", {})
    return runtimes, [command for phase in PHASES for command in phases.get(phase, {}).get("commands", [])]


def programs(command: str) -> list[str]:
    """The programs a shell command line runs (first word of each pipeline/list element, after VAR=value)."""
    found = []
    for part in re.split(r"\|\||&&|;|\|", command):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        words = [w for w in words if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", w)] if words else []
        if words and words[0] in ("sudo", "env"):
            words = words[1:]
        if words:
            found.append(words[0])
    return found


def _script_lines(command: str, repo: Path) -> list[str]:
    """The lines of a repository script the command runs (`bash scripts/x.sh`), else []."""
    words = command.split()
    if len(words) >= 2 and words[0] in ("bash", "sh") and (repo / words[1]).is_file():
        return (repo / words[1]).read_text().splitlines()
    return []


def codebuild_problems(stacks: Sequence[SynthesizedStack], repo: Path) -> list[str]:
    """Each project's runtime versions exist on its image, every program it runs is on the image (or put
    there by an earlier command), and on images without package lists no apt install runs before an update
    (in the build spec or in a repository script it runs)."""
    problems = []
    for synthesized in stacks:
        for logical_id, resource in synthesized.resources("AWS::CodeBuild::Project"):
            where = f"{synthesized.stack_name}/{logical_id}"
            project = resource["Properties"]
            image = IMAGES.get(project["Environment"]["Image"])
            if image is None:
                problems.append(f"{where}: image {project['Environment']['Image']} has no known tool list")
                continue
            runtimes, commands = build_commands(project)
            for runtime, version in runtimes.items():
                if str(version) not in image["runtimes"].get(runtime, set()):
                    problems.append(f"{where}: runtime {runtime} {version} is not on {project['Environment']['Image']}")
            problems += _command_problems(where, commands, image, repo)
    return problems


MAKE_TARGET = re.compile(r"^make\s+(?:-\S+\s+)*([A-Za-z][\w-]*)")


def _make_targets(repo: Path) -> set[str]:
    """The targets the repository's Makefile defines (``name:`` at the start of a line)."""
    makefile = repo / "Makefile"
    text = makefile.read_text() if makefile.is_file() else ""
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M))


def _command_problems(where: str, commands: list[str], image: dict[str, Any], repo: Path) -> list[str]:
    problems = []
    targets = _make_targets(repo)
    for command in commands:
        if (target := MAKE_TARGET.match(command)) and target.group(1) not in targets:
            problems.append(f"{where}: `{command}` runs make target {target.group(1)}, which the Makefile lacks")
    available = set(image["tools"]) | SHELL_BUILTINS
    lists_fresh = not image["package_lists_removed"]
    for command in commands:
        for line in [command, *_script_lines(command, repo)]:
            if APT_UPDATE.search(line):
                lists_fresh = True
            elif APT_INSTALL.search(line) and not lists_fresh:
                problems.append(
                    f"{where}: `{line.strip()}` runs before any apt-get update (the image has no package lists)"
                )
        for program in programs(command):
            if program not in available and not (repo / program).is_file():
                problems.append(f"{where}: `{command}` runs {program}, which is not on the image")
        for prefix, tools in PROVIDES.items():
            if command.startswith(prefix):
                available |= tools
    return problems


# Node.js release lines still maintained: the release table jsii 1.142 ships (@jsii/check-node, in
# jsii/_embedded/jsii/bin__jsii-runtime.js): 18 ended 2025-04-30, 20 on 2026-04-30; 22 runs to 2027-04-30, 24 to
# 2028-04-30. The CDK CLI and cdk-assets run on whatever Node the build selects.
MAINTAINED_NODE = ("22", "24")
NODE_PROGRAMS = {"node", "npm", "npx", "cdk", "cdk-assets"}
# Commands that bring their own Node.js (make setup: Node 24 from its wheel into .venv/bin, scripts/link_node.py).
BRINGS_NODE = ("make setup",)
NPM_GLOBAL_INSTALL = re.compile(r"\bnpm\s+install\s+(?:-\S+\s+)*-g\s+((?:@[\w.-]+/)?[\w.-]+)(?:@(\S+))?")


def node_problems(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """A project that runs Node.js selects a maintained version, unless an earlier command brings its own; and
    every global npm install names an exact version (``@latest`` or none installs whatever is newest that day)."""
    problems = []
    for synthesized in stacks:
        for logical_id, resource in synthesized.resources("AWS::CodeBuild::Project"):
            where = f"{synthesized.stack_name}/{logical_id}"
            project = resource["Properties"]
            runtimes, commands = build_commands(project)
            image = IMAGES.get(project["Environment"]["Image"], {})
            node = str(runtimes.get("nodejs", image.get("default_node", "unknown")))
            for command in commands:
                if command.startswith(BRINGS_NODE):
                    break
                if NODE_PROGRAMS & set(programs(command)) and node not in MAINTAINED_NODE:
                    problems.append(
                        f"{where}: `{command}` runs on Node.js {node}, "
                        f"not a maintained line ({', '.join(MAINTAINED_NODE)})"
                    )
                    break
            for command in commands:
                for package, version in NPM_GLOBAL_INSTALL.findall(command):
                    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
                        problems.append(f"{where}: `{command}` installs {package} unpinned ({version or 'no version'})")
    return problems


def log_retention_problems(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """Every CodeBuild project logs to a log group of the template with a retention; without one CodeBuild writes
    to /aws/codebuild/<project>, which it creates with no expiry (CreateLogGroup sets none)."""
    problems = []
    for synthesized in stacks:
        resources = synthesized.template.get("Resources", {})
        for logical_id, resource in synthesized.resources("AWS::CodeBuild::Project"):
            logs = resource["Properties"].get("LogsConfig", {}).get("CloudWatchLogs", {})
            group = resources.get(_ref(logs.get("GroupName")) or "", {})
            if logs.get("Status") != "ENABLED" or "RetentionInDays" not in group.get("Properties", {}):
                problems.append(
                    f"{synthesized.stack_name}/{logical_id}: build logs never expire (no log group with a retention)"
                )
    return problems


# --- IAM: wildcards and cdk-nag acknowledgments ------------------------------------------------------------


def policy_statements(stacks: Iterable[SynthesizedStack]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(stack/logical id, statement) for every identity policy statement."""
    for synthesized in stacks:
        for logical_id, resource in synthesized.resources(
            "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"
        ):
            documents = [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
            if resource["Type"] != "AWS::IAM::Role":
                documents.append(resource["Properties"]["PolicyDocument"])
            for document in documents:
                for statement in document["Statement"]:
                    yield f"{synthesized.stack_name}/{logical_id}", statement


def unexplained_wildcards(stacks: Iterable[SynthesizedStack]) -> list[str]:
    """Allow statements with ``*`` / ``service:*`` actions, or a wildcard no REQUIRED_WILDCARDS entry explains."""
    found = []
    for where, statement in policy_statements(stacks):
        if statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        found += [f"{where}: action {a}" for a in actions if a == "*" or a.endswith(":*")]
        if not explained(statement, REQUIRED_WILDCARDS):
            wildcards = [r for r in map(render, as_list(statement.get("Resource"))) if "*" in r]
            found.append(f"{where}: {actions} on {', '.join(wildcards) or 'its resources'}")
    return found


def bare_star_acknowledgments(stacks: Sequence[SynthesizedStack], report: dict[str, Any]) -> list[str]:
    """cdk-nag acknowledgments of ``IAM5[Resource::*]`` on a policy holding a ``*`` statement that no
    REQUIRED_WILDCARDS entry explains (cdk-nag names every ``"Resource": "*"`` alike, so such an
    acknowledgment would accept any action on anything)."""
    policies = {
        f"/{path}" if not path.startswith("/") else path: (synthesized, logical_id)
        for synthesized in stacks
        for path, logical_id in synthesized.logical_ids.items()
    }
    problems = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("suppressedViolations", []):
            if violation["ruleName"] != "AwsSolutions-IAM5[Resource::*]":
                continue
            for construct in violation["violatingConstructs"]:
                synthesized, logical_id = policies[f"/{construct['constructPath']}"]
                document = synthesized.template["Resources"][logical_id]["Properties"]["PolicyDocument"]
                for statement in document["Statement"]:
                    if (
                        statement.get("Effect") == "Allow"
                        and "*" in as_list(statement.get("Resource"))
                        and not explained(statement, REQUIRED_WILDCARDS)
                    ):
                        problems.append(
                            f"{construct['constructPath']}: Resource::* acknowledged, but "
                            f"{as_list(statement['Action'])} on * is not a required wildcard"
                        )
    return problems


# --- pipeline smoke steps: each role allows what its commands call ------------------------------------------

# Account and region the rule fills into the ARNs a call names (the test app's fixed environment); the
# service's generated runtime-id suffix is any 10 letters/digits (API_Agent.html: agentRuntimeId pattern).
SAMPLE_RUNTIME_SUFFIX = "a1B2c3D4e5"
PSEUDO_VALUES = {"<AWS::Partition>": "aws", "<AWS::URLSuffix>": "amazonaws.com"}
SMOKE_SCRIPT = re.compile(r"-m scripts\.pipeline_smoke\s+(\S+)")
ALARM_NAME_ARGUMENT = re.compile(r"--alarm-name\s+(\S+)")
CLIENT_COMMAND = re.compile(r"-m client\s+(\S+)")


@dataclass(frozen=True)
class StageRuntime:
    """What a stage's Runtime template says about how it is reached."""

    name: str
    endpoint: str
    authorizer: str


@dataclass(frozen=True)
class Call:
    """One AWS API call a smoke command makes with the step's role, on a concrete ARN."""

    action: str
    resource: str


def stage_runtimes(stacks: Sequence[SynthesizedStack]) -> dict[str, StageRuntime]:
    """{stage: its runtime}: the authorizer is ``jwt`` when the Runtime has a CustomJWTAuthorizer, else ``iam``
    (AWS::BedrockAgentCore::Runtime AuthorizerConfiguration: absent means SigV4)."""
    found = {}
    for synthesized in stacks:
        for _, runtime in synthesized.resources("AWS::BedrockAgentCore::Runtime"):
            properties = runtime["Properties"]
            (endpoint,) = [
                e["Properties"]["Name"] for _, e in synthesized.resources("AWS::BedrockAgentCore::RuntimeEndpoint")
            ]
            authorizer = "jwt" if "CustomJWTAuthorizer" in properties.get("AuthorizerConfiguration", {}) else "iam"
            found[synthesized.stage] = StageRuntime(properties["AgentRuntimeName"], endpoint, authorizer)
    return found


def command_calls(command: str, runtime: StageRuntime, *, account: str, region: str) -> list[Call] | str:
    """The calls ``command`` makes with the step's role, or a problem when it cannot work on this runtime.

    From the code each command runs: scripts/pipeline_smoke.py (``ready``: get_agent_runtime and
    get_agent_runtime_endpoint; ``metric``: ListMetrics, no resource-level permissions; ``alarm``: SetAlarmState
    and DescribeAlarmHistory on the ``--alarm-name`` alarm), client/agent_client.py
    (IAM: boto3 invoke_agent_runtime with the endpoint as qualifier, checked against the runtime and its
    endpoint ARN as the L2's grant_invoke_runtime grants; JWT: a bearer token, no IAM call; ``login`` calls
    Cognito's InitiateAuth, which takes no AWS credentials, and is refused by the client on an IAM runtime).
    """
    runtime_arn, endpoint_arn = sample_arns(runtime, account=account, region=region)
    if script := SMOKE_SCRIPT.search(command):
        known: dict[str, list[Call]] = {
            "write-outputs": [],
            "ready": [
                Call("bedrock-agentcore:GetAgentRuntime", runtime_arn),
                Call("bedrock-agentcore:GetAgentRuntimeEndpoint", endpoint_arn),
            ],
            "metric": [Call("cloudwatch:ListMetrics", "*")],
            "alarm": [
                Call(action, f"arn:aws:cloudwatch:{region}:{account}:alarm:{shlex.split(name.group(1))[0]}")
                for name in [ALARM_NAME_ARGUMENT.search(command)]
                if name
                for action in ("cloudwatch:SetAlarmState", "cloudwatch:DescribeAlarmHistory")
            ],
        }
        return known.get(script.group(1), f"`{command}`: pipeline_smoke {script.group(1)} has no known calls")
    if client := CLIENT_COMMAND.search(command):
        action = client.group(1)
        if action == "login":
            return (
                f"`{command}` logs in to an IAM-authorized runtime (no user pool to trust)"
                if runtime.authorizer == "iam"
                else []
            )
        if action in ("demo", "invoke", "chat"):
            if runtime.authorizer == "jwt":
                return []
            return [Call("bedrock-agentcore:InvokeAgentRuntime", arn) for arn in (runtime_arn, endpoint_arn)]
        return f"`{command}`: client {action} has no known calls"
    return []


def sample_arns(runtime: StageRuntime, *, account: str, region: str) -> tuple[str, str]:
    """(runtime ARN, endpoint ARN) of a deployed ``runtime``, with a sample generated id suffix."""
    runtime_arn = f"arn:aws:bedrock-agentcore:{region}:{account}:runtime/{runtime.name}-{SAMPLE_RUNTIME_SUFFIX}"
    return runtime_arn, f"{runtime_arn}/runtime-endpoint/{runtime.endpoint}"


def stage_resource_policies(
    stacks: Sequence[SynthesizedStack], *, account: str, region: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """{stage: {ARN: resource policy as deployed}} for the runtime and its endpoint
    (AWS::BedrockAgentCore::ResourcePolicy, stacks/runtime/invoke_policy.py), endpoint first: the evaluator
    applies the first ARN a call's resource equals or lies under."""
    runtimes = stage_runtimes(stacks)
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for synthesized in stacks:
        policies = [r for _, r in synthesized.resources("AWS::BedrockAgentCore::ResourcePolicy")]
        for resource in sorted(policies, key=lambda r: "AgentRuntimeEndpointArn" not in json.dumps(r)):
            target = resource["Properties"]["ResourceArn"]
            attribute = target.get("Fn::GetAtt", [None, None])[1] if isinstance(target, dict) else None
            arns = dict(
                zip(
                    ("AgentRuntimeArn", "AgentRuntimeEndpointArn"),
                    sample_arns(runtimes[synthesized.stage], account=account, region=region),
                    strict=True,
                )
            )
            if attribute not in arns:
                continue
            text = _concrete(resource["Properties"]["Policy"], account=account, region=region)
            text = text.replace(f"<{target['Fn::GetAtt'][0]}.{attribute}>", arns[attribute])
            found[synthesized.stage][arns[attribute]] = json.loads(text)
    return dict(found)


def _concrete(value: Any, *, account: str, region: str) -> Any:
    """A policy value with the pseudo parameters filled in (``Fn::Join``/``Ref``/``GetAtt`` rendered first): what
    IAM sees once CloudFormation has deployed it. A reference to another resource stays ``<Logical.Attr>``,
    which matches no real ARN."""
    if isinstance(value, list):
        return [_concrete(item, account=account, region=region) for item in value]
    text = render(value)
    for pseudo, concrete in {**PSEUDO_VALUES, "<AWS::Region>": region, "<AWS::AccountId>": account}.items():
        text = text.replace(pseudo, concrete)
    return text


def _policy(statements: Sequence[dict[str, Any]], *, account: str, region: str) -> dict[str, Any]:
    """The statements as one deployed policy document."""
    keys = ("Resource", "NotResource")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {k: _concrete(v, account=account, region=region) if k in keys else v for k, v in statement.items()}
            for statement in statements
        ],
    }


def role_statements(stack: SynthesizedStack, role_id: str) -> list[dict[str, Any]]:
    """Every identity-policy statement attached to the role: its inline policies and AWS::IAM::Policy resources."""
    role = stack.template["Resources"][role_id]["Properties"]
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for _, policy in stack.resources("AWS::IAM::Policy"):
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def smoke_steps(stacks: Sequence[SynthesizedStack]) -> Iterator[tuple[SynthesizedStack, str, str]]:
    """(pipeline stack, CodeBuild project id, stage) for each CodeBuild action in a pipeline stage that deploys
    an app stage (the smoke steps: CDK Pipelines runs ``post`` steps as CodeBuild actions of that stage)."""
    runtimes = stage_runtimes(stacks)
    for synthesized in stacks:
        for _, pipeline in synthesized.resources("AWS::CodePipeline::Pipeline"):
            for stage in pipeline["Properties"]["Stages"]:
                if stage["Name"] not in runtimes:
                    continue
                for action in stage["Actions"]:
                    if action["ActionTypeId"]["Provider"] == "CodeBuild":
                        yield synthesized, action["Configuration"]["ProjectName"]["Ref"], stage["Name"]


def _step_calls(
    pipeline: SynthesizedStack, project_id: str, runtime: StageRuntime, *, account: str, region: str
) -> tuple[list[Call], list[str]]:
    """The calls one smoke step makes with its role, and a problem for each command that cannot work on its
    stage's ``runtime`` (CodeBuild fetches SECRETS_MANAGER variables with the project's role too)."""
    project = pipeline.template["Resources"][project_id]["Properties"]
    calls: list[Call] = []
    problems = []
    for command in build_commands(project)[1]:
        found = command_calls(command, runtime, account=account, region=region)
        if isinstance(found, str):
            problems.append(f"{pipeline.stack_name}/{project_id}: {found}")
        else:
            calls += found
    for variable in project["Environment"].get("EnvironmentVariables", []):
        if variable.get("Type") == "SECRETS_MANAGER":
            secret = variable["Value"].split(":")[0]
            arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-AbCdEf"
            calls.append(Call("secretsmanager:GetSecretValue", arn))
    return calls, problems


def smoke_calls(stacks: Sequence[SynthesizedStack], *, account: str, region: str) -> list[tuple[str, Call]]:
    """(project, call) for every call the smoke steps make: what ``smoke_permission_problems`` checks."""
    runtimes = stage_runtimes(stacks)
    return [
        (project_id, call)
        for pipeline, project_id, stage in smoke_steps(stacks)
        for call in _step_calls(pipeline, project_id, runtimes[stage], account=account, region=region)[0]
    ]


def smoke_permission_problems(stacks: Sequence[SynthesizedStack], *, account: str, region: str) -> list[str]:
    """Each smoke step's commands work against its stage's runtime, and its role allows every call they make,
    as decided by an IAM evaluator (tests/support/iam_simulator.py) over the role's policies and the runtime's
    resource policy as deployed. Commands that cannot work are listed first, then the denied calls."""
    unworkable, denied = [], []
    runtimes = stage_runtimes(stacks)
    resource_policies = stage_resource_policies(stacks, account=account, region=region)
    for pipeline, project_id, stage in smoke_steps(stacks):
        calls, problems = _step_calls(pipeline, project_id, runtimes[stage], account=account, region=region)
        unworkable += problems
        role_id = pipeline.template["Resources"][project_id]["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
        decisions = evaluate(
            [AwsCall(action=c.action, resource=c.resource) for c in calls],
            principal_arn=f"arn:aws:iam::{account}:role/{role_id}",
            account=account,
            identity_policies=[_policy(role_statements(pipeline, role_id), account=account, region=region)],
            resource_policies=resource_policies.get(stage),
        )
        denied += [
            f"{pipeline.stack_name}/{project_id}: role {role_id} may not {d.call.action} on {d.call.resource}"
            for d in decisions
            if not d.allowed
        ]
    return unworkable + denied
