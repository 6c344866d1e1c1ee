"""Monitoring stack: a CloudWatch dashboard and alarms (to SNS) for the stage's AgentCore runtime.

It sits in the same Stage as the runtime stack and takes the runtime construct by reference. Another app
can find the runtime through the SSM parameters the runtime stack writes (docs/delivery.md).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from constructs import Construct

from stacks.config import StageConfig
from stacks.monitoring.monitoring_runtime import RuntimeMonitoring
from stacks.output_keys import ALARM_TOPIC_ARN, DASHBOARD_NAME


class MonitoringStack(Stack):
    """Dashboard and alarms for a runtime passed by reference (same app).

    Attributes:
        monitoring: metrics, alarms (``monitoring.alarms.topic`` is the SNS topic) and dashboard.
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
        self.monitoring = RuntimeMonitoring(
            self, "Monitoring", config=config, runtime=runtime, endpoint_name=endpoint_name
        )
        # Stack outputs only (no exports, no SSM): nothing else needs to import a dashboard name.
        CfnOutput(
            self,
            DASHBOARD_NAME,
            value=self.monitoring.dashboard.dashboard_name,
            description="CloudWatch dashboard of the runtime",
        )
        CfnOutput(
            self,
            ALARM_TOPIC_ARN,
            value=self.monitoring.alarms.topic.topic_arn,
            description="SNS topic the runtime alarms notify",
        )
