"""The hash-pinned locks (scripts/locks.py): current with their requirement files, complete, hashed, consistent.

Offline: the stamp each lock carries is recomputed from the requirement files, so a pin added, bumped or
removed without `make lock` fails here and in `make setup`, with the same one line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import locks
from tests.support.paths import REPO

INPUT_FILES = ("requirements.txt", "requirements-dev.txt", "agent/requirements.txt", "client/requirements.txt",
               "local/requirements.txt", "bench/requirements.txt")  # fmt: skip
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[a-z0-9,_-]+\])?==(?P<version>\d[\w.]*)$")
# One lock entry: ``name==version [; markers] \`` then its ``--hash=sha256:`` lines.
ENTRY = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9._-]*)==(?P<version>\S+?)(?: ;[^\\]*)? \\\n"
    r"((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
    re.M,
)


def _input_pins(source: str) -> dict[str, str]:
    """Every ``name==version`` pin of a requirement file and the files it includes."""
    found: dict[str, str] = {}
    for path in locks.input_files(REPO / source):
        for line in locks.requirement_lines(path):
            match = REQUIREMENT.match(line)
            if match:
                found[locks.normalized_name(match["name"])] = match["version"]
    return found


def _entries(lock_output: str) -> list[tuple[str, str, int]]:
    """Each locked entry: (name, version, number of sha256 hashes); a name forked by markers appears twice."""
    text = (REPO / lock_output).read_text(encoding="utf-8")
    return [(m["name"], m["version"], m.group(3).count("--hash")) for m in ENTRY.finditer(text)]


def _versions(lock_output: str) -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for name, version, _ in _entries(lock_output):
        versions.setdefault(name, set()).add(version)
    return versions


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The requirement files, the locks and scripts/locks.py, copied so a test can break them."""
    for relative in (*INPUT_FILES, *(lock.output for lock in locks.LOCKS), "scripts/locks.py"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, tmp_path / relative)
    return tmp_path


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(root / "scripts" / "locks.py"), "check"], capture_output=True, text=True)


def test_every_lock_is_current_with_its_requirement_files():
    assert locks.stale_locks() == []


def test_check_passes_on_an_untouched_copy(repo_copy: Path):
    result = _check(repo_copy)

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_check_names_the_stale_locks_in_one_line_after_a_pin_is_added(repo_copy: Path):
    with (repo_copy / "client" / "requirements.txt").open("a") as requirements:
        requirements.write("rich==14.2.0\n")

    result = _check(repo_copy)

    assert result.returncode == 1
    # The dev lock includes client/requirements.txt; the client lock is compiled from it.
    assert result.stderr == (
        "error: requirements-dev.lock, client/requirements.lock out of date with the requirement files; "
        "run `make lock`\n"
    )


def test_check_flags_a_bumped_pin_in_an_included_file(repo_copy: Path):
    agent = repo_copy / "agent" / "requirements.txt"
    agent.write_text(agent.read_text().replace("boto3==1.44.5", "boto3==1.44.6"))

    assert locks.stale_locks(repo_copy) == ["requirements-dev.lock", "agent/requirements.lock"]


def test_check_flags_a_removed_pin(repo_copy: Path):
    local = repo_copy / "local" / "requirements.txt"
    local.write_text(local.read_text().replace("starlette==1.10.0\n", ""))

    assert locks.stale_locks(repo_copy) == ["requirements-dev.lock"]


def test_check_flags_a_missing_lock(repo_copy: Path):
    (repo_copy / "client" / "requirements.lock").unlink()

    assert locks.stale_locks(repo_copy) == ["client/requirements.lock"]


def test_check_flags_a_hand_edited_dev_pin_in_the_locks_that_follow_it(repo_copy: Path):
    dev = repo_copy / "requirements-dev.lock"
    dev.write_text(dev.read_text().replace("\nbotocore==1.44.8 \\", "\nbotocore==1.44.9 \\"))

    # The dev lock's own inputs did not change; the image and client locks were compiled against other pins.
    assert locks.stale_locks(repo_copy) == ["agent/requirements.lock", "client/requirements.lock"]


def test_check_ignores_comment_and_blank_line_edits(repo_copy: Path):
    with (repo_copy / "agent" / "requirements.txt").open("a") as requirements:
        requirements.write("\n# a note about the pins above\n")

    assert locks.stale_locks(repo_copy) == []


def test_requirement_files_pin_every_package_exactly():
    for relative in INPUT_FILES:
        for line in locks.requirement_lines(REPO / relative):
            assert locks.INCLUDE.match(line) or REQUIREMENT.match(line), f"{relative}: {line!r} is not pinned with =="


@pytest.mark.parametrize("lock", locks.LOCKS, ids=lambda lock: lock.output)
def test_every_pin_of_the_inputs_is_locked_at_that_version(lock: locks.Lock):
    versions = _versions(lock.output)
    pins = _input_pins(lock.source)

    assert {name: versions.get(name, {"missing"}) for name in pins} == {
        name: {version} for name, version in pins.items()
    }


@pytest.mark.parametrize("lock", locks.LOCKS, ids=lambda lock: lock.output)
def test_every_locked_package_carries_its_hashes(lock: locks.Lock):
    text = (REPO / lock.output).read_text(encoding="utf-8")
    pinned = re.findall(r"^[a-z0-9][a-z0-9._-]*==", text, re.M)
    entries = _entries(lock.output)

    # Every pin line parsed as an entry with at least one hash line (the pattern needs one).
    assert len(entries) == len(pinned) > 0


@pytest.mark.parametrize("lock", locks.LOCKS[1:], ids=lambda lock: lock.output)
def test_image_and_client_locks_ship_the_versions_the_tests_run(lock: locks.Lock):
    dev = _versions("requirements-dev.lock")

    assert [(name, version) for name, version, _ in _entries(lock.output) if version not in dev.get(name, set())] == []


def test_uv_bootstrap_entry_is_the_pinned_uv_with_its_hashes():
    entry = locks.lock_entry("uv", REPO / "requirements-dev.lock")

    assert entry.splitlines()[0] == f"uv=={_input_pins('requirements-dev.txt')['uv']} \\"
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", entry)) == len(entry.splitlines()) - 1 >= 2


def test_lock_entry_of_an_unpinned_package_names_it():
    with pytest.raises(SystemExit, match=r"^locks: uvloop is not pinned in requirements-dev.lock$"):
        locks.lock_entry("uvloop", REPO / "requirements-dev.lock")


def test_compile_command_uses_relative_paths_and_hashes():
    command = locks.compile_command("uv", locks.LOCKS[1], upgrade=False)

    assert command == [
        "uv", "pip", "compile", "--quiet", "--generate-hashes", "--custom-compile-command", "make lock",
        "--python-platform", "aarch64-manylinux_2_36", "--python-version", "3.11", "--only-binary", ":all:",
        "--constraints", "requirements-dev.lock", "agent/requirements.txt", "--output-file", "agent/requirements.lock",
    ]  # fmt: skip


def _makefile_list(name: str) -> set[str]:
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(rf"^{name} := (.*)$", text, re.M)
    assert match is not None, name
    return set(match.group(1).split())


def test_make_setup_rechecks_when_any_requirement_file_or_lock_changes():
    inputs = {
        path.relative_to(REPO).as_posix() for lock in locks.LOCKS for path in locks.input_files(REPO / lock.source)
    }

    # These are the prerequisites of .venv/.installed, whose recipe runs `scripts/locks.py check` first.
    assert _makefile_list("REQUIREMENTS") == inputs == set(INPUT_FILES)
    assert _makefile_list("LOCKS") == {lock.output for lock in locks.LOCKS}
