"""The deployed configuration, offline: the real agent server with exactly the environment the stack gives it.

Parts, all real and all over HTTP (see ``tests/support/deployment.py`` for the environment): the dev
stage's Runtime stack synthesized once per test session, moto in server mode as S3 (its own process, with
moto's request recorder on), the Bedrock Runtime stand-in, and ``python -m agent``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from local.processes import ServerProcess, free_port, python_module, start_server
from tests.support.deployed_stack import DeployedRuntimeStack, synthesize_runtime_stack
from tests.support.deployment import Deployment, deploy


@pytest.fixture(scope="session")
def runtime_stack(tmp_path_factory: pytest.TempPathFactory) -> DeployedRuntimeStack:
    """The dev stage's Runtime stack as `cdk synth` writes it (once per test session and worker)."""
    return synthesize_runtime_stack(tmp_path_factory.mktemp("deployed-cdk"))


@pytest.fixture(scope="module")
def deployment(runtime_stack: DeployedRuntimeStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """moto, the Bedrock stand-in and the bucket, shared by a module's tests (each uses its own sessions)."""
    deployed = deploy(runtime_stack, tmp_path_factory.mktemp("deployment"))
    yield deployed
    deployed.stop()


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


@pytest.fixture
def start_agent(deployment: Deployment) -> Iterator[AgentStarter]:
    """Agents of a test's own (for restarts); all stopped afterwards."""
    start, started = agent_starter(deployment)
    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def deployed_agent(deployment: Deployment) -> Iterator[ServerProcess]:
    """One agent shared by a module's request-only tests."""
    start, started = agent_starter(deployment)
    yield start()
    for server in started:
        server.stop()
