"""The opt-in pipeline: tests before synth, ARM asset builds, dev → smoke → approval → prod → smoke,
secrets only by reference, cfn-lint and cdk-nag clean. One synthesized app is shared by the module."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from app import PIPELINE_STACK_NAME, build_app, build_pipeline_app
from stacks.iam_wildcards import acknowledgeable, render
from stacks.nag_report import findings
from stacks.pipeline.pipeline_findings import PIPELINE_WILDCARDS
from stacks.pipeline.smoke_step import CI_SECRET_KEYS
from tests.support.cdk_app import CONNECTION_ARN, PIPELINE_CONTEXT, cdk_json_context
from tests.support.paths import REPO

SECRET_NAME = "agentcore-session/ci-users"


@pytest.fixture(scope="module")
def template(pipeline_build) -> dict[str, Any]:
    return Template.from_stack(pipeline_build[0]).to_json()


@pytest.fixture(scope="module")
def projects(template) -> dict[str, dict[str, Any]]:
    """CodeBuild projects by logical id, with the buildspec parsed."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::CodeBuild::Project":
            props = resource["Properties"]
            found[logical_id] = {**props, "spec": json.loads(props["Source"]["BuildSpec"])}
    return found


@pytest.fixture(scope="module")
def stages(template) -> list[dict[str, Any]]:
    pipeline = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline")
    return pipeline["Properties"]["Stages"]


def _project(projects, prefix: str) -> dict[str, Any]:
    (match,) = [p for logical_id, p in projects.items() if logical_id.startswith(prefix)]
    return match


WEB_CONTENT_ASSETS = ("Files_", "Custom_CDKBucketDeployment")


def _actions(stages, name: str) -> list[tuple[str, str, int]]:
    stage = next(s for s in stages if s["Name"] == name)
    return [(a["Name"], a["ActionTypeId"]["Provider"], a["RunOrder"]) for a in stage["Actions"]]


def test_pipeline_stage_order_is_source_build_mutate_assets_dev_prod(stages):
    assert [s["Name"] for s in stages] == ["Source", "Build", "UpdatePipeline", "Assets", "dev", "prod"]


