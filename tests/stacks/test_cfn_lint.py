"""cfn-lint over every template the app synthesizes, in each configuration users can choose.

WHY one run: cfn-lint loads its bundled resource schemas on every start (8-9 s), so one run over the templates
of all configurations, the Monitoring template with an alarm e-mail, and one broken template as a control,
costs one start instead of nine. Its JSON
report names each finding's file, so every configuration is still asserted on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from stacks.stage import AgentCoreSessionStage
from tests.support.cdk_app import CONFIGURATIONS
from tests.support.paths import REPO

ALARM_EMAIL_MONITORING = "dev, Monitoring stack with an alarm e-mail"
CFN_LINT = [str(Path(sys.executable).parent / "cfn-lint"), "--format", "json"]
BROKEN_TEMPLATE = {
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Sometimes"}}}
    }
}


@dataclass(frozen=True)
class LintRun:
    """The templates of each configuration, the control, and cfn-lint's findings as (file, rule id)."""

    templates: dict[str, list[Path]]
    broken: Path
    findings: list[tuple[Path, str]]

    def findings_in(self, files: list[Path]) -> list[tuple[Path, str]]:
        return [finding for finding in self.findings if finding[0] in files]


@pytest.fixture(scope="module")
def lint_run(
    synthesized: Callable[[str], Path],
    alarm_email_stage: tuple[AgentCoreSessionStage, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> LintRun:
    templates = {name: sorted(synthesized(name).rglob("*.template.json")) for name in sorted(CONFIGURATIONS)}
    templates[ALARM_EMAIL_MONITORING] = sorted(alarm_email_stage[1].rglob("*Monitoring*.template.json"))
    broken = tmp_path_factory.mktemp("cfn-lint") / "broken.template.json"
    broken.write_text(json.dumps(BROKEN_TEMPLATE))
    files = [*sorted({path for paths in templates.values() for path in paths}), broken]
    result = subprocess.run([*CFN_LINT, *map(str, files)], cwd=REPO, capture_output=True, text=True, timeout=600)
    # Findings exit 2, 4 or 8 OR'd together (cfnlint/runner/cli.py, Runner._exit); 1 is an uncaught exception.
    assert result.returncode != 1 and result.stderr == "", result.stderr
    report = json.loads(result.stdout)
    return LintRun(templates, broken, [(Path(match["Filename"]), match["Rule"]["Id"]) for match in report])


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_cfn_lint_reports_nothing(lint_run: LintRun, configuration: str) -> None:
    templates = lint_run.templates[configuration]
    assert len(templates) >= 2, f"expected the stage's templates, found {templates}"
    assert lint_run.findings_in(templates) == []


def test_cfn_lint_reports_nothing_for_the_monitoring_stack_with_an_alarm_email(lint_run: LintRun) -> None:
    """The topic's e-mail subscription exists only with ``alarm_email``, which no configuration sets."""
    templates = lint_run.templates[ALARM_EMAIL_MONITORING]
    assert len(templates) == 1, f"expected the Monitoring template, found {templates}"
    assert lint_run.findings_in(templates) == []


def test_cfn_lint_catches_a_broken_template_in_the_same_run(lint_run: LintRun) -> None:
    """The control: the run reports the broken file's finding under that file, so a clean configuration is real."""
    assert lint_run.findings_in([lint_run.broken]) == [(lint_run.broken, "E3030")]


def test_cfn_lint_config_ignores_only_w3005() -> None:
    """W3005 (redundant DependsOn) is the one rule ignored; .cfnlintrc.yaml says why."""
    assert yaml.safe_load((REPO / ".cfnlintrc.yaml").read_text())["ignore_checks"] == ["W3005"]
