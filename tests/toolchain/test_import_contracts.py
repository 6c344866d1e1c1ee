"""The import contracts in pyproject.toml ([tool.importlinter], run by `make lint`) hold; each catches a wrong arrow.

The control is the repository itself. The broken copies are its packages in a temporary folder: one with a
forbidden import added per contract (in new modules, so no product file's content matters), where every
contract must report itself broken; one with the exception's import removed, which must fail the check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support.paths import REPO

LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
CONTRACTS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
EXCEPTION = "import agent.http_server as guard\n"
# New modules, each an arrow a contract forbids (file → its source); the smoke script also gets `import aws_cdk`.
PROBES = {
    "stacks/probe_runtime.py": "import agent\n",
    "stacks/constructs/probe_stack.py": "import stacks.stage\n",
    "client/probe_local.py": "import local\n",
    "local/probe_tests.py": "import tests.support\n",
    "bench/probe_client.py": "import client\n",
    "scripts/probe_agent.py": "import agent\n",
    "scripts/pipeline_smoke_probe.py": "",
    "tests/stacks/probe_target.py": "",
    "tests/support/probe_folder.py": "import tests.stacks.probe_target\n",
    "tests/local/probe_target.py": "",
    "tests/bench/probe_other_folder.py": "import tests.local.probe_target\n",
    "tests/docs/probe_conftest.py": "import tests.docs.conftest\n",
}


def lint_imports(root: Path) -> tuple[int, str]:
    """lint-imports from ``root`` with the repository's config; its exit code and output on one line per contract."""
    result = subprocess.run(
        [LINT_IMPORTS, "--no-logo", "--no-cache", "--config", str(REPO / "pyproject.toml")],
        cwd=root,
        env={**os.environ, "COLUMNS": "1000", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


def copy_of_the_tree(tmp_path: Path) -> Path:
    for package in CONTRACTS["root_packages"]:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_tree_keeps_every_import_contract() -> None:
    code, output = lint_imports(REPO)
    assert code == 0, output
    assert f"Contracts: {len(CONTRACTS['contracts'])} kept, 0 broken." in output


def test_each_contract_catches_a_forbidden_import(tmp_path: Path) -> None:
    root = copy_of_the_tree(tmp_path)
    for relative, source in PROBES.items():
        (root / relative).write_text(source)
    smoke = root / "scripts" / "pipeline_smoke.py"
    smoke.write_text(smoke.read_text() + "\nimport aws_cdk\n")

    code, output = lint_imports(root)

    assert code == 1
    broken = set(re.findall(r"^(.+) BROKEN(?: \(\d+ ignored imports?\))?$", output, flags=re.M))
    assert broken == {contract["name"] for contract in CONTRACTS["contracts"]}, output


def test_an_exception_no_import_uses_fails_the_check(tmp_path: Path) -> None:
    guarded = copy_of_the_tree(tmp_path) / "local" / "http_server.py"
    assert EXCEPTION in guarded.read_text()
    guarded.write_text(guarded.read_text().replace(EXCEPTION, "guard = None\n"))

    code, output = lint_imports(tmp_path)

    assert (code, output.strip()) == (1, "No matches for ignored import local.http_server -> agent.http_server.")
