"""The snapshot rehearsal's parts: CRIU (root), the deployed configuration, credentials endpoint and OTLP sink.

CRIU needs root and the binary ``scripts/criu_prereqs.sh`` builds (run here when missing, as root); the concurrent
rehearsal also needs slirp4netns (``local/netns.py``). Without them the rehearsal is skipped with the reason,
except when ``CI`` is set (``.ci/run`` runs as root), where it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from local import netns
from local.container_credentials import ContainerCredentialsEndpoint, start_container_credentials
from local.otlp_sink import OtlpSink, start_otlp_sink
from tests.restore.rehearsal import Rehearsal, rehearse, rehearse_concurrently
from tests.support.criu import require_criu
from tests.support.deployed_stack import synthesize_runtime_stack
from tests.support.deployment import Deployment, deploy
from tests.support.prerequisites import missing_prerequisite


@dataclass(frozen=True)
class StandIns:
    """One offline deployment with its credentials endpoint and OTLP sink, shared by both rehearsals."""

    deployment: Deployment
    credentials: ContainerCredentialsEndpoint
    sink: OtlpSink


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIns]:
    require_criu()
    stack = synthesize_runtime_stack(tmp_path_factory.mktemp("restore-cdk"))
    deployment = deploy(stack, tmp_path_factory.mktemp("restore"))
    credentials, sink = start_container_credentials(), start_otlp_sink()
    try:
        yield StandIns(deployment, credentials, sink)
    finally:
        sink.stop()
        credentials.stop()
        deployment.stop()


@pytest.fixture(scope="module")
def sequential(stand_ins: StandIns, tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    """One checkpoint of the deployed agent and two instances restored from it, one after the other."""
    directory = tmp_path_factory.mktemp("restore-sequential")
    return rehearse(stand_ins.deployment, stand_ins.credentials, stand_ins.sink, directory)


@pytest.fixture(scope="module")
def concurrent(stand_ins: StandIns, tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    """One checkpoint of the agent in a network namespace of its own and two instances restored from it at once."""
    if (reason := netns.unavailable_reason()) is not None:
        missing_prerequisite(f"concurrent restores cannot run here: {reason}")
    directory = tmp_path_factory.mktemp("restore-concurrent")
    return rehearse_concurrently(stand_ins.deployment, stand_ins.credentials, stand_ins.sink, directory)


@pytest.fixture(scope="module", params=["sequential", "concurrent"])
def rehearsal(request: pytest.FixtureRequest) -> Rehearsal:
    """Each rehearsal in turn: every check holds for the pair restored one after the other and for the pair at once."""
    restored: Rehearsal = request.getfixturevalue(request.param)
    return restored
