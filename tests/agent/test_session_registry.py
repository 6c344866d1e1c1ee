"""SessionRegistry in-process: LRU and idle eviction, busy entries kept, per-session serialization, bounded waiting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from agent.errors import SessionBusyError, SessionQueueFullError
from agent.session_registry import SessionRegistry


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _registry(
    clock: Clock,
    created: list[tuple[str, str]],
    *,
    max_sessions: int = 2,
    ttl: float = 60,
    wait: float = 5,
    max_waiters: int = 4,
    repair_after_failure: Callable[[Any], bool] | None = None,
) -> SessionRegistry:
    def create(actor: str, session: str) -> object:
        created.append((actor, session))
        return object()

    extra = {} if repair_after_failure is None else {"repair_after_failure": repair_after_failure}
    return SessionRegistry(
        create_agent=create,
        max_sessions=max_sessions,
        idle_ttl_seconds=ttl,
        wait_seconds=wait,
        max_waiters=max_waiters,
        clock=clock,
        **extra,
    )


def _agent(registry: SessionRegistry, actor: str, session: str) -> Any:
    """The agent a turn gets (runs one turn that returns it)."""
    return asyncio.run(registry.run(actor, session, lambda agent: agent))


class Held:
    """A turn that stays inside its worker thread until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, agent: Any) -> Any:
        self.entered.set()
        assert self.release.wait(30), "the test never released the held turn"
        return agent


async def _hold(registry: SessionRegistry, actor: str, session: str) -> tuple[Held, asyncio.Task[Any]]:
    held = Held()
    task = await registry.start(actor, session, held)
    await asyncio.to_thread(held.entered.wait, 30)
    return held, task


def test_agent_is_reused_for_the_same_caller_and_session():
    created: list[tuple[str, str]] = []
    registry = _registry(Clock(), created)

    first, again, other_caller = (
        _agent(registry, "alice", "s1"),
        _agent(registry, "alice", "s1"),
        _agent(registry, "bob", "s1"),
    )

    assert first is again and other_caller is not first
    assert created == [("alice", "s1"), ("bob", "s1")]


def test_least_recently_used_is_evicted_above_the_limit():
    created: list[tuple[str, str]] = []
    registry = _registry(Clock(), created, max_sessions=2)
    for session in ("s1", "s2", "s1", "s3"):  # s2 is least recently used when s3 arrives
        _agent(registry, "a", session)

    _agent(registry, "a", "s1")
    _agent(registry, "a", "s2")

    assert created == [("a", "s1"), ("a", "s2"), ("a", "s3"), ("a", "s2")]
    assert len(registry) == 2


def test_idle_entries_expire_after_the_ttl():
    clock, created = Clock(), []
    registry = _registry(clock, created, max_sessions=10, ttl=60)
    _agent(registry, "a", "s1")
    clock.now += 61
    _agent(registry, "a", "s2")

    assert len(registry) == 1
    _agent(registry, "a", "s1")
    assert created == [("a", "s1"), ("a", "s2"), ("a", "s1")]


def test_busy_entries_are_never_evicted():
    created: list[tuple[str, str]] = []
    registry = _registry(Clock(), created, max_sessions=1)

    async def scenario() -> tuple[Any, Any, list[int]]:
        held, task = await _hold(registry, "a", "s1")
        sizes = []
        await registry.run("a", "s2", lambda agent: sizes.append(len(registry)))  # over the limit, not dropping s1
        await registry.run("a", "s3", lambda agent: sizes.append(len(registry)))  # drops idle s2, keeps busy s1
        held.release.set()
        first = await task
        return first, await registry.run("a", "s1", lambda agent: agent), sizes

    first, again, sizes = asyncio.run(scenario())

    assert sizes == [2, 2]
    assert again is first
    assert created == [("a", "s1"), ("a", "s2"), ("a", "s3")]


def test_same_session_is_serialized_and_other_sessions_are_not():
    registry = _registry(Clock(), [], max_sessions=10)
    order: list[str] = []

    async def scenario() -> None:
        held, first = await _hold(registry, "a", "s1")
        second = asyncio.ensure_future(registry.run("a", "s1", lambda agent: order.append("s1 second")))
        await registry.run("a", "s2", lambda agent: order.append("s2"))  # runs while s1 is held
        order.append("s1 released")
        held.release.set()
        await first
        await second

    asyncio.run(scenario())

    assert order == ["s2", "s1 released", "s1 second"]


def test_waiting_longer_than_the_limit_raises_session_busy():
    registry = _registry(Clock(), [], wait=0.1)

    async def scenario() -> SessionBusyError:
        held, task = await _hold(registry, "a", "s1")
        with pytest.raises(SessionBusyError) as raised:
            await registry.run("a", "s1", lambda agent: agent)
        held.release.set()
        await task
        return raised.value

    error = asyncio.run(scenario())

    assert error.message == "session is busy with another request for more than 0.1 seconds; retry later"
    assert (error.status, error.code, error.retry_after_seconds) == (409, "session_busy", 1)


def test_waiters_beyond_the_limit_are_refused_at_once():
    registry = _registry(Clock(), [], max_waiters=2)

    async def scenario() -> tuple[SessionQueueFullError, list[str]]:
        held, task = await _hold(registry, "a", "s1")
        done: list[str] = []
        waiters = [
            asyncio.ensure_future(registry.run("a", "s1", lambda agent, i=i: done.append(f"waiter {i}")))
            for i in range(2)
        ]
        await asyncio.sleep(0)  # one loop iteration: both waiters register before their first suspension
        with pytest.raises(SessionQueueFullError) as raised:
            await registry.run("a", "s1", lambda agent: done.append("refused"))
        held.release.set()
        await task
        await asyncio.gather(*waiters)
        return raised.value, done

    error, done = asyncio.run(scenario())

    assert error.message == "session already has 2 requests waiting for it, the limit; retry later"
    assert (error.status, error.code, error.retry_after_seconds) == (429, "session_queue_full", 1)
    assert done == ["waiter 0", "waiter 1"]


def test_failed_creation_is_retried_on_next_use():
    attempts: list[int] = []

    def create(actor: str, session: str) -> object:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("store down")
        return object()

    registry = SessionRegistry(create_agent=create, max_sessions=2, idle_ttl_seconds=60, wait_seconds=1, max_waiters=1)
    with pytest.raises(RuntimeError, match="store down"):
        _agent(registry, "a", "s1")

    assert _agent(registry, "a", "s1") is not None
    assert len(attempts) == 2


@pytest.mark.parametrize(("repaired", "expected_creations"), [(False, 2), (True, 1)], ids=["dropped", "kept"])
def test_failed_turn_drops_the_agent_unless_repaired(repaired, expected_creations):
    created: list[tuple[str, str]] = []
    offered: list[object] = []

    def repair_after_failure(agent: object) -> bool:
        offered.append(agent)
        return repaired

    registry = _registry(Clock(), created, repair_after_failure=repair_after_failure)
    first = _agent(registry, "a", "s1")

    def fail(agent: object) -> None:
        raise RuntimeError("model down")

    with pytest.raises(RuntimeError, match="model down"):
        asyncio.run(registry.run("a", "s1", fail))

    assert offered == [first]
    assert (_agent(registry, "a", "s1") is first) is repaired
    assert len(created) == expected_creations
