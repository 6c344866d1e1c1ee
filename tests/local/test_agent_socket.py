"""The local agent trusts what the front door checked, so nothing but the front door may reach it.

It listens on a Unix socket in a 0700 directory and on no TCP port (local/agent_process.py says why). The
listeners are read from /proc, so a port opened by any route (a setting, a library default) is caught.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from local.agent_process import start_agent_process
from local.processes import python_module
from local.runtime import LocalRuntime, LocalRuntimeSettings
from local.sigv4_authorizer import LocalKeyPair
from tests.support.agent_http import headers_for, new_session_id
from tests.support.agentcore_sdk import agentcore_client
from tests.support.listeners import child_pids, tcp_listeners, unix_listeners
from tests.support.local_banner import read_banner
from tests.support.paths import REPO
from tests.support.run_agent import RUN_AGENT, start_agent

NOBODY = 65534
SYSTEM_PYTHON = Path("/usr/bin/python3")
# Run as another user: connect to each listener and send an unsigned-token invocation; print what happened.
_PROBE = """
import json, socket, sys
results = []
for kind, address in json.loads(sys.argv[1]):
    family = socket.AF_UNIX if kind == "unix" else (socket.AF_INET6 if ":" in address[0] else socket.AF_INET)
    connection = socket.socket(family, socket.SOCK_STREAM)
    connection.settimeout(30)
    try:
        connection.connect(address if kind == "unix" else tuple(address))
        connection.sendall(sys.argv[2].encode())
        results.append(connection.recv(12).decode("latin-1"))
    except OSError as error:
        results.append(type(error).__name__)
    finally:
        connection.close()
print(json.dumps(results))
"""


def _agent_pid(parent: int, socket_path: Path | None = None) -> int:
    """The agent child of ``parent``; with ``socket_path``, the one listening there (the test process may hold
    another session-scoped runtime's agent too)."""
    agents = [child for child in child_pids(parent) if b"run_agent" in Path(f"/proc/{child}/cmdline").read_bytes()]
    (pid,) = [child for child in agents if socket_path is None or str(socket_path) in unix_listeners(child)]
    return pid


def _forged_invocation() -> str:
    """What a local process would send the agent directly: an unsigned token naming alice."""
    headers = headers_for(new_session_id(), subject="alice")
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    body = '{"prompt": "hi"}'
    return f"POST /invocations HTTP/1.1\r\nHost: agent\r\n{head}Content-Length: {len(body)}\r\n\r\n{body}"


def test_local_agent_listens_on_a_private_unix_socket_and_no_tcp_port(tmp_path, monkeypatch):
    monkeypatch.setenv("HOST", "0.0.0.0")  # nosec B104 - what `HOST=0.0.0.0 make local` hands down
    env = {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "SESSION_DIR": str(tmp_path)}
    agent = start_agent_process(env=env, log_path=tmp_path / "agent.log")  # the real `python -m agent`
    try:
        socket_dir = agent.unix_socket.parent
        assert tcp_listeners(agent.server.process.pid) == set()
        assert unix_listeners(agent.server.process.pid) == {str(agent.unix_socket)}
        assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
        assert socket_dir.stat().st_uid == os.geteuid()
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(agent.unix_socket))) as client:
            assert client.get("http://agent/ping").status_code == 200
    finally:
        agent.stop()
    assert not socket_dir.exists()


@pytest.mark.skipif(os.geteuid() != 0 or not SYSTEM_PYTHON.exists(), reason="needs root to run a probe as nobody")
def test_another_local_user_cannot_reach_the_agent_of_a_running_local_runtime(tmp_path):
    """Every listener the agent holds is tried by `nobody` with a forged token; the front door is the control."""
    with LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT)) as runtime:
        assert runtime.agent_unix_socket is not None
        agent = _agent_pid(os.getpid(), runtime.agent_unix_socket)
        listeners = [["tcp", list(address)] for address in tcp_listeners(agent)]
        listeners += [["unix", path] for path in unix_listeners(agent)]
        probe = [str(SYSTEM_PYTHON), "-c", _PROBE, json.dumps(listeners), _forged_invocation()]

        as_nobody = subprocess.run(
            probe, user=NOBODY, group=NOBODY, cwd="/", capture_output=True, text=True, timeout=60
        )
        as_owner = subprocess.run(probe, cwd="/", capture_output=True, text=True, timeout=60)
        front_door = httpx.get(f"{runtime.front_door_url}/ping", timeout=30)

    assert listeners, "the agent listens nowhere"
    assert as_nobody.returncode == 0, as_nobody.stderr
    assert json.loads(as_nobody.stdout) == ["PermissionError"] * len(listeners)
    assert json.loads(as_owner.stdout) == ["HTTP/1.1 200"] * len(listeners)  # the owner (the front door) gets in
    assert front_door.json() == {"status": "Healthy"}


def test_python_m_local_agent_has_no_tcp_port_and_the_front_door_reaches_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HOST"}
    process = subprocess.Popen(
        python_module(
            "local", "--authorizer", "iam", "--state-dir", str(tmp_path), "--agent-command", " ".join(RUN_AGENT)
        ),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = read_banner(process)
        agent_line = next(line for line in banner if line.startswith("  agent "))
        agent = _agent_pid(process.pid)
        (socket_path,) = unix_listeners(agent)

        local = json.loads((tmp_path / "outputs.json").read_text())["AgentCoreSession-local-Local"]
        key_pair = LocalKeyPair(access_key_id=local["AccessKeyId"], secret_access_key=local["SecretAccessKey"])
        runtime_arn = json.loads((tmp_path / "outputs.json").read_text())["AgentCoreSession-local-Runtime"][
            "RuntimeArn"
        ]
        answer = agentcore_client(local["InvocationBaseUrl"], key_pair=key_pair).invoke_agent_runtime(
            agentRuntimeArn=runtime_arn, payload=b'{"prompt": "My name is Ada."}', runtimeSessionId=new_session_id()
        )

        assert tcp_listeners(agent) == set()
        assert f"unix:{socket_path}" in agent_line.split()
        assert stat.S_IMODE(Path(socket_path).parent.stat().st_mode) == 0o700
        assert json.loads(answer["response"].read())["response"] == "Nice to meet you, Ada."
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    assert not Path(socket_path).parent.exists()


def test_agent_url_still_reaches_an_agent_on_tcp(tmp_path):
    """`--agent-url` (an agent someone else started, e.g. `make dev`) keeps working over TCP through the front door."""
    agent = start_agent(log_path=tmp_path / "agent.log", env={"SESSION_DIR": str(tmp_path / "sessions")})
    try:
        settings = LocalRuntimeSettings(state_dir=tmp_path / "state", agent_url=agent.base_url, authorizer="iam")
        with LocalRuntime(settings) as runtime:
            assert runtime.agent_unix_socket is None and runtime.agent_url == agent.base_url
            outputs = json.loads(settings.outputs_path.read_text())
            local = outputs["AgentCoreSession-local-Local"]
            client = agentcore_client(
                local["InvocationBaseUrl"],
                key_pair=LocalKeyPair(access_key_id=local["AccessKeyId"], secret_access_key=local["SecretAccessKey"]),
            )
            answer = client.invoke_agent_runtime(
                agentRuntimeArn=runtime.runtime_arn, payload=b'{"prompt": "hi"}', runtimeSessionId=new_session_id()
            )
    finally:
        agent.stop()
    assert answer["statusCode"] == 200
