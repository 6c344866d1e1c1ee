"""Builds the Strands model named by the settings: Bedrock, or any OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import Callable

from strands.models.model import Model

from agent.settings import Settings

ModelFactory = Callable[[], Model]


def model_factory_for(settings: Settings) -> ModelFactory:
    """Return a factory making one model client per agent.

    One model object per agent keeps per-session agents independent; the clients hold no conversation
    state. The provider module is imported here, at startup, so the first request does not pay for it.
    """
    if settings.model_provider == "openai":
        from strands.models.openai import OpenAIModel

        client_args = {"base_url": settings.openai_base_url, "api_key": settings.openai_api_key}
        return lambda: OpenAIModel(client_args=dict(client_args), model_id=settings.model_id)

    from strands.models.bedrock import BedrockModel

    return lambda: BedrockModel(model_id=settings.model_id, region_name=settings.aws_region)
