"""The client commands `make local` prints work as typed in another terminal: no virtualenv on PATH, another
directory. Each is taken from the banner and run as the shell would split it, never rebuilt by the test."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.processes import python_module
from local.reply_script import EXAMPLE_PROMPTS, Reply, reply_for
from tests.support.local_banner import read_banner
from tests.support.paths import REPO
from tests.support.run_agent import RUN_AGENT

FRESH_PATH = "/usr/local/bin:/usr/bin:/bin"  # a new terminal: the virtualenv is not active there


def _terminal_env(home: Path) -> dict[str, str]:
    return {"PATH": FRESH_PATH, "HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"}


@pytest.fixture
def start_local(tmp_path: Path) -> Iterator[object]:
    """`start_local(*options)` runs `python -m local` as `make local` does; returns its banner."""
    processes: list[subprocess.Popen[str]] = []
    home = tmp_path / "home"
    home.mkdir()

    def start(*options: str) -> list[str]:
        process = subprocess.Popen(
            python_module("local", "--state-dir", str(tmp_path / "state"), *options),
            cwd=REPO,
            env=_terminal_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return read_banner(process)

    yield start
    for process in processes:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def _client_commands(banner: list[str]) -> list[str]:
    """The indented lines under "Try, in another terminal:"."""
    start = next(i for i, line in enumerate(banner) if line.startswith("Try, in another terminal"))
    return [line.strip() for line in banner[start + 1 :] if line.startswith("  ")]


def _run_as_typed(command: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a printed command as a shell in a new terminal would: split by shell rules, PATH without the venv,
    started in the home directory (not the repository)."""
    return subprocess.run(
        shlex.split(command),
        cwd=home,
        env=_terminal_env(home),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _input_for(command: str, password: str | None) -> str | None:
    """What a person would type into the command: the password for `login`, a few lines for `chat`."""
    if " login " in f" {command} ":
        return f"{password}\n"
    if " chat " in f" {command} ":
        return "My name is Alice.\nDo you remember my name?\n"
    return None


def test_the_jwt_banner_commands_work_as_typed_and_it_lists_the_phrases_the_stand_in_understands(
    start_local, tmp_path: Path
):
    banner = start_local()  # the real agent on the Bedrock stand-in: no model, no credentials
    home = tmp_path / "home"
    commands = _client_commands(banner)
    password = None
    results = []
    for command in commands:
        result = _run_as_typed(command, home, _input_for(command, password))
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        if found := re.search(r"password \(shown once\): (\S+)", result.stdout):
            password = found.group(1)
        results.append(result)

    assert len(commands) == 4 and password is not None
    assert "Your name is Alice." in results[2].stdout  # chat, answered by the stand-in
    text = "".join(banner)
    assert [prompt for prompt in EXAMPLE_PROMPTS if prompt not in text] == []


def test_the_iam_banner_commands_work_as_typed(start_local, tmp_path: Path):
    banner = start_local("--authorizer", "iam", "--agent-command", " ".join(RUN_AGENT))
    home = tmp_path / "home"
    commands = _client_commands(banner)

    for command in commands:
        result = _run_as_typed(command, home, _input_for(command, None))
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
    assert len(commands) == 3


@pytest.mark.parametrize("prompt", EXAMPLE_PROMPTS)
def test_every_phrase_the_banner_lists_is_one_the_reply_script_understands(prompt: str):
    """Anything the script does not understand is echoed back: a listed phrase must not be."""
    assert reply_for([{"role": "user", "content": [{"text": prompt}]}]) != Reply(text=f"You said: {prompt}")
