"""SessionRegistry in-process: LRU and idle eviction, busy entries kept, per-session serialization."""

from __future__ import annotations

import threading
import time

import pytest

from agent.errors import SessionBusyError
from agent.session_registry import SessionRegistry


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _registry(clock: Clock, created: list[tuple[str, str]], *, max_sessions: int = 2, ttl: float = 60, wait: float = 5) -> SessionRegistry:
    def create(actor: str, session: str) -> object:
        created.append((actor, session))
        return object()

    return SessionRegistry(create_agent=create, max_sessions=max_sessions, idle_ttl_seconds=ttl, wait_seconds=wait, clock=clock)


def test_agent_is_reused_for_the_same_caller_and_session():
    created: list[tuple[str, str]] = []
    registry = _registry(Clock(), created)

    with registry.checkout("alice", "s1") as first:
        pass
    with registry.checkout("alice", "s1") as again:
        pass
    with registry.checkout("bob", "s1") as other_caller:
        pass

    assert first is again and other_caller is not first
    assert created == [("alice", "s1"), ("bob", "s1")]


def test_least_recently_used_is_evicted_above_the_limit():
    created: list[tuple[str, str]] = []
    registry = _registry(Clock(), created, max_sessions=2)
    for session in ("s1", "s2", "s1", "s3"):  # s2 is least recently used when s3 arrives
        with registry.checkout("a", session):
            pass

    with registry.checkout("a", "s1"):
        pass
    with registry.checkout("a", "s2"):
        pass

    assert created == [("a", "s1"), ("a", "s2"), ("a", "s3"), ("a", "s2")]
    assert len(registry) == 2


def test_idle_entries_expire_after_the_ttl():
    clock, created = Clock(), []
    registry = _registry(clock, created, max_sessions=10, ttl=60)
    with registry.checkout("a", "s1"):
        pass
    clock.now += 61
    with registry.checkout("a", "s2"):
        pass

    assert len(registry) == 1
    with registry.checkout("a", "s1"):
        pass
    assert created == [("a", "s1"), ("a", "s2"), ("a", "s1")]


def test_busy_entries_are_never_evicted():
    created: list[tuple[str, str]] = []
    registry = _registry(Clock(), created, max_sessions=1)

    with registry.checkout("a", "s1") as held:
        with registry.checkout("a", "s2"):
            assert len(registry) == 2  # over the limit rather than dropping an agent in use
        with registry.checkout("a", "s3"):  # drops idle s2, keeps busy s1
            assert len(registry) == 2

    with registry.checkout("a", "s1") as again:
        pass
    assert again is held
    assert created == [("a", "s1"), ("a", "s2"), ("a", "s3")]


def test_same_session_is_serialized_and_other_sessions_are_not():
    registry = _registry(Clock(), [], max_sessions=10)
    inside: list[str] = []
    overlap = threading.Event()

    def work(session: str) -> None:
        with registry.checkout("a", session):
            inside.append(session)
            if len(inside) > 1 and len(set(inside)) > 1:
                overlap.set()
            time.sleep(0.2)
            inside.remove(session)

    threads = [threading.Thread(target=work, args=(s,)) for s in ("s1", "s1", "s2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert overlap.is_set()  # s2 ran while an s1 request held its lock


def test_waiting_longer_than_the_limit_raises_session_busy():
    registry = _registry(Clock(), [], wait=0.1)
    with registry.checkout("a", "s1"):
        errors: list[BaseException] = []

        def second() -> None:
            try:
                with registry.checkout("a", "s1"):
                    pass
            except SessionBusyError as error:
                errors.append(error)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join()

    assert [e.message for e in errors] == ["session is busy with another request for more than 0.1 seconds; retry later"]
    assert errors[0].status == 409 and errors[0].code == "session_busy"


def test_failed_creation_is_retried_on_next_use():
    attempts: list[int] = []

    def create(actor: str, session: str) -> object:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("store down")
        return object()

    registry = SessionRegistry(create_agent=create, max_sessions=2, idle_ttl_seconds=60, wait_seconds=1)
    with pytest.raises(RuntimeError, match="store down"):
        with registry.checkout("a", "s1"):
            pass
    with registry.checkout("a", "s1") as agent:
        assert agent is not None
    assert len(attempts) == 2
