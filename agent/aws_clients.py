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
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

logger = logging.getLogger(__name__)

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


@functools.cache
def shared_session(region_name: str | None) -> SharedClientSession:
    """The process's one session per region: the stores and the Bedrock model share its clients and its loader.

    Creating it fetches nothing: a boto3 session resolves credentials when its first client is built.
    """
    return SharedClientSession(region_name=region_name)


class LazyClient:
    """Stands for ``session.client(service_name, **options)`` and builds that client on first use.

    botocore's ``create_client`` resolves credentials, which on AgentCore calls the microVM's metadata service.
    Objects made at startup (the owner records) hold this instead of a client, so no client, credential or
    socket exists before a platform V2 snapshot (``agent/lifecycle.py``); the session hands out the same
    client on every use afterwards.
    """

    def __init__(self, session: SharedClientSession, service_name: str, **options: Any) -> None:
        self._session = session
        self._service_name = service_name
        self._options = options

    def build(self) -> Any:
        """The client (built now if no one has asked for it yet); after a restore, ``agent/lifecycle.py``."""
        return self._session.client(self._service_name, **self._options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.build(), name)
