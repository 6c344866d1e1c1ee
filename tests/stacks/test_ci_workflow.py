"""The GitHub workflow parses, runs the same make targets users run, and deploys only via OIDC on main."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z-]+):", (REPO / "Makefile").read_text(), re.M))


def test_workflow_runs_on_pull_requests_and_pushes_to_main(workflow):
    assert _triggers(workflow) == {"pull_request": None, "push": {"branches": ["main"]}}
    assert workflow["permissions"] == {"contents": "read"}


def _prereq_scripts(run_text: str) -> list[str]:
    """The host setup scripts a run block calls (``bash scripts/<name>_prereqs.sh``), in order."""
    return re.findall(r"\bbash (scripts/\w+_prereqs\.sh)\b", run_text)


def test_test_job_installs_what_ci_run_installs_then_runs_make_test_and_make_synth(workflow):
    """CI=true turns a missing podman, criu or chromium into a failure: the job installs all that .ci/run does."""
    runs = _runs(workflow["jobs"]["test"])
    assert runs[-2:] == ["make test", "make synth"]
    setup = runs[:-2]
    ci_run = _prereq_scripts((REPO / ".ci" / "run").read_text())
    assert ci_run
    assert _prereq_scripts("\n".join(setup)) == ci_run
    for script in ci_run:
        assert [line for run in setup for line in run.splitlines() if script in line] == [f"sudo bash {script}"]
    assert "if" not in workflow["jobs"]["test"]


def test_prereq_parity_check_catches_a_missing_script():
    ci_run = _prereq_scripts("bash scripts/container_prereqs.sh\nbash scripts/criu_prereqs.sh\n")
    assert ci_run == ["scripts/container_prereqs.sh", "scripts/criu_prereqs.sh"]
    assert _prereq_scripts("sudo bash scripts/container_prereqs.sh") != ci_run


def test_deploy_runs_only_on_main_pushes_when_a_role_is_configured(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "test"
    assert (
        deploy["if"]
        == "github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.AWS_DEPLOY_ROLE_ARN != ''"
    )
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}


def test_deploy_assumes_the_oidc_role_and_builds_arm64_with_buildx_and_qemu(workflow):
    deploy = workflow["jobs"]["deploy"]
    uses = _uses(deploy)
    assert uses == [
        "actions/checkout",
        "actions/setup-python",
        "docker/setup-qemu-action",
        "docker/setup-buildx-action",
        "aws-actions/configure-aws-credentials",
    ]
    qemu = next(s for s in deploy["steps"] if s.get("uses", "").startswith("docker/setup-qemu-action"))
    assert qemu["with"]["platforms"] == "arm64"
    credentials = next(
        s for s in deploy["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")
    )
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert credentials["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
    assert not any(k in credentials["with"] for k in ("aws-access-key-id", "aws-secret-access-key"))
    assert _runs(deploy) == ["make deploy STAGE=${{ vars.DEPLOY_STAGE || 'dev' }}"]


def test_every_make_target_the_workflow_calls_exists(workflow):
    called = {
        m for job in workflow["jobs"].values() for run in _runs(job) for m in re.findall(r"\bmake ([a-z-]+)", run)
    }
    assert called == {"test", "synth", "deploy"}
    assert called <= _make_targets()


def _pinned(uses: str) -> bool:
    """``owner/repo@<40-hex commit>``: a tag can be moved to other code, a commit cannot."""
    return re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses) is not None


def test_every_action_is_pinned_to_a_commit_sha(workflow):
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]

    assert uses
    assert [u for u in uses if not _pinned(u)] == []


def test_pin_check_rejects_tags_branches_and_short_shas():
    assert _pinned("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1")
    for unpinned in (
        "actions/checkout@v7",
        "actions/checkout@v7.0.1",
        "actions/checkout@main",
        "actions/checkout@3d3c42e",
    ):
        assert not _pinned(unpinned), unpinned


def test_documented_variables_are_the_ones_used():
    text = WORKFLOW.read_text()
    used = set(re.findall(r"vars\.([A-Z_]+)", text))
    assert used == {"AWS_DEPLOY_ROLE_ARN", "AWS_REGION", "DEPLOY_STAGE"}
    delivery = (REPO / "docs" / "delivery.md").read_text()
    assert [name for name in sorted(used) if f"`{name}`" not in delivery] == []
