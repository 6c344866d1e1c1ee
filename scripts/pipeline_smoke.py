"""Pipeline smoke helpers run by the post-deployment CodeBuild steps (stacks/constructs/pipeline_smoke.py).

WHY a script and not inline shell: the readiness check must poll two AgentCore resources with a
deadline and fail with a message naming what is not READY; `write-outputs` turns the stage outputs
CDK Pipelines passes as ``OUT_<Key>`` variables into the ``cdk-outputs-<stage>.json`` the client reads.

    python3 scripts/pipeline_smoke.py write-outputs --stage dev
    python3 scripts/pipeline_smoke.py ready --stage dev [--timeout 900] [--interval 15]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

logger = logging.getLogger("pipeline_smoke")

RUNTIME_KEYS = ("RuntimeArn", "RuntimeId", "EndpointName", "AuthorizerType", "Region")
IDENTITY_KEYS = ("UserPoolId", "UserPoolClientId")
READY = "READY"
FAILED_STATES = ("CREATE_FAILED", "UPDATE_FAILED", "DELETING")


class SmokeError(RuntimeError):
    """A smoke check failed; the message says which and why."""


def stage_outputs(stage: str, environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{stack: {key: value}}`` from ``OUT_<Key>`` variables, in the shape `make deploy` writes.

    Raises:
        SmokeError: naming every missing variable.
    """
    missing = [f"OUT_{key}" for key in (*RUNTIME_KEYS, *IDENTITY_KEYS) if not environ.get(f"OUT_{key}")]
    if missing:
        raise SmokeError(f"missing stage outputs: {', '.join(missing)} (set by the step's env_from_cfn_outputs)")
    return {
        f"AgentCoreSession-{stage}-Runtime": {key: environ[f"OUT_{key}"] for key in RUNTIME_KEYS},
        f"AgentCoreSession-{stage}-Identity": {key: environ[f"OUT_{key}"] for key in IDENTITY_KEYS},
    }


def wait_until_ready(
    control: Any,
    *,
    runtime_id: str,
    endpoint_name: str,
    timeout_seconds: float,
    interval_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, str]:
    """Poll the runtime and its endpoint until both are READY.

    Args:
        control: a boto3 ``bedrock-agentcore-control`` client.

    Returns:
        ``{"runtime": status, "endpoint": status}`` once both are READY.

    Raises:
        SmokeError: a resource reached a failed state, or the deadline passed (last statuses named).
    """
    deadline = clock() + timeout_seconds
    while True:
        statuses = {
            "runtime": control.get_agent_runtime(agentRuntimeId=runtime_id)["status"],
            "endpoint": control.get_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName=endpoint_name)["status"],
        }
        logger.info("runtime_id=<%s>, endpoint=<%s>, statuses=<%s> | polled", runtime_id, endpoint_name, statuses)
        failed = {name: status for name, status in statuses.items() if status in FAILED_STATES}
        if failed:
            raise SmokeError(f"runtime {runtime_id} endpoint {endpoint_name} failed: {failed}")
        if all(status == READY for status in statuses.values()):
            return statuses
        if clock() >= deadline:
            raise SmokeError(f"runtime {runtime_id} endpoint {endpoint_name} not READY after {timeout_seconds:.0f} s: {statuses}")
        sleep(interval_seconds)


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run one subcommand; exit 1 with a one-line message on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write-outputs", help="write cdk-outputs-<stage>.json from OUT_* variables")
    write.add_argument("--stage", required=True)
    write.add_argument("--directory", type=Path, default=Path.cwd())
    ready = commands.add_parser("ready", help="wait until the runtime and its endpoint are READY")
    ready.add_argument("--stage", required=True)
    ready.add_argument("--timeout", type=float, default=900.0)
    ready.add_argument("--interval", type=float, default=15.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    logger.setLevel(logging.INFO)
    try:
        outputs = stage_outputs(args.stage, environ)
        if args.command == "write-outputs":
            path = args.directory / f"cdk-outputs-{args.stage}.json"
            path.write_text(json.dumps(outputs, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {path}")
            return 0
        return _ready(outputs[f"AgentCoreSession-{args.stage}-Runtime"], timeout=args.timeout, interval=args.interval)
    except SmokeError as e:
        print(f"smoke check failed: {e}", file=sys.stderr)
        return 1


def _ready(runtime: Mapping[str, str], *, timeout: float, interval: float) -> int:
    """Poll through boto3 (imported here so write-outputs needs no client requirements)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    control = boto3.client("bedrock-agentcore-control", region_name=runtime["Region"])
    try:
        statuses = wait_until_ready(
            control, runtime_id=runtime["RuntimeId"], endpoint_name=runtime["EndpointName"], timeout_seconds=timeout, interval_seconds=interval
        )
    except (ClientError, BotoCoreError) as e:
        raise SmokeError(f"cannot read runtime {runtime['RuntimeId']} endpoint {runtime['EndpointName']}: {e}") from e
    print(f"runtime {runtime['RuntimeId']} endpoint {runtime['EndpointName']} is ready: {statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
