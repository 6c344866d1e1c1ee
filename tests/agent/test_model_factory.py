"""Model factory: one shared model client per process, per-request OpenAI clients on one TLS context."""

from __future__ import annotations

import asyncio

import openai
from strands.models.bedrock import BedrockModel
from strands.models.openai import OpenAIModel

from agent.model_factory import model_factory_for
from agent.settings import Settings
from local.openai_stub import start_openai_stub


def test_bedrock_factory_shares_one_model_across_agents():
    factory = model_factory_for(
        Settings.from_env({"MODEL_PROVIDER": "bedrock", "AWS_REGION": "eu-west-1", "SESSION_STORE": "none"})
    )
    first, second = factory(), factory()
    assert first is second
    assert isinstance(first, BedrockModel)
    assert first.get_config()["model_id"] == "global.anthropic.claude-sonnet-4-6"


def test_openai_factory_builds_each_request_client_on_the_shared_tls_context():
    settings = Settings.from_env(
        {
            "MODEL_PROVIDER": "openai",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "MODEL_ID": "local-model",
            "SESSION_STORE": "none",
        }
    )
    model = model_factory_for(settings)()
    assert isinstance(model, OpenAIModel)
    first, second = model._resolve_client_args(), model._resolve_client_args()
    assert first["base_url"] == "http://127.0.0.1:9/v1"
    assert first["http_client"] is not second["http_client"]  # a client per request, as Strands needs
    ssl_context = lambda args: args["http_client"]._transport._pool._ssl_context  # noqa: E731
    assert ssl_context(first) is ssl_context(second)
    assert isinstance(first["http_client"], openai.DefaultAsyncHttpxClient)


def test_openai_model_streams_a_reply_through_the_shared_client():
    stub = start_openai_stub(0, "127.0.0.1")
    try:
        settings = Settings.from_env(
            {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": stub.base_url, "MODEL_ID": "stub", "SESSION_STORE": "none"}
        )
        model = model_factory_for(settings)()

        async def collect() -> str:
            text = ""
            async for event in model.stream([{"role": "user", "content": [{"text": "My name is Ada."}]}]):
                text += event.get("contentBlockDelta", {}).get("delta", {}).get("text", "")
            return text

        assert asyncio.run(collect()) == "Nice to meet you, Ada."
    finally:
        stub.stop()
