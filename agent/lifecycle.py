"""The agent's three moments, as AgentCore platform V2 sees them: startup, after restore, per request.

V2 starts the agent once per runtime version, snapshots the process after its first healthy ``/ping`` and
restores every session's microVM from that snapshot (devguide ``runtime-how-it-works``, "Platform versions";
``runtime-v2-optimize``). What runs at each moment, so the snapshot rules can be checked in one place:

- **startup** (:meth:`AgentLifecycle.warm_up`, before the server listens): one-time work every first request
  would pay (``agent/warm_up.py``) and the snapshot-safe trace ids (``agent/telemetry_ids.py``). Never at
  startup: an AWS client, a credential or metadata-token fetch, an open socket, a session, an entry in the
  session registry or store, anything per instance — all of it would be shared byte for byte by every
  restored instance, or be expired or dead in it.
- **after restore** (:meth:`AgentLifecycle.after_restore`, run once per restore, ``agent/restore_watch.py``):
  reseed ``random`` (retry jitter in botocore and openai, and ids of tracers made before startup draw from it),
  a new telemetry instance id, ``/ping``'s ``time_of_last_update`` stamped with the time of the restore; then,
  in a thread of its own, the AWS clients the first turn needs (the store's and the model's), then, only while
  no request is being served, their first calls' one-time work (``agent/aws_clients.py`` ``warm_operations``):
  a request does that work itself as it goes, and a thread doing it alongside only takes the interpreter from
  it (in ``make bench``'s restore rows the first answer came ~8 % sooner without it). The server's
  :meth:`AgentLifecycle.watch_for_restore` thread notices the restore the moment the process resumes, so
  credentials are fetched and clients built while the platform's first ``/ping`` and invocation are on their
  way; the first request notices it otherwise. Whether the platform pings a restored instance before routing
  to it is not documented (``runtime-v2-optimize`` names only startup and request handling;
  ``runtime-lifecycle-hooks`` has only a build-time ``warmup`` hook, before the snapshot), so nothing relies on
  it: an invocation that needs a client still being built waits on the same per-client lock
  (``agent/aws_clients.py``), no worse than building it itself.
- **per request** (``agent/app.py``): AWS clients and credentials on first use (``agent/aws_clients.py``,
  ``agent/model_factory.py``), sessions, request ids.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from agent.health import Health
from agent.restore_watch import RestoreDetector, ResumeWatcher
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
        self.requests = RequestsInFlight()
        self._builds: list[Callable[[], object]] = []
        self._warm_ups: list[Callable[[], object]] = []
        self.preparing: threading.Thread | None = None  # the last after-restore preparation, for tests to join

    def prepare_after_restore(
        self, *, builds: Sequence[Callable[[], object]], warm_ups: Sequence[Callable[[], object]] = ()
    ) -> None:
        """Register what each restored instance does once, at once, in this order.

        Args:
            builds: what the first request needs and would otherwise build itself: the per-instance AWS clients.
            warm_ups: one-time work a request also does itself as it goes; skipped from the first request on.
        """
        self._builds.extend(builds)
        self._warm_ups.extend(warm_ups)

    def warm_up(self) -> None:
        """Startup: install safe ids, do the first request's one-time work, take the restore baseline."""
        self.telemetry.install()
        warm_up(self._settings)
        self.health.stamp()
        self.detector.rebase()

    def notice_restore(self) -> bool:
        """Run :meth:`after_restore` if the process was restored since it last asked; True if it ran."""
        return self.detector.notice(self.after_restore)

    def watch_for_restore(self) -> ResumeWatcher:
        """Start the thread that notices a restore as the process resumes (the server's; tests move clocks)."""
        return ResumeWatcher(notice=self.notice_restore).start()

    def after_restore(self) -> None:
        """After restore: what must differ per restored instance, and the new status time."""
        random.seed()  # from os.urandom (CPython ``random.seed(None)``)
        self.telemetry.after_restore()
        self.health.stamp()
        logger.info("generation=<%s> | renewed per-instance state after restore", self.detector.generation)
        if self._builds or self._warm_ups:
            self.preparing = threading.Thread(target=self._run_prepare, name="after-restore-prepare", daemon=True)
            self.preparing.start()

    def _run_prepare(self) -> None:
        """The builds, then the warm-ups until a request is being served; each step once. A failure is logged
        and left to the request that needs it (which reports it); after a failed build nothing is warmed (a
        warm-up would only build it again)."""
        started = time.monotonic()
        outcomes = [_run_step(step) for step in self._builds]  # every build, also after one failed
        built = all(outcomes)
        warmed = 0
        for step in self._warm_ups:
            if not built or self.requests.any():
                break
            _run_step(step)
            warmed += 1
        logger.info(
            "seconds=<%.3f>, warm_ups=<%d/%d> | prepared clients after restore",
            time.monotonic() - started,
            warmed,
            len(self._warm_ups),
        )


def _run_step(step: Callable[[], object]) -> bool:
    """True if ``step`` ran without an exception."""
    try:
        step()
    except Exception:
        name = getattr(step, "__qualname__", type(step).__name__)
        logger.warning("step=<%s> | preparing after restore failed", name, exc_info=True)
        return False
    return True


class RequestsInFlight:
    """How many requests are being served now (``agent/restore_watch.py`` counts every one but ``/ping``)."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Counts the caller as a request being served until the block ends."""
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1

    def any(self) -> bool:
        return self._count > 0
