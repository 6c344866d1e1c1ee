"""Notice, cheaply and on the request path, that the process was restored from a snapshot.

AgentCore platform V2 starts the agent once, snapshots its microVM after the first healthy ``/ping`` and
restores every session's microVM from that snapshot (devguide ``runtime-how-it-works``, "Platform versions";
``runtime-v2-optimize``). The process is not told. What it can see: ``CLOCK_MONOTONIC`` does not advance
while a VM (or a CRIU image) is not running, and resumes from the value it had at the snapshot, whereas the
wall clock (``CLOCK_REALTIME``) must be set to the real time on restore, or TLS and SigV4 (which refuses a
clock more than 5 minutes off) would fail. So, measured from a baseline taken at startup, wall-clock time
running ahead of monotonic time by more than ``JUMP_SECONDS`` means the process was frozen and resumed:

- sound: in a running process both clocks advance together. NTP *slews* both alike (``adjtime`` rate changes
  apply to ``CLOCK_MONOTONIC`` too), so only a step of the wall clock (``settimeofday``, an NTP step) or a
  host suspend moves one without the other, and treating those as a restore is harmless: ``after_restore``
  only reseeds, renews ids and re-stamps ``/ping``;
- cheap: two clock reads per request, no system call beyond the vDSO;
- the same under CRIU (``criu restore`` keeps the PID and restores monotonic time through a time namespace,
  while the wall clock shows the real time), which is how the offline rehearsal restores the agent.

A snapshot taken and restored within ``JUMP_SECONDS`` is not noticed; nothing depends on noticing it for
safety (trace ids come from ``os.urandom`` regardless, ``agent/telemetry_ids.py``), only ``/ping``'s
timestamp and ``random``'s state would stay as they were. Each restore is reported once: the baseline is
taken again when one is noticed, and the generation counts restores.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

JUMP_SECONDS = 1.0  # far above the error of reading two clocks one after the other under load


class RestoreDetector:
    """Says once per restore that the wall clock ran ahead of the monotonic clock since the baseline."""

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        jump_seconds: float = JUMP_SECONDS,
    ) -> None:
        self._wall, self._monotonic, self._jump = wall, monotonic, jump_seconds
        self._lock = threading.Lock()
        self.generation = 0  # restores noticed so far
        self.rebase()

    def rebase(self) -> None:
        """Take the baseline now (at the end of startup, and after each restore)."""
        self._base = (self._wall(), self._monotonic())

    def restored(self) -> bool:
        """True the first time this is asked after a restore; False otherwise."""
        with self._lock:
            wall, monotonic = self._wall(), self._monotonic()
            ahead = (wall - self._base[0]) - (monotonic - self._base[1])
            if ahead <= self._jump:
                if ahead < -self._jump:  # the wall clock was stepped back: follow it, it is no restore
                    self.rebase()
                return False
            self.rebase()
            self.generation += 1
            logger.info("generation=<%s>, wall_ahead_seconds=<%.1f> | restored from a snapshot", self.generation, ahead)
            return True


class RestoreWatch:
    """ASGI middleware: before any request (``/ping`` included) is handled, run ``after_restore`` once per restore."""

    def __init__(self, app: ASGIApp, *, detector: RestoreDetector, after_restore: Callable[[], None]) -> None:
        self._app = app
        self._detector = detector
        self._after_restore = after_restore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._detector.restored():
            self._after_restore()
        await self._app(scope, receive, send)
