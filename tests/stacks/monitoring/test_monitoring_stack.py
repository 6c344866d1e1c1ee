"""Monitoring stack: every widget and alarm charts the runtime's endpoint metrics, alarms reach an encrypted
topic CloudWatch may publish to; cdk-nag passes (cfn-lint: tests/stacks/test_cfn_lint.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from stacks.config import CONTEXT_ROOT, load_stage_config
from stacks.nag_report import findings
from stacks.validation import ConfigError
from tests.support.cdk_app import cdk_json_context

NAMESPACE = "AWS/Bedrock-AgentCore"
DASHBOARD_METRICS = {"Invocations", "Latency", "SessionCount", "SystemErrors", "UserErrors", "Throttles"}


def _context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context with these dev settings merged in."""
    context = cdk_json_context()
    context[CONTEXT_ROOT]["stages"]["dev"] = {**context[CONTEXT_ROOT]["stages"]["dev"], **overrides}
    return context


@pytest.fixture(scope="module")
def stage(alarm_email_stage):
    return alarm_email_stage[0]


@pytest.fixture(scope="module")
def template(stage) -> Template:
    return Template.from_stack(stage.monitoring)


@pytest.fixture(scope="module")
def runtime_arn_import(stage, template) -> dict[str, str]:
    """The runtime's ARN as the Monitoring stack reads it: a ``Ref`` to a parameter of type
    ``AWS::SSM::Parameter::Value<String>`` defaulting to the Runtime stack's parameter name, not an import of an
    export (a rename changes the ARN, and an imported export cannot change)."""
    alarm = next(iter(template.find_resources("AWS::CloudWatch::Alarm").values()))
    dimensions = alarm["Properties"]["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"]
    resource = next(d["Value"] for d in dimensions if d["Name"] == "Resource")
    assert list(resource) == ["Ref"]
    assert template.to_json()["Parameters"][resource["Ref"]] == {
        "Type": "AWS::SSM::Parameter::Value<String>",
        "Default": "/agentcore-session/dev/runtime-arn",
    }
    return resource


def test_monitoring_stack_imports_nothing_and_deploys_after_the_runtime(stage, template):
    assert "Fn::ImportValue" not in json.dumps(template.to_json())
    assert stage.runtime in stage.monitoring.dependencies


def _expected_dimensions(resource: Any) -> list[dict[str, Any]]:
    return [
        {"Name": "Name", "Value": "agentcore_session_dev::live"},
        {"Name": "Operation", "Value": "InvokeAgentRuntime"},
        {"Name": "Resource", "Value": resource},
    ]


def test_monitoring_stack_holds_exactly_dashboard_alarms_topic_and_key(template):
    resources = template.to_json()["Resources"]
    types = sorted(r["Type"] for r in resources.values() if r["Type"] != "AWS::CDK::Metadata")
    assert types == [
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::KMS::Key",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
    ]


@pytest.mark.parametrize(
    ("alarm", "metric", "stat", "threshold", "periods"),
    [
        ("SystemErrors", "SystemErrors", "Sum", 1, 1),
        ("Throttles", "Throttles", "Sum", 1, 1),
        ("Latency", "Latency", "Average", 30000, 3),
    ],
)
def test_alarm_uses_runtime_endpoint_metric(
    stage, template, runtime_arn_import, alarm, metric, stat, threshold, periods
):
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    logical_id = next(k for k in alarms if k.startswith(f"MonitoringAlarms{alarm}"))
    props = alarms[logical_id]["Properties"]
    topic = stage.monitoring.get_logical_id(stage.monitoring.alarms.topic.node.default_child)
    assert props["Metrics"] == [
        {
            "Id": "m1",
            "Label": props["Metrics"][0]["Label"],
            "MetricStat": {
                "Metric": {
                    "Dimensions": _expected_dimensions(runtime_arn_import),
                    "MetricName": metric,
                    "Namespace": NAMESPACE,
                },
                "Period": 300,
                "Stat": stat,
            },
            "ReturnData": True,
        }
    ]
    assert props["Threshold"] == threshold
    assert props["EvaluationPeriods"] == periods and props["DatapointsToAlarm"] == periods
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert props["AlarmActions"] == [{"Ref": topic}] and props["OKActions"] == [{"Ref": topic}]


