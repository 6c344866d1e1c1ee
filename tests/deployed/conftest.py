"""The deployed configuration, offline: the real agent server with exactly the environment the stack gives it.

Parts, all real and all over HTTP (see ``tests/support/deployment.py`` for the environment): the dev
stage's Runtime stack synthesized once per test session, moto in server mode as S3 (its own process, with
moto's request recorder on), the Bedrock Runtime stand-in, and ``python -m agent``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.processes import ServerProcess
from tests.deployed.deployed_agents import AgentStarter, agent_starter
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


@pytest.fixture(scope="session")
def long_term_stack(tmp_path_factory: pytest.TempPathFactory) -> DeployedRuntimeStack:
    """The Runtime stack of dev with long_term_memory on (and the agentcore-memory store it needs)."""
    return synthesize_runtime_stack(
        tmp_path_factory.mktemp("long-term-cdk"),
        overrides={"session_store": "agentcore-memory", "long_term_memory": True},
    )


@pytest.fixture(scope="module")
def long_term_deployment(
    long_term_stack: DeployedRuntimeStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """moto with the template's memory (its strategies: the stand-in extracts records) and the Bedrock stand-in."""
    deployed = deploy(long_term_stack, tmp_path_factory.mktemp("long-term-deployment"))
    yield deployed
    deployed.stop()


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
