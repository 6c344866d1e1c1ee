"""Pin agent/Dockerfile's base image to the current digest of its tag: `make bump-base-image` (then it re-locks).

The Dockerfile names the base as ``<repository>:<tag>@sha256:<digest>``; builds use the digest, so the image
changes only when this script moves it. The digest is the tag's multi-arch index (linux/arm64 for AgentCore,
linux/amd64 for x86 test builds), read from the registry with the first tool found: ``crane digest``,
``skopeo inspect`` or ``docker buildx imagetools inspect``. Needs that registry to be reachable.

Usage: python scripts/bump_base_image.py [--dockerfile PATH]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parent.parent / "agent" / "Dockerfile"
BASE_IMAGE_ARG = re.compile(r"^ARG BASE_IMAGE=(?P<tag>[^\s@]+)@(?P<digest>sha256:[0-9a-f]{64})$", re.M)
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# Each command prints the index digest of the reference appended to it, before any other digest: crane's
# `digest` does by default; skopeo's `.Digest` "always refers to the top-level image" (skopeo maintainers,
# containers/skopeo#2180); buildx prints the index on its first "Digest:" line.
DIGEST_COMMANDS = (
    ("crane", "digest"),
    ("skopeo", "inspect", "--format", "{{.Digest}}", "--no-tags"),
    ("docker", "buildx", "imagetools", "inspect"),
)


def pinned_base_image(dockerfile_text: str) -> tuple[str, str]:
    """The (tag reference, digest) of the Dockerfile's ``ARG BASE_IMAGE=<tag>@<digest>`` line."""
    match = BASE_IMAGE_ARG.search(dockerfile_text)
    if match is None:
        raise SystemExit("bump-base-image: agent/Dockerfile has no `ARG BASE_IMAGE=<repository>:<tag>@sha256:<digest>`")
    return match.group("tag"), match.group("digest")


def with_digest(dockerfile_text: str, digest: str) -> str:
    """The Dockerfile text with the base image's digest replaced (the tag is kept)."""
    tag, _ = pinned_base_image(dockerfile_text)
    return BASE_IMAGE_ARG.sub(f"ARG BASE_IMAGE={tag}@{digest}", dockerfile_text, count=1)


def registry_digest(tag: str, run: Callable[[list[str]], str], which: Callable[[str], str | None]) -> str:
    """The tag's current index digest, from the first digest tool installed."""
    for command in DIGEST_COMMANDS:
        if which(command[0]) is None:
            continue
        reference = f"docker://{tag}" if command[0] == "skopeo" else tag
        found = DIGEST.search(run([*command, reference]))
        if found is None:
            raise SystemExit(f"bump-base-image: `{' '.join(command)} {reference}` printed no sha256 digest")
        return found.group(0)
    raise SystemExit("bump-base-image: needs crane, skopeo or docker (with buildx) on PATH, and the registry reachable")


def _run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=DOCKERFILE)
    args = parser.parse_args(argv)
    text = args.dockerfile.read_text(encoding="utf-8")
    tag, old = pinned_base_image(text)
    new = registry_digest(tag, _run, shutil.which)
    if new == old:
        print(f"bump-base-image: {tag} is still {old}")
        return 0
    args.dockerfile.write_text(with_digest(text, new), encoding="utf-8")
    print(f"bump-base-image: {tag} {old} -> {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
