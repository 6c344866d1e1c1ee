"""Interleaving, the stub-alone pseudo-target and the drift arithmetic, with invokers whose timing is scripted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.client import Call
from bench.drift import measure_drift
from bench.interleave import Invoker, blocks_of, one_session, run_interleaved
from bench.scenarios import REMEMBER_PROMPT, expected_recall
from bench.stub_conversation import SLIDING_WINDOW_MESSAGES, StubConversations
from local.processes import ServerProcess


class ScriptedInvoker:
    """Answers like a correct agent; the n-th call takes ``seconds(n)``; records what it was sent."""

    def __init__(self, log: list[tuple[str, str, str]], name: str, seconds=lambda n: 0.01) -> None:
        self.log, self.name, self.seconds, self.names, self.count = log, name, seconds, {}, 0

    def __call__(self, session_id: str, prompt: str) -> Call:
        self.log.append((self.name, session_id, prompt))
        self.count += 1
        if prompt == REMEMBER_PROMPT:
            return Call(200, expected_recall(self.names[session_id]), self.seconds(self.count))
        self.names[session_id] = prompt.removeprefix("My name is ").rstrip(".")
        return Call(200, "ok", self.seconds(self.count))


def test_every_target_gets_call_k_before_anyone_gets_call_k_plus_1() -> None:
    log: list[tuple[str, str, str]] = []
    runs = run_interleaved(
        {"a": ScriptedInvoker(log, "a"), "b": ScriptedInvoker(log, "b")}, calls=4, plan=one_session, label="t"
    )
    assert [name for name, _, _ in log] == ["a", "b", "a", "b", "a", "b", "a", "b"]
    assert [prompt for name, _, prompt in log if name == "a"] == ["My name is T 0.", REMEMBER_PROMPT] * 2
    calls, outcomes = runs["a"]
    assert (len(calls), len(outcomes), outcomes[0].wrong_recalls) == (4, 1, [])
    assert {sid for name, sid, _ in log if name == "a"} != {sid for name, sid, _ in log if name == "b"}


def test_blocks_plan_gives_each_session_consecutive_calls() -> None:
    plan = blocks_of(5)
    assert [plan(i) for i in (0, 4, 5, 9, 10)] == [(0, 0), (0, 4), (1, 0), (1, 4), (2, 0)]


def test_drift_compares_the_last_window_with_a_fresh_process_at_the_same_time() -> None:
    log: list[tuple[str, str, str]] = []
    slow_late = ScriptedInvoker(log, "agent", seconds=lambda n: 0.010 if n <= 20 else 0.030)

    @contextmanager
    def fresh() -> Iterator[dict[str, Invoker]]:
        yield {"agent": ScriptedInvoker(log, "agent#fresh", seconds=lambda n: 0.020)}

    result = measure_drift(
        {"agent": slow_late, "stub": ScriptedInvoker(log, "stub")}, fresh, calls=30, window=10, turns_per_session=5
    )
    assert result["agent"] == {
        "calls": 30,
        "window": 10,
        "sessions": 6,
        "early_p50_ms": 10.0,
        "late_p50_ms": 30.0,
        "late_over_early": 3.0,
        "errors": 0,
        "wrong_recalls": 0,
        "cross_talk": 0,
        "fresh_p50_ms": 20.0,
        "late_over_fresh": 1.5,
    }
    assert "late_over_fresh" not in result["stub"]
    # The long run gives call k to every target in turn; the last window adds the fresh process beside its target.
    assert [name for name, _, _ in log] == ["agent", "stub"] * 20 + ["agent", "agent#fresh", "stub"] * 10


def test_stub_conversations_keep_each_session_and_the_sliding_window(stub: ServerProcess) -> None:
    with httpx.Client() as client:
        conversations = StubConversations(client, stub.base_url)
        first = conversations("s1", "My name is Ann.")
        other = conversations("s2", REMEMBER_PROMPT)
        for _ in range(30):
            conversations("s1", "hello")
        recall = conversations("s1", REMEMBER_PROMPT)
        body = conversations.request("s1", "hello")
    assert (first.status, first.answer) == (200, "Nice to meet you, Ann.")
    assert other.answer == "I don't know your name."
    # 64 messages were exchanged in s1: the window dropped "My name is Ann." long ago, as Strands' would.
    assert recall.answer == "I don't know your name."
    assert len(body["messages"]) == 1 + SLIDING_WINDOW_MESSAGES + 1
    assert body["messages"][0]["role"] == "system" and body["stream"] is True
