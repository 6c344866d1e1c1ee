"""`cdk synth` as `make synth` and a pipeline run it, and app.py's `main()` as the CLI runs it.

One synth goes through the pinned CDK CLI (no AWS account, no credentials): the happy path, with the summary
`make synth` prints. The error and `-c` cases call `app.main()` in-process with the context the CLI would give
the app: cdk.json's context with the `-c` values over it, and no account or region.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

import app
from stacks.output_keys import RUNTIME, published_outputs
from tests.support.cdk_app import cdk_json_context, run_cdk
from tests.support.paths import REPO


@pytest.mark.slow  # the CDK CLI (Node.js) runs the app in a child process
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


def run_main(monkeypatch: pytest.MonkeyPatch, out: Path, **cli_context: str) -> int:
    """``app.main()`` as ``cdk synth -c key=value …`` runs it: no credentials, so no account or region."""
    for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    return app.main(cdk.App(context={**cdk_json_context(), **cli_context}, outdir=str(out)))


def test_synth_of_an_unknown_stage_fails_with_one_clear_line(tmp_path, monkeypatch, capsys):
    assert run_main(monkeypatch, tmp_path / "out", stage="qa") == 1
    first, problem, *rest = capsys.readouterr().err.splitlines()
    assert (first, rest) == ("synth failed: invalid configuration:", [])
    assert problem.startswith("  - stage = 'qa'; allowed: ") and "dev, prod" in problem


def test_synth_takes_a_setting_from_the_command_line(tmp_path, monkeypatch):
    out = tmp_path / "cdk.out"
    assert run_main(monkeypatch, out, authorizer="iam") == 0
    [template_file] = (out / "assembly-dev").glob("devRuntime*.template.json")
    template = json.loads(template_file.read_text())
    [runtime] = [r for r in template["Resources"].values() if r["Type"] == "AWS::BedrockAgentCore::Runtime"]
    assert "AuthorizerConfiguration" not in runtime["Properties"]  # IAM (SigV4): no JWT authorizer
    assert runtime["Properties"]["EnvironmentVariables"]["AUTHORIZER_TYPE"] == "iam"


def test_synth_of_the_pipeline_refuses_a_one_off_setting(tmp_path, monkeypatch, capsys):
    assert run_main(monkeypatch, tmp_path / "out", pipeline="true", authorizer="iam") == 1
    first, problem, *rest = capsys.readouterr().err.splitlines()
    assert (first, rest) == ("synth failed: invalid configuration:", [])
    assert problem.startswith("  - -c authorizer = 'iam'; allowed: ") and "agentcore-session.stages" in problem
