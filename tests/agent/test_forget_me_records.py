"""Forget-me with long-term memory: the real agent process on the emulator's Memory with the stack's strategies, whose
stand-in extracts records asynchronously (local/memory_records.py, in this test process, so its extraction can be
held). Records extracted after the erasure started are erased too; another caller's records, including those of an
actor whose id starts the same, are untouched; a new session of the forgotten caller recalls nothing.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from local.memory_records import extraction_held, wait_for_extraction
from tests.support.agent_http import ask, forget_me, new_session_id
from tests.support.polling import poll_until

LOG_LINES = "log_lines"
LATE_EXTRACTION = "memory_records_in_extraction"


def _records(store: Any, namespace: str) -> list[str]:
    summaries = store.client.list_memory_records(memoryId=store.memory_id, namespace=namespace, maxResults=100)
    return sorted(record["content"]["text"] for record in summaries["memoryRecordSummaries"])


def _events(store: Any, actor: str, session: str) -> list[dict[str, Any]]:
    listed = store.client.list_events(memoryId=store.memory_id, actorId=actor, sessionId=session, maxResults=100)
    return list(listed["events"])


def test_records_extracted_after_the_erasure_started_are_erased_and_others_kept(agent_starter, long_term_store):
    suffix = uuid.uuid4().hex[:8]
    alice, lookalike, bob = f"ann{suffix}", f"ann{suffix}-x", f"bob{suffix}"
    server = agent_starter(long_term_store.env)
    session = new_session_id()
    ask(server.base_url, session, "My name is Ann.", subject=alice)
    ask(server.base_url, new_session_id(), "My name is Annex.", subject=lookalike)
    ask(server.base_url, new_session_id(), "My name is Bob.", subject=bob)
    assert wait_for_extraction()
    kept = {
        f"/facts/{lookalike}/": ["The user's name is Annex."],
        f"/facts/{bob}/": ["The user's name is Bob."],
    }
    assert {namespace: _records(long_term_store, namespace) for namespace in kept} == kept

    outcome: list[Any] = []
    with extraction_held():
        ask(server.base_url, session, "I prefer green tea.", subject=alice)  # its extraction waits until released
        forgetting = threading.Thread(target=lambda: outcome.append(forget_me(server.base_url, subject=alice)))
        forgetting.start()
        # The erasure has started: Ann's events are gone while her preference is not yet extracted.
        poll_until(lambda: _events(long_term_store, alice, session), lambda events: events == [])
        assert _records(long_term_store, f"/preferences/{alice}/") == []
    forgetting.join()

    (answer,) = outcome
    assert answer.status_code == 200, answer.text
    receipt = answer.json()["receipt"]
    assert receipt["deleted"] == {
        "sessions": 1,
        "owner_records": 1,
        "memory_events": receipt["deleted"]["memory_events"],
        "memory_records": 2,  # the name, and the preference extracted after the erasure started
    }
    assert receipt["deleted"]["memory_events"] >= 4
    assert [item["kind"] for item in receipt["not_deleted"]] == [LATE_EXTRACTION, LOG_LINES]
    assert receipt["complete"] is True
    assert _records(long_term_store, f"/facts/{alice}/") == _records(long_term_store, f"/preferences/{alice}/") == []
    assert {namespace: _records(long_term_store, namespace) for namespace in kept} == kept
    assert (
        ask(server.base_url, new_session_id(), "Do you remember my name?", subject=alice) == "I don't know your name."
    )
    assert ask(server.base_url, new_session_id(), "Do you remember my name?", subject=bob) == "Your name is Bob."


def test_a_second_run_finds_nothing_left_and_says_so(agent_starter, long_term_store):
    alice = f"ann{uuid.uuid4().hex[:8]}"
    server = agent_starter(long_term_store.env)
    ask(server.base_url, new_session_id(), "My name is Ann.", subject=alice)
    assert wait_for_extraction()
    assert forget_me(server.base_url, subject=alice).json()["receipt"]["deleted"]["memory_records"] == 1

    again = forget_me(server.base_url, subject=alice).json()["receipt"]

    assert again == {
        "actor": alice,
        "deleted": {"sessions": 0, "owner_records": 0, "memory_events": 0, "memory_records": 0},
        "not_deleted": [{"kind": LOG_LINES, "reason": again["not_deleted"][0]["reason"]}],
        "complete": True,
    }
