"""docs/delivery.md's same-app example is a working ``app.py``: synthesized here the way the CDK CLI runs it.

The CLI runs the app as a subprocess with the context of cdk.json in ``CDK_CONTEXT_JSON`` and the output folder
in ``CDK_OUTDIR``; this test does the same with the block that follows ``<!-- same-app-snippet -->``. The
broken copy is the example as it used to read (a second ``MonitoringStack`` with the id ``Monitoring`` in a
stage that has one), which CDK refuses before synthesizing anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.doc_text import Doc, blocks
from tests.support.paths import REPO

MARKER = "<!-- same-app-snippet -->"
SYNTH_TIMEOUT_S = 300
OLD_LINE = (
    "from stacks.monitoring.monitoring_stack import MonitoringStack\n"
    'MonitoringStack(stage, "Monitoring", config=config, runtime_stack=stage.runtime, '
    "endpoint_name=config.endpoint_name)\n"
)


def documented_snippet() -> str:
    doc = Doc.read(REPO, "docs/delivery.md")
    marker_line = next(number for number, line in enumerate(doc.text.splitlines(), start=1) if line.strip() == MARKER)
    return next(block.text for block in blocks(doc) if block.line == marker_line + 1 and block.lang == "python")


def run_app(source: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run ``source`` as app.py the way `cdk synth` does; the cloud assembly goes to ``folder / "out"``."""
    app = folder / "app.py"
    app.write_text(source, encoding="utf-8")
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    path = os.pathsep.join([str(Path(sys.executable).parent), str(REPO / "node_modules" / ".bin"), os.environ["PATH"]])
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(folder / "out"),
        "PYTHONPATH": str(REPO),
        "PATH": path,
    }
    return subprocess.run(
        [sys.executable, str(app)], cwd=REPO, env=env, capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S
    )


def stage_templates(assembly: Path) -> dict[str, dict]:
    """Stack name → template of the stage's nested assembly."""
    stage_dir = assembly / "assembly-dev"
    manifest = json.loads((stage_dir / "manifest.json").read_text())
    return {
        artifact["properties"]["stackName"]: json.loads(
            (stage_dir / artifact["properties"]["templateFile"]).read_text()
        )
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    }


@pytest.mark.timeout(SYNTH_TIMEOUT_S)
def test_same_app_snippet_synthesizes_a_caller_that_may_invoke_the_runtime(tmp_path):
    result = run_app(documented_snippet(), tmp_path)

    assert result.returncode == 0, result.stderr[-3000:]
    templates = stage_templates(tmp_path / "out")
    assert sorted(templates) == [
        "AgentCoreSession-dev-Identity",
        "AgentCoreSession-dev-Monitoring",
        "AgentCoreSession-dev-Runtime",
        "AgentCoreSession-dev-WebContent",
        "AgentCoreSession-dev-WebHosting",
        "AgentCoreSession-dev-WebLogin",
        "dev-Caller",
    ]
    policies = [
        resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in templates["dev-Caller"]["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
    ]
    assert len(policies) == 1 and len(policies[0]) == 1
    statement = policies[0][0]
    assert statement["Action"] == "bedrock-agentcore:InvokeAgentRuntime"
    imported = statement["Resource"][0]["Fn::ImportValue"]
    exported = {
        output["Export"]["Name"]: output["Value"]
        for output in templates["AgentCoreSession-dev-Runtime"]["Outputs"].values()
        if "Export" in output
    }
    assert exported[imported] == {"Fn::GetAtt": ["Runtime99E3DDFA", "AgentRuntimeArn"]}


@pytest.mark.timeout(SYNTH_TIMEOUT_S)
def test_a_second_monitoring_stack_in_the_stage_is_refused(tmp_path):
    broken = documented_snippet().replace("\napp.synth()", "\n" + OLD_LINE + "app.synth()")
    assert broken != documented_snippet()

    result = run_app(broken, tmp_path)

    assert result.returncode == 1
    assert result.stderr.endswith("RuntimeError: There is already a Construct with name 'Monitoring' in Stage [dev]\n")
