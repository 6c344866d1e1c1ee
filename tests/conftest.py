"""What every test folder shares: the test tiers, how pytest-xdist spreads the tests, the AWS emulator fixtures.

Tiers (docs/testing.md): ``make test`` runs everything; ``make test-fast`` deselects the markers pyproject.toml
registers (slow, container, restore, browser). A test is marked where it is written, or here: by its folder,
or ``slow`` when it uses a fixture that starts real agent processes per test or module.
Shared helpers live in tests/support; fixtures that several folders use are defined here, once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.aws_emulator import Emulator, start_emulator
from tests.support.emulators import EmulatorProcess, emulator_process
from tests.support.paths import REPO
from tests.support.tool_path import with_tools_first

# Node.js 24 and the pinned CDK CLI first on PATH, as `make` puts them, however pytest was started: jsii, the CDK
# CLI and npm take `node` from PATH (tests/support/tool_path.py). Every xdist worker imports this file too.
os.environ["PATH"] = with_tools_first(os.environ.get("PATH", ""))

# Folder → marker for every test in it: the image build (podman), checkpoint/restore (CRIU), the deployed
# configuration (a synth, moto, the Bedrock stand-in and an agent process per module), the benchmark.
FOLDER_MARKERS = {"container": "container", "restore": "restore", "deployed": "slow", "bench": "slow"}
# Fixtures that start an agent server process (uvicorn, 1-3 s each) per test or per module.
PROCESS_FIXTURES = frozenset({"agent_starter", "shared_agent"})
# Modules whose tests are real processes by design (binding, `python -m …` entry points, `make` and the client as
# typed in a terminal, a fresh process's imports, the whole local runtime per test); their folders' in-process
# modules (front door, client, agent app over ASGI) stay in the fast tier.
SLOW_MODULES = frozenset(
    {
        "tests/agent/test_binding.py",
        "tests/agent/test_entrypoint_openai.py",
        "tests/agent/test_telemetry_content.py",
        "tests/agent/test_warm_up.py",
        "tests/client/test_demo.py",
        "tests/client/test_iam_mode.py",
        "tests/client/test_restart.py",
        "tests/client/test_verbose_logging.py",
        "tests/docs/test_delivery_snippet.py",
        "tests/local/test_agent_socket.py",
        "tests/local/test_banner_commands.py",
        "tests/local/test_deployed_twin.py",
        "tests/local/test_dev_agent.py",
        "tests/toolchain/test_make_output.py",
    }
)
# Folders whose tests share session fixtures that are costly to build (tests/stacks: every configuration
# synthesized once). Each runs on one xdist worker, scheduled first so the other worker takes the rest meanwhile;
# any other test module is one xdist group of its own, so its module fixtures start once.
ONE_WORKER_FOLDERS = ("stacks",)


def folder_of(path: Path) -> str | None:
    """The folder directly under tests/ that holds ``path``."""
    parts = path.resolve().relative_to(REPO / "tests").parts
    return parts[0] if len(parts) > 1 else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test's tier and xdist group (tryfirst: pytest-xdist reads ``xdist_group`` after this hook)."""
    for item in items:
        folder = folder_of(item.path) or ""
        marker = FOLDER_MARKERS.get(folder)
        if marker is not None:
            item.add_marker(marker)
        module = item.path.relative_to(REPO).as_posix()
        if module in SLOW_MODULES or PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("slow")
        group = folder if folder in ONE_WORKER_FOLDERS else module
        item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: (folder_of(item.path) or "") not in ONE_WORKER_FOLDERS)  # stable: order kept


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto in server mode over HTTP, one per test session (per xdist worker), with the ListEvents extension.

    Its backends are this process's moto state, shared by every test of the worker: create uniquely named
    resources, never reset it (``own_emulator`` is for that).
    """
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def own_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """moto in a process of its own for a module's tests that reset it or set its state-manager transitions."""
    with emulator_process(tmp_path_factory.mktemp("aws-emulator")) as running:
        yield running
