"""scripts/pipeline_smoke.py, the pipeline's post-deploy check, against AgentCore control and CloudWatch in
moto (server mode), run as the smoke step runs it (``python3 -m scripts.pipeline_smoke`` from the root)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import boto3
import httpx
import pytest

from client.targets import load_outputs_file, target_from_outputs
from scripts import pipeline_smoke as smoke
from tests.support.aws_env import CREDENTIALS
from tests.support.paths import REPO

SCRIPT = [sys.executable, "-m", "scripts.pipeline_smoke"]  # as the smoke step runs it, from the repository root
REGION = "us-east-1"
RUNTIME_MODEL = "bedrock-agentcore-control::agent_runtime"


def _client(own_emulator, name: str):
    """A boto3 client on the module's own moto, with the test credentials."""
    return boto3.client(name, endpoint_url=own_emulator.endpoint_url, region_name=REGION, **CREDENTIALS)


@pytest.fixture
def control(own_emulator):
    return _client(own_emulator, "bedrock-agentcore-control")


def _transition(own_emulator, times: int | None) -> None:
    """Make moto keep a new runtime CREATING for `times` reads (None: back to immediate)."""
    if times is None:
        response = httpx.post(
            f"{own_emulator.endpoint_url}/moto-api/state-manager/unset-transition", json={"model_name": RUNTIME_MODEL}
        )
    else:
        response = httpx.post(
            f"{own_emulator.endpoint_url}/moto-api/state-manager/set-transition",
            json={"model_name": RUNTIME_MODEL, "transition": {"progression": "manual", "times": times}},
        )
    assert response.status_code == 201, response.text


def _create_runtime(control, name: str) -> str:
    """Create a runtime called name and its `live` endpoint; return the runtime's id."""
    runtime_id = control.create_agent_runtime(
        agentRuntimeName=name,
        agentRuntimeArtifact={
            "containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:abc"}
        },
        roleArn="arn:aws:iam::123456789012:role/agent",
        networkConfiguration={"networkMode": "PUBLIC"},
    )["agentRuntimeId"]
    control.create_agent_runtime_endpoint(agentRuntimeId=runtime_id, name="live")
    return runtime_id


@pytest.fixture
def runtime(control, own_emulator):
    """A runtime with a `live` endpoint; yields its id."""
    yield _create_runtime(control, "agentcore_session_dev")
    _transition(own_emulator, None)


def _outputs_env(runtime_id: str) -> dict[str, str]:
    return {
        "OUT_RuntimeArn": f"arn:aws:bedrock-agentcore:{REGION}:123456789012:runtime/{runtime_id}",
        "OUT_RuntimeId": runtime_id,
        "OUT_EndpointName": "live",
        "OUT_AuthorizerType": "jwt",
        "OUT_Region": REGION,
        "OUT_UserPoolId": "us-east-1_abcdefghi",
        "OUT_UserPoolClientId": "client123",
    }


