"""Model factory: one shared model client per process, per-request OpenAI clients on one TLS context."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

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


def test_openai_requests_parse_no_trust_store_of_their_own(monkeypatch):
    """Strands builds an OpenAI client per request; ours are built on the process's one TLS context, so a
    request reads no CA bundle (profiling showed that parse as ~40 % of a call's CPU)."""
    stub = start_openai_stub(0, "127.0.0.1")
    try:
        model = model_factory_for(_openai_settings(stub.base_url))()
        assert isinstance(model, OpenAIModel)
        first = asyncio.run(_reply(model, "Ada"))  # the shared context may be made here
        loads: list[object] = []
        load_verify_locations = ssl.SSLContext.load_verify_locations

        def counted(context: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
            loads.append(args or kwargs)
            load_verify_locations(context, *args, **kwargs)

        monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
        later = [asyncio.run(_reply(model, name)) for name in ("Grace", "Linus")]
    finally:
        stub.stop()

    assert [first, *later] == ["Nice to meet you, Ada.", "Nice to meet you, Grace.", "Nice to meet you, Linus."]
    assert loads == []


def _openai_settings(base_url: str) -> Settings:
    return Settings.from_env(
        {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": base_url, "MODEL_ID": "stub", "SESSION_STORE": "none"}
    )


async def _reply(model: OpenAIModel, name: str) -> str:
    text = ""
    async for event in model.stream([{"role": "user", "content": [{"text": f"My name is {name}."}]}]):
        text += event.get("contentBlockDelta", {}).get("delta", {}).get("text", "")
    return text
