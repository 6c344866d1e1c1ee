"""`make dev`: the agent alone on $HOST:$PORT; with no model configured, its Bedrock provider talks to the stand-in.

WHY: on a fresh clone (no ``MODEL_PROVIDER``, no AWS credentials) the README's `make dev` snippet would get a
model error for every prompt. `make local` already points the unchanged Bedrock provider at the Bedrock Runtime
stand-in in that case; `make dev` decides the same way (``local/deployed_twin.py``: botocore's credential chain,
without its network link) and says so once the agent answers. With a model configured this process simply
becomes `python -m agent`; the agent and its image are the same either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from local.bedrock_runtime import start_bedrock_runtime
from local.deployed_twin import (
    aws_credentials_found,
    model_is_configured,
    placeholder_credentials,
    stand_in_environment,
    stand_in_help,
)
from local.processes import LOOPBACK, ServerStartError, python_module, stop_on_signal, stop_process, wait_until_healthy

AGENT_COMMAND = python_module("agent")
_ANY_ADDRESS = ("0.0.0.0", "", "::")  # compared with $HOST: the agent answers on loopback then too


def main() -> int:
    """Run the agent in the foreground until it exits or Ctrl-C; returns its exit code (0 when stopped)."""
    if model_is_configured(os.environ, credentials_found=aws_credentials_found()):
        os.execv(sys.executable, AGENT_COMMAND)  # exactly `python -m agent`
    stopped = stop_on_signal()
    stand_in = start_bedrock_runtime()
    try:
        env = {**os.environ, **placeholder_credentials(), **stand_in_environment(stand_in.endpoint_url)}
        agent = subprocess.Popen(AGENT_COMMAND, env=env)  # its output is the terminal's, as with `python -m agent`
        threading.Thread(target=_set_when_exited, args=(agent, stopped), daemon=True).start()
        host = os.environ.get("HOST") or LOOPBACK
        url = f"http://{LOOPBACK if host in _ANY_ADDRESS else host}:{os.environ.get('PORT') or 8080}"
        try:
            wait_until_healthy(url, process=agent, name="agent server")
        except ServerStartError as e:
            print(f"make dev: {e}", file=sys.stderr)
            return stop_process(agent) or 1
        print(
            f"agent on {url} (Ctrl-C stops it)\n"
            f"  model       Bedrock Runtime stand-in at {stand_in.endpoint_url}: {stand_in_help('make dev')}",
            flush=True,
        )
        stopped.wait()
        return max(stop_process(agent), 0)
    finally:
        stand_in.stop()


def _set_when_exited(process: subprocess.Popen[bytes], event: threading.Event) -> None:
    """An agent that exits on its own (a bad setting) ends `make dev` as Ctrl-C does."""
    process.wait()
    event.set()


if __name__ == "__main__":
    sys.exit(main())
