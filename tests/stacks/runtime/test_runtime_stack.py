"""Runtime stack: image asset, runtime, endpoint, conversation store, execution role and outputs."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from stacks.constructs.stack_outputs import parameter_name
from stacks.output_keys import RUNTIME, published_outputs
from stacks.runtime.runtime_stack import AGENT_DIR
from stacks.validation import ConfigError
from tests.support.agentcore_headers import END_USER_HEADER

# What agent/.dockerignore keeps out of the build context (and so out of the asset hash).
DOCKER_IGNORED = {"__pycache__"}


def template(stage) -> Template:
    return Template.from_stack(stage.runtime)


def resource_types(stage) -> list[str]:
    return sorted(r["Type"] for r in template(stage).to_json()["Resources"].values())


def role_statements(stage) -> list[dict]:
    policies = template(stage).find_resources("AWS::IAM::Policy")
    assert len(policies) == 1
    return next(iter(policies.values()))["Properties"]["PolicyDocument"]["Statement"]


def statement(stage, sid: str) -> dict:
    return next(s for s in role_statements(stage) if s.get("Sid") == sid)


TRACING = ["AWS::Logs::Delivery", "AWS::Logs::DeliveryDestination", "AWS::Logs::DeliverySource"]


def test_runtime_resources_pinned_for_s3_store(dev):
    """The whole list: no Lambda, no custom resource, no CodeBuild (the image is a CDK asset), and no X-Ray
    resource policy (the account holds at most 5; AWS creates one shared policy per AgentCore resource type)."""
    assert resource_types(dev) == sorted(
        [
            "AWS::BedrockAgentCore::Runtime",
            "AWS::BedrockAgentCore::RuntimeEndpoint",
            "AWS::IAM::Policy",
            "AWS::IAM::Role",
            *TRACING,
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
        ]
        + ["AWS::SSM::Parameter"] * 9
    )


def test_runtime_image_is_arm64_asset_tagged_by_content_hash(dev):
    runtime = next(iter(template(dev).find_resources("AWS::BedrockAgentCore::Runtime").values()))
    uri = runtime["Properties"]["AgentRuntimeArtifact"]["ContainerConfiguration"]["ContainerUri"]["Fn::Sub"]
    assert re.fullmatch(
        r"123456789012\.dkr\.ecr\.us-east-1\.\$\{AWS::URLSuffix\}/cdk-hnb659fds-container-assets-123456789012-us-east-1:[0-9a-f]{64}",
        uri,
    ), uri


def test_runtime_image_asset_builds_agent_dir_for_linux_arm64(build):
    app, stage = build()
    assembly_dir = Path(app.synth().directory)
    assets_file = next(assembly_dir.rglob(f"{stage.runtime.artifact_id}.assets.json"))
    assets = json.loads(assets_file.read_text())
    ((image_hash, image),) = assets["dockerImages"].items()
    assert image["source"]["platform"] == "linux/arm64"
    assert [d["imageTag"] for d in image["destinations"].values()] == [image_hash]
    staged = (assets_file.parent / image["source"]["directory"]).resolve()
    assert sorted(p.name for p in staged.iterdir()) == sorted(
        p.name for p in AGENT_DIR.iterdir() if p.name not in DOCKER_IGNORED
    )


def test_runtime_properties_for_jwt_public_stage(dev):
    template(dev).has_resource_properties(
        "AWS::BedrockAgentCore::Runtime",
        {
            "AgentRuntimeName": "agentcore_session_dev",
            "Description": "Strands agent with per-session memory (dev)",
            "AuthorizerConfiguration": {
                "CustomJWTAuthorizer": {
                    "AllowedClients": [
                        {"Fn::ImportValue": Match.string_like_regexp("ExportsOutputRefUserPoolCliClient")},
                        {"Fn::ImportValue": Match.string_like_regexp("WebLogin:ExportsOutputRefWebClient")},
                    ],
                    "DiscoveryUrl": Match.any_value(),
                    "AllowedAudience": Match.absent(),
                }
            },
            "RequestHeaderConfiguration": {"RequestHeaderAllowlist": ["Authorization"]},
            "LifecycleConfiguration": {"IdleRuntimeSessionTimeout": 900, "MaxLifetime": 28800},
            "NetworkConfiguration": {"NetworkMode": "PUBLIC"},
            "ProtocolConfiguration": "HTTP",
            "EnvironmentVariables": {
                "MODEL_PROVIDER": "bedrock",
                "MODEL_ID": "global.anthropic.claude-sonnet-4-6",
                "LOG_LEVEL": "DEBUG",
                "AGENT_OBSERVABILITY_ENABLED": "true",
                "AGENT_TELEMETRY_CAPTURE_CONTENT": "false",
                "AUTHORIZER_TYPE": "jwt",
                "FORGET_ME_ENABLED": "true",
                "SESSION_STORE": "s3",
                "SESSION_BUCKET": {"Ref": Match.string_like_regexp("SessionStoreBucket")},
                "SESSION_PREFIX": "sessions/",
            },
            "Tags": {"app": "agentcore-session", "project": "agentcore-session-stack", "stage": "dev"},
        },
    )


@pytest.mark.parametrize(("capture", "rendered"), [(False, "false"), (True, "true")])
def test_telemetry_content_capture_is_the_stages_choice(build, capture, rendered):
    _, stage = build(overrides={"telemetry_capture_content": capture})
    template(stage).has_resource_properties(
        "AWS::BedrockAgentCore::Runtime",
        {"EnvironmentVariables": Match.object_like({"AGENT_TELEMETRY_CAPTURE_CONTENT": rendered})},
    )


def test_runtime_tracing_delivers_traces_to_xray(dev):
    t = template(dev)
    t.has_resource_properties(
        "AWS::Logs::DeliverySource",
        {"LogType": "TRACES", "ResourceArn": {"Fn::GetAtt": [Match.any_value(), "AgentRuntimeArn"]}},
    )
    t.has_resource_properties("AWS::Logs::DeliveryDestination", {"DeliveryDestinationType": "XRAY"})


def test_runtime_lifecycle_from_config(build):
    _, stage = build(overrides={"idle_timeout_seconds": 120, "max_lifetime_seconds": 3600})
    template(stage).has_resource_properties(
        "AWS::BedrockAgentCore::Runtime",
        {"LifecycleConfiguration": {"IdleRuntimeSessionTimeout": 120, "MaxLifetime": 3600}},
    )


def test_named_endpoint_follows_latest_version(dev):
    template(dev).has_resource_properties(
        "AWS::BedrockAgentCore::RuntimeEndpoint",
        {
            "Name": "live",
            "AgentRuntimeId": {"Fn::GetAtt": [Match.string_like_regexp("Runtime"), "AgentRuntimeId"]},
            "AgentRuntimeVersion": {"Fn::GetAtt": [Match.string_like_regexp("Runtime"), "AgentRuntimeVersion"]},
        },
    )


def test_session_bucket_private_encrypted_tls_only_with_expiry(dev):
    t = template(dev)
    t.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Delete",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": Match.absent(),
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "ExpireConversations",
                            "Prefix": "sessions/",
                            "ExpirationInDays": 30,
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                            "Status": "Enabled",
                        }
                    ]
                },
                "Tags": Match.any_value(),
            },
        },
    )
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ),
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_prod_bucket_retained_with_longer_expiry(prod):
    template(prod).has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Retain",
            "Properties": Match.object_like(
                {"LifecycleConfiguration": {"Rules": [Match.object_like({"ExpirationInDays": 90})]}}
            ),
        },
    )


def test_role_reads_writes_and_for_forget_me_deletes_session_objects_only_under_prefix(dev):
    statements = role_statements(dev)
    s3 = [s for s in statements if "s3:" in json.dumps(s["Action"])]
    bucket = next(iter(template(dev).find_resources("AWS::S3::Bucket")))
    under_prefix = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/sessions/*"]]}
    assert s3 == [
        {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow", "Resource": under_prefix},
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": {"Fn::GetAtt": [bucket, "Arn"]}},
        {"Action": "s3:DeleteObject", "Effect": "Allow", "Resource": under_prefix},
    ]


@pytest.fixture(scope="module")
def without_forget_me(build):
    return build(overrides={"forget_me": False})[1]


def test_without_forget_me_the_role_never_deletes_and_the_agent_refuses(without_forget_me):
    t = template(without_forget_me)
    bucket = next(iter(t.find_resources("AWS::S3::Bucket")))
    s3 = [s for s in role_statements(without_forget_me) if "s3:" in json.dumps(s["Action"])]

    assert [s["Action"] for s in s3] == [["s3:GetObject", "s3:PutObject"], "s3:ListBucket"]
    assert "Delete" not in json.dumps(role_statements(without_forget_me))
    assert s3[0]["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/sessions/*"]]}
    t.has_resource_properties(
        "AWS::BedrockAgentCore::Runtime",
        {"EnvironmentVariables": Match.object_like({"FORGET_ME_ENABLED": "false"})},
    )


def test_role_lists_the_session_bucket_without_a_prefix_condition(dev):
    """A missing key is 404 (a new session) only for callers allowed ListBucket; an s3:prefix condition
    would make that hinge on undocumented behaviour (a GetObject request carries no s3:prefix)."""
    (listing,) = [s for s in role_statements(dev) if s["Action"] == "s3:ListBucket"]
    assert "Condition" not in listing


def test_trust_policy_limited_to_this_account_and_runtime(dev):
    template(dev).has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": "123456789012"},
                            "ArnLike": {
                                "aws:SourceArn": {
                                    "Fn::Join": [
                                        "",
                                        [
                                            "arn:",
                                            {"Ref": "AWS::Partition"},
                                            ":bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_dev-*",
                                        ],
                                    ]
                                }
                            },
                        },
                    }
                ]
            }
        },
    )


@pytest.mark.parametrize(
    ("source_arn", "matches"),
    [
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_dev-AbCdE12345", True),
        (
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_dev-AbCdE12345/runtime-endpoint/live",
            True,
        ),
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_dev2-AbCdE12345", False),
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_devx-AbCdE12345", False),
    ],
)
def test_trust_source_arn_matches_this_runtime_and_no_other_stage(dev, source_arn, matches):
    """ArnLike semantics (``*`` any run of characters) over runtime ARNs shaped as botocore's AgentRuntimeArn."""
    role = next(iter(template(dev).find_resources("AWS::IAM::Role").values()))
    pattern = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]
    rendered = "".join(p if isinstance(p, str) else "aws" for p in pattern["Fn::Join"][1])
    assert bool(fnmatch.fnmatchcase(source_arn, rendered)) is matches


