"""`make deploy`'s first step: on a stage's first deploy, the once-per-account steps (model subscription,
Anthropic's form, Transaction Search) are printed; against CloudFormation in moto (server mode)."""

from __future__ import annotations

import json
import re

import pytest

from scripts.deploy_notice import README_SECTION, foundation_model, notice
from scripts.stage_stacks import NEVER_CREATED, DeployedStack
from tests.scripts.script_runs import recipe_steps, run_module
from tests.support.paths import REPO

DEFAULT_MODEL = "anthropic.claude-sonnet-4-6"


def test_notice_is_printed_when_the_stage_was_never_deployed(aws, own_emulator):
    result = run_module("deploy_notice", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == notice("dev", DEFAULT_MODEL) + "\n"
    assert result.stdout.startswith(
        "First deploy of stage dev (AgentCoreSession-dev-Runtime has never been created). Once per account:\n"
    )


def test_notice_is_silent_once_the_stage_exists(aws, own_emulator):
    body = {
        "Resources": {
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": "x", "Name": "/agentcore-session/dev/region"},
            }
        }
    }
    aws["cloudformation"].create_stack(StackName="AgentCoreSession-dev-Runtime", TemplateBody=json.dumps(body))
    result = run_module("deploy_notice", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("status", sorted(NEVER_CREATED))
def test_a_failed_first_create_is_still_a_first_deploy(status):
    assert DeployedStack(name="s", status=status).ever_created is False


@pytest.mark.parametrize(
    "status", ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS"]
)
def test_a_created_stack_is_not_a_first_deploy(status):
    assert DeployedStack(name="s", status=status).ever_created is True


def test_unreadable_cloudformation_never_blocks_the_deploy():
    result = run_module("deploy_notice", ["--stage", "dev"], None, AWS_DEFAULT_REGION=None)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == (
        "deploy notice: cannot tell whether this is the first deploy of dev (You must specify a region.); "
        'the once-per-account steps are in docs/deploy.md, section "First deploy on a fresh account"\n'
    )


def test_anthropic_model_needs_form_subscription_and_traces():
    text = notice("dev", DEFAULT_MODEL)
    assert "aws bedrock put-use-case-for-model-access --form-data fileb://use-case.json" in text
    assert f'aws bedrock create-foundation-model-agreement --model-id {DEFAULT_MODEL} --offer-token "$OFFER"' in text
    assert "aws xray update-trace-segment-destination --destination CloudWatchLogs" in text


def test_transaction_search_step_checks_for_the_spans_log_group():
    """Enabled through the API, Transaction Search may leave aws/spans uncreated: the notice checks for it."""
    commands = [line.strip() for line in notice("dev", DEFAULT_MODEL).splitlines() if line.startswith("  ")]
    assert commands[-2:] == [
        "aws logs describe-log-groups --log-group-name-prefix aws/spans --query 'logGroups[].logGroupName'",
        "aws logs create-log-group --log-group-name aws/spans",
    ]


def test_amazon_model_needs_only_transaction_search():
    text = notice("dev", "amazon.nova-pro-v1:0")
    assert "put-use-case-for-model-access" not in text and "agreement" not in text
    assert "aws xray update-trace-segment-destination --destination CloudWatchLogs" in text


def test_model_comes_from_the_stage_config():
    assert foundation_model("dev") == DEFAULT_MODEL
    assert foundation_model("prod") == DEFAULT_MODEL


def test_every_notice_command_is_in_the_docs():
    """One set of steps: each command `make deploy` prints is one README.md or docs/ tells a new account to run."""
    docs = "\n".join(path.read_text() for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])
    commands = [line.strip() for line in notice("dev", DEFAULT_MODEL).splitlines() if line.startswith("  ")]
    assert commands
    assert [c for c in commands if c not in docs] == []


def test_make_deploy_prints_the_notice_before_cdk_deploy():
    recipe, steps = recipe_steps("deploy", "deploy_notice", r"\bcdk .* deploy --all ")
    assert len(steps) == 2 and "deploy_notice" in recipe[steps[0]], recipe


def test_the_readme_section_the_notice_points_to_exists():
    path, title = README_SECTION.split(",")[0], README_SECTION.split('"')[1]
    assert re.search(rf"^#+ {re.escape(title)}$", (REPO / path).read_text(), flags=re.M), README_SECTION
