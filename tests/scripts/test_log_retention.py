"""`make deploy`'s last step: the runtime's service-created log groups get the stage's retention; against
CloudFormation and CloudWatch Logs in moto (server mode), run as make runs it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from scripts.log_retention import retention_days
from tests.scripts.script_runs import recipe_steps, run_module
from tests.support.aws_env import CREDENTIALS, REGION

RUNTIME_ID = "agentcore_session_dev-AbCdEfGhIj"
PREFIX = "/aws/bedrock-agentcore/runtimes/"


@pytest.fixture
def logs(own_emulator, aws) -> Any:
    """A CloudWatch Logs client on the own_emulator (the `aws` fixture resets moto afterwards)."""
    return boto3.client("logs", endpoint_url=own_emulator.endpoint_url, region_name=REGION, **CREDENTIALS)


def deploy_runtime_stack(aws: dict[str, Any]) -> None:
    """A Runtime stack with the RuntimeId output, as the deployed stage has it."""
    body = {
        "Resources": {
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": RUNTIME_ID, "Name": "/agentcore-session/dev/runtime-id"},
            }
        },
        "Outputs": {"RuntimeId": {"Value": RUNTIME_ID}},
    }
    aws["cloudformation"].create_stack(StackName="AgentCoreSession-dev-Runtime", TemplateBody=json.dumps(body))


def retention(logs: Any) -> dict[str, int | None]:
    groups = logs.describe_log_groups(logGroupNamePrefix=PREFIX)["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays") for g in groups}


def test_every_log_group_of_the_stage_runtime_gets_the_stage_retention(aws, own_emulator, logs):
    deploy_runtime_stack(aws)
    ours = [f"{PREFIX}{RUNTIME_ID}-DEFAULT", f"{PREFIX}{RUNTIME_ID}-live"]
    other = f"{PREFIX}agentcore_session_dev2-KlMnOpQrSt-live"  # another stage's runtime: untouched
    for name in (*ours, other):
        logs.create_log_group(logGroupName=name)
    result = run_module("log_retention", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "".join(f"retention 30 days: {name}\n" for name in ours)
    assert retention(logs) == {ours[0]: 30, ours[1]: 30, other: None}


def test_prod_keeps_its_logs_a_year():
    assert (retention_days("dev"), retention_days("prod")) == (30, 365)


def test_before_first_use_it_says_there_is_nothing_yet(aws, own_emulator, logs):
    deploy_runtime_stack(aws)
    result = run_module("log_retention", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stderr, retention(logs)) == (0, "", {})
    assert "no runtime log groups yet" in result.stdout


def test_a_stage_never_deployed_is_an_error(aws, own_emulator):
    result = run_module("log_retention", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "log retention not set: stack AgentCoreSession-dev-Runtime has no RuntimeId output; deploy the stage first\n"
    )


def test_make_deploy_sets_retention_after_cdk_deploy():
    recipe, steps = recipe_steps("deploy", "log_retention", r"\bcdk .* deploy --all ")
    assert len(steps) == 2 and "cdk" in recipe[steps[0]] and "log_retention" in recipe[steps[1]], recipe
