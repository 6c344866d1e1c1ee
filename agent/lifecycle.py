"""The agent's three moments, as AgentCore platform V2 sees them: startup, after restore, per request.

V2 starts the agent once per runtime version, snapshots the process after its first healthy ``/ping`` and
restores every session's microVM from that snapshot (devguide ``runtime-how-it-works``, "Platform versions";
``runtime-v2-optimize``). What runs at each moment, so the snapshot rules can be checked in one place:

- **startup** (:meth:`AgentLifecycle.warm_up`, before the server listens): one-time work every first request
  would pay (``agent/warm_up.py``) and the snapshot-safe trace ids (``agent/telemetry_ids.py``). Never at
  startup: an AWS client, a credential or metadata-token fetch, an open socket, a session, an entry in the
  session registry or store, anything per instance — all of it would be shared byte for byte by every
  restored instance, or be expired or dead in it.
- **after restore** (:meth:`AgentLifecycle.after_restore`, run once per restore before the first request
  after it is handled, ``agent/restore_watch.py``): reseed ``random`` (retry jitter in botocore and openai,
  and ids of tracers made before startup draw from it), a new telemetry instance id, and ``/ping``'s
  ``time_of_last_update`` stamped with the time of the restore.
- **per request** (``agent/app.py``): AWS clients and credentials on first use (``agent/aws_clients.py``,
  ``agent/model_factory.py``), sessions, request ids.
"""

from __future__ import annotations

import logging
import random

from agent.health import Health
from agent.restore_watch import RestoreDetector
from agent.settings import Settings
from agent.telemetry_ids import SnapshotSafeTelemetry
from agent.warm_up import warm_up

logger = logging.getLogger(__name__)


class AgentLifecycle:
    """Holds what the three moments share: the health status, the restore detector and the telemetry ids."""

    def __init__(
        self, settings: Settings, *, health: Health | None = None, detector: RestoreDetector | None = None
    ) -> None:
        """``health`` and ``detector`` default to the real clocks; tests hand in ones on clocks they move."""
        self._settings = settings
        self.health = health or Health()
        self.detector = detector or RestoreDetector()
        self.telemetry = SnapshotSafeTelemetry()

    def warm_up(self) -> None:
        """Startup: install safe ids, do the first request's one-time work, take the restore baseline."""
        self.telemetry.install()
        warm_up(self._settings)
        self.health.stamp()
        self.detector.rebase()

    def after_restore(self) -> None:
        """After restore: what must differ per restored instance, and the new status time."""
        random.seed()  # from os.urandom (CPython ``random.seed(None)``)
        self.telemetry.after_restore()
        self.health.stamp()
        logger.info("generation=<%s> | renewed per-instance state after restore", self.detector.generation)
