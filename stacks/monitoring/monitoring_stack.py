"""Monitoring stack: a CloudWatch dashboard and alarms (to SNS) for the stage's AgentCore runtime.

WHY SSM parameters and not a reference to the runtime construct: a reference makes CDK export the runtime's
ARN and id from the Runtime stack and import them here, and CloudFormation refuses to change an export while
another stack imports it ("Export ... cannot be updated as it is in use by ..."; AWS CloudFormation user guide,
"Exporting stack output values"). ``runtime_name`` is create-only (cfn-lint's bundled schema of
``AWS::BedrockAgentCore::Runtime``), so a rename replaces the runtime, changes both, and could never deploy.
Instead this stack reads the values the Runtime stack publishes in SSM (stacks/constructs/stack_outputs.py)
through CloudFormation parameters of type ``AWS::SSM::Parameter::Value<String>``
(``ssm.StringParameter.value_for_string_parameter``): an ordinary parameter whose value CloudFormation fetches
from Parameter Store at every stack create and update (CloudFormation user guide, "Specify existing resources
at runtime with CloudFormation-supplied parameter types", Systems Manager parameter types), so ``Ref`` to it is
valid wherever a string is, here ``AWS::CloudWatch::Alarm`` ``Metrics[].MetricStat.Metric.Dimensions[].Value``
and the ``Fn::Join`` that builds ``AWS::CloudWatch::Dashboard`` ``DashboardBody``. A ``{{resolve:ssm:…}}``
dynamic reference would do too, but CDK has no typed construct for it in a ``Fn::Join``, and the parameter
shows its resolved value in the console. The order the values need is kept by an explicit stack dependency.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.stack_outputs import parameter_name
from stacks.monitoring.monitoring_alarms import RuntimeAlarms
from stacks.monitoring.monitoring_dashboard import RuntimeDashboard
from stacks.monitoring.monitoring_metrics import RuntimeMetrics, runtime_metrics
from stacks.output_keys import ALARM_TOPIC_ARN, DASHBOARD_NAME, EXECUTION_ROLE_ARN, RUNTIME_ARN, RUNTIME_ID

# WHY a plain scope with this id: the alarms, topic, key and dashboard were created under a construct named
# "Monitoring"; their logical ids (MonitoringAlarmsTopic…, pinned by tests/stacks/test_logical_ids.py) keep
# that prefix, so a deployed stack updates them in place instead of replacing the topic and its subscriptions.
SCOPE_ID = "Monitoring"


class MonitoringStack(Stack):
    """Dashboard and alarms for the stage's runtime, found through the Runtime stack's SSM parameters.

    Attributes:
        runtime: the runtime as this stack sees it (its ARN, id and role are the SSM parameters' values).
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
        runtime_stack: Stack,
        endpoint_name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The parameters must exist, with this deploy's values, before this stack's change set is made.
        self.add_stack_dependency(runtime_stack, "reads the runtime's ARN, id and role from its SSM parameters")
        self.runtime = agentcore.Runtime.from_agent_runtime_attributes(
            self,
            "Runtime",
            agent_runtime_arn=self._parameter(config, RUNTIME_ARN),
            agent_runtime_id=self._parameter(config, RUNTIME_ID),
            agent_runtime_name=config.runtime_name,
            role_arn=self._parameter(config, EXECUTION_ROLE_ARN),
        )
        resources = Construct(self, SCOPE_ID)
        self.metrics: RuntimeMetrics = runtime_metrics(
            self.runtime, runtime_name=config.runtime_name, endpoint_name=endpoint_name
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
            details=f"Runtime id `{self.runtime.agent_runtime_id}`, execution role `{self.runtime.role.role_arn}` "
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

    def _parameter(self, config: StageConfig, key: str) -> str:
        """The value of the Runtime stack's SSM parameter for ``key``, resolved when this stack deploys."""
        return ssm.StringParameter.value_for_string_parameter(self, parameter_name(config, key))
