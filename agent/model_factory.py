"""Builds the Strands model named by the settings: Bedrock, or any OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import Callable

from strands.models.model import Model

from agent.settings import Settings

ModelFactory = Callable[[], Model]


def build_model(settings: Settings) -> Model:
    """Create a model client for one agent.

    One model object per agent keeps per-session agents independent; the underlying HTTP clients are
    cheap to create and hold no conversation state.
    """
    if settings.model_provider == "openai":
        from strands.models.openai import OpenAIModel

        return OpenAIModel(
            client_args={"base_url": settings.openai_base_url, "api_key": settings.openai_api_key},
            model_id=settings.model_id,
        )
    from strands.models.bedrock import BedrockModel

    return BedrockModel(model_id=settings.model_id, region_name=settings.aws_region)


def model_factory_for(settings: Settings) -> ModelFactory:
    """Bind the settings so callers just ask for a new model."""
    return lambda: build_model(settings)
