"""Every place that installs Python packages installs a hash-pinned lock: make setup, the pipeline's steps, the image.

A ``pip install -r requirements.txt`` anywhere would resolve transitive versions on the day it runs, unverified.
"""

from __future__ import annotations

import re

import pytest

from stacks.pipeline.pipeline_stack import SYNTH_INSTALL_COMMANDS
from stacks.pipeline.smoke_step import INSTALL_COMMANDS as SMOKE_INSTALL_COMMANDS
from tests.support.paths import REPO

INSTALL = re.compile(r"\b(?:pip|uv pip) (?:install|sync)\b")


def unlocked_installs(command: str) -> list[str]:
    """The package installs in a shell command that are not ``--require-hashes`` from a ``.lock`` file in the repo."""
    problems = []
    for part in re.split(r"\s*(?:&&|;|\|\|)\s*", command):
        if not INSTALL.search(part):
            continue
        files = re.findall(r"(?:-r\s+|\bsync\b.*?\s)(\S+\.(?:lock|txt))", part)
        locked = files and all(f.endswith(".lock") for f in files)
        if "--require-hashes" not in part or not locked:
            problems.append(part.strip())
    return problems


def _makefile_install_lines() -> list[str]:
    text = (REPO / "Makefile").read_text().replace("$(UV) pip", "uv pip").replace("$(BIN)/python -m pip", "pip")
    return [line.strip() for line in text.splitlines() if INSTALL.search(line)]


def test_make_setup_installs_only_hash_pinned_locks():
    lines = _makefile_install_lines()
    project = [line for line in lines if "--editable ." in line]
    others = [line for line in lines if line not in project]

    # The bootstrap (uv, from the dev lock's entry), the sync (the dev lock); the project itself is local code,
    # built without build isolation so no build dependency is fetched unhashed.
    assert len(others) == 2 and [problem for line in others for problem in unlocked_installs(line)] == []
    assert project == ["uv pip install --quiet --no-deps --no-build-isolation --python $(BIN)/python --editable ."]


def test_pipeline_steps_install_only_locks():
    assert SYNTH_INSTALL_COMMANDS[0] == "make setup"
    assert [
        p for command in (*SYNTH_INSTALL_COMMANDS, *SMOKE_INSTALL_COMMANDS) for p in unlocked_installs(command)
    ] == []
    for command in SMOKE_INSTALL_COMMANDS:
        for lock in re.findall(r"-r\s+(\S+)", command):
            assert (REPO / lock).is_file(), lock


def test_image_installs_only_its_lock():
    dockerfile = (REPO / "agent" / "Dockerfile").read_text().replace("/opt/venv/bin/python -m pip", "pip")
    installs = [line for line in dockerfile.splitlines() if INSTALL.search(line)]

    assert len(installs) == 1 and unlocked_installs(installs[0].rstrip("\\ ")) == []
    assert "--only-binary=:all:" in installs[0]  # wheels only: the image has no compiler


@pytest.mark.parametrize(
    "command",
    [
        "python3 -m pip install --quiet -r client/requirements.txt",
        "pip install --require-hashes -r client/requirements.txt",
        "pip install --quiet -r client/requirements.lock",
        "make setup && pip install boto3",
        "uv pip sync requirements-dev.lock",
    ],
)
def test_an_unlocked_install_is_reported(command: str):
    assert unlocked_installs(command) != []


def test_a_locked_install_passes():
    assert (
        unlocked_installs("python3 -m pip install --quiet --require-hashes --no-deps -r client/requirements.lock") == []
    )
