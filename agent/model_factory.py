"""Builds the Strands model named by the settings: Bedrock, or any OpenAI-compatible endpoint."""

from __future__ import annotations

import functools
import ssl
import threading
from collections.abc import Callable
from typing import Any

from strands.models.model import Model

from agent.settings import Settings

ModelFactory = Callable[[], Model]


def model_factory_for(settings: Settings) -> ModelFactory:
    """Return a factory that hands every agent the one model client of this process.

    A Strands model holds configuration and an SDK client, never a conversation (that lives on each
    session's ``Agent``), and its clients are safe to share across threads, so sessions stay isolated
    while sharing it. Measured (docs/bench.md): a ``BedrockModel`` per session cost ~180 ms and
    6.5–8.6 MiB of resident memory each; shared, an idle session costs tens of KiB.

    The model is built on the first call, not here: ``BedrockModel`` creates its boto3 client in its
    constructor, and botocore's ``create_client`` resolves credentials then, which on AgentCore means a call
    to the microVM's metadata service. Before a platform V2 snapshot that would put one instance's
    credentials (and their expiry) into every restored instance (``agent/lifecycle.py``). Startup imports the
    provider's modules instead (``agent/warm_up.py``).
    """
    build = functools.partial(_openai_model if settings.model_provider == "openai" else _bedrock_model, settings)
    lock = threading.Lock()
    built: list[Model] = []

    def shared_model() -> Model:
        with lock:
            if not built:
                built.append(build())
            return built[0]

    return shared_model


def model_warm_up(model_factory: ModelFactory, settings: Settings) -> Callable[[], None]:
    """After a restore (``agent/lifecycle.py``): for Bedrock, the shared model's streaming call made ready
    (``agent/aws_clients.py`` ``warm_operations``), which Strands makes unless told not to stream
    (strands-agents 1.62 ``BedrockModel._stream``: ``converse_stream if streaming else converse``)."""

    def warm() -> None:
        from strands.models.bedrock import BedrockModel

        from agent.aws_clients import warm_operations

        model = model_factory()
        if isinstance(model, BedrockModel):
            example = {"modelId": settings.model_id, "messages": [{"role": "user", "content": [{"text": "warm-up"}]}]}
            warm_operations(model.client, {"converse_stream": example})

    return warm


def _bedrock_model(settings: Settings) -> Model:
    from strands.models.bedrock import BedrockModel

    from agent.aws_clients import shared_session

    # The process's shared session: its loader was warmed at startup (agent/warm_up.py).
    return BedrockModel(model_id=settings.model_id, boto_session=shared_session(settings.aws_region))


def _openai_model(settings: Settings) -> Model:
    import openai
    from strands.models.openai import OpenAIModel

    class SharedTlsOpenAIModel(OpenAIModel):
        """Strands' OpenAIModel, with the per-request HTTP client built on one TLS context per process.

        Strands opens a new ``AsyncOpenAI`` client per request (each turn runs on its own event loop, which
        cannot share connections); each new httpx client re-reads the CA bundle into a new SSLContext,
        which profiling showed to be ~40 % of the server's CPU per call, even for an ``http://`` endpoint.
        The client stays per request; only the parsed trust store is reused. Relies on
        ``_resolve_client_args`` of the pinned strands-agents (1.62), exercised by the openai-provider tests.
        """

        def _resolve_client_args(self) -> dict[str, Any]:
            return {
                **super()._resolve_client_args(),
                "http_client": openai.DefaultAsyncHttpxClient(verify=shared_tls_context()),
            }

    client_args = {"base_url": settings.openai_base_url, "api_key": settings.openai_api_key}
    return SharedTlsOpenAIModel(client_args=client_args, model_id=settings.model_id)


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """The process's one trust store (honours SSL_CERT_FILE / SSL_CERT_DIR like httpx's default)."""
    import httpx

    return httpx.create_ssl_context()
