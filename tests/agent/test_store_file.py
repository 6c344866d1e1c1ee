"""The file store (Strands' FileSessionManager) survives a crash half-way through creating a session."""

from __future__ import annotations

from tests.support.agent_http import ask, new_session_id


def test_session_directory_without_session_json_is_completed(agent_starter, tmp_path):
    session_id = new_session_id()
    # What `kill -9` between Strands' mkdir of session_<id>/ and its write of session.json leaves behind.
    (tmp_path / "sessions" / "actors" / "anonymous" / f"session_{session_id}" / "agents").mkdir(parents=True)
    server = agent_starter()

    assert ask(server.base_url, session_id, "My name is Ada.") == "Nice to meet you, Ada."
    assert ask(server.base_url, session_id, "Do you remember my name?") == "Your name is Ada."
    assert (tmp_path / "sessions" / "actors" / "anonymous" / f"session_{session_id}" / "session.json").is_file()
