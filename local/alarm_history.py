"""moto extension: alarm actions that execute, and ``DescribeAlarmHistory`` to read them, served over HTTP.

Why: moto 5.2.5's CloudWatch has no DescribeAlarmHistory handler and its SetAlarmState only changes the state,
so the pipeline's alarm-delivery check (scripts/pipeline_smoke.py ``alarm``) could not run against it. Here
SetAlarmState does what CloudWatch does on a state change: it records a ``StateUpdate`` history item and, when
the alarm's actions are enabled, executes each action of the new state, publishing to the SNS topic in moto's
own SNS backend, and records an ``Action`` item saying whether it succeeded (a topic that does not exist fails).

Shapes follow botocore's cloudwatch 2010-08-01 service model: ``DescribeAlarmHistoryInput`` (AlarmName,
HistoryItemType, StartDate, EndDate, MaxRecords, NextToken, ScanBy; AlarmTypes defaults to metric alarms),
``DescribeAlarmHistoryOutput`` (AlarmHistoryItems, NextToken) and ``AlarmHistoryItem`` (AlarmName, AlarmType,
Timestamp, HistoryItemType, HistorySummary, HistoryData). ``HistoryData`` of an Action item is the JSON CloudWatch
writes: ``actionState`` (``Succeeded``/``Failed``), ``notificationResource`` (the topic), ``stateUpdateTimestamp``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.sns.models import sns_backends

DEFAULT_MAX_RECORDS = 100  # DescribeAlarmHistoryInput.MaxRecords: 1..100
SNS_PREFIX = "arn:aws:sns:"


@dataclass(frozen=True)
class HistoryItem:
    """One AlarmHistoryItem, kept per account and region."""

    alarm_name: str
    timestamp: datetime
    item_type: str
    summary: str
    data: dict[str, Any]

    def to_shape(self) -> dict[str, Any]:
        return {
            "AlarmName": self.alarm_name,
            "AlarmType": "MetricAlarm",
            "Timestamp": self.timestamp,
            "HistoryItemType": self.item_type,
            "HistorySummary": self.summary,
            "HistoryData": json.dumps(self.data),
        }


HISTORY_ATTRIBUTE = "emulated_alarm_history"


def _history(backend: CloudWatchBackend) -> list[HistoryItem]:
    """The backend's history items, kept on the backend so moto's reset (which re-initialises it) clears them."""
    history: list[HistoryItem] = vars(backend).setdefault(HISTORY_ATTRIBUTE, [])
    return history


def _utc(moment: datetime | str) -> datetime:
    """A naive UTC datetime (moto's clock) from a parsed or ISO 8601 request timestamp."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00")) if isinstance(moment, str) else moment
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _millis(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _execute(backend: CloudWatchBackend, alarm: Any, action: str, state_updated: datetime) -> HistoryItem:
    """Publish the alarm's notification to ``action`` (an SNS topic) in moto's SNS; the Action item says how it went."""
    message = {"AlarmName": alarm.name, "NewStateValue": alarm.state_value, "NewStateReason": alarm.state_reason}
    data: dict[str, Any] = {"stateUpdateTimestamp": _millis(state_updated), "notificationResource": action}
    try:
        if not action.startswith(SNS_PREFIX):
            raise ValueError("only SNS actions are emulated")
        account = action.split(":")[4]
        sns_backends[account][backend.region_name].get_topic(action)
        sns_backends[account][backend.region_name].publish(json.dumps(message), arn=action)
    except Exception as e:  # any failure to deliver is recorded, as CloudWatch does
        data.update(actionState="Failed", error=type(e).__name__)
        return HistoryItem(alarm.name, utcnow(), "Action", f"Failed to execute action {action}", data)
    data.update(actionState="Succeeded", publishedMessage=json.dumps(message))
    return HistoryItem(alarm.name, utcnow(), "Action", f"Successfully executed action {action}", data)


def set_alarm_state_with_actions(self: CloudWatchResponse) -> EmptyResult:
    """Replacement for moto's SetAlarmState handler: moto's state change, then history and actions."""
    name = self._get_param("AlarmName")
    backend = self.cloudwatch_backend
    before = backend.alarms[name].state_value if name in backend.alarms else None
    backend.set_alarm_state(
        name, self._get_param("StateReason"), self._get_param("StateReasonData"), self._get_param("StateValue")
    )
    alarm = backend.alarms[name]
    if alarm.state_value == before:
        return EmptyResult()  # no state change: CloudWatch neither records nor acts
    history = _history(backend)
    history.append(
        HistoryItem(
            name,
            alarm.state_updated_timestamp,
            "StateUpdate",
            f"Alarm updated from {before} to {alarm.state_value}",
            {"oldState": {"stateValue": before}, "newState": {"stateValue": alarm.state_value}},
        )
    )
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions}.get(
        alarm.state_value, alarm.insufficient_data_actions
    )
    if alarm.actions_enabled:
        history.extend(_execute(backend, alarm, action, alarm.state_updated_timestamp) for action in actions or [])
    return EmptyResult()


def describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    """DescribeAlarmHistory over the recorded items: filters, order, MaxRecords/NextToken pages."""
    params = self._get_params()
    items = [
        item
        for item in _history(self.cloudwatch_backend)
        if params.get("AlarmName") in (None, item.alarm_name)
        and params.get("HistoryItemType") in (None, item.item_type)
        and (params.get("StartDate") is None or item.timestamp >= _utc(params["StartDate"]))
        and (params.get("EndDate") is None or item.timestamp <= _utc(params["EndDate"]))
    ]
    items.sort(
        key=lambda item: item.timestamp, reverse=params.get("ScanBy", "TimestampDescending") != "TimestampAscending"
    )
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxRecords") or DEFAULT_MAX_RECORDS)
    result: dict[str, Any] = {"AlarmHistoryItems": [item.to_shape() for item in items[start : start + size]]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def install() -> None:
    """Patch moto's CloudWatch handlers (idempotent)."""
    CloudWatchResponse.set_alarm_state = set_alarm_state_with_actions  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]
