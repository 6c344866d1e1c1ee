"""The deployed configuration end to end: Bedrock provider (through botocore) + S3 store (moto), from the template."""

from __future__ import annotations

import json

from local.processes import ServerProcess
from tests.deployed.deployed_agents import AgentStarter
from tests.support.agent_http import ask, invoke, new_session_id, sse_events
from tests.support.deployment import Deployment

ALICE, BOB = "alice-sub", "bob-sub"


def test_agent_environment_is_the_templates_with_the_bucket_resolved(deployment: Deployment) -> None:
    template_env = deployment.stack.runtime_environment(deployment.physical_ids)

    assert {k: template_env[k] for k in ("MODEL_PROVIDER", "SESSION_STORE", "SESSION_BUCKET")} == {
        "MODEL_PROVIDER": "bedrock",
        "SESSION_STORE": "s3",
        "SESSION_BUCKET": deployment.bucket,
    }
    assert template_env["MODEL_ID"] == "global.anthropic.claude-sonnet-4-6"
    assert template_env["SESSION_PREFIX"] == "sessions/"
    assert {k: deployment.agent_env[k] for k in template_env} == template_env


def test_same_session_remembers_through_bedrock_converse_stream(
    deployment: Deployment, deployed_agent: ServerProcess
) -> None:
    session = new_session_id()

    introduced = ask(deployed_agent.base_url, session, "My name is John Doe.", subject=ALICE)
    remembered = ask(deployed_agent.base_url, session, "Do you remember my name?", subject=ALICE)

    assert (introduced, remembered) == ("Nice to meet you, John Doe.", "Your name is John Doe.")
    last = deployment.bedrock.calls[-1]
    assert (last.operation, last.model_id, last.signing_service, last.status) == (
        "ConverseStream",
        deployment.agent_env["MODEL_ID"],
        "bedrock",
        200,
    )
    assert [m["role"] for m in last.messages] == ["user", "assistant", "user"]


def test_new_session_forgets(deployed_agent: ServerProcess) -> None:
    ask(deployed_agent.base_url, new_session_id(), "My name is John Doe.", subject=ALICE)

    assert (
        ask(deployed_agent.base_url, new_session_id(), "Do you remember my name?", subject=ALICE)
        == "I don't know your name."
    )


def test_another_users_session_is_refused(deployed_agent: ServerProcess) -> None:
    session = new_session_id()
    ask(deployed_agent.base_url, session, "My name is John Doe.", subject=ALICE)

    response = invoke(deployed_agent.base_url, session, "Do you remember my name?", subject=BOB)

    assert response.status_code == 403
    assert response.json()["code"] == "session_forbidden"
    assert ask(deployed_agent.base_url, session, "Do you remember my name?", subject=ALICE) == "Your name is John Doe."


def test_weather_tool_round_trip(deployment: Deployment, deployed_agent: ServerProcess) -> None:
    answer = ask(deployed_agent.base_url, new_session_id(), "What is the weather in Paris?", subject=ALICE)

    assert answer == "The weather in Paris is sunny, 22 °C."
    tool_call, tool_result = deployment.bedrock.calls[-2:]
    assert tool_call.messages[-1] == {"role": "user", "content": [{"text": "What is the weather in Paris?"}]}
    [block] = tool_result.messages[-1]["content"]
    assert block["toolResult"]["content"] == [{"text": "The weather in Paris is sunny, 22 °C."}]
    assert tool_result.messages[-2]["content"][0]["toolUse"]["name"] == "get_weather"


def test_streaming_answers_server_sent_events(deployed_agent: ServerProcess) -> None:
    session = new_session_id()

    response = invoke(deployed_agent.base_url, session, "My name is Jane Roe.", subject=ALICE, stream=True)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert "".join(e["text"] for e in events if e["type"] == "delta") == "Nice to meet you, Jane Roe."
    assert (events[-1]["type"], events[-1]["response"], events[-1]["session_id"]) == (
        "done",
        "Nice to meet you, Jane Roe.",
        session,
    )


def test_restart_resumes_from_s3_under_the_templates_prefix(deployment: Deployment, start_agent: AgentStarter) -> None:
    session = new_session_id()
    first = start_agent()
    ask(first.base_url, session, "My name is John Doe.", subject=ALICE)
    first.stop()

    restarted = start_agent()

    assert ask(restarted.base_url, session, "Do you remember my name?", subject=ALICE) == "Your name is John Doe."
    prefix = deployment.agent_env["SESSION_PREFIX"]
    keys = deployment.stored_keys(f"{prefix}actors/{ALICE}/session_{session}/")
    assert f"{prefix}actors/{ALICE}/session_{session}/session.json" in keys
    owner = deployment.s3().get_object(Bucket=deployment.bucket, Key=f"{prefix}owners/{session}.json")["Body"].read()
    assert json.loads(owner) == {"owner": ALICE}
