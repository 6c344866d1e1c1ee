"""Startup does the first request's one-time work: the first request imports none of the request path's packages.

The agent process runs ``tests/agent/first_request_modules.py`` against the OpenAI-compatible stub and the
Bedrock stand-in; modules are counted with a ``sys.modules`` diff around the first request, never timed. The
``cold`` control skips the warm-up and shows the same check failing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from local.bedrock_runtime import start_bedrock_runtime
from local.openai_stub import start_openai_stub

# Packages the request path uses; the first request must find every module of them it needs already imported.
REQUEST_PATH_PACKAGES = {"openai", "httpx", "httpcore", "h11", "jwt", "strands", "botocore", "boto3", "anyio"}
PROCESS_TIMEOUT_SECONDS = 180  # bounds a hung process only


@pytest.fixture(params=["openai", "bedrock"])
def provider_env(request: pytest.FixtureRequest, tmp_path) -> Iterator[dict[str, str]]:
    base = {"SESSION_STORE": "file", "SESSION_DIR": str(tmp_path / "sessions"), "LOG_LEVEL": "WARNING"}
    if request.param == "openai":
        stub = start_openai_stub()
        yield {**base, "MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": stub.base_url}
        stub.stop()
        return
    stand_in = start_bedrock_runtime()
    yield {
        **base,
        "MODEL_PROVIDER": "bedrock",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": stand_in.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    stand_in.stop()


def _first_request(mode: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.agent.first_request_modules", mode],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_SECONDS,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def _request_path_modules(result: dict[str, object]) -> list[str]:
    names = result["new_modules"]
    assert isinstance(names, list)
    return [name for name in names if name.split(".")[0] in REQUEST_PATH_PACKAGES]


def test_the_first_request_imports_nothing_of_the_request_path(provider_env):
    result = _first_request("warm", provider_env)

    assert result["status"] == 200
    assert _request_path_modules(result) == []


def test_without_the_warm_up_the_first_request_imports_them(provider_env):
    result = _first_request("cold", provider_env)

    assert result["status"] == 200
    assert _request_path_modules(result) != []
