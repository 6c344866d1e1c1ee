"""Bounded registry of per-session agents: LRU + idle TTL, one lock per session, waiting without threads.

A Strands ``Agent`` is not re-entrant and holds one conversation, so each (caller, session id) gets its
own agent, created on first use. Requests to one session are serialized by that session's lock; different
sessions run concurrently. Waiting for the lock is an ``await`` on the event loop, so a crowd on one session
holds no worker thread (the pool that runs turns, store calls and Starlette's sync code stays free), and the
crowd is bounded: beyond ``max_waiters`` a request is refused at once with 429, after ``wait_seconds`` with
409. Turns and agent creation run in worker threads; the lock is held until that thread returns, even if the
request that started it stops waiting.

Dropping an idle or least-recently-used agent is safe because its session manager restores the conversation
from the store on next use. Entries in use are never dropped. After a failed turn the agent is dropped too,
unless ``keep_after_failure(agent)`` says otherwise, so the next request restores it from the store (where
the restore repairs an unanswered turn) instead of trusting in-memory state the store may not have.

``exclusive(actor_id)`` is forget-me's hold on one caller: new turns of that caller are refused (409
``erasure_in_progress``) until it ends, turns already running are waited for, and the caller's agents are
dropped, so no agent holding the conversation in memory survives the erasure to write it back.

All bookkeeping runs on the event loop thread, so it needs no locks of its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread

from agent.errors import ErasureInProgressError, SessionBusyError, SessionQueueFullError

logger = logging.getLogger(__name__)

SessionKey = tuple[str, str]  # (actor id, session id)
T = TypeVar("T")


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    agent: Any = None
    users: int = 0  # requests holding or waiting for the lock; an entry in use is never evicted
    waiters: int = 0
    last_used: float = 0.0


def _drop_agent(agent: Any) -> bool:
    return False


class SessionRegistry:
    """Holds at most ``max_sessions`` idle agents; creates them with ``create_agent(actor_id, session_id)``."""

    def __init__(
        self,
        *,
        create_agent: Callable[[str, str], Any],
        max_sessions: int,
        idle_ttl_seconds: float,
        wait_seconds: float,
        max_waiters: int,
        keep_after_failure: Callable[[Any], bool] = _drop_agent,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._create_agent = create_agent
        self._max_sessions = max_sessions
        self._idle_ttl_seconds = idle_ttl_seconds
        self._wait_seconds = wait_seconds
        self._max_waiters = max_waiters
        self._keep_after_failure = keep_after_failure
        self._clock = clock
        self._entries: OrderedDict[SessionKey, _Entry] = OrderedDict()
        self._running: set[asyncio.Task[Any]] = set()
        self._exclusive: set[str] = set()  # actors being erased

    def __len__(self) -> int:
        return len(self._entries)

    async def run(self, actor_id: str, session_id: str, work: Callable[[Any], T]) -> T:
        """Run ``work(agent)`` in a worker thread while holding the session, and return its result."""
        turn = await self.start(actor_id, session_id, work)
        return await asyncio.shield(turn)

    async def start(self, actor_id: str, session_id: str, work: Callable[[Any], T]) -> asyncio.Task[T]:
        """Wait for the session, then start ``work(agent)`` in a worker thread and return its task.

        The task keeps the session until the thread returns, whatever happens to the caller (a client
        that leaves mid-stream does not cut its turn short, and the lock is never released early).

        Raises:
            SessionQueueFullError: ``max_waiters`` requests already wait for this session.
            SessionBusyError: the session stayed busy for longer than ``wait_seconds``.
        """
        self.ensure_not_erasing(actor_id)
        key = (actor_id, session_id)
        entry = self._reserve(key)
        try:
            await self._acquire(entry)
        except BaseException:
            self._release(entry, locked=False)
            raise
        task = asyncio.ensure_future(self._hold(entry, key, work))  # no await since the lock was taken
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    def ensure_not_erasing(self, actor_id: str) -> None:
        """Refuse a request of an actor being erased, before it claims a session or starts a turn.

        Raises:
            ErasureInProgressError: forget-me runs for ``actor_id`` in this process.
        """
        if actor_id in self._exclusive:
            raise ErasureInProgressError("this caller's data is being erased; retry when forget-me has answered")

    @asynccontextmanager
    async def exclusive(self, actor_id: str) -> AsyncIterator[int]:
        """Hold every session of ``actor_id`` with its agent dropped; yields how many agents were dropped.

        Raises:
            ErasureInProgressError: the actor is already held.
            SessionBusyError: a running turn of the actor did not finish within ``wait_seconds``.
        """
        if actor_id in self._exclusive:
            raise ErasureInProgressError("this caller's data is already being erased; retry when that has answered")
        self._exclusive.add(actor_id)
        held: list[_Entry] = []
        try:
            for key, entry in list(self._entries.items()):
                if key[0] != actor_id:
                    continue
                entry.users += 1  # never evicted while held
                try:
                    await self._acquire_within(entry)
                except BaseException:
                    self._release(entry, locked=False)
                    raise
                held.append(entry)
            dropped = sum(entry.agent is not None for entry in held)
            for entry in held:
                entry.agent = None
            yield dropped
        finally:
            for entry in held:
                self._release(entry, locked=True)
            self._exclusive.discard(actor_id)

    async def _acquire_within(self, entry: _Entry) -> None:
        if not entry.lock.locked():
            await entry.lock.acquire()
            return
        try:
            await asyncio.wait_for(entry.lock.acquire(), timeout=max(self._wait_seconds, 1))
        except TimeoutError:
            raise SessionBusyError(
                f"a turn of this caller ran for more than {max(self._wait_seconds, 1):g} seconds; retry forget-me"
            ) from None

    async def _acquire(self, entry: _Entry) -> None:
        if entry.waiters == 0 and not entry.lock.locked():
            await entry.lock.acquire()  # free: asyncio.Lock takes it without suspending
            return
        if entry.waiters >= self._max_waiters:
            raise SessionQueueFullError(
                f"session already has {entry.waiters} requests waiting for it, the limit; retry later"
            )
        busy = SessionBusyError(
            f"session is busy with another request for more than {self._wait_seconds:g} seconds; retry later"
        )
        if self._wait_seconds <= 0:
            raise busy
        entry.waiters += 1
        try:
            await asyncio.wait_for(entry.lock.acquire(), timeout=self._wait_seconds)
        except TimeoutError:
            raise busy from None
        finally:
            entry.waiters -= 1

    async def _hold(self, entry: _Entry, key: SessionKey, work: Callable[[Any], T]) -> T:
        try:
            if entry.agent is None:
                entry.agent = await anyio.to_thread.run_sync(self._create_agent, *key)
            return await anyio.to_thread.run_sync(work, entry.agent)
        except BaseException:
            if entry.agent is not None and not self._keep_after_failure(entry.agent):
                entry.agent = None
                logger.debug("session_id=<%s> | dropped the agent after a failed turn", key[1])
            raise
        finally:
            self._release(entry, locked=True)

    def _release(self, entry: _Entry, *, locked: bool) -> None:
        entry.last_used = self._clock()
        if locked:
            entry.lock.release()
        entry.users -= 1

    def _reserve(self, key: SessionKey) -> _Entry:
        """Find or add the entry, mark it used and evict what the limits require."""
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
