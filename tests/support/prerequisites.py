"""What a test does when the host lacks something it needs (podman, CRIU, Chromium, root): skip, except in CI.

WHY: a developer's machine may lack a host package, and the suite must still run there; CI (`.ci/run`, GitHub
Actions) installs every prerequisite first, so there a missing one is a broken setup and must fail, never
quietly skip. The reason names what is missing and how to install it.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

# GitHub Actions and .ci/run set CI=true; "0", "false" and "no" mean a developer turned it off.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_prerequisite(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere; ``reason`` says what is missing and how to get it."""
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)
