"""The long-term memory stand-in (local/memory_records.py) through boto3 over HTTP: extraction, retrieval, deletion."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import boto3
import pytest
from botocore.exceptions import ClientError

from local.aws_emulator import Emulator, start_emulator
from local.memory_records import extraction_held, wait_for_extraction
from tests.support.aws_env import CREDENTIALS, REGION
from tests.support.polling import poll_until

FACTS, PREFERENCES = "/facts/{actorId}/", "/preferences/{actorId}/"
MISSING_RECORD = "mem-" + "0" * 36


@pytest.fixture(scope="module")
def aws_emulator() -> Iterator[Emulator]:
    running = start_emulator()
    yield running
    running.stop()


def client(service: str, emulator: Emulator) -> Any:
    return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)


@pytest.fixture(scope="module")
def data_plane(aws_emulator: Emulator) -> Any:
    return client("bedrock-agentcore", aws_emulator)


@pytest.fixture
def memory_id(aws_emulator: Emulator) -> str:
    """A fresh memory with the stack's two strategies (one per test: records never carry over)."""
    control = client("bedrock-agentcore-control", aws_emulator)
    strategies = [
        {"semanticMemoryStrategy": {"name": "facts", "namespaces": [FACTS]}},
        {"userPreferenceMemoryStrategy": {"name": "preferences", "namespaces": [PREFERENCES]}},
        {"summaryMemoryStrategy": {"name": "summaries", "namespaces": ["/summaries/{actorId}/{sessionId}/"]}},
    ]
    name = f"records_{uuid.uuid4().hex[:8]}"
    memory = control.create_memory(name=name, eventExpiryDuration=30, memoryStrategies=strategies)["memory"]
    return str(memory["id"])


def say(
    data_plane: Any, memory_id: str, actor: str, text: str, *, session: str = "session-1", role: str = "USER"
) -> str:
    """One conversational event; its id."""
    event = data_plane.create_event(
        memoryId=memory_id,
        actorId=actor,
        sessionId=session,
        eventTimestamp=datetime.now(UTC),
        payload=[{"conversational": {"content": {"text": text}, "role": role}}],
    )["event"]
    return str(event["eventId"])


def texts(data_plane: Any, memory_id: str, **namespace: str) -> list[str]:
    records = data_plane.list_memory_records(memoryId=memory_id, **namespace)["memoryRecordSummaries"]
    return [r["content"]["text"] for r in records]


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_extraction_runs_after_create_event_and_is_pending_until_then(data_plane: Any, memory_id: str) -> None:
    with extraction_held():
        event_id = say(data_plane, memory_id, "bob", "My name is Bob. I prefer green tea.")
        jobs = data_plane.list_memory_extraction_jobs(memoryId=memory_id)["jobs"]
        assert texts(data_plane, memory_id, namespacePath="/") == []

    assert [(j["actorId"], j["sessionId"], j["messages"]["messagesList"]) for j in jobs] == [
        ("bob", "session-1", [{"eventId": event_id, "messageIndex": 0}])
    ] * 2  # one job per extracting strategy; the summary strategy extracts nothing here
    assert "status" not in jobs[0]
    records = poll_until(lambda: texts(data_plane, memory_id, namespacePath="/"), lambda found: len(found) == 2)
    assert sorted(records) == ["The user prefers green tea.", "The user's name is Bob."]
    assert data_plane.list_memory_extraction_jobs(memoryId=memory_id)["jobs"] == []


def test_records_land_in_each_strategys_namespace_for_the_actor(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "My name is Bob. I like jazz.")
    assert wait_for_extraction()

    assert texts(data_plane, memory_id, namespace="/facts/bob/") == ["The user's name is Bob."]
    assert texts(data_plane, memory_id, namespace="/preferences/bob/") == ["The user prefers jazz."]


def test_assistant_turns_are_not_extracted(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "Nice to meet you. My name is Claude.", role="ASSISTANT")
    assert wait_for_extraction()

    assert texts(data_plane, memory_id, namespacePath="/") == []


def test_strands_messages_stored_as_json_are_read(data_plane: Any, memory_id: str) -> None:
    """Strands' AgentCore integration stores each message as JSON text (bedrock_converter.message_to_payload)."""
    stored = '{"message": {"role": "user", "content": [{"text": "My name is John Doe."}]}, "message_id": 0}'
    say(data_plane, memory_id, "bob", stored)
    assert wait_for_extraction()

    assert texts(data_plane, memory_id, namespace="/facts/bob/") == ["The user's name is John Doe."]


