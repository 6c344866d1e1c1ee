"""Monitoring stack: a CloudWatch dashboard and alarms (to SNS) for the stage's AgentCore runtime.

It sits in the same Stage as the runtime stack and takes the runtime construct by reference. Another app
can find the runtime through the SSM parameters the runtime stack writes (docs/delivery.md).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from constructs import Construct

from stacks.config import StageConfig
from stacks.monitoring.monitoring_alarms import RuntimeAlarms
from stacks.monitoring.monitoring_dashboard import RuntimeDashboard
from stacks.monitoring.monitoring_metrics import RuntimeMetrics, runtime_metrics
from stacks.output_keys import ALARM_TOPIC_ARN, DASHBOARD_NAME

# WHY a plain scope with this id: the alarms, topic, key and dashboard were created under a construct named
# "Monitoring"; their logical ids (MonitoringAlarmsTopic…, pinned by tests/stacks/test_logical_ids.py) keep
# that prefix, so a deployed stack updates them in place instead of replacing the topic and its subscriptions.
SCOPE_ID = "Monitoring"


class MonitoringStack(Stack):
    """Metrics from the runtime construct (passed by reference, same app), alarms on them, and a dashboard.

    Attributes:
        metrics: the endpoint's metrics (namespace ``AWS/Bedrock-AgentCore``).
        alarms: the alarms and their SNS topic (``alarms.topic``).
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
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        resources = Construct(self, SCOPE_ID)
        self.metrics: RuntimeMetrics = runtime_metrics(
            runtime, runtime_name=config.runtime_name, endpoint_name=endpoint_name
        )
        self.alarms = RuntimeAlarms(
            resources,
            "Alarms",
            metrics=self.metrics,
            latency_threshold=Duration.millis(config.latency_alarm_threshold_ms),
            alarm_email=config.alarm_email,
            retain=config.retain,
        )
        self.dashboard = RuntimeDashboard(
            resources,
            "Dashboard",
            title=f"AgentCore runtime {config.runtime_name} ({config.stage}), endpoint {endpoint_name}",
            details=f"Runtime id `{runtime.agent_runtime_id}`, execution role `{runtime.role.role_arn}` "
            "(system errors are often missing permissions on this role).",
            metrics=self.metrics,
            alarms=self.alarms.alarms,
        ).dashboard
        # Stack outputs only (no exports, no SSM): nothing else needs to import a dashboard name.
        CfnOutput(
            self, DASHBOARD_NAME, value=self.dashboard.dashboard_name, description="CloudWatch dashboard of the runtime"
        )
        CfnOutput(
            self, ALARM_TOPIC_ARN, value=self.alarms.topic.topic_arn, description="SNS topic the runtime alarms notify"
        )
