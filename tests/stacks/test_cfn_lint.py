"""cfn-lint over every template the app synthesizes, in each configuration users can choose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.stacks.conftest import CONFIGURATIONS

REPO = Path(__file__).resolve().parents[2]
CFN_LINT = [str(Path(sys.executable).parent / "cfn-lint")]


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def templates(request, synthesized) -> list[Path]:
    found = sorted(synthesized(request.param).rglob("*.template.json"))
    assert len(found) >= 2, f"expected the stage's templates, found {found}"
    return found


def test_cfn_lint_reports_nothing(templates):
    result = subprocess.run([*CFN_LINT, *map(str, templates)], cwd=REPO, capture_output=True, text=True)
    assert result.stdout == "" and result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_config_ignores_only_documented_rules():
    config = (REPO / ".cfnlintrc.yaml").read_text()
    ignored = [line.strip()[2:] for line in config.splitlines() if line.strip().startswith("- ")]
    assert ignored == ["W3005"]
    assert "W3005 (redundant DependsOn)" in config


def test_cfn_lint_catches_a_broken_template(tmp_path):
    broken = tmp_path / "broken.template.json"
    broken.write_text(
        '{"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", '
        '"Properties": {"VersioningConfiguration": {"Status": "Sometimes"}}}}}'
    )
    result = subprocess.run([*CFN_LINT, str(broken)], cwd=REPO, capture_output=True, text=True)
    assert (result.returncode, result.stdout.splitlines()) == (
        2,
        ["E3030 'Sometimes' is not one of ['Enabled', 'Suspended']", f"{broken}:1:97", ""],
    )
