"""Pipeline smoke helpers run by the post-deployment CodeBuild steps (stacks/pipeline/smoke_step.py).

WHY a script and not inline shell: the readiness check must poll two AgentCore resources with a
deadline and fail with a message naming what is not READY; `write-outputs` turns the stage outputs
CDK Pipelines passes as ``OUT_<Key>`` variables into the ``cdk-outputs-<stage>.json`` the client reads;
`metric` proves, after the smoke invocations, that the metric the stage's alarms watch exists with exactly
the alarms' dimensions (the ``Name=<runtime>::<endpoint>`` vs ``::DEFAULT`` question, docs/delivery.md):
an alarm on a metric that never exists stays OK forever.

Run from the repository root as a module, so the output keys come from stacks/output_keys.py (stdlib only,
like this script: the step installs only the client's lock)::

    python3 -m scripts.pipeline_smoke write-outputs --stage dev
    python3 -m scripts.pipeline_smoke ready --stage dev [--timeout 900] [--interval 15]
    python3 -m scripts.pipeline_smoke metric --stage dev --namespace NS --metric-name M --dimension K=V ... \
        [--timeout 1200] [--interval 30]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stacks.output_keys import (
    CLIENT_OUTPUTS,
    ENDPOINT_NAME,
    REGION,
    RUNTIME,
    RUNTIME_ID,
    stack_name,
)

logger = logging.getLogger("pipeline_smoke")

READY = "READY"
# How long each wait may take by default. CloudFormation returns only once the runtime is READY (on platform V2
# that includes preparing the snapshot, minutes), so `ready` waits mainly for the endpoint; `metric` for
# ListMetrics' lag ("allow up to 15 minutes", wait_for_metric). Both together fit CodeBuild's default 60-minute
# build timeout (tests/stacks/pipeline/test_pipeline_stack.py).
READY_TIMEOUT_SECONDS = 900.0
METRIC_TIMEOUT_SECONDS = 1200.0
FAILED_STATES = ("CREATE_FAILED", "UPDATE_FAILED", "DELETING")


class SmokeError(RuntimeError):
    """A smoke check failed; the message says which and why."""


def stage_outputs(stage: str, environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{stack: {key: value}}`` from ``OUT_<Key>`` variables, in the shape `make deploy` writes.

    Raises:
        SmokeError: naming every missing variable.
    """
    missing = [f"OUT_{key}" for keys in CLIENT_OUTPUTS.values() for key in keys if not environ.get(f"OUT_{key}")]
    if missing:
        raise SmokeError(f"missing stage outputs: {', '.join(missing)} (set by the step's env_from_cfn_outputs)")
    return {
        stack_name(stage, stack): {key: environ[f"OUT_{key}"] for key in keys} for stack, keys in CLIENT_OUTPUTS.items()
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
            "endpoint": control.get_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName=endpoint_name)[
                "status"
            ],
        }
        logger.info("runtime_id=<%s>, endpoint=<%s>, statuses=<%s> | polled", runtime_id, endpoint_name, statuses)
        failed = {name: status for name, status in statuses.items() if status in FAILED_STATES}
        if failed:
            raise SmokeError(f"runtime {runtime_id} endpoint {endpoint_name} failed: {failed}")
        if all(status == READY for status in statuses.values()):
            return statuses
        if clock() >= deadline:
            raise SmokeError(
                f"runtime {runtime_id} endpoint {endpoint_name} not READY after {timeout_seconds:.0f} s: {statuses}"
            )
        sleep(interval_seconds)


def wait_for_metric(
    cloudwatch: Any,
    *,
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, str],
    timeout_seconds: float,
    interval_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, str]:
    """Poll ListMetrics until a metric with exactly these dimensions exists.

    WHY poll: "After you create a metric, allow up to 15 minutes for the metric to appear" (ListMetrics,
    botocore/data/cloudwatch/2010-08-01/service-2.json). WHY exactly: ListMetrics also returns metrics
    that have more dimensions than the filter, but an alarm matches only its exact dimension set.

    Args:
        cloudwatch: a boto3 ``cloudwatch`` client.

    Returns:
        The matching metric's dimensions.

    Raises:
        SmokeError: the deadline passed; names the metric and the ``Name`` values that do exist for it.
    """
    deadline = clock() + timeout_seconds
    wanted = dict(dimensions)
    while True:
        found = _metric_dimension_sets(cloudwatch, namespace, metric_name, wanted)
        logger.info("namespace=<%s>, metric=<%s>, candidates=<%d> | listed metrics", namespace, metric_name, len(found))
        if wanted in found:
            return wanted
        if clock() >= deadline:
            seen = sorted({d.get("Name", "") for d in _metric_dimension_sets(cloudwatch, namespace, metric_name, {})})
            raise SmokeError(
                f"no {namespace} {metric_name} metric with dimensions {wanted} after {timeout_seconds:.0f} s "
                f"(the alarms watch that metric); Name dimensions reported for {metric_name}: {seen or 'none'}"
            )
        sleep(interval_seconds)


