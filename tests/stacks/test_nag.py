"""cdk-nag AwsSolutions: zero unacknowledged findings in every configuration, acknowledgments narrow and reasoned."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from aws_cdk import aws_iam as iam

from stacks.nag_report import UnacknowledgedFindings, findings, raise_on_findings
from tests.support.cdk_app import CONFIGURATIONS, run_cdk
from tests.support.paths import REPO

# Where each acknowledged rule may sit: the one construct it concerns (regex on the construct path).
WEB_DEPLOYMENT_HANDLER = r".*/WebContent/Custom::CDKBucketDeployment[0-9A-F]+256MiB"
ACKNOWLEDGED_AT = {
    "AwsSolutions-COG2": (r".*/Identity/UserPool/Resource",),
    "AwsSolutions-COG8": (r".*/Identity/UserPool/Resource",),
    "AwsSolutions-S1": (
        r".*/Runtime/SessionStore/Bucket/Resource",
        r"AgentCoreSession-Pipeline/Pipeline/Pipeline/ArtifactsBucket/Resource",
        r".*/WebHosting/Bucket/Resource",
    ),
    "AwsSolutions-IAM5": (
        r".*/Runtime/ExecutionRole/DefaultPolicy/Resource",
        r"AgentCoreSession-Pipeline/Pipeline/.*/DefaultPolicy/Resource",
        WEB_DEPLOYMENT_HANDLER + "/ServiceRole/DefaultPolicy/Resource",
    ),
    "AwsSolutions-IAM4": (WEB_DEPLOYMENT_HANDLER + "/ServiceRole/Resource",),
    "AwsSolutions-L1": (WEB_DEPLOYMENT_HANDLER + "/Resource",),
    **{f"AwsSolutions-CFR{n}": (r".*/WebHosting/Distribution/Resource",) for n in (1, 2, 3, 4)},
}
# Generated grants use action groups (s3:GetObject*, kms:GenerateDataKey*): CDK Pipelines' and BucketDeployment's;
# our own policies never do.
ACTION_WILDCARDS_ONLY_AT = r"AgentCoreSession-Pipeline/Pipeline/.*|" + WEB_DEPLOYMENT_HANDLER + "/.*"


def report(assembly: Path) -> dict:
    return json.loads((assembly / "validation-report.json").read_text())


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_nag_reports_no_unacknowledged_finding(synthesized, name):
    assembly = synthesized(name)
    assert findings(assembly) == []
    (plugin,) = report(assembly)["pluginReports"]
    assert plugin["pluginName"] == "AwsSolutions"
    assert plugin["conclusion"] == "success"


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_nag_acknowledgments_are_granular_and_on_the_narrowest_construct(synthesized, name):
    (plugin,) = report(synthesized(name))["pluginReports"]
    suppressed = plugin["suppressedViolations"]
    assert suppressed, "expected the documented acknowledgments to be exercised"
    for violation in suppressed:
        rule = violation["ruleName"].split("[")[0]
        paths = [c["constructPath"] for c in violation["violatingConstructs"]]
        if violation["ruleName"].startswith("AwsSolutions-IAM5[Action::"):
            assert all(re.fullmatch(ACTION_WILDCARDS_ONLY_AT, path) for path in paths), (violation["ruleName"], paths)
        expected = ACKNOWLEDGED_AT.get(rule)
        assert expected is not None, f"unexpected acknowledged rule {violation['ruleName']}"
        assert all(any(re.fullmatch(e, path) for e in expected) for path in paths), (violation["ruleName"], paths)


NEW_WILDCARD = (
    "AwsSolutions-IAM5[Resource::arn:aws:s3:::someone-elses-bucket/*] at "
    "dev/Runtime/ExecutionRole/DefaultPolicy/Resource"
)


def add_wildcard(stage) -> None:
    stage.runtime.runtime.add_to_role_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::someone-elses-bucket/*"])
    )


def test_nag_gate_fails_in_process_synth_on_a_new_wildcard(build):
    app, stage = build()
    add_wildcard(stage)
    with pytest.raises(RuntimeError, match=r"ValidationFailed"):
        app.synth()
    with pytest.raises(UnacknowledgedFindings) as error:
        raise_on_findings(app.outdir)
    assert NEW_WILDCARD in str(error.value)


@pytest.mark.slow  # the CDK CLI (Node.js) runs the app in a child process
def test_nag_gate_fails_cli_synth_on_a_new_wildcard(tmp_path):
    """Under the CDK CLI the plugin failure does not raise in Python; app.py's gate must catch it."""
    wrapper = tmp_path / "wildcard_app.py"
    wrapper.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "import aws_cdk as cdk\n"
        "from app import build_app\n"
        "from stacks.nag_report import raise_on_findings\n"
        "from tests.stacks.test_nag import add_wildcard\n"
        "app = cdk.App()\n"
        "add_wildcard(build_app(app))\n"
        "raise_on_findings(app.synth().directory)\n"
    )
    result = run_cdk(["synth", "--quiet", "--app", f"{sys.executable} {wrapper}", "-o", str(tmp_path / "out")])
    assert result.returncode != 0
    assert NEW_WILDCARD in result.stderr
