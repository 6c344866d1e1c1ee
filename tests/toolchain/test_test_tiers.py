"""The test tiers: `make test-fast` leaves out exactly the registered slow markers, folders are marked, and a
missing host prerequisite skips outside CI only (tests/support/prerequisites.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from tests.support import prerequisites
from tests.support.paths import REPO

# A quick module of several tests: xdist must run all of them on one worker.
GROUPED = "tests/toolchain/test_agentcore_headers.py"
FAST_SELECTION = re.search(r'^\t\$\(PYTEST\) -m "([^"]+)"', (REPO / "Makefile").read_text(), flags=re.M)


def registered_markers() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    return {line.split(":")[0] for line in config["markers"]}


def test_make_test_fast_deselects_every_registered_marker_and_nothing_else() -> None:
    assert FAST_SELECTION is not None, 'Makefile: no `$(PYTEST) -m "…"` line in test-fast'
    assert FAST_SELECTION.group(1) == "not (slow or container or restore or browser)"
    assert registered_markers() == {"slow", "container", "restore", "browser"}


def collected(*args: str) -> int:
    """How many tests ``pytest --collect-only`` selects with ``args``."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: no test selected
    found = re.search(r"^(\d+)(?:/\d+)? tests? collected", result.stdout, flags=re.M)
    return int(found.group(1)) if found else 0


@pytest.mark.slow  # collects three folders that import the CDK app: a minute at load
def test_the_fast_tier_holds_no_container_deployed_or_benchmark_test() -> None:
    folders = ["tests/container", "tests/deployed", "tests/bench"]
    assert collected(*folders) > 0  # control: the folders hold tests
    assert collected("-m", FAST_SELECTION.group(1), *folders) == 0  # type: ignore[union-attr]


@pytest.mark.slow  # two xdist workers start and import the test tree
def test_xdist_keeps_a_group_on_one_worker() -> None:
    """tests/conftest.py groups each module (and tests/stacks whole) so session fixtures are built once; a pytest
    or pytest-xdist version where `--dist loadgroup` ignores the groups spreads them and doubles that cost."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider", GROUPED],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ran = re.findall(r"^\[(gw\d+)\] .*PASSED (\S+)", result.stdout, flags=re.M)
    assert len(ran) >= 2, result.stdout  # control: the module holds several tests
    assert {worker for worker, _ in ran} == {ran[0][0]}
    assert all(node_id.endswith(f"@{GROUPED}") for _, node_id in ran)


@pytest.mark.parametrize(("in_ci", "outcome"), [(False, pytest.skip.Exception), (True, pytest.fail.Exception)])
def test_a_missing_prerequisite_skips_outside_ci_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, in_ci: bool, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(prerequisites, "IN_CI", in_ci)
    with pytest.raises(outcome, match="podman is not installed"):
        prerequisites.missing_prerequisite("podman is not installed")
