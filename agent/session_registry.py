"""Bounded registry of per-session agents: LRU + idle TTL, one lock per session.

A Strands ``Agent`` is not re-entrant and holds one conversation, so each (caller, session id) gets its
own agent, created on first use. Requests to one session are serialized by that session's lock (a
request waits up to ``wait_seconds``, then gets 409); different sessions run concurrently. Dropping an
idle or least-recently-used agent is safe because its session manager restores the conversation
from the store on next use. Entries in use are never dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from agent.errors import SessionBusyError

logger = logging.getLogger(__name__)

SessionKey = tuple[str, str]  # (actor id, session id)


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    agent: Any = None
    users: int = 0
    last_used: float = 0.0


class SessionRegistry:
    """Holds at most ``max_sessions`` idle agents; creates them with ``create_agent(actor_id, session_id)``."""

    def __init__(
        self,
        *,
        create_agent: Callable[[str, str], Any],
        max_sessions: int,
        idle_ttl_seconds: float,
        wait_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._create_agent = create_agent
        self._max_sessions = max_sessions
        self._idle_ttl_seconds = idle_ttl_seconds
        self._wait_seconds = wait_seconds
        self._clock = clock
        self._entries: OrderedDict[SessionKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @contextmanager
    def checkout(self, actor_id: str, session_id: str) -> Iterator[Any]:
        """Hold the session's agent exclusively for the duration of the ``with`` block.

        Raises:
            SessionBusyError: the session stayed busy for longer than ``wait_seconds``.
        """
        entry = self._reserve((actor_id, session_id))
        try:
            if not entry.lock.acquire(timeout=self._wait_seconds):
                raise SessionBusyError(
                    f"session is busy with another request for more than {self._wait_seconds:g} seconds; retry later"
                )
            try:
                if entry.agent is None:
                    entry.agent = self._create_agent(actor_id, session_id)
                yield entry.agent
            finally:
                entry.last_used = self._clock()
                entry.lock.release()
        finally:
            with self._lock:
                entry.users -= 1

    def _reserve(self, key: SessionKey) -> _Entry:
        """Find or add the entry, mark it used and evict what the limits require."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(last_used=self._clock())
            self._entries.move_to_end(key)
            entry.users += 1
            self._evict()
            return entry

    def _evict(self) -> None:
        """Drop idle-expired entries, then least recently used ones above the limit (never busy ones)."""
        now = self._clock()
        for key, entry in list(self._entries.items()):
            if entry.users == 0 and now - entry.last_used > self._idle_ttl_seconds:
                del self._entries[key]
                logger.debug("session_id=<%s> | evicted idle agent", key[1])
        for key, entry in list(self._entries.items()):
            if len(self._entries) <= self._max_sessions:
                break
            if entry.users == 0:
                del self._entries[key]
                logger.debug("session_id=<%s> | evicted least recently used agent", key[1])
