"""`make dev` on a fresh clone: the README's snippet answers from the Bedrock stand-in, and the banner says so."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.processes import free_port, listening_addresses, wait_until_healthy
from local.reply_script import EXAMPLE_PROMPTS
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.paths import REPO

# The README's `make dev` snippet: two sessions, as its curl lines send them.
S1 = "session-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
S2 = "session-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def _fresh_machine_env(tmp_path: Path) -> dict[str, str]:
    """A new user's shell: no AWS variables, no ~/.aws, no instance metadata, no model configured."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_EC2_METADATA_DISABLED": "true",
        "SESSION_DIR": str(tmp_path / "sessions"),
    }


@pytest.fixture
def make_dev(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`make dev PORT=<free port>` in its own process group (Ctrl-C reaches the group), once /ping answers;
    yields (url, process)."""
    port = free_port()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "dev", f"PORT={port}"],
        cwd=REPO,
        env=_fresh_machine_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process=process, name="make dev")
        yield url, process
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does (make itself exits interrupted)
        process.communicate(timeout=30)
    assert listening_addresses(port) == set()  # the agent stopped with it


def _banner(process: subprocess.Popen[str]) -> str:
    """What `make dev` printed from its banner's first line on (printed once /ping answered), six lines."""
    assert process.stdout is not None
    lines = [""]
    while not lines[-1].startswith("agent on "):
        lines.append(process.stdout.readline())
        assert lines[-1], "make dev's output ended without a banner"
    return "".join([lines[-1], *(process.stdout.readline() for _ in range(5))])


def _ask(url: str, session_id: str, prompt: str) -> str:
    response = httpx.post(
        f"{url}/invocations", headers={SESSION_HEADER: session_id}, json={"prompt": prompt}, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["response"])


def test_make_dev_without_model_or_credentials_answers_the_readme_snippet_from_the_stand_in(make_dev):
    url, process = make_dev

    assert _ask(url, S1, "My name is John Doe.") == "Nice to meet you, John Doe."
    assert _ask(url, S1, "Do you remember my name?") == "Your name is John Doe."
    assert _ask(url, S2, "Do you remember my name?") == "I don't know your name."
    banner = _banner(process)
    stand_in = re.search(r"Bedrock Runtime stand-in at (http://127\.0\.0\.1:\d+)", banner)
    assert stand_in is not None and httpx.get(f"{stand_in.group(1)}/ping").status_code == 200
    assert [prompt for prompt in EXAMPLE_PROMPTS if prompt not in banner] == []


def test_make_dev_with_a_model_configured_runs_the_agent_without_the_stand_in(tmp_path: Path):
    """Control: MODEL_PROVIDER names a model, so `make dev` is plain `python -m agent` (here an unreachable
    OpenAI-compatible server, so the answer is the provider's 502)."""
    port = free_port()
    env = {**_fresh_machine_env(tmp_path), "MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    process = subprocess.Popen(
        ["make", "--no-print-directory", "dev", f"PORT={port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process=process, name="make dev")
        response = httpx.post(f"{url}/invocations", headers={SESSION_HEADER: S1}, json={"prompt": "hi"}, timeout=30)
        assert (response.status_code, response.json()["code"]) == (502, "model_error")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert "stand-in" not in out
