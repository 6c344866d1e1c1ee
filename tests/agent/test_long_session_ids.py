"""Session ids up to the contract's 256 characters work with every store; short ones stay readable in it.

Limits (see agent/store_names.py): file names 255 bytes (``session_<id>`` directories), AgentCore Memory
``sessionId`` 100 characters (botocore's model), S3 keys 1,024 bytes (unchanged ids fit).
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.support.agent_http import ask, invoke

LONGEST = "s" + "x" * 255  # 256 characters, the contract's limit
MEMORY_LIMIT = "m" * 100  # AgentCore Memory takes at most 100 characters
FILE_LIMIT = "f" * 247  # "session_" + 247 = 255 bytes, the longest file name


def _fitted(session_id: str, limit: int) -> str:
    return f"{session_id[: limit - 65]}-{hashlib.sha256(session_id.encode()).hexdigest()}"


@pytest.mark.parametrize("session_id", [LONGEST, FILE_LIMIT + "f", FILE_LIMIT], ids=["256", "248", "247"])
def test_file_store_keeps_long_sessions_across_restarts(agent_starter, tmp_path, session_id):
    server = agent_starter()
    assert ask(server.base_url, session_id, "My name is Ada.", subject="alice-sub") == "Nice to meet you, Ada."
    server.stop()

    restarted = agent_starter()

    assert ask(restarted.base_url, session_id, "Do you remember my name?", subject="alice-sub") == "Your name is Ada."
    assert invoke(restarted.base_url, session_id, "hi", subject="bob-sub").status_code == 403
    stored = session_id if len(session_id) <= 247 else _fitted(session_id, 247)
    assert [p.name for p in (tmp_path / "sessions" / "actors" / "alice-sub").iterdir()] == [f"session_{stored}"]
    owner = tmp_path / "sessions" / "owners" / f"{stored}.json"
    assert json.loads(owner.read_text()) == {"owner": "alice-sub"}


def test_short_session_id_is_stored_readably(agent_starter, tmp_path):
    session_id = "readable-session-id-of-33-chars-x"
    ask(agent_starter().base_url, session_id, "hello", subject="alice-sub")

    assert (tmp_path / "sessions" / "actors" / "alice-sub" / f"session_{session_id}").is_dir()
    assert (tmp_path / "sessions" / "owners" / f"{session_id}.json").is_file()


@pytest.mark.parametrize("session_id", [LONGEST, MEMORY_LIMIT + "m", MEMORY_LIMIT], ids=["256", "101", "100"])
def test_memory_store_keeps_long_sessions_across_restarts(agent_starter, memory_store, session_id):
    server = agent_starter(memory_store.env)
    assert ask(server.base_url, session_id, "My name is Ada.", subject="alice-sub") == "Nice to meet you, Ada."
    server.stop()

    restarted = agent_starter(memory_store.env)

    assert ask(restarted.base_url, session_id, "Do you remember my name?", subject="alice-sub") == "Your name is Ada."
    assert invoke(restarted.base_url, session_id, "hi", subject="bob-sub").status_code == 403
    stored = session_id if len(session_id) <= 100 else _fitted(session_id, 100)
    events = memory_store.client.list_events(
        memoryId=memory_store.memory_id, actorId="alice-sub", sessionId=stored, includePayloads=True, maxResults=100
    )["events"]
    assert "Ada" in json.dumps(events, default=str)


def test_s3_store_keeps_the_longest_session_id_unchanged(agent_starter, s3_store):
    server = agent_starter(s3_store.env)
    assert ask(server.base_url, LONGEST, "My name is Ada.", subject="alice-sub") == "Nice to meet you, Ada."
    server.stop()

    restarted = agent_starter(s3_store.env)

    assert ask(restarted.base_url, LONGEST, "Do you remember my name?", subject="alice-sub") == "Your name is Ada."
    key = f"{s3_store.prefix}actors/alice-sub/session_{LONGEST}/session.json"
    assert s3_store.client.head_object(Bucket=s3_store.bucket, Key=key)["ContentLength"] > 0