def test_source_is_the_configured_connection_repository_and_branch(stages):
    (action,) = next(s for s in stages if s["Name"] == "Source")["Actions"]
    assert action["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert action["Configuration"]["ConnectionArn"] == CONNECTION_ARN
    assert action["Configuration"]["FullRepositoryId"] == "my-org/agentcore-session-stack"
    assert action["Configuration"]["BranchName"] == "main"


def test_synth_step_installs_from_lock_files_and_runs_tests_before_synth(projects):
    synth = _project(projects, "PipelineBuildSynth")
    spec = synth["spec"]
    assert spec["phases"]["install"] == {
        "runtime-versions": {"python": "3.12"},
        "commands": ["make setup"],
    }
    assert synth["Environment"]["EnvironmentVariables"] == [{"Name": "CI", "Type": "PLAINTEXT", "Value": "true"}]
    assert synth["Environment"]["PrivilegedMode"] is False
    assert synth["Environment"]["ComputeType"] == "BUILD_GENERAL1_MEDIUM"
    commands = spec["phases"]["build"]["commands"]
    assert commands[0] == "make test-fast"
    assert commands[-1] == (
        "cdk synth --quiet -c pipeline=true -c pipeline_repository=my-org/agentcore-session-stack "
        "-c pipeline_branch=main "
        f"-c pipeline_connection_arn={CONNECTION_ARN} -c pipeline_ci_secret_name={SECRET_NAME}"
    )
    assert spec["artifacts"]["base-directory"] == "cdk.out"


def test_make_setup_installs_exactly_the_lock_files():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^setup: \$\(VENV\)/\.installed node_modules/\.installed", makefile, re.M)
    assert "pip sync --quiet --require-hashes --python $(BIN)/python requirements-dev.lock" in makefile
    assert re.search(r"^\tnpm ci ", makefile, re.M)


def test_self_mutation_is_on(stages):
    assert _actions(stages, "UpdatePipeline") == [("SelfMutate", "CodeBuild", 1)]


def test_docker_assets_publish_on_a_privileged_arm_build_image(projects):
    docker = {k: p for k, p in projects.items() if "cdk-assets" in json.dumps(p["spec"]) and "DockerAsset" in k}
    assert docker, "no Docker asset publishing project"
    for project in docker.values():
        assert project["Environment"]["Type"] == "ARM_CONTAINER"
        assert project["Environment"]["Image"] == "aws/codebuild/amazonlinux-aarch64-standard:3.0"
        assert project["Environment"]["PrivilegedMode"] is True


def test_one_arm64_image_asset_serves_both_stages(stages):
    names = [name for name, provider, _ in _actions(stages, "Assets")]
    assert [n for n in names if not n.startswith(WEB_CONTENT_ASSETS)] == ["Runtime_AgentRuntimeArtifact"]
    # The web content stack's file assets: the built app, config.json's source, BucketDeployment's code and layer.
    assert len(names) == 5


def test_dev_deploys_automatically_then_runs_its_smoke_test(stages):
    """The web stacks' order is the acyclic one: hosting, login (client), runtime, content (stacks/stage.py)."""
    assert _actions(stages, "dev") == [
        ("AgentCoreSession-dev-Identity.Prepare", "CloudFormation", 1),
        ("AgentCoreSession-dev-WebHosting.Prepare", "CloudFormation", 1),
        ("AgentCoreSession-dev-Identity.Deploy", "CloudFormation", 2),
        ("AgentCoreSession-dev-WebHosting.Deploy", "CloudFormation", 2),
        ("AgentCoreSession-dev-WebLogin.Prepare", "CloudFormation", 3),
        ("AgentCoreSession-dev-WebLogin.Deploy", "CloudFormation", 4),
        ("AgentCoreSession-dev-Runtime.Prepare", "CloudFormation", 5),
        ("AgentCoreSession-dev-Runtime.Deploy", "CloudFormation", 6),
        ("AgentCoreSession-dev-Monitoring.Prepare", "CloudFormation", 7),
        ("AgentCoreSession-dev-WebContent.Prepare", "CloudFormation", 7),
        ("AgentCoreSession-dev-Monitoring.Deploy", "CloudFormation", 8),
        ("AgentCoreSession-dev-WebContent.Deploy", "CloudFormation", 8),
        ("SmokeTest-dev", "CodeBuild", 9),
    ]


def test_prod_waits_for_manual_approval_then_runs_its_smoke_test(stages):
    assert _actions(stages, "prod") == [
        ("PromoteToProd", "Manual", 1),
        ("AgentCoreSession-prod-Identity.Prepare", "CloudFormation", 2),
        ("AgentCoreSession-prod-WebHosting.Prepare", "CloudFormation", 2),
        ("AgentCoreSession-prod-Identity.Deploy", "CloudFormation", 3),
        ("AgentCoreSession-prod-WebHosting.Deploy", "CloudFormation", 3),
        ("AgentCoreSession-prod-WebLogin.Prepare", "CloudFormation", 4),
        ("AgentCoreSession-prod-WebLogin.Deploy", "CloudFormation", 5),
        ("AgentCoreSession-prod-Runtime.Prepare", "CloudFormation", 6),
        ("AgentCoreSession-prod-Runtime.Deploy", "CloudFormation", 7),
        ("AgentCoreSession-prod-Monitoring.Prepare", "CloudFormation", 8),
        ("AgentCoreSession-prod-WebContent.Prepare", "CloudFormation", 8),
        ("AgentCoreSession-prod-Monitoring.Deploy", "CloudFormation", 9),
        ("AgentCoreSession-prod-WebContent.Deploy", "CloudFormation", 9),
        ("SmokeTest-prod", "CodeBuild", 10),
    ]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_smoke_step_checks_readiness_with_stage_outputs(stages, projects, stage):
    spec = _project(projects, f"Pipeline{stage}SmokeTest")["spec"]
    assert spec["phases"]["build"]["commands"][:2] == [
        f"python3 -m scripts.pipeline_smoke write-outputs --stage {stage}",
        f"python3 -m scripts.pipeline_smoke ready --stage {stage}",
    ]
    action = next(a for s in stages if s["Name"] == stage for a in s["Actions"] if a["Name"] == f"SmokeTest-{stage}")
    variables = {v["name"]: v["value"] for v in json.loads(action["Configuration"]["EnvironmentVariables"])}
    expected = {"RuntimeArn", "RuntimeId", "EndpointName", "AuthorizerType", "Region", "UserPoolId", "UserPoolClientId"}
    assert {name.removeprefix("OUT_") for name in variables} == expected
    for key, value in variables.items():
        assert re.fullmatch(rf"#\{{[A-Za-z0-9_]+\.{key.removeprefix('OUT_')}\}}", value), (key, value)


def test_dev_smoke_runs_the_client_demo_with_ci_users(projects):
    commands = _project(projects, "PipelinedevSmokeTest")["spec"]["phases"]["build"]["commands"]
    assert commands[2:5] == [
        'printf "%s\\n" "$CI_PASSWORD_A" | python3 -m client login "$CI_USER_A" --stage dev --password-stdin',
        'printf "%s\\n" "$CI_PASSWORD_B" | python3 -m client login "$CI_USER_B" --stage dev --password-stdin',
        'python3 -m client demo --stage dev --users "$CI_USER_A" "$CI_USER_B"',
    ]


def _alarm_dimensions(assembly: Path, stage: str) -> list[dict[str, Any]]:
    """The synthesized Latency alarm's metric of the stage's monitoring template."""
    (monitoring,) = assembly.rglob(f"*{stage}Monitoring*.template.json")
    alarms = json.loads(monitoring.read_text())["Resources"]
    (latency,) = [r for k, r in alarms.items() if r["Type"] == "AWS::CloudWatch::Alarm" and "Latency" in k]
    return latency["Properties"]["Metrics"][0]["MetricStat"]["Metric"]


def test_dev_smoke_then_checks_the_metric_the_alarms_watch(projects, pipeline_build):
    """Namespace, name and each dimension come from the synthesized alarm; the runtime ARN from the stage outputs."""
    commands = _project(projects, "PipelinedevSmokeTest")["spec"]["phases"]["build"]["commands"]
    metric = _alarm_dimensions(pipeline_build[1], "dev")
    dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
    assert list(dimensions) == ["Name", "Operation", "Resource"]
    # The alarm's Resource is the SSM parameter the runtime stack writes with the value of its RuntimeArn output.
    (monitoring_template,) = pipeline_build[1].rglob("*devMonitoring*.template.json")
    parameters = json.loads(monitoring_template.read_text())["Parameters"]
    name = parameters[dimensions["Resource"]["Ref"]]["Default"]
    (runtime_template,) = pipeline_build[1].rglob("*devRuntime*.template.json")
    runtime = json.loads(runtime_template.read_text())
    (published,) = [
        r["Properties"]["Value"]
        for r in runtime["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter" and r["Properties"]["Name"] == name
    ]
    assert published == runtime["Outputs"]["RuntimeArn"]["Value"]
    assert published["Fn::GetAtt"][1] == "AgentRuntimeArn"
    assert commands[5:6] == [
        "python3 -m scripts.pipeline_smoke metric --stage dev "
        f"--namespace {metric['Namespace']} --metric-name {metric['MetricName']} "
        f"--dimension Name={dimensions['Name']} --dimension Operation={dimensions['Operation']} "
        '--dimension "Resource=$OUT_RuntimeArn"'
    ]
    assert (metric["Namespace"], metric["MetricName"], dimensions["Name"]) == (
        "AWS/Bedrock-AgentCore",
        "Latency",
        "agentcore_session_dev::live",
    )


def test_dev_smoke_then_proves_the_latency_alarm_notifies(projects, pipeline_build, template):
    """The step names the dev stage's synthesized latency alarm, and its role may set and read exactly that one."""
    commands = _project(projects, "PipelinedevSmokeTest")["spec"]["phases"]["build"]["commands"]
    (monitoring,) = pipeline_build[1].rglob("*devMonitoring*.template.json")
    alarms = json.loads(monitoring.read_text())["Resources"]
    (latency,) = [r for k, r in alarms.items() if r["Type"] == "AWS::CloudWatch::Alarm" and "Latency" in k]
    name = latency["Properties"]["AlarmName"]
    assert name == "AgentCoreSession-dev-Monitoring-Latency"
    assert commands[6:] == [f"python3 -m scripts.pipeline_smoke alarm --stage dev --alarm-name {name}"]
    granted = [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        if "cloudwatch:SetAlarmState" in statement["Action"]
    ]
    assert granted == [
        {
            "Action": ["cloudwatch:SetAlarmState", "cloudwatch:DescribeAlarmHistory"],
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, f":cloudwatch:us-east-1:123456789012:alarm:{name}"],
                ]
            },
            "Sid": "ProveAlarmDelivery",
        }
    ]


