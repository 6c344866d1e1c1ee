"""The runtime's CloudWatch dashboard: traffic, latency, errors, throttles, sessions, alarm states."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from stacks.monitoring.monitoring_metrics import RuntimeMetrics

WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6


class RuntimeDashboard(Construct):
    """One dashboard per stage; every graph is one of the runtime's endpoint metrics.

    Attributes:
        dashboard: the CloudWatch dashboard (its name is generated, published as an output).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        title: str,
        details: str,
        metrics: RuntimeMetrics,
        alarms: list[cloudwatch.Alarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"# {title}\n{details}", width=24, height=2))
        self.dashboard.add_widgets(
            _graph("Invocations", [metrics.invocations]),
            _graph("Latency (ms)", [metrics.latency, metrics.latency_p99]),
            _graph("Sessions", [metrics.sessions]),
        )
        self.dashboard.add_widgets(
            _graph("System errors", [metrics.system_errors]),
            _graph("User errors", [metrics.user_errors]),
            _graph("Throttles", [metrics.throttles]),
        )
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24, height=3))


def _graph(title: str, metrics: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=metrics, width=WIDGET_WIDTH, height=WIDGET_HEIGHT)