def test_jwt_runtime_role_denies_workload_tokens_for_arbitrary_user_ids(dev):
    assert statement(dev, "DenyWorkloadTokenForUserId") == {
        "Sid": "DenyWorkloadTokenForUserId",
        "Effect": "Deny",
        "Action": "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
        "Resource": "*",
    }


def test_iam_runtime_role_has_no_user_id_deny(build):
    _, stage = build(overrides={"authorizer": "iam"})
    assert not [s for s in role_statements(stage) if s.get("Sid") == "DenyWorkloadTokenForUserId"]


def test_ecr_pull_only_on_the_asset_repository(dev):
    pull = next(
        s
        for s in role_statements(dev)
        if s["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    )
    assert pull["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":ecr:us-east-1:123456789012:repository/cdk-hnb659fds-container-assets-123456789012-us-east-1",
            ],
        ]
    }


def test_logs_only_under_agentcore_runtimes(dev):
    assert (
        statement(dev, "LogGroupAccess")["Resource"]["Fn::Join"][1][-1]
        == ":logs:us-east-1:123456789012:log-group:/aws/bedrock-agentcore/runtimes/*"
    )
    assert (
        statement(dev, "LogStreamAccess")["Resource"]["Fn::Join"][1][-1]
        == ":logs:us-east-1:123456789012:log-group:/aws/bedrock-agentcore/runtimes/*:log-stream:*"
    )