def test_a_path_prefix_ending_in_the_delimiter_keeps_bob_from_bob_x(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "My name is Bob.")
    say(data_plane, memory_id, "bob-x", "My name is Mallory.")
    assert wait_for_extraction()

    assert texts(data_plane, memory_id, namespacePath="/facts/bob/") == ["The user's name is Bob."]
    # Control: without the delimiter the prefix matches both actors, which is why every namespace ends in "/".
    assert sorted(texts(data_plane, memory_id, namespacePath="/facts/bob")) == [
        "The user's name is Bob.",
        "The user's name is Mallory.",
    ]


def test_retrieval_ranks_by_relevance_and_keeps_top_k(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "I like jazz. My name is Bob.")
    assert wait_for_extraction()

    ranked = data_plane.retrieve_memory_records(
        memoryId=memory_id, namespacePath="/", searchCriteria={"searchQuery": "What is my name?", "topK": 2}
    )["memoryRecordSummaries"]
    top = data_plane.retrieve_memory_records(
        memoryId=memory_id, namespacePath="/", searchCriteria={"searchQuery": "What is my name?", "topK": 1}
    )["memoryRecordSummaries"]

    assert [(r["content"]["text"], r["score"]) for r in ranked] == [
        ("The user's name is Bob.", 1.0),
        ("The user prefers jazz.", 0.0),
    ]
    assert [r["content"]["text"] for r in top] == ["The user's name is Bob."]


def test_a_newer_name_replaces_the_older_record(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "My name is Bob.")
    say(data_plane, memory_id, "bob", "My name is Robert.", session="session-2")
    say(data_plane, memory_id, "bob", "I like jazz.")
    say(data_plane, memory_id, "bob", "I like jazz.")
    assert wait_for_extraction()

    assert texts(data_plane, memory_id, namespace="/facts/bob/") == ["The user's name is Robert."]
    assert texts(data_plane, memory_id, namespace="/preferences/bob/") == ["The user prefers jazz."]


def test_an_event_deleted_before_extraction_is_still_extracted(data_plane: Any, memory_id: str) -> None:
    """What an erasure must expect: the job took the event's text at CreateEvent, so re-list records afterwards."""
    with extraction_held():
        event_id = say(data_plane, memory_id, "bob", "My name is Bob.")
        data_plane.delete_event(memoryId=memory_id, actorId="bob", sessionId="session-1", eventId=event_id)
    assert wait_for_extraction()

    assert texts(data_plane, memory_id, namespace="/facts/bob/") == ["The user's name is Bob."]


def test_get_delete_and_batch_delete(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "My name is Bob. I like jazz.")
    assert wait_for_extraction()
    fact, preference = (
        data_plane.list_memory_records(memoryId=memory_id, namespace=ns)["memoryRecordSummaries"][0]["memoryRecordId"]
        for ns in ("/facts/bob/", "/preferences/bob/")
    )

    record = data_plane.get_memory_record(memoryId=memory_id, memoryRecordId=fact)["memoryRecord"]
    assert (record["content"], record["namespaces"]) == ({"text": "The user's name is Bob."}, ["/facts/bob/"])
    assert data_plane.delete_memory_record(memoryId=memory_id, memoryRecordId=fact)["memoryRecordId"] == fact
    batch = data_plane.batch_delete_memory_records(
        memoryId=memory_id, records=[{"memoryRecordId": preference}, {"memoryRecordId": fact}]
    )
    assert batch["successfulRecords"] == [{"memoryRecordId": preference, "status": "SUCCEEDED"}]
    assert batch["failedRecords"] == [
        {"memoryRecordId": fact, "status": "FAILED", "errorCode": 404, "errorMessage": "Not found"}
    ]
    assert texts(data_plane, memory_id, namespacePath="/") == []


def test_a_record_outside_the_given_namespace_is_not_found(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "My name is Bob.")
    assert wait_for_extraction()
    fact = data_plane.list_memory_records(memoryId=memory_id, namespace="/facts/bob/")["memoryRecordSummaries"][0]

    code, _ = error_of(
        data_plane.delete_memory_record,
        memoryId=memory_id,
        memoryRecordId=fact["memoryRecordId"],
        namespace="/facts/bob-x/",
    )
    assert code == "ResourceNotFoundException"
    assert texts(data_plane, memory_id, namespace="/facts/bob/") == ["The user's name is Bob."]


