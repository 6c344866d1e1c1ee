"""Alarms on the runtime's failure signals, sent to an encrypted, TLS-only SNS topic.

WHY a customer-managed key: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed
``alias/aws/sns`` key (its policy cannot be extended), so the topic gets its own rotating key whose
policy lets CloudWatch, and only CloudWatch of this account, use it.

WHY a publish statement: an ``AWS::SNS::TopicPolicy`` replaces the topic's default policy, and the TLS-only
policy (``enforce_ssl``) is one, so without an Allow for ``cloudwatch.amazonaws.com`` alarms fire and
nobody is told. The publish grant carries ``aws:SourceAccount`` and ``aws:SourceArn``
(``arn:<partition>:cloudwatch:<region>:<account>:alarm:*``) against the confused deputy (CloudWatch user guide
"Notifying users on alarm changes"; re:Post "cloudwatch-receive-sns-for-alarm-trigger").

WHY ``kms:ViaService`` on the key grant, not those keys: the key is used by SNS, calling KMS for the publisher
(SNS developer guide, sns-key-management.html, "Enable compatibility between event sources from AWS services
and encrypted topics": the service principal needs ``kms:Decrypt`` and ``kms:GenerateDataKey*``). That page and
the CloudTrail user guide's key policy for encrypted topics ("Amazon SNS topic policy for CloudTrail") grant it
without ``aws:SourceArn``/``aws:SourceAccount``, keeping those for the topic policy, and no AWS page says SNS's
KMS request carries them (EventBridge's guide says it does not, for EventBridge); a condition on an absent key
drops every notification silently. ``kms:ViaService`` = ``sns.<region>.amazonaws.com`` (KMS developer guide,
"kms:ViaService") limits the grant to use through SNS in this Region, and the topic policy is where the source
alarm is checked.
"""

from __future__ import annotations

from aws_cdk import (
    ArnFormat,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_cloudwatch_actions as actions,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.monitoring.monitoring_metrics import RuntimeMetrics

# Any system error or throttle in a 5-minute period is worth a look: both mean callers got failures
# they did not cause. Latency alarms only when the average stays high for three periods in a row.
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
PUBLISH_ACTIONS = ("sns:Publish",)
TOPIC_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
ERROR_THRESHOLD = 1
THROTTLE_THRESHOLD = 1
LATENCY_PERIODS = 3


class RuntimeAlarms(Construct):
    """An SNS topic (optionally with an email subscription) and three alarms publishing to it.

    Attributes:
        topic: where alarm and OK notifications go; subscribe more endpoints to it.
        alarms: system errors, throttles and latency, in that order.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        metrics: RuntimeMetrics,
        latency_threshold: Duration,
        alarm_email: str | None = None,
        retain: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = self._topic(retain)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms = [
            self._alarm(
                "SystemErrors",
                metrics.system_errors,
                ERROR_THRESHOLD,
                1,
                "The runtime returned system (5xx) errors: the agent, its model or its store is failing.",
            ),
            self._alarm(
                "Throttles",
                metrics.throttles,
                THROTTLE_THRESHOLD,
                1,
                "AgentCore throttled invocations: callers were refused; check quotas and session limits.",
            ),
            self._alarm(
                "Latency",
                metrics.latency,
                latency_threshold.to_milliseconds(),
                LATENCY_PERIODS,
                f"Average invocation latency stayed at or above {latency_threshold.to_milliseconds()} ms "
                f"for {LATENCY_PERIODS} periods.",
            ),
        ]

    def _topic(self, retain: bool) -> sns.Topic:
        """TLS-only topic encrypted with a rotating key; this account's alarms may publish to it and use the key."""
        key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the AgentCore runtime alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsThroughSns",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=list(TOPIC_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" is this key
                conditions=self._through_sns(),
            )
        )
        topic = sns.Topic(self, "Topic", master_key=key, enforce_ssl=True, display_name="AgentCore runtime alarms")
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=list(PUBLISH_ACTIONS),
                resources=[topic.topic_arn],
                conditions=self._alarm_source_conditions(),
            )
        )
        return topic

    def _through_sns(self) -> dict[str, dict[str, str]]:
        """Only when SNS of this Region uses the key (the KMS request SNS makes for CloudWatch)."""
        stack = Stack.of(self)
        return {"StringEquals": {"kms:ViaService": f"sns.{stack.region}.{stack.url_suffix}"}}

    def _alarm_source_conditions(self) -> dict[str, dict[str, str]]:
        """Only on behalf of CloudWatch alarms of this account and region (confused-deputy guard)."""
        stack = Stack.of(self)
        alarms = stack.format_arn(
            service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        return {"StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": alarms}}

    def _alarm(
        self, name: str, metric: cloudwatch.IMetric, threshold: float, periods: int, description: str
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        return alarm