def _run_script(args: list[str], own_emulator, runtime_id: str, **outputs: str) -> subprocess.CompletedProcess[str]:
    """Run the script as the smoke step does, with the stage's outputs (``outputs`` replacing some) and moto's
    endpoint and test credentials."""
    env = {
        **os.environ,
        **_outputs_env(runtime_id),
        **outputs,
        "AWS_ENDPOINT_URL": own_emulator.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    return subprocess.run([*SCRIPT, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)


def test_wait_returns_once_runtime_and_endpoint_are_ready(control, runtime, own_emulator):
    _transition(own_emulator, 3)
    runtime_id = _create_runtime(control, "agentcore_session_slow")
    sleeps: list[float] = []
    statuses = smoke.wait_until_ready(
        control,
        runtime_id=runtime_id,
        endpoint_name="live",
        timeout_seconds=60,
        interval_seconds=5,
        sleep=sleeps.append,
        clock=lambda: 0.0,
    )
    assert statuses == {"runtime": "READY", "endpoint": "READY"}
    assert sleeps == [5, 5]  # two polls saw CREATING, the third READY


def test_wait_fails_with_statuses_when_the_deadline_passes(control, own_emulator):
    _transition(own_emulator, 1000)
    runtime_id = _create_runtime(control, "agentcore_session_stuck")
    now = iter([0.0, 10.0, 20.0, 30.0])
    try:
        with pytest.raises(smoke.SmokeError) as error:
            smoke.wait_until_ready(
                control,
                runtime_id=runtime_id,
                endpoint_name="live",
                timeout_seconds=15,
                interval_seconds=5,
                sleep=lambda _: None,
                clock=lambda: next(now),
            )
    finally:
        _transition(own_emulator, None)
    assert str(error.value) == (
        f"runtime {runtime_id} endpoint live not READY after 15 s: {{'runtime': 'CREATING', 'endpoint': 'READY'}}"
    )


def test_ready_command_exits_zero_against_a_ready_runtime(runtime, own_emulator):
    result = _run_script(["ready", "--stage", "dev", "--interval", "0.1"], own_emulator, runtime)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"runtime {runtime} endpoint live is ready: {{'runtime': 'READY', 'endpoint': 'READY'}}\n"


def test_ready_command_fails_on_an_unknown_endpoint(runtime, own_emulator):
    result = _run_script(["ready", "--stage", "dev"], own_emulator, runtime, OUT_EndpointName="missing")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"smoke check failed: cannot read runtime {runtime} endpoint missing: "
        "An error occurred (ResourceNotFoundException)"
    )
    assert "Traceback" not in result.stderr


def test_write_outputs_produces_the_file_the_client_reads(tmp_path):
    code = smoke.main(["write-outputs", "--stage", "dev", "--directory", str(tmp_path)], environ=_outputs_env("rt-123"))
    assert code == 0
    written = json.loads((tmp_path / "cdk-outputs-dev.json").read_text())
    assert set(written) == {"AgentCoreSession-dev-Runtime", "AgentCoreSession-dev-Identity"}
    target = target_from_outputs(load_outputs_file(tmp_path / "cdk-outputs-dev.json"), name="dev", source="test")
    assert (target.runtime_arn, target.endpoint_name, target.user_pool_id, target.client_id) == (
        f"arn:aws:bedrock-agentcore:{REGION}:123456789012:runtime/rt-123",
        "live",
        "us-east-1_abcdefghi",
        "client123",
    )


# The smoke step installs only the client's lock: run the script with CDK's packages made unimportable.
WITHOUT_CDK = """
import importlib.abc, runpy, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"aws_cdk", "constructs", "cdk_nag", "jsii"}:
            raise ImportError(f"{name} is not installed in the smoke step")
sys.meta_path.insert(0, NotInstalled())
module, sys.argv = sys.argv[1], sys.argv[1:]
runpy.run_module(module, run_name="__main__")
"""


def test_script_runs_where_only_the_client_is_installed(tmp_path):
    """It imports the output keys from stacks/ (stdlib only), never CDK: the smoke step has no aws-cdk-lib."""
    env = {**os.environ, **_outputs_env("rt-123")}
    command = [sys.executable, "-c", WITHOUT_CDK, "scripts.pipeline_smoke", "write-outputs", "--stage", "dev"]
    command += ["--directory", str(tmp_path)]
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"wrote {tmp_path / 'cdk-outputs-dev.json'}\n", "")


def test_client_only_environment_refuses_cdk_imports():
    """Control: the same harness fails a module that imports CDK."""
    command = [sys.executable, "-c", WITHOUT_CDK, "stacks.constructs.stack_outputs"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "ImportError: aws_cdk is not installed in the smoke step"


def test_missing_outputs_are_named(tmp_path, capsys):
    env = _outputs_env("rt-123")
    del env["OUT_UserPoolId"], env["OUT_Region"]
    assert smoke.main(["write-outputs", "--stage", "dev", "--directory", str(tmp_path)], environ=env) == 1
    assert capsys.readouterr().err == (
        "smoke check failed: missing stage outputs: OUT_Region, OUT_UserPoolId "
        "(set by the step's env_from_cfn_outputs)\n"
    )
    assert not (tmp_path / "cdk-outputs-dev.json").exists()


# --- metric: the metric the alarms watch exists, with exactly their dimensions ---

NAMESPACE = "AWS/Bedrock-AgentCore"
RUNTIME_ARN = f"arn:aws:bedrock-agentcore:{REGION}:123456789012:runtime/agentcore_session_dev-AbCdE12345"
WATCHED = {"Name": "agentcore_session_dev::live", "Operation": "InvokeAgentRuntime", "Resource": RUNTIME_ARN}


@pytest.fixture
def cloudwatch(own_emulator):
    yield _client(own_emulator, "cloudwatch")
    httpx.post(f"{own_emulator.endpoint_url}/moto-api/reset")


def _report(cloudwatch, dimensions: dict[str, str], metric_name: str = "Latency") -> None:
    """What AgentCore does after an invocation: a datapoint with these dimensions."""
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": metric_name,
                "Value": 812.0,
                "Unit": "Milliseconds",
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            }
        ],
    )


def _wait(
    cloudwatch,
    *,
    timeout_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None] = lambda _: None,
) -> dict[str, str]:
    """smoke.wait_for_metric for the Latency metric with the alarms' dimensions, polling every 30 s (sleeping
    through ``sleep``, by default not at all)."""
    return smoke.wait_for_metric(
        cloudwatch,
        namespace=NAMESPACE,
        metric_name="Latency",
        dimensions=WATCHED,
        timeout_seconds=timeout_seconds,
        interval_seconds=30,
        sleep=sleep,
        clock=clock,
    )