def arn(suffix: str) -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, suffix]]}


def test_global_profile_grants_profile_and_routed_models_through_it(dev):
    direct = statement(dev, "InvokeConfiguredModel")
    assert direct["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    profile = arn(":bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-6")
    assert direct["Resource"] == profile
    routed = statement(dev, "InvokeModelThroughProfile")
    assert routed["Resource"] == [
        arn(":bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6"),
        arn(":bedrock:::foundation-model/anthropic.claude-sonnet-4-6"),
    ]
    assert routed["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile}}


def test_geographic_profile_grants_the_model_in_any_region_only_through_the_profile(build):
    """A Region AWS adds to the geography is allowed too (no hard-coded destination list), only via the profile."""
    _, stage = build(overrides={"model_id": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"})
    profile = arn(":bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert statement(stage, "InvokeConfiguredModel")["Resource"] == profile
    routed = statement(stage, "InvokeModelThroughProfile")
    assert routed["Resource"] == arn(":bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert routed["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile}}


def test_foundation_model_id_grants_only_that_model(build):
    _, stage = build(overrides={"model_id": "amazon.nova-pro-v1:0"})
    direct = statement(stage, "InvokeConfiguredModel")
    assert direct["Resource"] == arn(":bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0")
    assert not [s for s in role_statements(stage) if s.get("Sid") == "InvokeModelThroughProfile"]


@pytest.fixture(scope="module")
def memory_stage(build):
    return build(overrides={"session_store": "agentcore-memory", "memory_event_expiry_days": 14})[1]


def test_memory_store_resources_pinned(memory_stage):
    """One role (the runtime's): a memory without strategies never uses a service role, so it has none."""
    assert resource_types(memory_stage) == sorted(
        [
            "AWS::BedrockAgentCore::Memory",
            "AWS::BedrockAgentCore::Runtime",
            "AWS::BedrockAgentCore::RuntimeEndpoint",
            "AWS::IAM::Policy",
            "AWS::IAM::Role",
            *TRACING,
        ]
        + ["AWS::SSM::Parameter"] * 9
    )


def test_memory_is_short_term_only_with_expiry(memory_stage):
    template(memory_stage).has_resource_properties(
        "AWS::BedrockAgentCore::Memory",
        {
            "Name": "agentcore_session_dev_memory",
            "EventExpiryDuration": 14,
            "MemoryStrategies": Match.absent(),
            "MemoryExecutionRoleArn": Match.absent(),
        },
    )


def test_memory_name_can_be_set_to_redeploy_beside_a_retained_memory(build):
    _, stage = build(overrides={"session_store": "agentcore-memory", "memory_name": "agentcore_session_dev_memory2"})
    template(stage).has_resource_properties("AWS::BedrockAgentCore::Memory", {"Name": "agentcore_session_dev_memory2"})


def test_memory_store_env_and_event_grants(memory_stage):
    t = template(memory_stage)
    memory_id = next(iter(t.find_resources("AWS::BedrockAgentCore::Memory")))
    t.has_resource_properties(
        "AWS::BedrockAgentCore::Runtime",
        {
            "EnvironmentVariables": Match.object_like(
                {"SESSION_STORE": "agentcore-memory", "MEMORY_ID": {"Fn::GetAtt": [memory_id, "MemoryId"]}}
            )
        },
    )
    memory_arn = {"Fn::GetAtt": [memory_id, "MemoryArn"]}
    memory_statements = [s for s in role_statements(memory_stage) if s["Resource"] == memory_arn]
    actions = sorted(
        a for s in memory_statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    )
    assert actions == sorted(
        [
            "bedrock-agentcore:CreateEvent",
            "bedrock-agentcore:DeleteEvent",
            "bedrock-agentcore:GetEvent",
            "bedrock-agentcore:ListEvents",
            "bedrock-agentcore:ListSessions",  # forget-me (on by default) finds the caller's sessions
        ]
    )
    other_agentcore = [
        s for s in role_statements(memory_stage) if s not in memory_statements and "Memory" in json.dumps(s)
    ]
    assert other_agentcore == []
    assert not t.find_resources("AWS::S3::Bucket")


def test_memory_store_without_forget_me_lists_no_sessions(build):
    _, stage = build(overrides={"session_store": "agentcore-memory", "forget_me": False})
    actions = json.dumps(role_statements(stage))

    assert "bedrock-agentcore:ListSessions" not in actions
    assert "bedrock-agentcore:DeleteEvent" in actions  # the Strands integration's own call (replacing a message)


def test_iam_authorizer_stage_forwards_only_the_end_user_header(synthesized):
    """The synthesized IAM-mode runtime: no JWT authorizer, the end-user header allowlisted, no Authorization."""
    runtime_template = json.loads(next(synthesized("iam").glob("**/*Runtime*.template.json")).read_text())
    [runtime] = [
        r["Properties"] for r in runtime_template["Resources"].values() if r["Type"] == "AWS::BedrockAgentCore::Runtime"
    ]
    assert "AuthorizerConfiguration" not in runtime  # no JWT authorizer: SigV4, the service default
    assert runtime["RequestHeaderConfiguration"] == {"RequestHeaderAllowlist": [END_USER_HEADER]}
    assert runtime["EnvironmentVariables"]["AUTHORIZER_TYPE"] == "iam"
    assert runtime_template["Outputs"]["AuthorizerType"]["Value"] == "iam"


def test_local_front_door_forwards_what_the_synthesized_runtimes_allowlist(synthesized):
    """`make local` must forward exactly the headers AgentCore would, in both authorizer modes."""
    from local.front_door import FORWARDED_HEADERS as LOCAL_FORWARDED_HEADERS

    for configuration, authorizer in (("dev", "jwt"), ("iam", "iam")):
        runtime_template = json.loads(next(synthesized(configuration).glob("**/*Runtime*.template.json")).read_text())
        [runtime] = [
            r["Properties"]
            for r in runtime_template["Resources"].values()
            if r["Type"] == "AWS::BedrockAgentCore::Runtime"
        ]
        assert runtime["RequestHeaderConfiguration"]["RequestHeaderAllowlist"] == list(
            LOCAL_FORWARDED_HEADERS[authorizer]
        )


VPC = {
    "network_mode": "vpc",
    "vpc_id": "vpc-0123456789abcdef0",
    "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    "security_group_ids": ["sg-0123456789abcdef0"],
    "availability_zone_ids": ["use1-az1", "use1-az4"],
}


def test_vpc_network_uses_the_given_groups_and_creates_none(build):
    """A group the stack created would be replaced on the make-deploy/pipeline hand-over (its create-only
    description is the construct path) and then blocked by the runtime's lingering ENIs."""
    _, stage = build(overrides=VPC)
    t = template(stage)
    t.resource_count_is("AWS::EC2::SecurityGroup", 0)
    t.has_resource_properties(
        "AWS::BedrockAgentCore::Runtime",
        {
            "NetworkConfiguration": {
                "NetworkMode": "VPC",
                "NetworkModeConfig": {
                    "Subnets": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
                    "SecurityGroups": ["sg-0123456789abcdef0"],
                },
            }
        },
    )


def test_vpc_network_refuses_an_az_agentcore_does_not_support_in_the_region(build):
    with pytest.raises(ConfigError) as error:
        build(overrides={**VPC, "availability_zone_ids": ["use1-az1", "use1-az3"]})
    [problem] = error.value.problems
    assert (problem.key, problem.value) == ("availability_zone_ids[1]", "use1-az3")
    assert "us-east-1: use1-az1, use1-az2, use1-az4" in problem.allowed


def test_vpc_network_checks_no_az_when_the_region_is_unknown(build):
    """An environment-agnostic synth cannot know the Region: the ids are only checked for form (stacks/config.py)."""
    _, stage = build(overrides={**VPC, "availability_zone_ids": ["use1-az1", "use1-az3"]}, env=False)
    template(stage).resource_count_is("AWS::BedrockAgentCore::Runtime", 1)


OUTPUT_DESCRIPTIONS = {
    "AuthorizerType": "How callers authenticate: jwt (Cognito bearer) or iam (SigV4)",
    "EndpointName": "Runtime endpoint to invoke (the qualifier)",
    "ExecutionRoleArn": "Role the agent runs as",
    "ImageUri": "arm64 agent image, tagged by content hash",
    "Region": "Region of the runtime and of the stage's user pool",
    "RuntimeArn": "AgentCore Runtime ARN",
    "RuntimeId": "AgentCore Runtime id",
    "SessionBucketName": "S3 bucket holding conversations",
    "SessionStore": "Where conversations are kept",
}


def test_runtime_outputs_in_ssm_and_only_stable_ones_exported(dev):
    t = template(dev)
    outputs = {k: v for k, v in t.to_json()["Outputs"].items() if not k.startswith("ExportsOutput")}
    assert {key: output["Description"] for key, output in outputs.items()} == OUTPUT_DESCRIPTIONS
    assert sorted(published_outputs("s3")[RUNTIME]) == sorted(OUTPUT_DESCRIPTIONS)
    exports = {key: output.get("Export") for key, output in outputs.items()}
    # Exported: what no setting changes. SSM only: what changes with a setting or with code (output_keys.py).
    stable = {"ExecutionRoleArn", "Region"}
    assert exports == {
        key: {"Name": f"agentcore-session-dev-{key}"} if key in stable else None for key in OUTPUT_DESCRIPTIONS
    }
    parameters = {
        r["Properties"]["Name"]: r["Properties"]["Value"] for r in t.find_resources("AWS::SSM::Parameter").values()
    }
    assert parameters == {parameter_name(dev.config, key): output["Value"] for key, output in outputs.items()}
    assert parameters["/agentcore-session/dev/runtime-arn"] == outputs["RuntimeArn"]["Value"]
    runtime = next(iter(t.find_resources("AWS::BedrockAgentCore::Runtime")))
    assert outputs["EndpointName"]["Value"] == "live"
    assert outputs["RuntimeArn"]["Value"] == {"Fn::GetAtt": [runtime, "AgentRuntimeArn"]}
    assert outputs["SessionStore"]["Value"] == "s3"


def test_image_uri_is_in_ssm_but_never_exported(dev):
    """The URI changes with every code change; an imported export could then never be updated."""
    t = template(dev)
    output = t.to_json()["Outputs"]["ImageUri"]
    assert "Export" not in output
    assert re.fullmatch(
        r".*/cdk-hnb659fds-container-assets-123456789012-us-east-1:[0-9a-f]{64}", output["Value"]["Fn::Sub"]
    )
    parameter = next(
        r
        for r in t.find_resources("AWS::SSM::Parameter").values()
        if r["Properties"]["Name"] == "/agentcore-session/dev/image-uri"
    )
    assert parameter["Properties"]["Value"] == output["Value"]


def test_runtime_stack_exposes_typed_attributes(dev):
    """The attributes other stacks take by reference resolve to this stack's resources."""
    t = template(dev).to_json()["Resources"]
    runtime, endpoint, role = (
        next(k for k, r in t.items() if r["Type"] == kind)
        for kind in ("AWS::BedrockAgentCore::Runtime", "AWS::BedrockAgentCore::RuntimeEndpoint", "AWS::IAM::Role")
    )
    resolve = dev.runtime.resolve
    assert resolve(dev.runtime.runtime.agent_runtime_arn) == {"Fn::GetAtt": [runtime, "AgentRuntimeArn"]}
    assert resolve(dev.runtime.endpoint.endpoint_name) == "live"
    assert endpoint == "RuntimeEndpointlive725B2D33"
    assert resolve(dev.runtime.execution_role.role_arn) == {"Fn::GetAtt": [role, "Arn"]}
    assert dev.runtime.conversation_store.kind == "s3"
    bucket = dev.runtime.conversation_store.bucket
    assert resolve(bucket.bucket_name) == {"Ref": "SessionStoreBucket5762F7CC"}
    assert dev.identity.resolve(dev.identity.user_pool.user_pool_id) == {"Ref": "UserPool6BA7E5F2"}


def _runtime_in(tmp_path, region: str | None, **overrides) -> tuple[dict, Annotations]:
    """The dev stage's Runtime (properties and metadata) synthesized for ``region`` (None: environment-agnostic)."""
    import copy

    import aws_cdk as cdk

    from stacks.config import load_stage_config
    from stacks.stage import AgentCoreSessionStage
    from tests.support.cdk_app import cdk_json_context

    context = copy.deepcopy(cdk_json_context()["agentcore-session"])
    context["stages"]["dev"] |= overrides
    app = cdk.App(outdir=str(tmp_path))
    env = cdk.Environment(account="123456789012", region=region) if region else None
    stage = AgentCoreSessionStage(app, "dev", config=load_stage_config(context, "dev"), env=env)
    resources = Template.from_stack(stage.runtime).find_resources("AWS::BedrockAgentCore::Runtime")
    (runtime,) = resources.values()
    return runtime, Annotations.from_stack(stage.runtime)


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "ap-southeast-7"])
def test_runtime_is_pinned_to_v2_where_aws_lists_v2(tmp_path, region):
    runtime, annotations = _runtime_in(tmp_path, region)
    assert runtime["Properties"]["PlatformVersion"] == "V2"
    assert "Metadata" not in runtime
    assert annotations.find_warning("*", Match.string_like_regexp("platform_version")) == []


def test_runtime_is_left_to_the_service_default_with_a_warning_where_v2_is_not_listed(tmp_path):
    runtime, annotations = _runtime_in(tmp_path, "us-west-1")
    assert "PlatformVersion" not in runtime["Properties"]
    message = (
        "platform_version V2 is not offered in us-west-1 per AWS What's New 2026-11-12; "
        "left to the service default there"
    )
    assert runtime["Metadata"] == {"PlatformVersionChoice": f"service default: {message}"}
    (warning,) = annotations.find_warning("*", Match.string_like_regexp("platform_version"))
    assert warning.entry.data == f"{message} [ack: agentcore-session:platformVersion]"


def test_runtime_in_an_unknown_region_keeps_v2_and_says_the_check_was_skipped(tmp_path):
    runtime, annotations = _runtime_in(tmp_path, None)
    assert runtime["Properties"]["PlatformVersion"] == "V2"
    (info,) = annotations.find_info("*", Match.string_like_regexp("platform_version"))
    assert info.entry.data == (
        "platform_version V2 not checked against the Regions offering it (AWS What's New 2026-11-12): "
        "Region unknown at synth"
    )


@pytest.mark.parametrize(("configured", "rendered"), [("V1", "V1"), (None, None)])
def test_runtime_renders_an_explicit_v1_anywhere_and_an_unset_version_nowhere(tmp_path, configured, rendered):
    runtime, _ = _runtime_in(tmp_path, "us-west-1", platform_version=configured)
    assert runtime["Properties"].get("PlatformVersion") == rendered
    metadata = {"PlatformVersionChoice": "service default: platform_version unset"}
    assert runtime.get("Metadata") == (None if rendered else metadata)


def _templates(app) -> dict[str, dict]:
    """Every template of the synthesized assembly, by file name."""
    return {path.name: json.loads(path.read_text()) for path in Path(app.synth().directory).rglob("*.template.json")}


@pytest.mark.parametrize("overrides", [{}, {"session_store": "agentcore-memory"}], ids=["s3", "agentcore-memory"])
def test_long_term_memory_off_leaves_every_template_as_without_the_setting(build, overrides):
    """Off (cdk.json's false) synthesizes byte for byte what a cdk.json without the key does."""
    shipped, _ = build(overrides=overrides)
    without_key, _ = build(overrides=overrides, absent=("long_term_memory",))

    assert _templates(shipped) == _templates(without_key)


def test_long_term_memory_on_changes_the_templates_control(build):
    """Control for the test above: the comparison sees the setting when it is on."""
    off, _ = build(overrides={"session_store": "agentcore-memory"})
    on, _ = build(overrides={"session_store": "agentcore-memory", "long_term_memory": True})

    assert _templates(off) != _templates(on)


@pytest.fixture(scope="module")
def long_term_stage(build):
    return build(overrides={"session_store": "agentcore-memory", "long_term_memory": True})[1]


def test_long_term_memory_resources_pinned(long_term_stage):
    """The L2 Memory adds its service role (unused by built-in strategies: it gets no policy)."""
    assert resource_types(long_term_stage) == sorted(
        [
            "AWS::BedrockAgentCore::Memory",
            "AWS::BedrockAgentCore::Runtime",
            "AWS::BedrockAgentCore::RuntimeEndpoint",
            "AWS::IAM::Policy",
            "AWS::IAM::Role",
            "AWS::IAM::Role",
            *TRACING,
        ]
        + ["AWS::SSM::Parameter"] * 10
    )


def test_long_term_memory_has_the_built_in_strategies_with_per_actor_namespaces(long_term_stage):
    template(long_term_stage).has_resource_properties(
        "AWS::BedrockAgentCore::Memory",
        {
            "Name": "agentcore_session_dev_memory",
            "MemoryStrategies": [
                {"SemanticMemoryStrategy": {"Name": "facts", "Namespaces": ["/facts/{actorId}/"]}},
                {"UserPreferenceMemoryStrategy": {"Name": "preferences", "Namespaces": ["/preferences/{actorId}/"]}},
            ],
        },
    )


def test_turning_long_term_memory_on_updates_the_same_memory(memory_stage, long_term_stage):
    """Same logical id and name: CloudFormation updates the memory in place (Name is create-only)."""
    short, long = (template(s).find_resources("AWS::BedrockAgentCore::Memory") for s in (memory_stage, long_term_stage))
    assert list(short) == list(long)
    assert [r["Properties"]["Name"] for r in short.values()] == [r["Properties"]["Name"] for r in long.values()]


def test_long_term_memory_without_forget_me_grants_no_record_deletion(build):
    _, stage = build(overrides={"session_store": "agentcore-memory", "long_term_memory": True, "forget_me": False})
    actions = json.dumps(role_statements(stage))

    assert [
        a for a in ("ListSessions", "ListMemoryRecords", "BatchDeleteMemoryRecords", "Extraction") if a in actions
    ] == []
    assert "bedrock-agentcore:RetrieveMemoryRecords" in actions


def test_long_term_memory_env_output_and_grants(long_term_stage):
    t = template(long_term_stage)
    memory_id = next(iter(t.find_resources("AWS::BedrockAgentCore::Memory")))
    t.has_resource_properties(
        "AWS::BedrockAgentCore::Runtime",
        {
            "EnvironmentVariables": Match.object_like(
                {
                    "SESSION_STORE": "agentcore-memory",
                    "MEMORY_ID": {"Fn::GetAtt": [memory_id, "MemoryId"]},
                    "LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}/,/preferences/{actorId}/",
                }
            )
        },
    )
    assert t.to_json()["Outputs"]["LongTermMemoryNamespaces"]["Value"] == "/facts/{actorId}/,/preferences/{actorId}/"
    memory_arn = {"Fn::GetAtt": [memory_id, "MemoryArn"]}
    memory_statements = [s for s in role_statements(long_term_stage) if s["Resource"] == memory_arn]
    actions = sorted(a for s in memory_statements for a in s["Action"])
    assert actions == sorted(
        [
            "bedrock-agentcore:CreateEvent",
            "bedrock-agentcore:DeleteEvent",
            "bedrock-agentcore:GetEvent",
            "bedrock-agentcore:ListEvents",
            "bedrock-agentcore:RetrieveMemoryRecords",
            # forget-me (on by default): find the caller's sessions, wait for extraction, delete their records
            "bedrock-agentcore:ListSessions",
            "bedrock-agentcore:ListMemoryExtractionJobs",
            "bedrock-agentcore:ListMemoryRecords",
            "bedrock-agentcore:BatchDeleteMemoryRecords",
        ]
    )
    (service_role,) = [k for k in t.find_resources("AWS::IAM::Role") if k.startswith("SessionStoreMemory")]
    attached = [r for p in t.find_resources("AWS::IAM::Policy").values() for r in p["Properties"]["Roles"]]
    assert {"Ref": service_role} not in attached and len(attached) == 1  # the execution role's policy only


def _removal_policies(stage) -> dict[str, tuple[str | None, str | None]]:
    """The memory's and the Memory L2's service role's (DeletionPolicy, UpdateReplacePolicy), by logical id."""
    t = template(stage)
    resources = {**t.find_resources("AWS::BedrockAgentCore::Memory"), **t.find_resources("AWS::IAM::Role")}
    return {
        logical_id: (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        for logical_id, resource in resources.items()
        if logical_id.startswith("SessionStoreMemory")
    }


def test_dev_memories_are_deleted_with_the_stack(memory_stage, long_term_stage):
    """Both memory stores follow the stage's removal_policy (destroy in dev); the L2's service role gets none."""
    assert _removal_policies(memory_stage) == {"SessionStoreMemory451E5AAD": ("Delete", "Delete")}
    assert _removal_policies(long_term_stage) == {
        "SessionStoreMemory451E5AAD": ("Delete", "Delete"),
        "SessionStoreMemoryServiceRoleDE11A432": (None, None),
    }


@pytest.mark.parametrize("long_term", [False, True], ids=["short-term", "long-term"])
def test_prod_memories_are_retained(build, long_term):
    """prod's removal_policy retain keeps the conversations after `make destroy`, with either memory store."""
    _, stage = build(stage="prod", overrides={"session_store": "agentcore-memory", "long_term_memory": long_term})
    retained = {"SessionStoreMemory451E5AAD": ("Retain", "Retain")}
    role = {"SessionStoreMemoryServiceRoleDE11A432": (None, None)} if long_term else {}
    assert _removal_policies(stage) == {**retained, **role}