def test_only_the_dev_smoke_role_may_use_cloudwatch(template):
    listed = {}
    for stage in ("dev", "prod"):
        policy = next(
            r["Properties"]["PolicyDocument"]
            for k, r in template["Resources"].items()
            if r["Type"] == "AWS::IAM::Policy" and k.startswith(f"Pipeline{stage}SmokeTest")
        )
        listed[stage] = [s for s in policy["Statement"] if "cloudwatch" in json.dumps(s["Action"])]
    assert [s["Sid"] for s in listed["dev"]] == ["ListAlarmMetrics", "ProveAlarmDelivery"]
    assert listed["dev"][0] == {
        "Sid": "ListAlarmMetrics",
        "Effect": "Allow",
        "Action": "cloudwatch:ListMetrics",
        "Resource": "*",
    }
    assert listed["prod"] == []


def test_prod_smoke_does_not_run_the_demo_or_read_the_secret(projects):
    prod = _project(projects, "PipelineprodSmokeTest")
    assert "client demo" not in json.dumps(prod["spec"])
    assert "EnvironmentVariables" not in prod["Environment"]


def test_ci_passwords_are_fetched_by_codebuild_at_run_time(projects):
    variables = _project(projects, "PipelinedevSmokeTest")["Environment"]["EnvironmentVariables"]
    assert variables == [
        {"Name": name, "Type": "SECRETS_MANAGER", "Value": f"{SECRET_NAME}:{key}"}
        for name, key in CI_SECRET_KEYS.items()
    ]


