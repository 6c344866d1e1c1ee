"""The runtime's CloudWatch metrics for one endpoint, taken from the AgentCore L2's metric methods.

WHY the ``Name`` override: the L2's metric methods use the dimension ``Name=<runtime>::DEFAULT``, but
AgentCore reports invocations per endpoint (``<runtime>::<endpoint>``) and this app's callers invoke
the stage's named endpoint (``live``). Charting DEFAULT would show an empty dashboard and alarms that
never fire. Namespace, ``Operation`` and ``Resource`` stay exactly as the L2 builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch

METRIC_PERIOD = Duration.minutes(5)


@dataclass(frozen=True, kw_only=True)
class RuntimeMetrics:
    """Every metric the dashboard and alarms use, all scoped to one runtime endpoint (latency twice: average, p99)."""

    invocations: cloudwatch.IMetric
    latency: cloudwatch.IMetric
    latency_p99: cloudwatch.IMetric
    system_errors: cloudwatch.IMetric
    user_errors: cloudwatch.IMetric
    throttles: cloudwatch.IMetric
    sessions: cloudwatch.IMetric


def endpoint_dimension(runtime_name: str, endpoint_name: str) -> str:
    """The ``Name`` dimension AgentCore reports for invocations of one endpoint."""
    return f"{runtime_name}::{endpoint_name}"


def runtime_metrics(
    runtime: agentcore.IBedrockAgentRuntime, *, runtime_name: str, endpoint_name: str
) -> RuntimeMetrics:
    """Build the metrics from the runtime construct (owned or imported), for ``endpoint_name``.

    Args:
        runtime: the L2 runtime or one imported with ``Runtime.from_agent_runtime_attributes``.
        runtime_name: the runtime's name (config ``runtime_name``), first half of the Name dimension.
        endpoint_name: the endpoint callers use (config ``endpoint_name``), may be a token.
    """
    name = {"Name": endpoint_dimension(runtime_name, endpoint_name)}

    def options(label: str, statistic: str | None = None) -> dict[str, Any]:
        extra = {"statistic": statistic} if statistic else {}
        return {"dimensions_map": name, "period": METRIC_PERIOD, "label": label, **extra}

    return RuntimeMetrics(
        invocations=runtime.metric_invocations(**options("Invocations")),
        latency=runtime.metric_latency(**options("Latency (avg)")),
        latency_p99=runtime.metric_latency(**options("Latency (p99)", "p99")),
        system_errors=runtime.metric_system_errors(**options("System errors")),
        user_errors=runtime.metric_user_errors(**options("User errors")),
        throttles=runtime.metric_throttles(**options("Throttles")),
        sessions=runtime.metric_session_count(**options("Sessions")),
    )