def test_pages_follow_next_token(data_plane: Any, memory_id: str) -> None:
    for actor in ("a1", "a2", "a3"):
        say(data_plane, memory_id, actor, f"My name is {actor}.")
    assert wait_for_extraction()

    first = data_plane.list_memory_records(memoryId=memory_id, namespacePath="/facts/", maxResults=2)
    rest = data_plane.list_memory_records(
        memoryId=memory_id, namespacePath="/facts/", maxResults=2, nextToken=first["nextToken"]
    )
    paginated = data_plane.get_paginator("list_memory_records").paginate(
        memoryId=memory_id, namespacePath="/facts/", PaginationConfig={"PageSize": 1}
    )

    assert len(first["memoryRecordSummaries"]) == 2 and "nextToken" not in rest
    every = [r["content"]["text"] for page in paginated for r in page["memoryRecordSummaries"]]
    assert sorted(every) == [f"The user's name is {a}." for a in ("a1", "a2", "a3")]


def test_sessions_and_actors_come_from_the_stored_events(data_plane: Any, memory_id: str) -> None:
    say(data_plane, memory_id, "bob", "hello", session="session-1")
    event_id = say(data_plane, memory_id, "bob", "hello", session="session-2")
    say(data_plane, memory_id, "bob-x", "hello", session="session-3")
    data_plane.delete_event(memoryId=memory_id, actorId="bob", sessionId="session-2", eventId=event_id)

    every = data_plane.list_sessions(memoryId=memory_id, actorId="bob")["sessionSummaries"]
    with_events = data_plane.list_sessions(memoryId=memory_id, actorId="bob", filter={"eventFilter": "HAS_EVENTS"})

    assert sorted(s["sessionId"] for s in every) == ["session-1", "session-2"]
    assert [s["sessionId"] for s in with_events["sessionSummaries"]] == ["session-1"]
    assert data_plane.list_actors(memoryId=memory_id)["actorSummaries"] == [{"actorId": "bob"}, {"actorId": "bob-x"}]


@pytest.mark.parametrize(
    ("operation", "kwargs", "expected"),
    [
        ("list_memory_records", {}, ("ValidationException", "Either namespace or namespacePath is required")),
        (
            "list_memory_records",
            {"namespace": "/facts/bob/", "namespacePath": "/facts/"},
            ("ValidationException", "Either namespace or namespacePath is required"),
        ),
        (
            "retrieve_memory_records",
            {"namespace": "/facts/bob/", "searchCriteria": {"searchQuery": "name", "topK": 101}},
            ("ValidationException", "searchCriteria.topK is 101 but must be between 1 and 100"),
        ),
        (
            "list_memory_records",
            {"namespace": "/facts/bob/", "nextToken": "not-ours"},
            ("ValidationException", "nextToken is 'not-ours', which this memory did not issue"),
        ),
        (
            "get_memory_record",
            {"memoryRecordId": MISSING_RECORD},
            ("ResourceNotFoundException", f"Memory record {MISSING_RECORD} not found"),
        ),
        (
            "delete_memory_record",
            {"memoryRecordId": MISSING_RECORD},
            ("ResourceNotFoundException", f"Memory record {MISSING_RECORD} not found"),
        ),
    ],
)
def test_bad_requests_fail_as_aws_answers_them(
    data_plane: Any, memory_id: str, operation: str, kwargs: dict[str, Any], expected: tuple[str, str]
) -> None:
    code, message = error_of(getattr(data_plane, operation), memoryId=memory_id, **kwargs)

    assert (code, message.split(", and not both")[0]) == expected


def test_validation_errors_carry_the_reason_the_model_requires(data_plane: Any, memory_id: str) -> None:
    with pytest.raises(ClientError) as raised:
        data_plane.list_memory_records(memoryId=memory_id)

    assert cast(dict[str, Any], raised.value.response)["reason"] == "FieldValidationFailed"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_unknown_memory_is_not_found(data_plane: Any) -> None:
    code, message = error_of(data_plane.list_memory_records, memoryId="mnotcreated-0123456789", namespace="/a/")

    assert (code, message) == ("ResourceNotFoundException", "Memory mnotcreated-0123456789 not found")