def _metric_dimension_sets(
    cloudwatch: Any, namespace: str, metric_name: str, dimensions: Mapping[str, str]
) -> list[dict[str, str]]:
    """Every dimension set ListMetrics returns for the filter, all pages."""
    filters = [{"Name": name, "Value": value} for name, value in dimensions.items()]
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace, MetricName=metric_name, Dimensions=filters
    )
    return [
        {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
        for page in pages
        for metric in page.get("Metrics", [])
    ]


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run one subcommand; exit 1 with a one-line message on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write-outputs", help="write cdk-outputs-<stage>.json from OUT_* variables")
    write.add_argument("--stage", required=True)
    write.add_argument("--directory", type=Path, default=Path.cwd())
    ready = commands.add_parser("ready", help="wait until the runtime and its endpoint are READY")
    ready.add_argument("--stage", required=True)
    ready.add_argument("--timeout", type=float, default=READY_TIMEOUT_SECONDS)
    ready.add_argument("--interval", type=float, default=15.0)
    metric = commands.add_parser("metric", help="wait until the metric the alarms watch exists with their dimensions")
    metric.add_argument("--stage", required=True)
    metric.add_argument("--namespace", required=True)
    metric.add_argument("--metric-name", required=True)
    metric.add_argument("--dimension", action="append", default=[], type=_dimension, help="NAME=VALUE, repeatable")
    metric.add_argument("--timeout", type=float, default=METRIC_TIMEOUT_SECONDS)
    metric.add_argument("--interval", type=float, default=30.0)
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
        runtime = outputs[stack_name(args.stage, RUNTIME)]
        if args.command == "metric":
            return _metric(runtime, args)
        return _ready(runtime, timeout=args.timeout, interval=args.interval)
    except SmokeError as e:
        print(f"smoke check failed: {e}", file=sys.stderr)
        return 1


def _dimension(text: str) -> tuple[str, str]:
    """``Name=agentcore_session_dev::live`` → ``("Name", "agentcore_session_dev::live")``."""
    name, separator, value = text.partition("=")
    if not separator or not name or not value:
        raise argparse.ArgumentTypeError(f"dimension {text!r} must be NAME=VALUE with both parts non-empty")
    return name, value


def _metric(runtime: Mapping[str, str], args: argparse.Namespace) -> int:
    """ListMetrics through boto3 in the stage's region (imported here, like _ready)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    dimensions = dict(args.dimension)
    cloudwatch = boto3.client("cloudwatch", region_name=runtime[REGION])
    try:
        wait_for_metric(
            cloudwatch,
            namespace=args.namespace,
            metric_name=args.metric_name,
            dimensions=dimensions,
            timeout_seconds=args.timeout,
            interval_seconds=args.interval,
        )
    except (ClientError, BotoCoreError) as e:
        raise SmokeError(f"cannot list {args.namespace} {args.metric_name} metrics: {e}") from e
    print(f"metric {args.namespace} {args.metric_name} {dimensions} exists")
    return 0


def _ready(runtime: Mapping[str, str], *, timeout: float, interval: float) -> int:
    """Poll through boto3 (imported here so write-outputs needs no client requirements)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    control = boto3.client("bedrock-agentcore-control", region_name=runtime[REGION])
    try:
        statuses = wait_until_ready(
            control,
            runtime_id=runtime[RUNTIME_ID],
            endpoint_name=runtime[ENDPOINT_NAME],
            timeout_seconds=timeout,
            interval_seconds=interval,
        )
    except (ClientError, BotoCoreError) as e:
        raise SmokeError(f"cannot read runtime {runtime[RUNTIME_ID]} endpoint {runtime[ENDPOINT_NAME]}: {e}") from e
    print(f"runtime {runtime[RUNTIME_ID]} endpoint {runtime[ENDPOINT_NAME]} is ready: {statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
