"""Session store factory: one Strands session manager per (caller, session id), namespaced by caller.

The conversations themselves are persisted by the libraries made for it: Strands' ``FileSessionManager``
and ``S3SessionManager`` (without two round trips it repeats, ``agent/s3_conversations.py``), and AgentCore
Memory's Strands integration. This module only decides where
each caller's data lives, so one caller's store never holds another's turns:

- file: ``<SESSION_DIR>/actors/<actor>/session_<id>/...``
- s3: ``s3://<SESSION_BUCKET>/<SESSION_PREFIX>actors/<actor>/session_<id>/...``
- agentcore-memory: ``actorId=<actor>``, ``sessionId=<id>`` in ``MEMORY_ID``; with long-term memory, the records
  its strategies extract for ``<actor>`` are recalled into each turn (``LONG_TERM_MEMORY_NAMESPACES``)

An id too long for a backend is stored under a fitted name (``agent/store_names.py``). The managers of all
conversations share one set of AWS clients per process (``agent/aws_clients.py``).

Every manager is wrapped in a store boundary: whatever fails inside it (an ``OSError`` of the file store,
a botocore error of S3 or Memory) surfaces as Strands' ``SessionException``, so the error mapping
(``agent/error_mapping.py``) can tell a store failure from a model failure by type, wherever in the turn
Strands happened to call the store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from strands.session.session_manager import SessionManager
from strands.types.exceptions import SessionException

from agent.aws_clients import STRANDS_CLIENT_CONFIG, LazyClient, shared_session
from agent.session_owners import (
    AgentCoreMemoryOwnerRecords,
    FileOwnerRecords,
    MemoryOwnerRecords,
    OwnerRegistry,
    S3OwnerRecords,
)
from agent.settings import Settings
from agent.store_names import FILE_NAME_CHARS, MEMORY_SESSION_ID_CHARS, fitted_name

ManagerT = TypeVar("ManagerT", bound=type)


class SessionManagerFactory(Protocol):
    """Creates the session manager for one caller's session (None = keep nothing)."""

    def __call__(self, *, session_id: str, actor_id: str) -> SessionManager | None: ...


@dataclass(frozen=True, kw_only=True)
class SessionStore:
    """What the server needs from the store ``SESSION_STORE`` selects: session managers and the owner registry.

    Attributes:
        persists: False for ``none``: nothing outlives the process, so an agent's memory is all there is.
        session_manager: creates the Strands session manager of one caller's session.
        owners: who first used each session id.
        clients: the AWS clients the store calls on a new session's first turn, built and warmed right after a
            restore so that turn does not wait for them (``agent/lifecycle.py``).
    """

    persists: bool
    session_manager: SessionManagerFactory
    owners: OwnerRegistry
    clients: tuple[LazyClient, ...] = ()


@contextmanager
def _store_failures(operation: str) -> Iterator[None]:
    try:
        yield
    except SessionException:
        raise
    except Exception as error:
        raise SessionException(f"session store {operation} failed: {type(error).__name__}") from error


def bounded(manager_class: ManagerT) -> ManagerT:
    """``manager_class`` behind the store boundary: every method Strands calls raises only ``SessionException``."""

    class Bounded(manager_class):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            with _store_failures("open"):
                super().__init__(*args, **kwargs)

        def initialize(self, agent: Any, **kwargs: Any) -> None:
            with _store_failures("restore"):
                super().initialize(agent, **kwargs)

        def append_message(self, message: Any, agent: Any, **kwargs: Any) -> None:
            with _store_failures("write"):
                super().append_message(message, agent, **kwargs)

        def redact_latest_message(self, redact_message: Any, agent: Any, **kwargs: Any) -> None:
            with _store_failures("write"):
                super().redact_latest_message(redact_message, agent, **kwargs)

        def sync_agent(self, agent: Any, **kwargs: Any) -> None:
            with _store_failures("write"):
                super().sync_agent(agent, **kwargs)

    Bounded.__name__ = Bounded.__qualname__ = f"Bounded{manager_class.__name__}"
    return Bounded  # type: ignore[return-value]


def build_session_store(settings: Settings) -> SessionStore:
    """Create the store selected by ``SESSION_STORE``."""
    builders = {"file": _file_store, "s3": _s3_store, "agentcore-memory": _memory_store, "none": _no_store}
    return builders[settings.session_store](settings)


