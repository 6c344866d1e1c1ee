"""`python -m local` (`make local`): run the whole AgentCore flow offline until Ctrl-C.

Starts moto as the Cognito identity provider and the session bucket's S3, the agent server
(`python -m agent` as deployed: Bedrock provider, S3 store; the Bedrock Runtime stand-in answers when no
model is configured), and the front door checking JWTs (default) or SigV4 (`--authorizer iam`), writes
`.local-runtime/outputs.json` and prints the client commands that use it.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from pathlib import Path

from local.inbound_auth import AUTHORIZER_TYPES
from local.processes import stop_on_signal
from local.runtime import LocalRuntime, LocalRuntimeSettings

_USAGE = """\
Local AgentCore runtime is up (Ctrl-C stops it).
  front door  {front_door}/runtimes/<URL-encoded ARN>/invocations?qualifier={endpoint}
  runtime ARN {arn}
  Cognito     {moto} (moto)  pool {pool}  client {client}
  agent       {agent}   log: {log}
  model       {model}
  store       {store}
  outputs     {outputs}

Try, in another terminal:
  {client_cli} users create alice
  {client_cli} login alice
  {client_cli} chat --user alice
  {client_cli} demo
"""
_IAM_USAGE = """\
Local AgentCore runtime is up (Ctrl-C stops it).
  front door  {front_door}/runtimes/<URL-encoded ARN>/invocations?qualifier={endpoint}  \
(SigV4, bedrock-agentcore, {region})
  runtime ARN {arn}
  access key  {access_key_id} (secret in the outputs file)
  agent       {agent}   log: {log}
  model       {model}
  store       {store}
  outputs     {outputs}

Try, in another terminal:
  {client_cli} invoke --user alice "My name is Alice."
  {client_cli} chat --user alice
  {client_cli} demo
or boto3's invoke_agent_runtime with endpoint_url={front_door} and the outputs file's AccessKeyId/SecretAccessKey.
"""


def client_command(outputs_option: list[str]) -> str:
    """The client as another terminal can start it: by its path in this virtualenv, where `agentcore-client` is
    not on PATH (make puts `.venv/bin` on PATH only for its own commands), or as `<python> -m client`."""
    script = Path(sys.executable).parent / "agentcore-client"
    program = [str(script)] if script.exists() else [sys.executable, "-m", "client"]
    return shlex.join([*program, "--local", *outputs_option])


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="front door port (default: a free port)")
    parser.add_argument(
        "--host",
        default=os.environ.get("HOST") or "127.0.0.1",
        help="front door address (default: $HOST, else 127.0.0.1); the agent stays on 127.0.0.1",
    )
    parser.add_argument("--moto-port", type=int, default=0, help="moto port (default: a free port)")
    parser.add_argument("--state-dir", type=Path, default=None, help="outputs, agent log and sessions directory")
    parser.add_argument("--agent-command", default=None, help="command that starts the agent on $PORT")
    parser.add_argument("--agent-url", default=None, help="use an agent server that is already running")
    parser.add_argument("--log-level", default="WARNING", help="log level of the local runtime")
    parser.add_argument(
        "--authorizer",
        choices=AUTHORIZER_TYPES,
        default="jwt",
        help="inbound auth of the emulated runtime: jwt (Cognito bearer tokens) or iam (SigV4)",
    )
    parser.add_argument(
        "--long-term-memory",
        action="store_true",
        help="store conversations in an AgentCore Memory with long-term strategies (recall across sessions)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the local runtime and block until SIGINT/SIGTERM."""
    args = _parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    overrides: dict[str, object] = {
        "front_door_port": args.port,
        "front_door_host": args.host,
        "moto_port": args.moto_port,
        "authorizer": args.authorizer,
        "web": args.authorizer == "jwt",
        "long_term_memory": args.long_term_memory,
    }
    if args.state_dir:
        overrides["state_dir"] = args.state_dir
    if args.agent_command:
        overrides["agent_command"] = tuple(shlex.split(args.agent_command))
    if args.agent_url:
        overrides["agent_url"] = args.agent_url
    # Before starting anything: a SIGTERM during startup then still reaches the `finally` that stops the children.
    stopped = stop_on_signal()
    try:
        settings = LocalRuntimeSettings(**overrides)  # type: ignore[arg-type]
        runtime = LocalRuntime(settings)
    except (ValueError, RuntimeError, OSError) as e:
        print(f"local runtime failed to start: {e}", file=sys.stderr)
        return 1
    print(
        (_IAM_USAGE if runtime.key_pair else _USAGE).format(
            front_door=runtime.front_door_url,
            endpoint=settings.endpoint_name,
            region=settings.region,
            arn=runtime.runtime_arn,
            moto=runtime.aws_endpoint_url,
            pool=runtime.identity.user_pool_id,
            client=runtime.identity.client_id,
            access_key_id=runtime.key_pair.access_key_id if runtime.key_pair else "",
            agent=runtime.agent_url,
            log=settings.state_dir / "agent.log",
            model=runtime.twin.model_line,
            store=runtime.twin.store_line,
            outputs=settings.outputs_path,
            client_cli=client_command([] if args.state_dir is None else ["--outputs-file", str(settings.outputs_path)]),
        ),
        flush=True,
    )
    if runtime.web:
        print(f"Web chat: {runtime.web.web_url}/ (sign in as a user created above)", flush=True)
    try:
        stopped.wait()
    finally:
        runtime.stop()
    print("local runtime stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
