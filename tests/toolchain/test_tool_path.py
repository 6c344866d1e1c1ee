"""Every Node.js process a test session starts runs the virtualenv's Node.js 24, however pytest was started.

tests/conftest.py puts .venv/bin and node_modules/.bin first on PATH (tests/support/tool_path.py), as the Makefile
does: jsii and the CDK CLI take `node` from PATH, and a system Node.js 20 is end-of-life.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

from tests.support.paths import REPO
from tests.support.tool_path import tool_dirs, with_tools_first

VENV_NODE = Path(sys.executable).parent / "node"  # scripts/link_node.py: a symlink to the wheel's Node.js 24


def _child_executables() -> set[Path]:
    """The executables of this process's children (/proc/<pid>/stat field 4 is the parent's pid, proc(5))."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid():
                found.add(Path(os.readlink(stat.with_name("exe"))))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # the process ended while being read
    return found


def _fake_node(folder: Path) -> Path:
    """A `node` that fails at once, as an unusable Node.js would."""
    folder.mkdir()
    node = folder / "node"
    node.write_text("#!/bin/sh\nexit 97\n")
    node.chmod(0o755)
    return node


def test_jsii_kernel_runs_the_virtualenvs_node():
    cdk.App()  # the jsii kernel is running once aws_cdk is imported
    assert VENV_NODE.resolve() in _child_executables()
    assert all(exe == VENV_NODE.resolve() for exe in _child_executables() if exe.name.startswith("node"))


def test_tools_go_first_and_once(tmp_path):
    fake = _fake_node(tmp_path / "bin")
    venv_bin, cdk_bin = tool_dirs()
    path = os.pathsep.join([str(fake.parent), "/usr/bin", venv_bin, "/bin"])

    assert shutil.which("node", path=path) == str(fake)  # control: the first `node` on PATH wins
    fixed = with_tools_first(path)
    assert fixed.split(os.pathsep) == [venv_bin, cdk_bin, str(fake.parent), "/usr/bin", "/bin"]
    assert shutil.which("node", path=fixed) == str(VENV_NODE)
    assert shutil.which("cdk", path=fixed) == str(REPO / "node_modules" / ".bin" / "cdk")


@pytest.mark.slow
def test_a_session_started_with_another_node_first_still_runs_the_virtualenvs(tmp_path):
    """pytest started outside make, with an unusable `node` first on PATH: its jsii kernel still starts, on the
    virtualenv's Node.js (the test above, run in that session)."""
    fake = _fake_node(tmp_path / "bin")
    test = f"{Path(__file__).relative_to(REPO)}::test_jsii_kernel_runs_the_virtualenvs_node"
    env = {**os.environ, "PATH": os.pathsep.join([str(fake.parent), "/usr/bin", "/bin"])}

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", test],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout
