"""Forget-me in the real agent process on the S3 and AgentCore Memory stores (moto in server mode): exact receipts,
exactly what is left of another user, and a process killed in the middle of an erasure, then the re-run.

The crash's rendezvous is the agent's own call: a proxy in front of moto holds the erasure's first DeleteObject of a
conversation object (``tests/support/holding_proxy.py``), the test kills the agent with SIGKILL there, and a new
agent process finishes the erasure.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx

from agent.caller_identity import actor_key
from tests.support.agent_http import ask, forget_me, headers_for, new_session_id
from tests.support.holding_proxy import holding_proxy

OWNER_ACTOR = "agent-session-owners"


def _forget(base_url: str, **caller: str) -> dict[str, Any]:
    response = forget_me(base_url, **caller)
    assert response.status_code == 200, response.text
    return dict(response.json()["receipt"])


def _keys(s3_store: Any, prefix: str) -> list[str]:
    pages = s3_store.client.get_paginator("list_objects_v2").paginate(Bucket=s3_store.bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def _names() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return f"alice-{suffix}", f"bob-{suffix}"


def _s3_receipt(actor: str, sessions: int, owners: int, objects: int) -> dict[str, Any]:
    return {
        "actor": actor,
        "deleted": {"sessions": sessions, "owner_records": owners, "conversation_objects": objects},
        "not_deleted": [{"kind": "log_lines", "reason": LOG_REASON}],
        "complete": True,
    }


LOG_REASON = (
    "request log lines name the actor id and session ids (never prompt or answer text); they stay in the runtime's "
    "log group (/aws/bedrock-agentcore/runtimes/<runtime id>-*) until its retention ends"
)


def test_s3_forget_me_deletes_the_callers_objects_and_owner_records_only(agent_starter, s3_store):
    alice, bob = _names()
    server = agent_starter(s3_store.env)
    sessions = sorted([new_session_id(), new_session_id()])
    for session in sessions:
        assert ask(server.base_url, session, "My name is Alice.", subject=alice) == "Nice to meet you, Alice."
    bobs = new_session_id()
    ask(server.base_url, bobs, "My name is Bob.", subject=bob)
    bobs_keys = _keys(s3_store, f"{s3_store.prefix}actors/{bob}/")
    assert len(_keys(s3_store, f"{s3_store.prefix}actors/{alice}/")) == 8

    receipt = _forget(server.base_url, subject=alice)

    assert receipt == _s3_receipt(alice, sessions=2, owners=2, objects=8)
    assert _keys(s3_store, f"{s3_store.prefix}actors/{alice}/") == []
    assert [key for key in _keys(s3_store, f"{s3_store.prefix}owners/") if key.split("/")[-1][:-5] in sessions] == []
    assert _keys(s3_store, f"{s3_store.prefix}actors/{bob}/") == bobs_keys
    assert len(bobs_keys) == 4
    assert _keys(s3_store, f"{s3_store.prefix}owners/{bobs}") == [f"{s3_store.prefix}owners/{bobs}.json"]
    assert ask(server.base_url, sessions[0], "Do you remember my name?", subject=alice) == "I don't know your name."
    assert ask(server.base_url, bobs, "Do you remember my name?", subject=bob) == "Your name is Bob."


def test_s3_erasure_killed_half_way_is_finished_by_the_next_run(agent_starter, s3_store):
    alice, bob = _names()
    first = agent_starter(s3_store.env)
    sessions = sorted([new_session_id(), new_session_id()])
    for session in sessions:
        ask(first.base_url, session, "My name is Alice.", subject=alice)
    bobs = new_session_id()
    ask(first.base_url, bobs, "My name is Bob.", subject=bob)
    bobs_keys = _keys(s3_store, f"{s3_store.prefix}actors/{bob}/")
    first.stop()

    def first_conversation_delete(method: str, path: str) -> bool:
        return method == "DELETE" and f"/actors/{alice}/" in path

    with holding_proxy(s3_store.env["AWS_ENDPOINT_URL"], first_conversation_delete) as proxy:
        crashing = agent_starter({**s3_store.env, "AWS_ENDPOINT_URL": proxy.url})
        with httpx.Client(timeout=60) as caller:
            pending = caller.build_request(
                "POST",
                f"{crashing.base_url}/invocations",
                json={"action": "forget_me"},
                headers=headers_for(new_session_id(), subject=alice),
            )
            outcome: list[Any] = []
            thread = threading.Thread(target=lambda: outcome.append(_send_ignoring_crash(caller, pending)))
            thread.start()
            method, path = proxy.wait_held()
            crashing.process.kill()
            crashing.process.wait()
            proxy.drop()
            thread.join()

    assert (method, f"/actors/{alice}/session_{sessions[0]}/" in path) == ("DELETE", True)
    assert outcome == ["disconnected"]
    # The crash left session 0's conversation without its owner record, and session 1 untouched.
    assert len(_keys(s3_store, f"{s3_store.prefix}actors/{alice}/session_{sessions[0]}/")) == 4
    assert _keys(s3_store, f"{s3_store.prefix}owners/{sessions[0]}.json") == []
    assert _keys(s3_store, f"{s3_store.prefix}owners/{sessions[1]}.json") == [
        f"{s3_store.prefix}owners/{sessions[1]}.json"
    ]

    again = agent_starter(s3_store.env)
    finished = _forget(again.base_url, subject=alice)
    repeated = _forget(again.base_url, subject=alice)

    assert finished == _s3_receipt(alice, sessions=2, owners=1, objects=8)
    assert repeated == _s3_receipt(alice, sessions=0, owners=0, objects=0)
    assert _keys(s3_store, f"{s3_store.prefix}actors/{alice}/") == []
    assert _keys(s3_store, f"{s3_store.prefix}actors/{bob}/") == bobs_keys


def _send_ignoring_crash(client: httpx.Client, request: httpx.Request) -> str:
    try:
        response = client.send(request)
    except httpx.TransportError:
        return "disconnected"
    return f"answered {response.status_code}"


def _events(memory_store: Any, actor: str, session: str) -> list[str]:
    events = memory_store.client.list_events(
        memoryId=memory_store.memory_id, actorId=actor, sessionId=session, maxResults=100
    )["events"]
    return sorted(event["eventId"] for event in events)


def test_memory_forget_me_deletes_the_end_users_events_and_owner_events_only(agent_starter, memory_store):
    """An IAM caller (SigV4 at the front door; here the end-user header it forwards) on the Memory store."""
    alice_user, bob_user = _names()
    alice, bob = actor_key(f"{alice_user}@example.com"), actor_key(f"{bob_user}@example.com")
    server = agent_starter({**memory_store.env, "AUTHORIZER_TYPE": "iam"})
    session, bobs = new_session_id(), new_session_id()
    ask(server.base_url, session, "My name is Alice.", end_user=f"{alice_user}@example.com")
    ask(server.base_url, bobs, "My name is Bob.", end_user=f"{bob_user}@example.com")
    alices_events = _events(memory_store, alice, session)
    bobs_events, bobs_owner_events = _events(memory_store, bob, bobs), _events(memory_store, OWNER_ACTOR, bobs)

    receipt = _forget(server.base_url, end_user=f"{alice_user}@example.com")

    assert receipt == {
        "actor": alice,
        "deleted": {"sessions": 1, "owner_records": 1, "memory_events": len(alices_events)},
        "not_deleted": [{"kind": "log_lines", "reason": LOG_REASON}],
        "complete": True,
    }
    assert len(alices_events) >= 3  # the session, the agent and the turn's messages
    assert _events(memory_store, alice, session) == []
    assert _events(memory_store, OWNER_ACTOR, session) == []
    assert _events(memory_store, bob, bobs) == bobs_events
    assert _events(memory_store, OWNER_ACTOR, bobs) == bobs_owner_events
    assert (
        ask(server.base_url, session, "Do you remember my name?", end_user=f"{alice_user}@example.com")
        == "I don't know your name."
    )
