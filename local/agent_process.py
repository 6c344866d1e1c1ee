"""Start the agent server as a child process of the local runtime, on the loopback interface.

WHY a subprocess: the front door talks to the agent over HTTP exactly as AgentCore talks to the
container, and `local/` never imports `agent/` internals. The command is replaceable so tests can run
the same server with a scripted model (`tests/support/run_agent.py`). Spawning, waiting and stopping are
`local/processes.py`'s; this module only decides the agent's address.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from local.processes import LOOPBACK, ServerProcess, free_port, python_module, start_server

logger = logging.getLogger(__name__)

DEFAULT_AGENT_COMMAND: tuple[str, ...] = tuple(python_module("agent"))
AGENT_NAME = "agent server"


def start_agent_process(
    *,
    log_path: Path,
    command: Sequence[str] = DEFAULT_AGENT_COMMAND,
    env: Mapping[str, str] | None = None,
    startup_timeout_seconds: float = 60.0,
) -> ServerProcess:
    """Launch `command` with `HOST=127.0.0.1` and `PORT=<free port>`; return once `GET /ping` answers 200.

    WHY loopback whatever HOST the shell has: the agent trusts forwarded tokens without checking signatures
    (the front door checked them), so nothing but the front door on this machine may reach it. `env` can
    override `HOST`, never `PORT`.

    Args:
        log_path: file receiving the agent's stdout and stderr.
        command: argv; `{port}` in any argument is replaced by the chosen port.
        env: extra environment variables, added to this process's environment.
        startup_timeout_seconds: how long to wait for `/ping`.

    Raises:
        ServerStartError: the agent exited or did not answer `/ping` in time (the message names its log).
    """
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    agent = start_server(
        argv,
        port=port,
        log_path=log_path,
        name=AGENT_NAME,
        env={"HOST": LOOPBACK, **(env or {}), "PORT": str(port)},
        timeout=startup_timeout_seconds,
        log_tail_chars=0,  # the message reaches `make local`'s user, who is pointed at the log instead
    )
    logger.info("pid=<%s>, port=<%s> | agent server started", agent.process.pid, port)
    return agent
