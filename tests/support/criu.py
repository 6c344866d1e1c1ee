"""Whether a test may checkpoint and restore processes: CRIU needs root and the binary scripts/criu_prereqs.sh builds.

Without them a test is skipped with the reason, except when ``CI`` is set (``.ci/run`` runs as root and builds
CRIU first), where it fails: the snapshot rehearsal must run there (tests/support/prerequisites.py).
"""

from __future__ import annotations

from local.snapshot import unavailable_reason
from tests.support.prerequisites import missing_prerequisite


def require_criu() -> None:
    """Fail in CI, skip elsewhere, when checkpoint/restore cannot run here (the reason is stated)."""
    reason = unavailable_reason()
    if reason is not None:
        missing_prerequisite(f"checkpoint/restore cannot run here: {reason}")
