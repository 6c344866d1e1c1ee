"""The agent image, built from the unmodified agent/Dockerfile with podman and exercised over its published port.

No registry is reachable, so the image is built on the local debootstrap base that
``scripts/container_prereqs.sh`` produces (``AGENT_BASE_IMAGE``), with only build args and build secrets.
The container runs its real CMD in two configurations, both reaching stand-ins on the host's 127.0.0.1 through
slirp4netns' host-loopback address, so nothing listens beyond loopback:
- the deployed one: exactly the environment the dev stage's template gives the runtime (``MODEL_PROVIDER=bedrock``,
  the stack's ``MODEL_ID``, ``SESSION_STORE=s3``, bucket and prefix) against the Bedrock Runtime stand-in and
  moto S3 (``tests/support/deployment.py``);
- ``MODEL_PROVIDER=openai`` against ``local.openai_stub`` with the file store.

In CI (``CI`` set) a missing podman or base image is a failure, never a skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from local.openai_stub import OpenAIStub, start_openai_stub
from local.processes import ServerStartError, free_port, stop_process, wait_until_healthy
from tests.support.agent_http import bearer_token, sse_events
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.deployed_stack import synthesize_runtime_stack
from tests.support.deployment import Deployment, deploy
from tests.support.paths import REPO
from tests.support.prerequisites import missing_prerequisite

AGENT_DIR = REPO / "agent"
BUILD_DIR = REPO / ".build"
PREREQS_SCRIPT = REPO / "scripts" / "container_prereqs.sh"
BASE_IMAGE = os.environ.get("AGENT_BASE_IMAGE", "localhost/agentcore-session-base:bookworm")
# Absolute: buildah resolves CONTAINERS_CONF from subprocesses with another working directory.
CONTAINERS_CONF = Path(os.environ.get("CONTAINERS_CONF", str(BUILD_DIR / "containers.conf"))).resolve()
# One tag per checkout, so two clones (or git worktrees) testing at once never replace each other's image.
IMAGE = f"localhost/agentcore-session-agent:test-{hashlib.sha256(str(REPO).encode()).hexdigest()[:8]}"
# slirp4netns maps this address to the host's 127.0.0.1 when allow_host_loopback=true.
HOST_LOOPBACK_FROM_CONTAINER = "10.0.2.2"
NETWORK = "slirp4netns:allow_host_loopback=true"
RUNTIME_UID = "10001"
MAX_IMAGE_BYTES = 400 * 1024 * 1024
BUILD_TIMEOUT_S = 900
PREREQS_TIMEOUT_S = 900
# A cold run builds the base image (debootstrap) and the agent image inside the first test's setup.
pytestmark = pytest.mark.timeout(1500)


def _podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``podman <args>`` with the project's containers.conf; raise with its output when ``check`` fails."""
    result = subprocess.run(
        ["podman", *args], env=_podman_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def _ensure_prerequisites() -> None:
    """Make sure podman, containers.conf and the local base image exist, running the prereqs script if needed."""
    if shutil.which("podman") is None:
        missing_prerequisite(f"podman is not installed; run `sudo {PREREQS_SCRIPT.relative_to(REPO)}`")
    has_image = CONTAINERS_CONF.is_file() and podman("image", "exists", BASE_IMAGE, check=False).returncode == 0
    if has_image:
        return
    result = subprocess.run(
        ["bash", str(PREREQS_SCRIPT)], env=_podman_env(), capture_output=True, text=True, timeout=PREREQS_TIMEOUT_S
    )
    if result.returncode != 0 or podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        pytest.fail(
            f"base image {BASE_IMAGE} is missing and {PREREQS_SCRIPT.name} could not build it "
            f"(exit {result.returncode}); run `sudo {PREREQS_SCRIPT.relative_to(REPO)}`:\n{result.stderr[-3000:]}",
            pytrace=False,
        )


def _pip_secrets(tmp_dir: Path) -> list[str]:
    """Build secrets that let pip inside the build reach the index the way pip on this host does.

    The host's CA bundle (PIP_CERT, else the system bundle) covers TLS-inspecting proxies; an http(s)
    PIP_INDEX_URL becomes a pip.conf. The host's own pip.conf is not passed: it may point at local paths.
    """
    args: list[str] = []
    cert = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
    if Path(cert).is_file():
        args += ["--secret", f"id=pip_cert,src={cert}"]
    index_url = os.environ.get("PIP_INDEX_URL", "")
    if index_url.startswith(("http://", "https://")):
        pip_conf = tmp_dir / "pip.conf"
        pip_conf.write_text(f"[global]\nindex-url = {index_url}\n", encoding="utf-8")
        args += ["--secret", f"id=pip_conf,src={pip_conf}"]
    return args


@dataclass(frozen=True)
class BuiltImage:
    """The image under test with what its build cost."""

    name: str
    build_seconds: float
    size_bytes: int


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> BuiltImage:
    """Build the image once per worker; a file lock makes a second xdist worker reuse the first one's layers."""
    _ensure_prerequisites()
    BUILD_DIR.mkdir(exist_ok=True)
    tmp_dir = tmp_path_factory.mktemp("image-build")
    command = [
        "build", "--network=host", "--layers", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
        *_pip_secrets(tmp_dir), "--tag", IMAGE, "--file", str(AGENT_DIR / "Dockerfile"), str(AGENT_DIR),
    ]  # fmt: skip
    with (BUILD_DIR / "container_test_build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        podman(*command, timeout=BUILD_TIMEOUT_S)
        build_seconds = time.monotonic() - started
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    metrics = {"image": IMAGE, "base_image": BASE_IMAGE, "build_seconds": round(build_seconds, 1), "size_bytes": size}
    (BUILD_DIR / "container_test_metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return BuiltImage(name=IMAGE, build_seconds=build_seconds, size_bytes=size)


@pytest.fixture(scope="module")
def model_stub() -> Iterator[OpenAIStub]:
    """The OpenAI-compatible scripted model on the host's loopback only."""
    stub = start_openai_stub(host="127.0.0.1")
    yield stub
    stub.stop()


@dataclass
class RunningAgent:
    """A container running the image's CMD, reachable at ``base_url`` through its published port."""

    name: str
    base_url: str
    env: dict[str, str] = field(default_factory=dict)

    def invoke(
        self, session_id: str, prompt: str, *, subject: str | None = None, stream: bool = False
    ) -> httpx.Response:
        """POST /invocations with the session header and, as AgentCore forwards it, ``subject``'s bearer token."""
        headers = {SESSION_HEADER: session_id}
        if subject is not None:
            headers["Authorization"] = f"Bearer {bearer_token(subject)}"
        body: dict[str, object] = {"prompt": prompt, **({"stream": True} if stream else {})}
        return httpx.post(f"{self.base_url}/invocations", json=body, headers=headers, timeout=60)

    def wait_healthy(self, timeout: float = 90) -> None:
        """Wait for /ping 200, or for the container to stop; a failure carries the container's state and logs.

        ``podman wait`` runs until the container stops, so its exit ends the wait at once when the agent dies.
        """
        stopped = subprocess.Popen(
            ["podman", "wait", self.name], env=_podman_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_until_healthy(self.base_url, process=stopped, timeout=timeout, name=f"container {self.name}")
        except ServerStartError as error:
            state = podman("inspect", "--format", "{{.State.Status}} exit={{.State.ExitCode}}", self.name, check=False)
            logs = podman("logs", self.name, check=False)
            output = f"{logs.stdout[-3000:]}{logs.stderr[-3000:]}"
            pytest.fail(f"{error}\ncontainer {self.name}: {state.stdout.strip()}\n{output}", pytrace=False)
        finally:
            stop_process(stopped)


def _openai_env(stub: OpenAIStub) -> dict[str, str]:
    return {
        "MODEL_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"http://{HOST_LOOPBACK_FROM_CONTAINER}:{stub.port}/v1",
        "OPENAI_API_KEY": "test-key",
        "MODEL_ID": "scripted",
        "SESSION_STORE": "file",
    }


def _start_agent(image_name: str, env: dict[str, str]) -> RunningAgent:
    port = free_port()
    name = f"agentcore-session-test-{uuid.uuid4().hex[:12]}"
    env_args = [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
    podman("run", "--detach", "--name", name, f"--network={NETWORK}", "--publish", f"127.0.0.1:{port}:8080",
           *env_args, image_name)  # fmt: skip
    return RunningAgent(name=name, base_url=f"http://127.0.0.1:{port}", env=env)


def _remove_container(name: str) -> None:
    """Stop and remove a container; a second attempt covers podman's occasional "improper state" race."""
    for _ in range(2):
        podman("rm", "--force", "--ignore", "--time", "2", name, check=False)
        if podman("container", "exists", name, check=False).returncode != 0:
            return
    warnings.warn(f"container {name} could not be removed: podman rm --force {name}", stacklevel=2)


@contextmanager
def _agent_containers(image: BuiltImage, base_env: dict[str, str]) -> Iterator[Callable[..., RunningAgent]]:
    """Yield a starter of healthy agent containers; every one started is removed on exit, pass or fail."""
    started: list[RunningAgent] = []

    def start(extra_env: dict[str, str] | None = None) -> RunningAgent:
        agent = _start_agent(image.name, {**base_env, **(extra_env or {})})
        started.append(agent)
        agent.wait_healthy()
        return agent

    try:
        yield start
    finally:
        for agent in started:
            _remove_container(agent.name)


@pytest.fixture(scope="module")
def shared_agent(image: BuiltImage, model_stub: OpenAIStub) -> Iterator[RunningAgent]:
    """One container for the tests that only send requests (each uses its own session ids)."""
    with _agent_containers(image, _openai_env(model_stub)) as start:
        yield start()


@pytest.fixture
def start_agent(image: BuiltImage, model_stub: OpenAIStub) -> Iterator[Callable[..., RunningAgent]]:
    """Containers of a test's own, for tests that restart them or change their environment."""
    with _agent_containers(image, _openai_env(model_stub)) as start:
        yield start


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The dev stage's template on the Bedrock stand-in and moto S3, reached from the container via host loopback."""
    stack = synthesize_runtime_stack(tmp_path_factory.mktemp("container-cdk"))
    deployed = deploy(
        stack, tmp_path_factory.mktemp("container-deployment"), endpoint_host=HOST_LOOPBACK_FROM_CONTAINER
    )
    yield deployed
    deployed.stop()


@pytest.fixture
def start_deployed_agent(image: BuiltImage, deployment: Deployment) -> Iterator[Callable[..., RunningAgent]]:
    """Containers with exactly the deployed environment (no file store, no OpenAI variables)."""
    with _agent_containers(image, deployment.agent_env) as start:
        yield start


def _session_id() -> str:
    """A fresh id as long as AgentCore requires (at least 33 characters)."""
    return f"container-test-{uuid.uuid4()}"


def test_two_sessions_remember_only_their_own_conversation(shared_agent: RunningAgent) -> None:
    agent = shared_agent
    first, second = _session_id(), _session_id()

    introduced = agent.invoke(first, "My name is John Doe.")
    remembered = agent.invoke(first, "Do you remember my name?")
    stranger = agent.invoke(second, "Do you remember my name?")

    assert introduced.status_code == 200, introduced.text
    assert introduced.json()["response"] == "Nice to meet you, John Doe."
    assert remembered.status_code == 200, remembered.text
    assert remembered.json()["response"] == "Your name is John Doe."
    assert remembered.json()["session_id"] == first
    assert stranger.status_code == 200, stranger.text
    assert stranger.json()["response"] == "I don't know your name."
    assert stranger.json()["session_id"] == second


def test_agent_process_runs_as_unprivileged_user(shared_agent: RunningAgent) -> None:
    agent = shared_agent

    uid = podman("exec", agent.name, "id", "-u").stdout.strip()
    top = podman("top", agent.name, "huser", "args").stdout.splitlines()

    assert uid == RUNTIME_UID
    assert [line.strip().split(None, 1) for line in top[1:]] == [[RUNTIME_UID, "python -m agent"]]


def test_image_declares_port_user_and_command(image: BuiltImage) -> None:
    config = json.loads(podman("image", "inspect", "--format", "{{json .Config}}", image.name).stdout)

    assert config["User"] == f"{RUNTIME_UID}:{RUNTIME_UID}"
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["Cmd"] == ["python", "-m", "agent"]
    assert config["WorkingDir"] == "/app"
    assert [var for var in config["Env"] if var.startswith("PIP_")] == [], "build-time pip env leaked"


def test_final_image_has_no_pip_or_build_tools(image: BuiltImage) -> None:
    probe = (
        "for tool in pip pip3 gcc cc make; do command -v $tool && exit 1; done; python -c 'import pip' 2>&1 | tail -n 1"
    )

    result = podman("run", "--rm", "--network=none", image.name, "sh", "-c", probe, check=False)

    assert result.returncode == 0, f"a build tool is on PATH: {result.stdout}"
    assert result.stdout.strip() == "ModuleNotFoundError: No module named 'pip'"
    assert image.size_bytes < MAX_IMAGE_BYTES, f"image is {image.size_bytes} bytes, limit {MAX_IMAGE_BYTES}"


def test_conversation_survives_container_restart(start_agent: Callable[..., RunningAgent]) -> None:
    agent = start_agent()
    session = _session_id()
    assert agent.invoke(session, "My name is Jane Roe.").status_code == 200

    podman("restart", "--time", "5", agent.name)
    agent.wait_healthy()
    remembered = agent.invoke(session, "Do you remember my name?")

    assert remembered.status_code == 200, remembered.text
    assert remembered.json()["response"] == "Your name is Jane Roe."


def test_missing_session_header_is_a_400_and_agent_stays_healthy(shared_agent: RunningAgent) -> None:
    agent = shared_agent

    response = httpx.post(f"{agent.base_url}/invocations", json={"prompt": "hello"}, timeout=30)
    ping = httpx.get(f"{agent.base_url}/ping", timeout=10)

    assert response.status_code == 400
    assert response.json()["code"] == "missing_session_id"
    assert SESSION_HEADER in response.json()["error"]
    assert ping.status_code == 200


def test_observability_switch_runs_agent_under_opentelemetry_instrument(
    start_agent: Callable[..., RunningAgent],
) -> None:
    agent = start_agent(
        {
            "AGENT_OBSERVABILITY_ENABLED": "true",
            # Offline: keep the instrumentation, send nothing anywhere.
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        }
    )
    session = _session_id()

    environ = podman("exec", agent.name, "cat", "/proc/1/environ").stdout.split("\0")
    answer = agent.invoke(session, "My name is John Doe.")

    assert "AGENT_OTEL_BOOTSTRAPPED=1" in environ
    assert any(v.startswith("PYTHONPATH=") and "auto_instrumentation" in v for v in environ), environ
    assert answer.status_code == 200, answer.text
    assert answer.json()["response"] == "Nice to meet you, John Doe."


def test_deployed_configuration_answers_through_bedrock_and_keeps_conversations_in_s3(
    deployment: Deployment, start_deployed_agent: Callable[..., RunningAgent]
) -> None:
    agent = start_deployed_agent()
    session, other = _session_id(), _session_id()

    introduced = agent.invoke(session, "My name is John Doe.", subject="alice-sub")
    remembered = agent.invoke(session, "Do you remember my name?", subject="alice-sub")
    stranger = agent.invoke(other, "Do you remember my name?", subject="alice-sub")
    refused = agent.invoke(session, "Do you remember my name?", subject="bob-sub")
    weather = agent.invoke(other, "What is the weather in Seattle?", subject="alice-sub", stream=True)

    assert [r.status_code for r in (introduced, remembered, stranger, refused, weather)] == [200, 200, 200, 403, 200]
    assert introduced.json()["response"] == "Nice to meet you, John Doe."
    assert remembered.json()["response"] == "Your name is John Doe."
    assert stranger.json()["response"] == "I don't know your name."
    assert weather.headers["content-type"].startswith("text/event-stream")
    assert sse_events(weather.text)[-1]["response"] == "The weather in Seattle is rainy, 12 °C."
    calls = deployment.bedrock.calls
    assert {(c.operation, c.model_id, c.signing_service) for c in calls} == {
        ("ConverseStream", deployment.agent_env["MODEL_ID"], "bedrock")
    }
    prefix = deployment.agent_env["SESSION_PREFIX"]
    assert f"{prefix}actors/alice-sub/session_{session}/session.json" in deployment.stored_keys(prefix)


def test_deployed_configuration_resumes_in_a_new_container_from_s3(
    start_deployed_agent: Callable[..., RunningAgent],
) -> None:
    session = _session_id()
    first = start_deployed_agent()
    assert first.invoke(session, "My name is Jane Roe.", subject="alice-sub").status_code == 200
    _remove_container(first.name)

    second = start_deployed_agent()
    remembered = second.invoke(session, "Do you remember my name?", subject="alice-sub")

    assert remembered.status_code == 200, remembered.text
    assert remembered.json()["response"] == "Your name is Jane Roe."