def test_metric_found_when_reported_with_the_alarms_dimensions(cloudwatch):
    _report(cloudwatch, WATCHED)
    sleeps: list[float] = []
    found = _wait(cloudwatch, timeout_seconds=60, sleep=sleeps.append, clock=lambda: 0.0)
    assert found == WATCHED
    assert sleeps == []


def test_metric_found_after_it_appears_late(cloudwatch):
    """The metric shows up between two polls (ListMetrics may lag up to 15 minutes): one wait, then success."""
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        _report(cloudwatch, WATCHED)

    found = _wait(cloudwatch, timeout_seconds=60, sleep=sleep, clock=lambda: 0.0)
    assert (found, sleeps) == (WATCHED, [30])


def test_metric_on_the_default_endpoint_only_fails_naming_what_exists(cloudwatch):
    """The dimension question itself: AgentCore reporting ::DEFAULT would leave the alarms on a metric that never
    exists."""
    _report(cloudwatch, {**WATCHED, "Name": "agentcore_session_dev::DEFAULT"})
    now = iter([0.0, 0.0, 1300.0])
    with pytest.raises(smoke.SmokeError) as error:
        _wait(cloudwatch, timeout_seconds=1200, clock=lambda: next(now))
    assert str(error.value) == (
        f"no {NAMESPACE} Latency metric with dimensions {WATCHED} after 1200 s (the alarms watch that metric); "
        "Name dimensions reported for Latency: ['agentcore_session_dev::DEFAULT']"
    )


def test_metric_with_extra_dimensions_is_not_the_alarms_metric(cloudwatch):
    """ListMetrics matches supersets of the filter; an alarm matches its exact dimension set only."""
    _report(cloudwatch, {**WATCHED, "SessionId": "s-1"})
    now = iter([0.0, 0.0, 100.0])
    with pytest.raises(smoke.SmokeError) as error:
        _wait(cloudwatch, timeout_seconds=60, clock=lambda: next(now))
    assert str(error.value).endswith("Name dimensions reported for Latency: ['agentcore_session_dev::live']")


def _metric_args(timeout: str) -> list[str]:
    return [
        "metric",
        "--stage",
        "dev",
        "--namespace",
        NAMESPACE,
        "--metric-name",
        "Latency",
        "--dimension",
        f"Name={WATCHED['Name']}",
        "--dimension",
        "Operation=InvokeAgentRuntime",
        "--dimension",
        f"Resource={RUNTIME_ARN}",
        "--timeout",
        timeout,
        "--interval",
        "0",
    ]


def test_metric_command_exits_zero_when_the_metric_exists(cloudwatch, own_emulator):
    _report(cloudwatch, WATCHED)
    result = _run_script(_metric_args("0"), own_emulator, "rt-123")
    assert (result.returncode, result.stdout) == (0, f"metric {NAMESPACE} Latency {WATCHED} exists\n"), result.stderr


def test_metric_command_fails_the_stage_when_the_metric_is_missing(cloudwatch, own_emulator):
    _report(cloudwatch, WATCHED, metric_name="Invocations")
    result = _run_script(_metric_args("0"), own_emulator, "rt-123")
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"smoke check failed: no {NAMESPACE} Latency metric with dimensions {WATCHED} after 0 s "
        "(the alarms watch that metric); Name dimensions reported for Latency: none\n"
    )
    assert "Traceback" not in result.stderr


def test_metric_dimension_argument_must_be_name_equals_value(capsys):
    with pytest.raises(SystemExit) as exit_info:
        smoke.main(
            ["metric", "--stage", "dev", "--namespace", NAMESPACE, "--metric-name", "Latency", "--dimension", "Name"],
            environ=_outputs_env("rt-1"),
        )
    assert exit_info.value.code == 2
    assert (
        "argument --dimension: dimension 'Name' must be NAME=VALUE with both parts non-empty" in capsys.readouterr().err
    )


# --- alarm: a notification is delivered ------------------------------------------------------------------

ALARM = "AgentCoreSession-dev-Monitoring-Latency"


@pytest.fixture
def alarm_topic(cloudwatch, own_emulator) -> tuple[str, str]:
    """The stage's alarm topic with a queue subscribed (what the topic delivers lands there); (topic, queue URL)."""
    sns, sqs = _client(own_emulator, "sns"), _client(own_emulator, "sqs")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="alarm-mail")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return topic, queue


