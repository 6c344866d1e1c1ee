"""Launch the real agent server (uvicorn) with the scripted model injected.

``python -m tests.support.run_agent --port N`` reads the same environment as ``python -m agent``
(``SESSION_STORE``, ``SESSION_DIR``, …) but builds every agent on :class:`ScriptedModel`, wired as production
wires its model (``agent/model_factory.py``): one model object shared by every session's agent, so the
concurrency and isolation tests exercise the shared client. ``start_agent(...)`` does that in a subprocess
and waits for ``/ping``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path

from local.processes import ServerProcess, free_port, python_module, start_server

# The scripted-model agent as a `LocalRuntimeSettings.agent_command`: it serves on the `UNIX_SOCKET` the runtime sets.
RUN_AGENT = tuple(python_module("tests.support.run_agent"))


def start_agent(
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    model_delay: float = 0.0,
    timeout: float = 30.0,
    preexec_fn: Callable[[], None] | None = None,
) -> ServerProcess:
    """Start the agent on 127.0.0.1:<port> with the scripted model and wait until it is healthy."""
    port = port or free_port()
    command = python_module("tests.support.run_agent", "--port", str(port), "--model-delay", str(model_delay))
    return start_server(command, port=port, log_path=log_path, env=env, timeout=timeout, preexec_fn=preexec_fn)


def main() -> None:
    """Serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help="default: $PORT; unused when $UNIX_SOCKET is set")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--model-delay", type=float, default=0.0)
    args = parser.parse_args()

    from agent.app import create_app
    from agent.http_server import serve
    from agent.request_log import configure_logging
    from agent.settings import Settings
    from tests.support.scripted_model import ScriptedModel

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    shared_model = ScriptedModel(delay_seconds=args.model_delay)
    app = create_app(settings, model_factory=lambda: shared_model)
    serve(app, Settings(**{**settings.model_dump(), "port": args.port or settings.port}), host=args.host)


if __name__ == "__main__":
    main()
