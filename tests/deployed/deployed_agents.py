"""Starting ``python -m agent`` with exactly the deployment's environment (for fixtures and restart tests)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from local.processes import ServerProcess, free_port, python_module, start_server
from tests.support.deployment import Deployment

AgentStarter = Callable[[], ServerProcess]


def agent_starter(deployed: Deployment) -> tuple[AgentStarter, list[ServerProcess]]:
    """A function that starts ``python -m agent`` with the deployment's environment, and the list it fills."""
    started: list[ServerProcess] = []
    counter = itertools.count()

    def start() -> ServerProcess:
        port = free_port()
        server = start_server(
            python_module("agent"),
            port=port,
            log_path=deployed.directory / f"agent-{next(counter)}.log",
            env={**deployed.agent_env, "PORT": str(port)},
            inherit_env=False,
            timeout=60,
        )
        started.append(server)
        return server

    return start, started
