"""Whether a test may checkpoint and restore processes: CRIU needs root and the binary scripts/criu_prereqs.sh builds.

Without them a test is skipped with the reason, except when ``CI`` is set (``.ci/run`` runs as root and builds
CRIU first), where it fails: the snapshot rehearsal must run there.
"""

from __future__ import annotations

import os

import pytest

from local.snapshot import unavailable_reason

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_criu() -> None:
    """Fail in CI, skip elsewhere, when checkpoint/restore cannot run here (the reason is stated)."""
    reason = unavailable_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"checkpoint/restore cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)
