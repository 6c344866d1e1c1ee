"""Experiment (opt-in target ``agent-none-tls``): our agent with one TLS context per process for the model client.

Profiling showed that most of what a Strands agent adds to a model round trip is Strands' OpenAIModel
opening a new ``openai.AsyncOpenAI`` client per request (on purpose: each call runs on a fresh event
loop), and every new httpx client builds a new ``ssl.SSLContext`` from certifi's CA bundle — tens of ms
of CPU and ~50 KiB of allocator growth per call, even for an ``http://`` endpoint. This module serves the
unmodified agent app (``create_app`` with an injected model factory, the public contract) with only that
changed: the per-request client reuses one SSLContext.
It shows what the fix in ``agent/model_factory.py`` would buy; it is never deployed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import openai
from strands.models.openai import OpenAIModel

from agent.app import create_app
from agent.http_server import serve
from agent.observability import disable_sdk
from agent.request_log import configure_logging
from agent.settings import Settings

SHARED_TLS_CONTEXT = httpx.create_ssl_context()


class SharedTlsOpenAIModel(OpenAIModel):
    """A new client per request as Strands wants, but built on a TLS context loaded once."""

    @asynccontextmanager
    async def _get_client(self) -> AsyncIterator[Any]:
        http_client = openai.DefaultAsyncHttpxClient(verify=SHARED_TLS_CONTEXT)
        async with openai.AsyncOpenAI(**self.client_args, http_client=http_client) as client:
            yield client


def main() -> None:
    """``python -m agent`` for the openai provider, with the model factory injected through ``create_app``."""
    settings = Settings.from_env()
    disable_sdk()
    configure_logging(settings.log_level)
    client_args = {"base_url": settings.openai_base_url, "api_key": settings.openai_api_key}
    app = create_app(
        settings, model_factory=lambda: SharedTlsOpenAIModel(client_args=dict(client_args), model_id=settings.model_id)
    )
    serve(app, settings)


if __name__ == "__main__":
    main()
