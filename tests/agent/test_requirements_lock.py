"""The image installs agent/requirements.lock: resolved for linux/arm64 CPython 3.11 wheels, hashes required.

AgentCore Runtime runs arm64 images and the Dockerfile installs wheels only (no compiler in the image), so an
sdist-only or x86-only dependency would break the deployed build long after tests passed here. `make lock`
resolves the lock with ``uv pip compile --python-platform aarch64-manylinux_2_36 --only-binary :all:``,
which fails unless every package has such a wheel, and records the sha256 of every file of each version (so
the x86_64 test build verifies against the same lock). These checks are offline: the lock was compiled for
the image's platform and Python, is current, and is what the Dockerfile installs, hash-checked.
"""

from __future__ import annotations

import re

from local.processes import REPO_ROOT
from scripts import locks

DOCKERFILE = REPO_ROOT / "agent" / "Dockerfile"
IMAGE_LOCK = next(lock for lock in locks.LOCKS if lock.output == "agent/requirements.lock")


def _arg(name: str) -> str:
    args = IMAGE_LOCK.resolver_args
    return args[args.index(name) + 1]


def test_every_requirement_is_pinned():
    lines = list(locks.requirement_lines(REPO_ROOT / "agent" / "requirements.txt"))

    assert lines and all(re.fullmatch(r"[a-z0-9-]+(\[[a-z]+\])?==\d+(\.\d+)*", line) for line in lines), lines


def test_image_lock_is_resolved_for_arm64_wheels_of_the_base_image_python():
    base_python = re.search(r"^ARG BASE_IMAGE=\S*python:(3\.\d+)-", DOCKERFILE.read_text(), re.M)

    assert base_python is not None
    assert _arg("--python-version") == base_python.group(1) == "3.11"
    assert re.fullmatch(r"aarch64-manylinux_2_\d+", _arg("--python-platform"))
    assert _arg("--only-binary") == ":all:"
    assert "--universal" not in IMAGE_LOCK.resolver_args


def test_image_lock_was_compiled_from_the_current_requirements():
    assert locks.recorded_stamp(REPO_ROOT / IMAGE_LOCK.output) == locks.stamp(IMAGE_LOCK)


def test_dockerfile_installs_the_lock_with_hashes_required_and_wheels_only():
    dockerfile = DOCKERFILE.read_text()
    install = next(line for line in dockerfile.splitlines() if "-m pip install" in line)

    assert "COPY requirements.lock /tmp/requirements.lock\n" in dockerfile
    assert "requirements.txt" not in dockerfile
    assert "--require-hashes" in install and "--only-binary=:all:" in install
    assert install.strip().endswith("-r /tmp/requirements.lock; \\")


def test_base_image_is_pinned_by_the_digest_of_its_multi_arch_tag():
    match = re.search(r"^ARG BASE_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.M)

    assert match is not None
    assert re.fullmatch(
        r"public\.ecr\.aws/docker/library/python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", match.group(1)
    )
