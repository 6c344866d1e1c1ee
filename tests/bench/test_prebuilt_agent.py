"""The bench's ``agent-bedrock-prebuilt`` experiment builds at startup what the agent builds after each restore."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from agent.app import create_app
from agent.restore_watch import RestoreDetector
from agent.settings import Settings
from bench.prebuilt_agent import PrebuiltClientsLifecycle
from tests.support.agent_http import new_session_id
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.scripted_model import SharedScriptedModel


def test_the_clients_are_built_at_startup_and_not_again_after_a_restore(tmp_path: Path) -> None:
    clock = {"wall": 1_800_000_000.0}
    settings = Settings(session_store="none", session_dir=tmp_path)
    detector = RestoreDetector(wall=lambda: clock["wall"], monotonic=lambda: 500.0)
    lifecycle = PrebuiltClientsLifecycle(settings, detector=detector)
    model_factory = SharedScriptedModel()
    built = model_factory.built
    app = create_app(settings, model_factory=model_factory, lifecycle=lifecycle)
    at_startup = len(built)
    with TestClient(app) as client:
        clock["wall"] += 86_400  # frozen a day, then restored
        answer = client.post(
            "/invocations", json={"prompt": "My name is Prebuilt."}, headers={SESSION_HEADER: new_session_id()}
        )

    assert at_startup == 1
    assert answer.status_code == 200 and answer.json()["response"] == "Nice to meet you, Prebuilt."
    assert lifecycle.detector.generation == 1 and lifecycle.preparing is None and len(built) == 1
