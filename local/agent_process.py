"""Start the agent server as a child process of the local runtime, on a Unix socket only its user can reach.

WHY a subprocess: the front door talks to the agent over HTTP exactly as AgentCore talks to the
container, and `local/` never imports `agent/` internals. The command is replaceable so tests can run
the same server with a scripted model (`tests/support/run_agent.py`). Spawning, waiting and stopping are
`local/processes.py`'s; this module only decides the agent's address.

WHY a Unix socket in a 0700 directory, not a port: the agent trusts what the front door checked (JWT mode: the
bearer token's `sub`, unverified; IAM mode: the end-user header), so whoever reaches it directly can be anyone.
A loopback port is open to every process of every user on the machine. A socket in a directory that
`tempfile.mkdtemp` creates mode 0700 can be reached only by this user (and root), who can already read the
outputs file and the front door's memory: the kernel enforces it, and no code runs in the agent's request path.
A per-run secret header was the other choice; it needs a check in the agent on every request, travels in the
agent's environment (readable by the same user anyway), and leaves the port open to scans. The deployed image is
unchanged: it sets `HOST`/`PORT` and never `UNIX_SOCKET`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from local.processes import ServerProcess, python_module, start_server

logger = logging.getLogger(__name__)

DEFAULT_AGENT_COMMAND: tuple[str, ...] = tuple(python_module("agent"))
AGENT_NAME = "agent server"
SOCKET_NAME = "agent.sock"
# Short on purpose: a socket path must fit sockaddr_un (104 bytes on macOS), and $TMPDIR may be long there.
_SOCKET_DIR_PREFIX = "agentcore-"


@dataclass(frozen=True)
class AgentProcess:
    """The running agent and the private directory of its socket; `stop()` removes both.

    Attributes:
        server: the child process.
        unix_socket: the socket it listens on, in a directory only this user may enter.
    """

    server: ServerProcess
    unix_socket: Path

    @property
    def address(self) -> str:
        """How logs and the banner name it: `unix:<socket path>`."""
        return f"unix:{self.unix_socket}"

    def stop(self) -> int:
        """Stop the agent, then remove its socket directory; returns the exit code (safe to call twice)."""
        code = self.server.stop()
        shutil.rmtree(self.unix_socket.parent, ignore_errors=True)
        return code


def start_agent_process(
    *,
    log_path: Path,
    command: Sequence[str] = DEFAULT_AGENT_COMMAND,
    env: Mapping[str, str] | None = None,
    startup_timeout_seconds: float = 60.0,
) -> AgentProcess:
    """Launch `command` with `UNIX_SOCKET=<new 0700 directory>/agent.sock`; return once `GET /ping` answers 200 there.

    `env` cannot override `UNIX_SOCKET`. The command must serve on `$UNIX_SOCKET`, as `python -m agent` does.

    Args:
        log_path: file receiving the agent's stdout and stderr.
        command: argv.
        env: extra environment variables, added to this process's environment.
        startup_timeout_seconds: how long to wait for `/ping`.

    Raises:
        ServerStartError: the agent exited or did not answer `/ping` in time (the message names its log).
    """
    socket_dir = Path(tempfile.mkdtemp(prefix=_SOCKET_DIR_PREFIX))  # mode 0700 (tempfile.mkdtemp's contract)
    unix_socket = socket_dir / SOCKET_NAME
    try:
        agent = start_server(
            list(command),
            port=0,
            unix_socket=unix_socket,
            log_path=log_path,
            name=AGENT_NAME,
            env={**(env or {}), "UNIX_SOCKET": str(unix_socket)},
            timeout=startup_timeout_seconds,
            log_tail_chars=0,  # the message reaches `make local`'s user, who is pointed at the log instead
        )
    except BaseException:
        shutil.rmtree(socket_dir, ignore_errors=True)
        raise
    logger.info("pid=<%s>, unix_socket=<%s> | agent server started", agent.process.pid, unix_socket)
    return AgentProcess(server=agent, unix_socket=unix_socket)
