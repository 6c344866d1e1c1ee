"""Monitoring stacks: a CloudWatch dashboard and alarms (to SNS) for the stage's AgentCore runtime.

Two ways in, one result:

- ``MonitoringStack`` sits in the same Stage and takes the runtime construct by reference;
- ``SsmMonitoringStack`` is for another CDK app: it reads the runtime's ARN, id, role and endpoint
  from the SSM parameters the runtime stack writes (``/<app>/<stage>/runtime-arn`` ...).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.monitoring_runtime import RuntimeMonitoring
from stacks.constructs.monitoring_ssm import ImportedRuntime, runtime_from_ssm


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
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.monitoring = RuntimeMonitoring(
            self, "Monitoring", config=config, runtime=runtime, endpoint_name=endpoint_name
        )
        _publish(self, self.monitoring)


class SsmMonitoringStack(Stack):
    """Dashboard and alarms for a runtime deployed by another app, found through its SSM parameters.

    Attributes:
        imported: the imported runtime and the parameter names it was read from.
        monitoring: metrics, alarms and dashboard, identical in shape to ``MonitoringStack``'s.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.imported: ImportedRuntime = runtime_from_ssm(self, "Runtime", config=config)
        self.monitoring = RuntimeMonitoring(
            self, "Monitoring", config=config, runtime=self.imported.runtime, endpoint_name=self.imported.endpoint_name
        )
        _publish(self, self.monitoring)


def _publish(stack: Stack, monitoring: RuntimeMonitoring) -> None:
    """Stack outputs only (no exports, no SSM): nothing else needs to import a dashboard name."""
    CfnOutput(
        stack,
        "DashboardName",
        value=monitoring.dashboard.dashboard_name,
        description="CloudWatch dashboard of the runtime",
    )
    CfnOutput(
        stack,
        "AlarmTopicArn",
        value=monitoring.alarms.topic.topic_arn,
        description="SNS topic the runtime alarms notify",
    )