def _dashboard_body(stage, template) -> dict[str, Any]:
    dashboard = next(iter(template.find_resources("AWS::CloudWatch::Dashboard").values()))
    body = stage.monitoring.resolve(dashboard["Properties"]["DashboardBody"])
    # The body is Fn::Join of literal JSON and tokens; put a placeholder for each token to parse it.
    parts = body["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else json.dumps(json.dumps(p))[1:-1] for p in parts))


def test_every_dashboard_graph_uses_runtime_endpoint_metrics(stage, template, runtime_arn_import):
    widgets = _dashboard_body(stage, template)["widgets"]
    graphs = [
        w
        for w in widgets
        if w["type"] == "metric" and "annotations" not in w["properties"] and "alarms" not in w["properties"]
    ]
    titles = [g["properties"]["title"] for g in graphs]
    assert titles == ["Invocations", "Latency (ms)", "Sessions", "System errors", "User errors", "Throttles"]
    seen = set()
    expected_resource = json.dumps(runtime_arn_import)
    for graph in graphs:
        for metric in graph["properties"]["metrics"]:
            namespace, name, *dims = metric[:-1] if isinstance(metric[-1], dict) else metric
            assert namespace == NAMESPACE
            pairs = dict(zip(dims[0::2], dims[1::2], strict=True))
            assert pairs["Name"] == "agentcore_session_dev::live"
            assert pairs["Operation"] == "InvokeAgentRuntime"
            assert pairs["Resource"] == expected_resource
            seen.add(name)
    assert seen == DASHBOARD_METRICS


def test_dashboard_shows_alarm_states(stage, template):
    widgets = _dashboard_body(stage, template)["widgets"]
    status = [w for w in widgets if w["type"] == "alarm"]
    assert len(status) == 1 and len(status[0]["properties"]["alarms"]) == 3


def test_topic_is_kms_encrypted_tls_only_and_mails_the_configured_address(stage, template):
    key = stage.monitoring.get_logical_id(stage.monitoring.alarms.topic.master_key.node.default_child)
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}})
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"})


ALARM_SOURCE = {
    "StringEquals": {"aws:SourceAccount": "123456789012"},
    "ArnLike": {
        "aws:SourceArn": {
            "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:us-east-1:123456789012:alarm:*"]]
        }
    },
}


THROUGH_SNS = {"StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["sns.us-east-1.", {"Ref": "AWS::URLSuffix"}]]}}}


def test_topic_key_lets_cloudwatch_use_it_only_through_sns(template):
    """The key's guard is the calling service; the alarm-source keys are on the topic policy (module docstring)."""
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "AllowCloudWatchAlarmsThroughSns",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                            "Condition": THROUGH_SNS,
                        }
                    ]
                )
            }
        },
    )


def test_topic_policy_lets_cloudwatch_alarms_of_this_account_publish(stage, template):
    """The topic policy replaces SNS's default policy: without this statement no alarm is ever delivered."""
    topic = stage.monitoring.get_logical_id(stage.monitoring.alarms.topic.node.default_child)
    (policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "AllowCloudWatchAlarmsToPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": {"Ref": topic},
            "Condition": ALARM_SOURCE,
        }
    ]


def test_no_email_subscription_without_alarm_email(dev):
    Template.from_stack(dev.monitoring).resource_count_is("AWS::SNS::Subscription", 0)


def test_latency_threshold_comes_from_config(build):
    _, stage = build(overrides={"latency_alarm_threshold_ms": 5000})
    Template.from_stack(stage.monitoring).has_resource_properties(
        "AWS::CloudWatch::Alarm", {"Threshold": 5000, "AlarmDescription": Match.string_like_regexp("5000 ms")}
    )


@pytest.mark.parametrize(
    ("overrides", "limit"),
    [
        ({"alarm_email": "not-an-address"}, "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"),
        ({"latency_alarm_threshold_ms": 50}, "100 to 900000"),
        ({"latency_alarm_threshold_ms": "fast"}, "integer"),
    ],
)
def test_monitoring_config_errors_name_key_value_and_limit(overrides, limit):
    with pytest.raises(ConfigError) as error:
        load_stage_config(_context(**overrides)[CONTEXT_ROOT], "dev")
    [(key, value)] = overrides.items()
    [problem] = error.value.problems
    assert (problem.key, problem.value) == (f"{CONTEXT_ROOT}.stages.dev.{key}", value)
    assert limit in problem.allowed


def test_stage_outputs_dashboard_and_topic(template):
    assert set(template.to_json()["Outputs"]) == {"DashboardName", "AlarmTopicArn"}


def test_monitoring_stack_has_no_cdk_nag_findings(alarm_email_stage):
    _, assembly = alarm_email_stage
    assert findings(assembly) == []