def _put_alarm(cloudwatch, topic: str, *, actions_enabled: bool = True) -> None:
    """The stage's latency alarm as the Monitoring stack defines it: ALARM and OK notify the topic."""
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM,
        Namespace=NAMESPACE,
        MetricName="Latency",
        Dimensions=[{"Name": k, "Value": v} for k, v in WATCHED.items()],
        Statistic="Average",
        Period=300,
        EvaluationPeriods=3,
        Threshold=30000,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
        OKActions=[topic],
        ActionsEnabled=actions_enabled,
    )


def _alarm_args(timeout: str = "0") -> list[str]:
    return ["alarm", "--stage", "dev", "--alarm-name", ALARM, "--timeout", timeout, "--interval", "0"]


def _delivered(own_emulator, queue: str) -> list[str]:
    messages = _client(own_emulator, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    return [json.loads(m["Body"])["NewStateValue"] for m in messages.get("Messages", [])]


def test_alarm_command_proves_the_notification_and_sets_the_alarm_back(cloudwatch, own_emulator, alarm_topic):
    topic, queue = alarm_topic
    _put_alarm(cloudwatch, topic)
    result = _run_script(_alarm_args(), own_emulator, "rt-123")
    assert (result.returncode, result.stdout) == (
        0,
        f"alarm {ALARM} notified: Successfully executed action {topic}\n",
    ), result.stderr
    assert cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["StateValue"] == "OK"
    assert sorted(_delivered(own_emulator, queue)) == ["ALARM", "OK"]


def test_alarm_history_is_served_in_botocores_shapes(cloudwatch, own_emulator, alarm_topic):
    """DescribeAlarmHistory (DescribeAlarmHistoryOutput of AlarmHistoryItem) over HTTP: filters and order."""
    topic, _ = alarm_topic
    _put_alarm(cloudwatch, topic)
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="same state: nothing happens")
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="test")
    items = cloudwatch.describe_alarm_history(AlarmName=ALARM, HistoryItemType="Action")["AlarmHistoryItems"]
    assert [(i["AlarmType"], i["HistoryItemType"], i["HistorySummary"]) for i in items] == [
        ("MetricAlarm", "Action", f"Successfully executed action {topic}"),
        ("MetricAlarm", "Action", f"Successfully executed action {topic}"),
    ]
    assert items[0]["Timestamp"] >= items[1]["Timestamp"]
    assert json.loads(items[0]["HistoryData"])["actionState"] == "Succeeded"
    states = cloudwatch.describe_alarm_history(AlarmName=ALARM, HistoryItemType="StateUpdate", MaxRecords=1)
    assert [i["HistorySummary"] for i in states["AlarmHistoryItems"]] == ["Alarm updated from ALARM to OK"]
    assert "NextToken" in states


def test_alarm_command_fails_when_the_action_never_executes(cloudwatch, own_emulator, alarm_topic):
    """Actions disabled: the state changes, nothing is sent; the step fails and leaves the alarm OK."""
    topic, queue = alarm_topic
    _put_alarm(cloudwatch, topic, actions_enabled=False)
    result = _run_script(_alarm_args(), own_emulator, "rt-123")
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"smoke check failed: alarm {ALARM}: no action executed 0 s after it was set to ALARM "
        "(actions disabled, or the alarm was in ALARM already?)\n"
    )
    assert cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["StateValue"] == "OK"
    assert _delivered(own_emulator, queue) == []


def test_alarm_command_fails_when_the_topic_cannot_be_published_to(cloudwatch, own_emulator, alarm_topic):
    topic, _ = alarm_topic
    _put_alarm(cloudwatch, topic)
    _client(own_emulator, "sns").delete_topic(TopicArn=topic)
    result = _run_script(_alarm_args("30"), own_emulator, "rt-123")
    assert result.returncode == 1
    assert result.stderr.endswith(f"smoke check failed: alarm {ALARM}: Failed to execute action {topic}\n")
    assert "Traceback" not in result.stderr


def test_alarm_command_counts_only_actions_after_its_own_state_change(cloudwatch, own_emulator, alarm_topic):
    """An earlier notification does not count: with actions disabled now, the old one is ignored."""
    topic, _ = alarm_topic
    _put_alarm(cloudwatch, topic)
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="earlier")
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="earlier")
    cloudwatch.disable_alarm_actions(AlarmNames=[ALARM])
    result = _run_script(_alarm_args(), own_emulator, "rt-123")
    assert result.returncode == 1, result.stdout


def test_alarm_command_succeeds_after_earlier_notifications(cloudwatch, own_emulator, alarm_topic):
    """The baseline is the newest earlier action; the step's own, right after it, still counts."""
    topic, _ = alarm_topic
    _put_alarm(cloudwatch, topic)
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="earlier")
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="earlier")
    result = _run_script(_alarm_args(), own_emulator, "rt-123")
    assert result.returncode == 0, result.stderr
