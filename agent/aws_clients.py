"""One boto3 client per service and configuration for the whole process, shared by every session's store.

Strands' ``S3SessionManager`` and AgentCore Memory's ``AgentCoreMemorySessionManager`` are created once per
conversation, and each builds its clients from the ``boto_session`` it is given, or from a new
``boto3.Session`` when none is. A new session starts with an empty loader cache, so every conversation parsed
botocore's endpoint rules and the service model again: 12.6 MiB and ~0.4 s of CPU per conversation with the S3
store (docs/bench.md, finding 8). Both managers accept ``boto_session`` and use it only to call
``client(...)`` (strands-agents 1.62 ``strands/session/s3_session_manager.py``, ``S3SessionManager.__init__``:
``session = boto_session or boto3.Session(region_name=region_name)`` and ``self.client =
session.client(service_name="s3", config=client_config, endpoint_url=endpoint_url)``; bedrock-agentcore 1.25
``memory/integrations/strands/session_manager.py``, ``AgentCoreMemorySessionManager.__init__``, and
``memory/client.py``, ``MemoryClient.__init__``: ``session.client("bedrock-agentcore", region_name=...,
config=...)`` and the same for ``bedrock-agentcore-control``). Handing every manager one
:class:`SharedClientSession` therefore gives all conversations the same clients.

Sharing is safe where sharing a session is not: boto3 clients are thread-safe, sessions are not (boto3 user
guide, "Multithreading or multiprocessing with clients"). This session builds each client once, under a lock,
and afterwards only hands it out. A client holds no conversation: every call names its bucket and key (or
memory, actor and session), and the managers keep those per conversation, so isolation is unchanged.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
import threading
from collections.abc import Mapping
from typing import Any

import boto3
import botocore.session
import botocore.utils
from botocore.config import Config

logger = logging.getLogger(__name__)

# botocore sends ``Expect: 100-continue`` with every S3 request body ("Any file like object will use an expect
# 100-continue header regardless of size", ``botocore/handlers.py`` ``add_expect_header``), so every PUT waits a
# round trip for S3's "100 Continue" before it sends its body. That pays off for large uploads only: the AWS SDK
# for Kotlin sends the header from 2 MB up (S3 client config ``continueHeaderThresholdBytes``: "Defaults to 2
# megabytes"). Conversation records and owner records are a few KiB, so they go out in one round trip.
EXPECT_CONTINUE_MIN_BYTES = 2 * 1024 * 1024

# What the session managers ask for themselves (both add "strands-agents" to the user agent): code of this
# package that calls the same service with this config gets the managers' client instead of a second one.
STRANDS_CLIENT_CONFIG = Config(user_agent_extra="strands-agents")
_CLIENT_PARAMETERS = inspect.signature(boto3.Session.client)

ClientKey = tuple[tuple[str, str], ...]


class SharedClientSession(boto3.Session):
    """A ``boto3.Session`` whose ``client(...)`` builds one client per distinct set of arguments and reuses it.

    Arguments that differ in anything (service, region, endpoint, credentials, any ``Config`` option) get
    clients of their own; equal arguments always get the same client.
    """

    def __init__(self, *, region_name: str | None = None) -> None:
        # Our own botocore session, so startup can warm its loader through public API (agent/warm_up.py).
        self.botocore_session = botocore.session.get_session()
        super().__init__(region_name=region_name, botocore_session=self.botocore_session)
        self._clients: dict[ClientKey, Any] = {}
        self._clients_lock = threading.Lock()

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """The client ``boto3.Session.client(*args, **kwargs)`` would build, built once per distinct arguments."""
        bound = _CLIENT_PARAMETERS.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = {name: value for name, value in bound.arguments.items() if name != "self"}
        key = self._key(arguments)
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                # botocore fills in a config's retry options in place; a copy keeps the caller's config (and
                # so the key of its next call) as it was.
                client = super().client(**{**arguments, "config": copy.deepcopy(arguments["config"])})
                if arguments["service_name"] == "s3":
                    # After botocore's own ``before-call.s3`` handler, which adds the header.
                    client.meta.events.register_last("before-call.s3", send_small_bodies_at_once)
                self._clients[key] = client
                logger.debug("service=<%s>, clients=<%d> | built a shared aws client", key[0][1], len(self._clients))
        return client

    def _key(self, arguments: dict[str, Any]) -> ClientKey:
        """Every argument, a config by its options, and the region resolved as botocore resolves it.

        botocore ``session.py`` ``Session._resolve_region_name``: the ``region_name`` argument, else the
        config's ``region_name``, else the session's region.
        """
        config = arguments["config"]
        region = arguments["region_name"]
        if region is None:
            region = config.region_name if config is not None and config.region_name is not None else self.region_name
        options = sorted(vars(config).items()) if config is not None else []
        others = sorted(
            (name, value) for name, value in arguments.items() if name not in ("service_name", "region_name", "config")
        )
        return (
            ("service_name", str(arguments["service_name"])),
            ("resolved_region", repr(region)),
            *((name, repr(value)) for name, value in others),
            *((f"config.{name}", repr(value)) for name, value in options),
        )


def send_small_bodies_at_once(params: dict[str, Any], **_: Any) -> None:
    """A ``before-call.s3`` handler: no ``Expect: 100-continue`` below :data:`EXPECT_CONTINUE_MIN_BYTES`."""
    body = params.get("body")
    size = None if body is None else botocore.utils.determine_content_length(body)
    if size is not None and size < EXPECT_CONTINUE_MIN_BYTES:
        params["headers"].pop("Expect", None)


@functools.cache
def shared_session(region_name: str | None) -> SharedClientSession:
    """The process's one session per region: the stores and the Bedrock model share its clients and its loader.

    Creating it fetches nothing: a boto3 session resolves credentials when its first client is built.
    """
    return SharedClientSession(region_name=region_name)


def warm_operations(client: Any, calls: Mapping[str, Mapping[str, Any] | None]) -> None:
    """Do the per-client work botocore defers to each operation's first call, without sending anything.

    A new client parses its operations' shapes, its error-code table and its endpoint rules on first use, and
    caches them on itself (``botocore/model.py``: ``OperationModel``'s cached properties, ``ServiceModel.error_shapes``;
    ``botocore/regions.py``: the endpoint resolver's cache). Clients exist only after a restore, so without this
    a restored instance's first turn pays it. ``calls`` maps client method names to example parameters: with
    parameters, a presigned URL is made for the call (validation, serialization and endpoint resolution, signed
    with the instance's credentials, nothing sent); without, only the models are parsed.
    """
    model = client.meta.service_model
    model.error_shapes  # noqa: B018 - the table each error response is matched against
    client.exceptions  # noqa: B018 - the modeled exception classes, built on first access
    for method, params in calls.items():
        operation = model.operation_model(client.meta.method_to_api_mapping[method])
        for shape in (operation.input_shape, operation.output_shape):
            if shape is not None:
                shape.members  # noqa: B018
        operation.has_event_stream_output  # noqa: B018 - read by every call to choose its response parser
        operation.has_streaming_output  # noqa: B018
        operation.has_streaming_input  # noqa: B018
        operation.idempotent_members  # noqa: B018
        if params is not None:
            client.generate_presigned_url(method, Params=dict(params))


class LazyClient:
    """Stands for ``session.client(service_name, **options)`` and builds that client on first use.

    botocore's ``create_client`` resolves credentials, which on AgentCore calls the microVM's metadata service.
    Objects made at startup (the owner records) hold this instead of a client, so no client, credential or
    socket exists before a platform V2 snapshot (``agent/lifecycle.py``); the session hands out the same
    client on every use afterwards.
    """

    def __init__(
        self,
        session: SharedClientSession,
        service_name: str,
        *,
        warm_calls: Mapping[str, Mapping[str, Any] | None] | None = None,
        **options: Any,
    ) -> None:
        """``warm_calls``: the calls the first turn makes with this client, for :meth:`warm`."""
        self._session = session
        self._service_name = service_name
        self._warm_calls = warm_calls or {}
        self._options = options

    def build(self) -> Any:
        """The client (built now if no one has asked for it yet)."""
        return self._session.client(self._service_name, **self._options)

    def warm(self) -> None:
        """After a restore (``agent/lifecycle.py``): the client, and its first calls' one-time work."""
        warm_operations(self.build(), self._warm_calls)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.build(), name)
