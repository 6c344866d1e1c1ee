"""Dashboard plus alarms for one runtime endpoint: what the monitoring stack holds."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_bedrockagentcore as agentcore
from constructs import Construct

from stacks.config import StageConfig
from stacks.monitoring.monitoring_alarms import RuntimeAlarms
from stacks.monitoring.monitoring_dashboard import RuntimeDashboard
from stacks.monitoring.monitoring_metrics import RuntimeMetrics, runtime_metrics


class RuntimeMonitoring(Construct):
    """Metrics from the runtime construct, alarms on them, and a dashboard showing both.

    Attributes:
        metrics: the endpoint's metrics (namespace ``AWS/Bedrock-AgentCore``).
        alarms: the alarms and their SNS topic.
        dashboard: the CloudWatch dashboard.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        runtime: agentcore.IBedrockAgentRuntime,
        endpoint_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.metrics: RuntimeMetrics = runtime_metrics(
            runtime, runtime_name=config.runtime_name, endpoint_name=endpoint_name
        )
        self.alarms = RuntimeAlarms(
            self,
            "Alarms",
            metrics=self.metrics,
            latency_threshold=Duration.millis(config.latency_alarm_threshold_ms),
            alarm_email=config.alarm_email,
            retain=config.retain,
        )
        self.dashboard = RuntimeDashboard(
            self,
            "Dashboard",
            title=f"AgentCore runtime {config.runtime_name} ({config.stage}), endpoint {endpoint_name}",
            details=f"Runtime id `{runtime.agent_runtime_id}`, execution role `{runtime.role.role_arn}` "
            "(system errors are often missing permissions on this role).",
            metrics=self.metrics,
            alarms=self.alarms.alarms,
        ).dashboard
