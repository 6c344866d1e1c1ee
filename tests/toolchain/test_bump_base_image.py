"""scripts/bump_base_image.py: reads the pinned base image, asks the first digest tool found, rewrites the pin."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import bump_base_image
from tests.support.paths import REPO

TAG = "public.ecr.aws/docker/library/python:3.11-slim-bookworm"
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
DOCKERFILE = f"# base\nARG BASE_IMAGE={TAG}@{OLD}\n\nFROM ${{BASE_IMAGE}} AS builder\n"


def test_reads_the_tag_and_digest_of_the_real_dockerfile():
    tag, digest = bump_base_image.pinned_base_image((REPO / "agent" / "Dockerfile").read_text())

    assert tag == TAG
    assert digest.startswith("sha256:") and len(digest) == 71


def test_with_digest_replaces_only_the_digest():
    assert bump_base_image.with_digest(DOCKERFILE, NEW) == DOCKERFILE.replace(OLD, NEW)


def test_an_unpinned_base_image_is_refused():
    with pytest.raises(SystemExit, match="has no `ARG BASE_IMAGE=<repository>:<tag>@sha256:<digest>`"):
        bump_base_image.pinned_base_image(f"ARG BASE_IMAGE={TAG}\n")


def test_asks_the_first_installed_tool_for_the_index_digest():
    calls: list[list[str]] = []

    def run(command: list[str]) -> str:
        calls.append(command)
        return f"{NEW}\n"

    digest = bump_base_image.registry_digest(TAG, run, lambda tool: "/usr/bin/skopeo" if tool == "skopeo" else None)

    assert digest == NEW
    assert calls == [["skopeo", "inspect", "--format", "{{.Digest}}", "--no-tags", f"docker://{TAG}"]]


def test_reads_the_digest_line_of_buildx_output():
    output = (
        f"Name:      {TAG}\nMediaType: application/vnd.oci.image.index.v1+json\nDigest:    {NEW}\n\n"
        f"Manifests:\n  Name: {TAG}@{OLD}\n"
    )

    digest = bump_base_image.registry_digest(
        TAG, lambda command: output, lambda tool: tool if tool == "docker" else None
    )

    assert digest == NEW


def test_without_a_digest_tool_it_says_what_is_needed():
    with pytest.raises(SystemExit, match="needs crane, skopeo or docker"):
        bump_base_image.registry_digest(TAG, lambda command: "", lambda tool: None)


def test_a_tool_that_prints_no_digest_is_an_error():
    with pytest.raises(SystemExit, match="printed no sha256 digest"):
        bump_base_image.registry_digest(TAG, lambda command: "unauthorized\n", lambda tool: "/usr/bin/crane")


def test_main_rewrites_the_dockerfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    monkeypatch.setattr(bump_base_image, "registry_digest", lambda tag, run, which: NEW)

    assert bump_base_image.main(["--dockerfile", str(dockerfile)]) == 0
    assert dockerfile.read_text() == DOCKERFILE.replace(OLD, NEW)
