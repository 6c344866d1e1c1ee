"""The npm packages: `make setup` (and thus `make synth`) installs only the CDK CLI; the AGPL evaluator is test-only.

The root lock is what `npm ci` installs for every user; the IAM evaluator (@cloud-copilot/iam-simulate,
AGPL-3.0-or-later) has its own lock in tests/support/iam/, installed by the test that uses it. Both locks pin
every package by version and sha512 integrity, which `npm ci` checks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO

EVALUATOR = REPO / "tests" / "support" / "iam"
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
INTEGRITY = re.compile(r"^sha512-[A-Za-z0-9+/]{86}==$")


def _lock(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))


def copyleft_packages(lock: dict[str, Any]) -> list[str]:
    """``name (license)`` of every package in a lock whose license is a GPL family one (GPL, LGPL, AGPL)."""
    return sorted(
        f"{path.removeprefix('node_modules/')} ({entry['license']})"
        for path, entry in lock["packages"].items()
        if path and "GPL" in str(entry.get("license", ""))
    )


def unpinned(folder: Path) -> list[str]:
    """Declared dependencies without an exact version, and locked packages without a sha512 integrity."""
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    declared = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
    problems = [
        f"{name}@{spec} is not an exact version" for name, spec in declared.items() if not EXACT_VERSION.match(spec)
    ]
    problems += [
        f"{path} has no sha512 integrity"
        for path, entry in _lock(folder)["packages"].items()
        if path and not INTEGRITY.match(entry.get("integrity", ""))
    ]
    return problems


def test_make_setup_installs_no_copyleft_package():
    assert copyleft_packages(_lock(REPO)) == []


def test_the_evaluators_own_lock_holds_the_agpl_packages():
    """Control for the test above: the check sees the AGPL packages where they are."""
    assert copyleft_packages(_lock(EVALUATOR)) == [
        "@cloud-copilot/iam-policy (AGPL-3.0-or-later)",
        "@cloud-copilot/iam-simulate (AGPL-3.0-or-later)",
        "@cloud-copilot/iam-utils (AGPL-3.0-or-later)",
    ]


@pytest.mark.parametrize("folder", [REPO, EVALUATOR], ids=["root", "tests/support/iam"])
def test_every_package_is_pinned_with_its_integrity(folder: Path):
    assert unpinned(folder) == []


def test_a_range_or_a_missing_integrity_is_reported(tmp_path: Path):
    (tmp_path / "package.json").write_text(json.dumps({"devDependencies": {"aws-cdk": "^2.1148.1"}}))
    lock = {"packages": {"": {}, "node_modules/aws-cdk": {"version": "2.1148.1"}}}
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))

    assert unpinned(tmp_path) == [
        "aws-cdk@^2.1148.1 is not an exact version",
        "node_modules/aws-cdk has no sha512 integrity",
    ]