def _file_store(settings: Settings) -> SessionStore:
    from strands.session.file_session_manager import FileSessionManager

    class CrashSafeFileSessionManager(FileSessionManager):
        """``FileSessionManager`` whose session creation survives a crash half-way.

        Strands creates ``session_<id>/`` and then writes ``session.json`` into it; killed in between, the
        directory exists without the file, ``read_session`` finds no session and ``create_session`` refuses
        ("already exists") on every later request. Here a directory without ``session.json`` is completed.
        """

        def create_session(self, session: Any, **kwargs: Any) -> Any:
            session_file = os.path.join(self._get_session_path(session.session_id), "session.json")
            if os.path.isdir(os.path.dirname(session_file)) and not os.path.exists(session_file):
                self._write_file(session_file, session.to_dict())
                return session
            return super().create_session(session, **kwargs)

    root, manager_class = settings.session_dir, bounded(CrashSafeFileSessionManager)

    def manager(*, session_id: str, actor_id: str) -> SessionManager:
        name = fitted_name(session_id, max_chars=FILE_NAME_CHARS)
        return manager_class(session_id=name, storage_dir=str(root / "actors" / actor_id))

    return SessionStore(persists=True, session_manager=manager, owners=OwnerRegistry(FileOwnerRecords(root)))


def _s3_store(settings: Settings) -> SessionStore:
    from agent.s3_conversations import LeanS3SessionManager

    bucket, prefix = settings.session_bucket or "", settings.session_prefix
    # One S3 client for the owner records and every conversation (agent/aws_clients.py); each manager keeps
    # its own bucket and prefix, so conversations stay apart exactly as with a client each.
    aws = shared_session(settings.aws_region)
    manager_class = bounded(LeanS3SessionManager)

    # The calls of a turn: the conversation's objects are read (a resumed one) and written.
    key = f"{prefix}actors/warm-up/session.json"
    warm_calls = {"get_object": {"Bucket": bucket, "Key": key}, "put_object": {"Bucket": bucket, "Key": key}}
    client = LazyClient(aws, "s3", config=STRANDS_CLIENT_CONFIG, warm_calls=warm_calls)
    records = S3OwnerRecords(client, bucket, prefix)

    def manager(*, session_id: str, actor_id: str) -> SessionManager:
        return manager_class(
            session_id=session_id,
            bucket=bucket,
            prefix=f"{prefix}actors/{actor_id}/",
            boto_session=aws,
            known_new=records.claimed_new(session_id),
        )

    owners = OwnerRegistry(records)
    return SessionStore(persists=True, session_manager=manager, owners=owners, clients=(client,))


def _memory_store(settings: Settings) -> SessionStore:
    from bedrock_agentcore.memory.integrations.strands.config import AgentCoreMemoryConfig, RetrievalConfig
    from bedrock_agentcore.memory.integrations.strands.session_manager import AgentCoreMemorySessionManager

    memory_id = settings.memory_id or ""
    # Long-term recall (LONG_TERM_MEMORY_NAMESPACES): before each user turn reaches the model, the integration
    # retrieves the caller's records from each namespace (``{actorId}`` filled with this caller's actor, so one
    # caller never recalls another's: the settings require the delimiter after it) and prepends them to the turn
    # as a <user_context> block. No strategy id: the namespaces name none (settings.py says why).
    recall = {namespace: RetrievalConfig() for namespace in settings.recall_namespaces} or None
    # The Memory clients are built once and shared by the owner records and every conversation
    # (agent/aws_clients.py); each manager keeps its own actor and session ids.
    aws = shared_session(settings.aws_region)
    manager_class = bounded(AgentCoreMemorySessionManager)

    def manager(*, session_id: str, actor_id: str) -> SessionManager:
        name = fitted_name(session_id, max_chars=MEMORY_SESSION_ID_CHARS)
        config = AgentCoreMemoryConfig(memory_id=memory_id, session_id=name, actor_id=actor_id, retrieval_config=recall)
        return manager_class(config, region_name=settings.aws_region, boto_session=aws)

    # The calls of a turn (agent/session_owners.py, the Strands integration); models only, no example parameters.
    warm_calls = dict.fromkeys(("create_event", "list_events", "retrieve_memory_records"))
    data_plane = LazyClient(aws, "bedrock-agentcore", config=STRANDS_CLIENT_CONFIG, warm_calls=warm_calls)
    owners = OwnerRegistry(AgentCoreMemoryOwnerRecords(data_plane, memory_id))
    return SessionStore(persists=True, session_manager=manager, owners=owners, clients=(data_plane,))


def _no_store(settings: Settings) -> SessionStore:
    def manager(*, session_id: str, actor_id: str) -> None:
        return None

    return SessionStore(persists=False, session_manager=manager, owners=OwnerRegistry(MemoryOwnerRecords()))
