"""Every dependency of agent/requirements.txt resolves for linux/arm64 as a binary wheel.

AgentCore Runtime runs arm64 images and the Dockerfile installs wheels only (no compiler in the image),
so an sdist-only or x86-only dependency would break the deployed build long after tests passed here.
This resolves the full dependency tree the way ``pip download --only-binary=:all: --platform
manylinux2014_aarch64 --python-version <image's Python>`` does, using ``pip install --dry-run --report``
so only wheel metadata is fetched. Needs a package index (PyPI or the configured mirror).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "agent" / "requirements.txt"
DOCKERFILE = REPO_ROOT / "agent" / "Dockerfile"


def _image_python_version() -> str:
    """The Python of the Dockerfile's default base image (``python:3.X-...``), 3.11 if it names none."""
    match = re.search(r"ARG BASE_IMAGE=\S*python:(3\.\d+)", DOCKERFILE.read_text()) if DOCKERFILE.exists() else None
    return match.group(1) if match else "3.11"


def _pinned_requirements() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return pins


def test_every_requirement_is_pinned():
    pins = _pinned_requirements()

    assert pins and all(re.fullmatch(r"\d+(\.\d+)*", v) for v in pins.values()), pins


def test_requirements_resolve_to_arm64_wheels(tmp_path: Path):
    report = tmp_path / "report.json"
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
        "--only-binary=:all:", "--platform", "manylinux2014_aarch64", "--implementation", "cp",
        "--python-version", _image_python_version(), "--target", str(tmp_path / "target"),
        "--report", str(report), "-r", str(REQUIREMENTS),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, result.stderr[-3000:]

    installs = json.loads(report.read_text())["install"]
    files = {item["metadata"]["name"].lower().replace("_", "-"): item["download_info"]["url"].rsplit("/", 1)[-1] for item in installs}
    not_wheels = [f for f in files.values() if not f.endswith(".whl")]
    wrong_platform = [f for f in files.values() if not (f.endswith("-none-any.whl") or "aarch64" in f)]
    assert not_wheels == [] and wrong_platform == []
    resolved = {item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"] for item in installs}
    assert {name: resolved.get(name) for name in _pinned_requirements()} == _pinned_requirements()
