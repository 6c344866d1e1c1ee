"""Notice, cheaply, that the process was restored from a snapshot: the moment it resumes, or on its next request.

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

Two places ask, and whichever asks first after a restore runs ``after_restore`` (:meth:`RestoreDetector.notice`):

- :class:`ResumeWatcher`, a thread asleep in ``clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME)`` until a wall-clock
  deadline ``JUMP_SECONDS`` ahead. A freeze longer than that resumes with the deadline in the past, so the sleep
  returns at once (Linux ``clock_nanosleep(2)``: an absolute ``CLOCK_REALTIME`` sleep ends when the clock reaches
  the deadline, also when the clock is set past it; CRIU restarts the interrupted call with its arguments, and
  in a restored VM setting the wall clock re-arms ``CLOCK_REALTIME`` timers), and the per-instance work starts
  while the platform is still sending its first ``/ping``. Idle cost: one wake-up a second. A relative or
  ``CLOCK_MONOTONIC`` sleep (``time.sleep``, ``threading.Event.wait``) would not do: monotonic time resumes where
  it stopped, so such a sleep runs out its remainder after the restore;
- :class:`RestoreWatch`, before any request is handled, for a restore the watcher has not seen yet (a watcher
  not started, as in tests, or a freeze shorter than its period).
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from agent.health import PING_PATH

logger = logging.getLogger(__name__)

JUMP_SECONDS = 1.0  # far above the error of reading two clocks one after the other under load
TIMER_ABSTIME = 1  # <linux/time.h>: the deadline is a time on the clock, not an interval


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
        self._notice_lock = threading.Lock()
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
            logger.info(
                "generation=<%s>, wall_ahead_seconds=<%.1f>, noticed_by=<%s> | restored from a snapshot",
                self.generation,
                ahead,
                threading.current_thread().name,
            )
            return True

    def notice(self, after_restore: Callable[[], None]) -> bool:
        """Run ``after_restore`` if a restore happened; True if it ran.

        Under one lock, so a request arriving while the watcher runs ``after_restore`` waits for it (briefly: it
        starts the client preparation in a thread of its own) instead of being served with the snapshot's state.
        """
        with self._notice_lock:
            if not self.restored():
                return False
            after_restore()
            return True


class RestoreWatch:
    """ASGI middleware: before any request (``/ping`` included) is handled, run ``after_restore`` once per restore;
    and hold ``serving`` open while any request but ``/ping`` is handled, so the after-restore preparation
    knows when to stop warming (``agent/lifecycle.py``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        detector: RestoreDetector,
        after_restore: Callable[[], None],
        serving: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self._app = app
        self._detector = detector
        self._after_restore = after_restore
        self._serving = serving

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._detector.notice(self._after_restore)
        if scope["type"] not in ("http", "websocket") or scope["path"] == PING_PATH:
            await self._app(scope, receive, send)
            return
        with self._serving():
            await self._app(scope, receive, send)


def sleep_until_wall_clock(deadline: float) -> None:
    """Sleep until the wall clock reads ``deadline`` (seconds since the epoch), or a signal interrupts.

    libc's ``clock_nanosleep`` through ctypes (which releases the GIL for the call): Python 3.11 has no absolute
    wall-clock sleep (``time.sleep`` sleeps on ``CLOCK_MONOTONIC``; ``os.timerfd_create`` arrives in 3.13).
    """
    if _clock_nanosleep is None:  # not Linux (a developer's machine): a relative sleep, noticed within a period
        time.sleep(max(0.0, deadline - time.time()))
        return
    seconds = int(deadline)
    timespec = _Timespec(seconds, int((deadline - seconds) * 1_000_000_000))
    _clock_nanosleep(time.CLOCK_REALTIME, TIMER_ABSTIME, ctypes.byref(timespec), None)


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]  # <time.h> struct timespec on Linux


def _libc_clock_nanosleep() -> Any:
    """``clock_nanosleep`` of the C library the interpreter is linked with; None where it has none (macOS)."""
    function = getattr(ctypes.CDLL(None), "clock_nanosleep", None)
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_Timespec), ctypes.c_void_p]
        function.restype = ctypes.c_int
    return function


_clock_nanosleep = _libc_clock_nanosleep()


class ResumeWatcher:
    """A daemon thread that calls ``notice`` each time an absolute wall-clock sleep of ``period`` seconds ends.

    Run normally, that is once a ``period``; resumed after a freeze longer than ``period``, at once.
    """

    def __init__(
        self,
        *,
        notice: Callable[[], object],
        period: float = JUMP_SECONDS,
        sleep_until: Callable[[float], None] = sleep_until_wall_clock,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._notice, self._period, self._sleep_until, self._wall = notice, period, sleep_until, wall
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="resume-watcher", daemon=True)

    def start(self) -> ResumeWatcher:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Ends the thread after its current sleep (at most ``period``)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._sleep_until(self._wall() + self._period)
            if self._stopped.is_set():
                return
            try:
                self._notice()
            except Exception:  # the request path still notices; the watcher keeps watching
                logger.warning("noticing a restore from the watcher failed", exc_info=True)
