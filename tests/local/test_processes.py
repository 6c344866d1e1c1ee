"""The one process helper: spawn, wait for the health path (ended by the child's exit), stop, report with the log."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from local.processes import (
    ServerStartError,
    free_port,
    health_answers,
    python_module,
    running,
    spawn,
    start_server,
    wait_until_healthy,
)

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"]


@pytest.mark.timeout(120)
def test_a_child_that_exits_during_startup_ends_the_wait_with_its_code_and_log(tmp_path: Path) -> None:
    """The deadline is an hour: only the child's exit can end this wait within the test's timeout."""
    log = tmp_path / "server.log"
    command = [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"]

    with pytest.raises(ServerStartError) as error:
        start_server(command, port=free_port(), log_path=log, name="crasher", timeout=3600)

    assert str(error.value) == f"crasher exited with code 3 during startup; see {log}; its end:\nboom\n"


def test_a_server_that_never_answers_is_stopped_and_named(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = spawn(SLEEPER, port=free_port(), log_path=log, name="sleeper")

    with pytest.raises(ServerStartError) as error:
        server.wait_healthy(0.5, log_tail_chars=0)

    assert str(error.value) == f"sleeper did not answer GET /ping within 0.5 s; see {log}"
    assert server.process.returncode == -15  # stopped with SIGTERM, not left running


def test_a_healthy_server_is_returned_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(
        python_module("local.openai_stub", "--port", str(port)), port=port, log_path=tmp_path / "stub.log"
    )
    try:
        assert server.base_url == f"http://127.0.0.1:{port}"
        assert health_answers(server.base_url) is True
    finally:
        exit_code = server.stop()

    assert exit_code == -15  # uvicorn shuts down gracefully on SIGTERM, then re-raises it
    assert health_answers(server.base_url) is False


@pytest.mark.parametrize("starter", ["spawn", "start_server", "running"])
def test_without_inherit_env_the_child_gets_path_and_the_given_env_only(tmp_path: Path, starter: str) -> None:
    """The three starters take the same options (``SpawnOptions``); ``running`` used to drop ``inherit_env``."""
    port = free_port()
    command = python_module("local.openai_stub", "--port", str(port))
    options = {"env": {"ONLY": "this"}, "inherit_env": False, "log_path": tmp_path / "server.log", "port": port}
    with contextlib.ExitStack() as stack:
        if starter == "spawn":
            server = spawn(command, **options)
            stack.callback(server.stop)
            server.wait_healthy()  # spawn returns at fork; /proc/<pid>/environ is the child's only after exec
        elif starter == "start_server":
            server = start_server(command, **options)
            stack.callback(server.stop)
        else:
            server = stack.enter_context(running(command, **options))
        environ = Path(f"/proc/{server.process.pid}/environ").read_bytes().split(b"\0")

    assert sorted(entry.split(b"=", 1)[0] for entry in environ if entry) == [b"ONLY", b"PATH", b"PYTHONUNBUFFERED"]


def test_waiting_on_another_process_ends_when_it_exits(tmp_path: Path) -> None:
    """What `make dev` and `podman wait` are to the tests: not the server, but what ends with it."""
    watcher = subprocess.Popen([sys.executable, "-c", "raise SystemExit(7)"])

    with pytest.raises(ServerStartError) as error:
        wait_until_healthy(f"http://127.0.0.1:{free_port()}", process=watcher, timeout=3600, name="watched")

    assert str(error.value) == "watched exited with code 7 during startup"


def test_a_free_port_is_handed_to_no_other_bind_but_a_server_can_take_it() -> None:
    port = free_port()
    plain = socket.socket()
    with pytest.raises(OSError, match="Address already in use"):
        plain.bind(("127.0.0.1", port))  # what another process's port search would find: taken
    plain.close()

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()

        assert server.getsockname() == ("127.0.0.1", port)


@pytest.mark.parametrize("module", ["local.bedrock_runtime", "local.aws_emulator"])
def test_a_local_server_stops_cleanly_on_sigterm(tmp_path: Path, module: str) -> None:
    """stop_on_signal turns SIGTERM into an orderly stop: exit code 0, where the default handler gives -15."""
    port = free_port()
    server = start_server(
        python_module(module, "--port", str(port)),
        port=port,
        log_path=tmp_path / "s.log",
        health_path="/ping" if module == "local.bedrock_runtime" else "/moto-api/data.json",
    )

    assert server.stop() == 0, server.log_text()
