"""`cdk synth` through the pinned CLI, as `make synth` and a pipeline run it: no AWS account, no credentials."""

from __future__ import annotations

import json
import subprocess
import sys

from stacks.output_keys import RUNTIME, published_outputs
from tests.stacks.conftest import REPO, run_cdk


def test_cli_synth_default_stage_without_credentials(tmp_path):
    out = tmp_path / "cdk.out"
    result = run_cdk(["synth", "--quiet", "-o", str(out)])
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "assembly-dev" / "manifest.json").read_text())
    stacks = sorted(
        a["properties"]["stackName"] for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"
    )
    assert stacks == [
        "AgentCoreSession-dev-Identity",
        "AgentCoreSession-dev-Monitoring",
        "AgentCoreSession-dev-Runtime",
        "AgentCoreSession-dev-WebContent",
        "AgentCoreSession-dev-WebHosting",
        "AgentCoreSession-dev-WebLogin",
    ]
    summary = subprocess.run(
        [sys.executable, "scripts/synth_summary.py", str(out)], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "AgentCoreSession-dev-Runtime:" in summary
    assert "  1  AWS::BedrockAgentCore::Runtime" in summary
    assert "  outputs: " + ", ".join(sorted(published_outputs("s3")[RUNTIME])) in summary.splitlines()


def test_cli_synth_unknown_stage_fails_with_one_clear_line(tmp_path):
    result = run_cdk(["synth", "--quiet", "-c", "stage=qa", "-o", str(tmp_path / "out")])
    assert result.returncode != 0
    assert (
        "synth failed: invalid configuration:\n  - stage is 'qa' but cdk.json defines only: dev, prod" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_cli_synth_takes_a_setting_from_the_command_line(tmp_path):
    out = tmp_path / "cdk.out"
    result = run_cdk(["synth", "--quiet", "-c", "authorizer=iam", "-o", str(out)])
    assert result.returncode == 0, result.stderr
    [template_file] = (out / "assembly-dev").glob("devRuntime*.template.json")
    template = json.loads(template_file.read_text())
    [runtime] = [r for r in template["Resources"].values() if r["Type"] == "AWS::BedrockAgentCore::Runtime"]
    assert "AuthorizerConfiguration" not in runtime["Properties"]  # IAM (SigV4): no JWT authorizer
    assert runtime["Properties"]["EnvironmentVariables"]["AUTHORIZER_TYPE"] == "iam"


def test_cli_synth_of_the_pipeline_refuses_a_one_off_setting(tmp_path):
    result = run_cdk(["synth", "--quiet", "-c", "pipeline=true", "-c", "authorizer=iam", "-o", str(tmp_path / "o")])
    assert result.returncode != 0
    assert (
        "synth failed: invalid configuration:\n  - authorizer given with -c, but the pipeline deploys dev and prod "
        "from cdk.json: set it under agentcore-session.stages.<stage> there" in result.stderr
    )
