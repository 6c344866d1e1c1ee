"""Startup work the first request would otherwise pay for, done once, without network, credentials or sessions.

On platform V2 the process is snapshotted after startup and every session's microVM is restored from it, so
whatever startup leaves undone is paid again by the first request of every restored instance (``agent/lifecycle.py``).
What the first request used to do for the first time, found by diffing ``sys.modules`` around it in-process:

- imports on the request path: ``jwt`` (the caller's bearer), anyio's asyncio backend (the first worker
  thread), the IDNA codec (the first host name); on the OpenAI provider path ``httpx``'s transport and
  ``openai``'s lazily loaded resources and types (several hundred modules);
- the Strands ``Agent`` construction path (its tool registry reads the tools' specs, its tracer is made);
- boto3's S3 customizations (``boto3.s3.inject``), imported by the first S3 client otherwise;
- botocore's loader: the ``bedrock-runtime``, ``s3`` and ``bedrock-agentcore`` service models, their endpoint
  rule sets, the partitions and the retry and default-configuration data, read into the cache of the process's
  shared session (``agent/aws_clients.py``), so the first client built after restore parses no JSON;
- botocore's credential resolver: the chain of providers (environment, files, container, instance metadata)
  built as objects, none of them asked, so the first client after restore only loads credentials through it;
- the TLS context (the CA bundle parsed once, ``agent/model_factory.py``).

Not here, by design: creating an AWS client (botocore resolves credentials in ``create_client``), any
request, any socket, any session. The warm agent has a model that refuses to run, so a mistake here cannot
call a provider.
"""

from __future__ import annotations

import gc
import importlib
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

import botocore.credentials
from strands import Agent
from strands.models.model import Model

from agent.aws_clients import shared_session
from agent.settings import Settings
from agent.tools import TOOLS

logger = logging.getLogger(__name__)

# Imported by the first request otherwise (caller_identity imports jwt lazily to keep it out of /ping's path).
# anyio imports its asyncio backend module by name on the first worker thread (anyio ``_core/_eventloop.py``).
REQUEST_PATH_MODULES = ("jwt", "anyio._backends._asyncio", "encodings.idna")
# botocore data the first client of a service reads, as botocore 1.43 ``client.py`` asks for it
# (``ClientCreator._load_service_model``, ``_load_service_endpoints_ruleset``, ``partitions``, ``_retry`` in legacy
# retry mode), ``session.py`` (``create_default_resolver`` reads ``endpoints``, 0.2 s of JSON) and
# ``configprovider.py`` (``sdk-default-configuration``): per service, then shared.
SERVICE_DATA = ("service-2", "endpoint-rule-set-1")
SHARED_DATA = ("partitions", "endpoints", "sdk-default-configuration", "_retry")
SERVICES = {
    "bedrock": ("bedrock-runtime",),
    "openai": (),
}
STORE_SERVICES = {"s3": ("s3",), "agentcore-memory": ("bedrock-agentcore", "bedrock-agentcore-control")}
# Imported when the store's first client is built otherwise: boto3 1.42 ``session.py``
# ``_register_default_handlers`` hooks ``lazy_call("boto3.s3.inject...")`` on ``creating-client-class.s3``, and
# the module pulls in boto3's and s3transfer's transfer code (~10 ms, compiled from source: no bytecode is shipped).
STORE_MODULES = {"s3": ("boto3.s3.inject",)}


def warm_up(settings: Settings) -> None:
    """Do the first request's one-time work now; logs how long it took."""
    started = time.monotonic()
    for name in REQUEST_PATH_MODULES + STORE_MODULES.get(settings.session_store, ()):
        importlib.import_module(name)
    services = SERVICES[settings.model_provider] + STORE_SERVICES.get(settings.session_store, ())
    if services:
        _warm_botocore_loader(settings, services)
    if settings.model_provider == "openai":
        _warm_openai(settings)
    else:
        importlib.import_module("strands.models.bedrock")
    _warm_agent_construction()
    _freeze_startup_objects()
    logger.info("seconds=<%.2f>, services=<%s> | warmed up", time.monotonic() - started, ",".join(services))


def _warm_botocore_loader(settings: Settings, services: tuple[str, ...]) -> None:
    """Read the services' models and rule sets into the shared session's loader cache (botocore's public API)."""
    loader = shared_session(settings.aws_region).botocore_session.get_component("data_loader")
    for service in services:
        for kind in SERVICE_DATA:
            loader.load_service_model(service, kind, api_version=None)  # the key botocore's client asks with
    for name in SHARED_DATA:
        loader.load_data(name)
    _build_credential_resolver(settings)


def _build_credential_resolver(settings: Settings) -> None:
    """Build the shared session's credential resolver now, as its first client would, and load nothing through it.

    botocore 1.44 ``session.py``: ``credential_provider`` is a lazily registered component whose factory is
    ``credentials.create_credential_resolver(session, region_name=<the first client's region>)``, and
    ``get_credentials`` (called by ``create_client``) is the first to ask for it, then calls its
    ``load_credentials``. Building the chain makes the provider objects only (``create_credential_resolver``;
    the container and instance-metadata fetchers open no connection until asked), ~5 ms of the first client
    otherwise. The region is the one the session's clients resolve (``Session._resolve_region_name``: no
    per-client region is passed, so the session's ``region``), which the resolver uses only for STS.
    """
    session = shared_session(settings.aws_region).botocore_session
    resolver = botocore.credentials.create_credential_resolver(
        session, region_name=session.get_config_variable("region")
    )
    session.register_component("credential_provider", resolver)


def _warm_openai(settings: Settings) -> None:
    """Import what the first OpenAI call imports: the client, its HTTP transport, the chat resources and types."""
    import openai
    import openai.types.chat
    from strands.models.openai import OpenAIModel  # noqa: F401  (imports the provider module)

    from agent.model_factory import shared_tls_context

    # A client object makes no connection until it sends; this one never sends and is closed at once.
    client = openai.AsyncOpenAI(
        api_key="warm-up",
        base_url=settings.openai_base_url,
        http_client=openai.DefaultAsyncHttpxClient(verify=shared_tls_context()),
    )
    client.chat.completions  # noqa: B018  (the resource is imported on first access)
    del client


def _freeze_startup_objects() -> None:
    """Collect once, then exempt everything startup built from later collections (``gc.freeze``).

    Startup leaves a large, permanent heap (service models, endpoint data, imported modules). Left to the
    collector, the first full collection scans all of it, and that collection happens in some early request:
    measured here as ~0.28 s inside the first Bedrock call. ``gc.freeze()`` moves every tracked object to a
    permanent generation the collector ignores (Python ``gc`` module documentation, which names it for a
    parent process whose memory many children share, as every instance restored from one snapshot does); the
    objects stay alive and correct.
    """
    gc.collect()
    gc.freeze()


class _WarmUpModel(Model):
    """A model for the warm agent only: it refuses to run, so warming can never reach a provider."""

    def update_config(self, **model_config: Any) -> None:
        return None

    def get_config(self) -> Any:
        return {}

    def structured_output(self, *args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        raise RuntimeError("the warm-up model does not run")

    def stream(self, *args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        raise RuntimeError("the warm-up model does not run")


def _warm_agent_construction() -> None:
    """Build and drop one agent as a session's agent is built: tool registry, tracer, conversation manager."""
    from agent.app import SYSTEM_PROMPT

    Agent(model=_WarmUpModel(), tools=list(TOOLS), system_prompt=SYSTEM_PROMPT, callback_handler=None)
