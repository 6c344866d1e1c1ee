"""What the synthesized Runtime stack gives the agent: its environment and its role, with values resolved.

The deployed-configuration tests read these from the real template of a stage (``cdk synth`` in-process,
the way tests/stacks builds it), so a change to the stack's environment or role is what the tests run.
CloudFormation intrinsics are resolved to the test's values: ``Ref`` of a resource to the physical id the
test created for it (the session bucket on moto), pseudo parameters to the stage's account and region,
``Fn::GetAtt <bucket>.Arn`` to the bucket's ARN, ``Fn::Join`` and ``Fn::Sub`` over those. Anything else
raises, naming the value, so a new intrinsic cannot slip through unresolved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

RUNTIME_TYPE = "AWS::BedrockAgentCore::Runtime"
BUCKET_TYPE = "AWS::S3::Bucket"
MEMORY_TYPE = "AWS::BedrockAgentCore::Memory"


class UnresolvedValue(ValueError):
    """A template value the resolver does not know how to evaluate."""


@dataclass(frozen=True)
class DeployedRuntimeStack:
    """The Runtime stack's template with the stage's account, region and partition."""

    template: dict[str, Any]
    account: str
    region: str
    partition: str = "aws"

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id → resource, for every resource of ``resource_type``."""
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def only(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        """The single resource of a type (fails loudly when there are none or several)."""
        [(logical_id, resource)] = self.resources_of_type(resource_type).items()
        return logical_id, resource

    def resolver(self, physical_ids: Mapping[str, str]) -> Resolver:
        """A resolver that maps ``Ref <logical id>`` to ``physical_ids`` (e.g. the bucket the test created)."""
        return Resolver(self, dict(physical_ids))

    def runtime_environment(self, physical_ids: Mapping[str, str]) -> dict[str, str]:
        """The Runtime's ``EnvironmentVariables``, resolved."""
        _, runtime = self.only(RUNTIME_TYPE)
        resolve = self.resolver(physical_ids)
        return {name: resolve(value) for name, value in runtime["Properties"].get("EnvironmentVariables", {}).items()}

    def execution_role_policies(self, physical_ids: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every identity policy document attached to the Runtime's execution role, resolved.

        The role is the one the Runtime's ``RoleArn`` points at; its policies are its inline ``Policies`` and
        every ``AWS::IAM::Policy`` naming it in ``Roles``. A managed policy ARN cannot be evaluated offline,
        so its presence raises.
        """
        _, runtime = self.only(RUNTIME_TYPE)
        role_id = runtime["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        role = self.template["Resources"][role_id]["Properties"]
        if role.get("ManagedPolicyArns"):
            raise UnresolvedValue(
                f"role {role_id} has managed policies {role['ManagedPolicyArns']!r}; they cannot be evaluated"
            )
        documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
        documents += [
            policy["Properties"]["PolicyDocument"]
            for policy in self.resources_of_type("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"].get("Roles", [])
        ]
        resolve = self.resolver(physical_ids)
        return [resolve.document(document) for document in documents]

    def bucket_policy(self, physical_ids: Mapping[str, str], bucket_logical_id: str) -> dict[str, Any] | None:
        """The resolved ``AWS::S3::BucketPolicy`` document of a bucket, None when it has none."""
        resolve = self.resolver(physical_ids)
        for policy in self.resources_of_type("AWS::S3::BucketPolicy").values():
            if policy["Properties"]["Bucket"] == {"Ref": bucket_logical_id}:
                return resolve.document(policy["Properties"]["PolicyDocument"])
        return None


class Resolver:
    """Evaluates the CloudFormation intrinsics the Runtime stack's environment and policies use."""

    def __init__(self, stack: DeployedRuntimeStack, physical_ids: dict[str, str]) -> None:
        self._stack = stack
        self._refs = {
            "AWS::AccountId": stack.account,
            "AWS::Region": stack.region,
            "AWS::Partition": stack.partition,
            "AWS::URLSuffix": "amazonaws.com",
            **physical_ids,
        }

    def __call__(self, value: Any) -> Any:
        """The value with every intrinsic evaluated."""
        if isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, dict) and len(value) == 1:
            [(name, argument)] = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::GetAtt":
                return self._get_att(*argument)
            if name == "Fn::Join":
                separator, parts = argument
                return separator.join(str(self(part)) for part in parts)
            if name == "Fn::Sub" and isinstance(argument, str):
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._ref(m.group(1))), argument)
        if isinstance(value, dict) and not any(key.startswith("Fn::") or key == "Ref" for key in value):
            return {key: self(item) for key, item in value.items()}
        raise UnresolvedValue(f"cannot resolve template value {value!r}")

    def document(self, document: dict[str, Any]) -> dict[str, Any]:
        """A policy document with every intrinsic evaluated."""
        return self(document)

    def _ref(self, name: str) -> str:
        if name not in self._refs:
            raise UnresolvedValue(f"no physical id given for Ref {name!r}")
        return self._refs[name]

    def _get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self._stack.template["Resources"].get(logical_id, {}).get("Type")
        if resource_type == BUCKET_TYPE and attribute == "Arn":
            return f"arn:{self._stack.partition}:s3:::{self._ref(logical_id)}"
        if resource_type == MEMORY_TYPE and attribute == "MemoryId":
            return self._ref(logical_id)
        if resource_type == MEMORY_TYPE and attribute == "MemoryArn":
            stack = self._stack
            return (
                f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}:memory/{self._ref(logical_id)}"
            )
        raise UnresolvedValue(f"cannot resolve Fn::GetAtt {logical_id}.{attribute} ({resource_type})")


def synthesize_runtime_stack(
    out_dir: Path, *, stage: str = "dev", overrides: dict[str, Any] | None = None
) -> DeployedRuntimeStack:
    """Synthesize ``stage`` (with ``overrides`` of its settings) the way tests/stacks does and return its Runtime
    stack's template."""
    from tests.support.cdk_app import ACCOUNT, REGION, build_stage  # the one way the suite builds the app

    _, stage_construct = build_stage(out_dir, stage=stage, overrides=overrides)
    return DeployedRuntimeStack(
        template=Template.from_stack(stage_construct.runtime).to_json(), account=ACCOUNT, region=REGION
    )
