"""Long-term memory through the real agent server: a new session recalls what AgentCore Memory extracted for the
caller, only for that caller, and only once extraction (asynchronous) has run.

The memory is the emulator's, with the stack's strategies; its stand-in extracts "My name is X" into the caller's
``/facts/<actor>/`` namespace (local/memory_records.py). The scripted model answers "Do you remember my name?"
from a name recalled into the turn's context, so the answer shows which records reached the model.
"""

from __future__ import annotations

from typing import Any

from local.memory_records import extraction_held
from tests.support.agent_http import ask, new_session_id
from tests.support.polling import poll_until

REMEMBER = "Do you remember my name?"


def facts(memory_store: Any, actor: str) -> list[str]:
    """The texts of ``actor``'s extracted facts (exact namespace)."""
    records = memory_store.client.list_memory_records(memoryId=memory_store.memory_id, namespace=f"/facts/{actor}/")
    return [r["content"]["text"] for r in records["memoryRecordSummaries"]]


def introduce(base_url: str, actor: str, name: str, memory_store: Any) -> None:
    """``actor`` says their name in a session of its own; returns once the fact is extracted (polled)."""
    assert ask(base_url, new_session_id(), f"My name is {name}.", subject=actor) == f"Nice to meet you, {name}."
    poll_until(lambda: facts(memory_store, actor), lambda found: found == [f"The user's name is {name}."])


def test_a_new_session_recalls_the_name_from_long_term_memory(agent_starter, long_term_store):
    server = agent_starter(long_term_store.env)
    introduce(server.base_url, "ltm-alice", "John Doe", long_term_store)

    assert ask(server.base_url, new_session_id(), REMEMBER, subject="ltm-alice") == "Your name is John Doe."


def test_without_recall_a_new_session_does_not_know_the_name(agent_starter, long_term_store):
    """Control: the same memory and records, the agent without LONG_TERM_MEMORY_NAMESPACES (the setting off)."""
    introduce(agent_starter(long_term_store.env).base_url, "ltm-carol", "Carol", long_term_store)
    off = {k: v for k, v in long_term_store.env.items() if k != "LONG_TERM_MEMORY_NAMESPACES"}
    server = agent_starter(off)

    assert ask(server.base_url, new_session_id(), REMEMBER, subject="ltm-carol") == "I don't know your name."


def test_bob_never_receives_bob_xs_records(agent_starter, long_term_store):
    server = agent_starter(long_term_store.env)
    introduce(server.base_url, "bob-x", "Mallory", long_term_store)

    assert ask(server.base_url, new_session_id(), REMEMBER, subject="bob") == "I don't know your name."
    # Control: bob-x's own new session recalls it, so the record was there to leak.
    assert ask(server.base_url, new_session_id(), REMEMBER, subject="bob-x") == "Your name is Mallory."


def test_recall_appears_only_after_the_asynchronous_extraction(agent_starter, long_term_store):
    server = agent_starter(long_term_store.env)
    with extraction_held():
        assert (
            ask(server.base_url, new_session_id(), "My name is Dana.", subject="ltm-dana") == "Nice to meet you, Dana."
        )
        pending = long_term_store.client.list_memory_extraction_jobs(
            memoryId=long_term_store.memory_id, filter={"actorId": "ltm-dana"}
        )["jobs"]
        before = ask(server.base_url, new_session_id(), REMEMBER, subject="ltm-dana")

    assert len(pending) == 2 and before == "I don't know your name."
    after = poll_until(
        lambda: ask(server.base_url, new_session_id(), REMEMBER, subject="ltm-dana"),
        lambda answer: answer != "I don't know your name.",
    )
    assert after == "Your name is Dana."
