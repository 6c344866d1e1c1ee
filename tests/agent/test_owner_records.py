"""Owner records are published whole: a write that fails half-way leaves no record, and an empty or partial
record left by an earlier version does not lock its session id out for good."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from local.processes import REPO_ROOT, free_port, wait_until_healthy
from tests.support.agent_http import invoke, new_session_id

TINY_FILE_SIZE = 16  # bytes: smaller than any owner record, so writing one fails with EFBIG


def _owners(tmp_path: Path) -> Path:
    return tmp_path / "sessions" / "owners"


def test_failed_record_write_leaves_no_record_and_the_session_can_be_claimed_later(agent_starter, tmp_path):
    session_id = new_session_id()
    port = free_port()
    env = {**os.environ, "SESSION_STORE": "file", "SESSION_DIR": str(tmp_path / "sessions"), "PYTHONUNBUFFERED": "1"}

    def limit_file_size() -> None:  # in the child: every regular file it writes stops at 16 bytes
        resource.setrlimit(resource.RLIMIT_FSIZE, (TINY_FILE_SIZE, TINY_FILE_SIZE))

    # stdout to /dev/null: the size limit applies to regular files only, and a log file would hit it first.
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_agent", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=limit_file_size,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process=process)
        failed = invoke(f"http://127.0.0.1:{port}", session_id, "hello", subject="alice-sub")
    finally:
        process.kill()
        process.wait()

    assert failed.status_code == 503 and failed.json()["code"] == "store_error"
    assert not (_owners(tmp_path) / f"{session_id}.json").exists()
    server = agent_starter()
    assert invoke(server.base_url, session_id, "hello", subject="alice-sub").status_code == 200
    assert invoke(server.base_url, session_id, "hello", subject="bob-sub").status_code == 403


def test_empty_record_from_an_earlier_version_is_claimed_anew(agent_starter, tmp_path):
    session_id = new_session_id()
    _owners(tmp_path).mkdir(parents=True)
    (_owners(tmp_path) / f"{session_id}.json").write_text("")
    server = agent_starter()

    claimed = invoke(server.base_url, session_id, "hello", subject="alice-sub")
    intruder = invoke(server.base_url, session_id, "hello", subject="bob-sub")

    assert claimed.status_code == 200 and claimed.json()["response"] == "You said: hello"
    assert intruder.status_code == 403
    assert json.loads((_owners(tmp_path) / "reclaimed" / f"{session_id}.json").read_text()) == {"owner": "alice-sub"}


def test_partial_record_is_claimed_anew_and_the_claim_survives_a_restart(agent_starter, tmp_path):
    session_id = new_session_id()
    _owners(tmp_path).mkdir(parents=True)
    (_owners(tmp_path) / f"{session_id}.json").write_text('{"own')
    server = agent_starter()
    assert invoke(server.base_url, session_id, "hello", subject="bob-sub").status_code == 200
    server.stop()

    restarted = agent_starter()

    assert invoke(restarted.base_url, session_id, "hello", subject="alice-sub").status_code == 403
    assert invoke(restarted.base_url, session_id, "hello", subject="bob-sub").status_code == 200


def test_complete_record_from_an_earlier_version_still_decides(agent_starter, tmp_path):
    session_id = new_session_id()
    _owners(tmp_path).mkdir(parents=True)
    (_owners(tmp_path) / f"{session_id}.json").write_text(json.dumps({"owner": "alice-sub"}))
    server = agent_starter()

    assert invoke(server.base_url, session_id, "hello", subject="bob-sub").status_code == 403
    assert invoke(server.base_url, session_id, "hello", subject="alice-sub").status_code == 200
    assert not (_owners(tmp_path) / "reclaimed").exists()


def test_s3_record_that_names_no_owner_is_a_store_error_not_a_stranger(agent_starter, s3_store):
    """An S3 record must name its owner as a non-empty string; anything else is a broken store, not a 403."""
    records = {
        "not-json": b"{not json",
        "number": b'{"owner": 7}',
        "empty": b'{"owner": ""}',
        "bob": b'{"owner": "bob"}',
    }
    sessions = {name: new_session_id() for name in records}
    for name, record in records.items():
        key = f"{s3_store.prefix}owners/{sessions[name]}.json"
        s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=record)
    server = agent_starter(s3_store.env)

    answers = {name: invoke(server.base_url, session_id, "hello") for name, session_id in sessions.items()}

    message = "the session store failed (ValueError); see server logs for this request id"
    for name in ("not-json", "number", "empty"):
        assert (answers[name].status_code, answers[name].json()["error"]) == (503, message), name
    assert answers["bob"].status_code == 403  # control: a record naming another caller
    assert "owner record s3://agent-sessions-integrity/sessions/owners/" in server.log_text()