def test_dev_smoke_role_may_read_only_that_secret(template):
    policy = next(
        r["Properties"]["PolicyDocument"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and k.startswith("PipelinedevSmokeTest")
    )
    reads = [s for s in policy["Statement"] if "secretsmanager" in json.dumps(s["Action"])]
    assert len(reads) == 1
    assert reads[0]["Action"] == "secretsmanager:GetSecretValue"
    assert (
        render(reads[0]["Resource"])
        == f"arn:<AWS::Partition>:secretsmanager:us-east-1:123456789012:secret:{SECRET_NAME}-??????"
    )


def test_nothing_secret_in_the_pipeline_template(template):
    text = json.dumps(template)
    assert "AWS::SecretsManager::Secret" not in text
    assert not re.search(r'"(SecretString|GenerateSecretString|Password|TemporaryPassword)"', text)
    plaintext = [
        v
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CodeBuild::Project"
        for v in r["Properties"]["Environment"].get("EnvironmentVariables", [])
        if v.get("Type", "PLAINTEXT") == "PLAINTEXT"
    ]
    assert plaintext == [{"Name": "CI", "Type": "PLAINTEXT", "Value": "true"}]
    # Every mention of a password is a variable name whose value CodeBuild fetches from Secrets Manager.
    assert set(re.findall(r"\$?CI_PASSWORD_[AB]", text)) <= {
        "$CI_PASSWORD_A",
        "$CI_PASSWORD_B",
        "CI_PASSWORD_A",
        "CI_PASSWORD_B",
    }


def test_smoke_roles_read_only_their_stage_runtime(template):
    for stage in ("dev", "prod"):
        policy = next(
            r["Properties"]["PolicyDocument"]
            for k, r in template["Resources"].items()
            if r["Type"] == "AWS::IAM::Policy" and k.startswith(f"Pipeline{stage}SmokeTest")
        )
        (statement,) = [s for s in policy["Statement"] if s.get("Sid") == "ReadStageRuntime"]
        assert statement["Action"] == ["bedrock-agentcore:GetAgentRuntime", "bedrock-agentcore:GetAgentRuntimeEndpoint"]
        runtime = f"arn:<AWS::Partition>:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_{stage}-*"
        assert [render(r) for r in statement["Resource"]] == [runtime, f"{runtime}/runtime-endpoint/*"]


def test_pipeline_assembly_has_no_unacknowledged_cdk_nag_findings(pipeline_build):
    _, assembly = pipeline_build
    assert findings(assembly) == []


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Statement": list(statements)}


def test_pipeline_acknowledgments_explain_only_known_wildcards():
    runtime_arn = (
        "arn:<AWS::Partition>:bedrock-agentcore:<AWS::Region>:<AWS::AccountId>:runtime/agentcore_session_dev-*"
    )
    runtime_read = {
        "Effect": "Allow",
        "Action": ["bedrock-agentcore:GetAgentRuntime", "bedrock-agentcore:GetAgentRuntimeEndpoint"],
        "Resource": runtime_arn,
    }
    artifacts = {
        "Effect": "Allow",
        "Action": ["s3:GetObject*", "s3:List*"],
        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["PipelineArtifactsBucketAEA9A052", "Arn"]}, "/*"]]},
    }
    read_reason = next(w.reason for w in PIPELINE_WILDCARDS if "bedrock-agentcore:GetAgentRuntime" in w.actions)
    artifact_reason = next(w.reason for w in PIPELINE_WILDCARDS if "s3:GetObject*" in w.actions)
    assert acknowledgeable(_policy(runtime_read, artifacts), PIPELINE_WILDCARDS) == {
        f"Resource::{runtime_arn}": read_reason,
        "Action::s3:GetObject*": artifact_reason,
        "Action::s3:List*": artifact_reason,
        "Resource::<PipelineArtifactsBucketAEA9A052.Arn>/*": artifact_reason,
    }
    for unexplained in (
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::someone-elses-bucket/*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::GetAtt": ["PipelineArtifactsBucketAEA9A052", "Arn"]}},
        {
            "Effect": "Allow",
            "Action": "bedrock-agentcore:GetAgentRuntime",
            "Resource": "arn:<AWS::Partition>:bedrock-agentcore:<AWS::Region>:<AWS::AccountId>:runtime/*",
        },
    ):
        assert acknowledgeable(_policy(unexplained), PIPELINE_WILDCARDS) == {}


def test_a_bare_resource_star_is_acknowledged_only_for_its_listed_actions():
    """cdk-nag names every "*" resource Resource::*, so one unlisted "*" statement blocks it for the whole policy."""
    lookups = {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"}
    assert "Resource::*" in acknowledgeable(_policy(lookups), PIPELINE_WILDCARDS)
    stray = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert "Resource::*" not in acknowledgeable(_policy(lookups, stray), PIPELINE_WILDCARDS)
    mixed = {"Effect": "Allow", "Action": ["cloudformation:DescribeStacks", "cloudwatch:ListMetrics"], "Resource": "*"}
    assert acknowledgeable(_policy(mixed), PIPELINE_WILDCARDS) == {}


def test_render_matches_cdk_nag_naming():
    assert render({"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket1", "Arn"]}, "/*"]]}) == "<Bucket1.Arn>/*"
    assert render({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":logs"]]}) == "arn:<AWS::Partition>:logs"
    assert (
        render({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x"})
        == "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/x"
    )


def test_only_e3703_is_ignored_and_only_on_the_pipeline_resource(template):
    ignored = {
        logical_id: r["Metadata"]["cfn-lint"]
        for logical_id, r in template["Resources"].items()
        if "cfn-lint" in r.get("Metadata", {})
    }
    assert list(ignored.values()) == [{"config": {"ignore_checks": ["E3703"]}}]
    assert template["Resources"][next(iter(ignored))]["Type"] == "AWS::CodePipeline::Pipeline"


def test_plain_stage_app_has_no_pipeline(tmp_path):
    app = cdk.App(context=cdk_json_context(), outdir=str(tmp_path / "cdk.out"))
    build_app(app)
    stacks = [c for c in app.node.find_all() if isinstance(c, cdk.Stack)]
    assert sorted(s.stack_name for s in stacks) == [
        "AgentCoreSession-dev-Identity",
        "AgentCoreSession-dev-Monitoring",
        "AgentCoreSession-dev-Runtime",
        "AgentCoreSession-dev-WebContent",
        "AgentCoreSession-dev-WebHosting",
        "AgentCoreSession-dev-WebLogin",
    ]
    assert PIPELINE_STACK_NAME not in [s.stack_name for s in stacks]


def test_self_mutation_uses_the_cdk_cli_package_json_pins(projects):
    pinned = json.loads((REPO / "package.json").read_text())["devDependencies"]["aws-cdk"]
    spec = _project(projects, "PipelineUpdatePipelineSelfMutation")["spec"]
    assert spec["phases"]["install"]["commands"] == [f"npm install -g aws-cdk@{pinned}"]


@pytest.mark.parametrize(
    ("stage", "resource", "finding"),
    [
        # On main any Resource::* on any pipeline policy was acknowledged, so this synthesized without a finding.
        pytest.param(
            "prod",
            "*",
            "AwsSolutions-IAM5[Resource::*] at "
            "AgentCoreSession-Pipeline/Pipeline/Pipeline/prod/SmokeTest-prod/SmokeTest-prod/Role/DefaultPolicy/Resource",
            id="new-bare-resource-star",
        ),
        pytest.param(
            "dev",
            "arn:aws:s3:::someone-elses-bucket/*",
            "AwsSolutions-IAM5[Resource::arn:aws:s3:::someone-elses-bucket/*] at "
            "AgentCoreSession-Pipeline/Pipeline/Pipeline/dev/SmokeTest-dev/SmokeTest-dev/Role/DefaultPolicy/Resource",
            id="unexplained-wildcard",
        ),
    ],
)
def test_nag_gate_fails_pipeline_synth_on_a_wildcard_added_to_a_smoke_role(tmp_path, stage, resource, finding):
    from aws_cdk import aws_iam as iam

    app = cdk.App(context={**cdk_json_context(), **PIPELINE_CONTEXT}, outdir=str(tmp_path / "cdk.out"))
    stack = build_pipeline_app(app)
    smoke_role = next(
        c for c in stack.node.find_all() if isinstance(c, iam.Role) and c.node.path.endswith(f"SmokeTest-{stage}/Role")
    )
    smoke_role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[resource]))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert findings(tmp_path / "cdk.out") == [finding]


def test_metric_command_refuses_a_dimension_token_it_has_no_output_for(pipeline_build):
    from aws_cdk import Fn

    from stacks.pipeline.pipeline_stack import smoke_target
    from stacks.pipeline.smoke_step import dimension_argument

    dev = smoke_target(pipeline_build[0].stages[0])
    assert dimension_argument(dev, "Resource", dev.runtime_arn) == '"Resource=$OUT_RuntimeArn"'
    assert dimension_argument(dev, "Name", "agentcore_session_dev::live") == "Name=agentcore_session_dev::live"
    with pytest.raises(ValueError) as error:
        dimension_argument(dev, "Resource", Fn.import_value("someone-elses-runtime-arn"))
    assert str(error.value) == "dimension Resource of the watched metric is a token the smoke step has no output for"


def test_iam_dev_smoke_runs_the_demo_signed_by_its_own_role_without_cognito(synthesized):
    """An IAM-authorized dev stage: no login, no CI users' secret; the role may invoke only that runtime."""
    template = json.loads((synthesized("pipeline-iam") / f"{PIPELINE_STACK_NAME}.template.json").read_text())
    (project,) = [
        r["Properties"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::CodeBuild::Project" and k.startswith("PipelinedevSmokeTest")
    ]
    commands = json.loads(project["Source"]["BuildSpec"])["phases"]["build"]["commands"]
    assert commands[:3] == [
        "python3 -m scripts.pipeline_smoke write-outputs --stage dev",
        "python3 -m scripts.pipeline_smoke ready --stage dev",
        "python3 -m client demo --stage dev",
    ]
    assert commands[3].startswith("python3 -m scripts.pipeline_smoke metric --stage dev ")
    assert "EnvironmentVariables" not in project["Environment"]
    policy = next(
        r["Properties"]["PolicyDocument"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and k.startswith("PipelinedevSmokeTest")
    )
    (invoke,) = [s for s in policy["Statement"] if s.get("Sid") == "InvokeStageRuntime"]
    runtime = "arn:<AWS::Partition>:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_dev-*"
    assert (invoke["Action"], [render(r) for r in invoke["Resource"]]) == (
        "bedrock-agentcore:InvokeAgentRuntime",
        [runtime, f"{runtime}/runtime-endpoint/*"],
    )
    assert "secretsmanager" not in json.dumps(policy)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_smoke_waits_fit_in_the_build_timeout(projects, stage):
    """The runtime may take minutes to become READY (V2 prepares its snapshot): the step's waits must end before
    CodeBuild stops the build (TimeoutInMinutes absent: 60, botocore codebuild CreateProject timeoutInMinutes)."""
    from scripts.pipeline_smoke import ALARM_TIMEOUT_SECONDS, METRIC_TIMEOUT_SECONDS, READY_TIMEOUT_SECONDS

    project = _project(projects, f"Pipeline{stage}SmokeTest")
    commands = project["spec"]["phases"]["build"]["commands"]
    waits = READY_TIMEOUT_SECONDS + (METRIC_TIMEOUT_SECONDS if any(" metric " in c for c in commands) else 0)
    waits += ALARM_TIMEOUT_SECONDS if any(" alarm " in c for c in commands) else 0
    assert not any("--timeout" in c for c in commands)  # the defaults above apply
    assert waits < project.get("TimeoutInMinutes", 60) * 60


def test_generated_projects_select_node_24_and_the_pinned_cdk_assets(projects):
    pins = json.loads((REPO / "package.json").read_text())["devDependencies"]
    mutation = _project(projects, "PipelineUpdatePipelineSelfMutation")["spec"]["phases"]["install"]
    assets = _project(projects, "PipelineAssetsDocker")["spec"]["phases"]["install"]
    assert mutation == {"runtime-versions": {"nodejs": "24"}, "commands": [f"npm install -g aws-cdk@{pins['aws-cdk']}"]}
    assert assets == {
        "runtime-versions": {"nodejs": "24"},
        "commands": [f"npm install -g cdk-assets@{pins['cdk-assets']}"],
    }


def test_pipeline_is_v2_with_a_rotating_artifact_key_and_three_months_of_build_logs(template, projects):
    resources = template["Resources"]
    (pipeline,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    assert pipeline["PipelineType"] == "V2"
    assert "ExecutionMode" not in pipeline  # SUPERSEDED, as before
    key_id = pipeline["ArtifactStore"]["EncryptionKey"]["Id"]["Fn::GetAtt"][0]
    assert resources[key_id]["Properties"]["EnableKeyRotation"] is True
    (group_id,) = [k for k, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"]
    assert resources[group_id]["Properties"] == {"RetentionInDays": 90}
    assert {p["LogsConfig"]["CloudWatchLogs"]["GroupName"]["Ref"] for p in projects.values()} == {group_id}
    assert {p["EncryptionKey"]["Fn::GetAtt"][0] for p in projects.values()} == {key_id}
