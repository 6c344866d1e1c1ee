"""The snapshot rehearsal's parts: CRIU (root), the deployed configuration, credentials endpoint and OTLP sink.

CRIU needs root and the binary ``scripts/criu_prereqs.sh`` builds (run here when missing, as root). Without them
the rehearsal is skipped with the reason, except when ``CI`` is set (``.ci/run`` runs as root), where it fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.container_credentials import start_container_credentials
from local.otlp_sink import start_otlp_sink
from tests.restore.rehearsal import Rehearsal, rehearse
from tests.support.criu import require_criu
from tests.support.deployed_stack import synthesize_runtime_stack
from tests.support.deployment import deploy


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    """One checkpoint of the deployed agent and two instances restored from it, one after the other."""
    require_criu()
    stack = synthesize_runtime_stack(tmp_path_factory.mktemp("restore-cdk"))
    directory = tmp_path_factory.mktemp("restore")
    deployment = deploy(stack, directory)
    credentials, sink = start_container_credentials(), start_otlp_sink()
    try:
        yield rehearse(deployment, credentials, sink, directory)
    finally:
        sink.stop()
        credentials.stop()
        deployment.stop()
