"""Session store factory: one Strands session manager per (caller, session id), namespaced by caller.

The conversations themselves are persisted by the libraries made for it: Strands' ``FileSessionManager``
and ``S3SessionManager``, and AgentCore Memory's Strands integration. This module only decides where
each caller's data lives, so one caller's store never holds another's turns:

- file: ``<SESSION_DIR>/actors/<actor>/session_<id>/...``
- s3: ``s3://<SESSION_BUCKET>/<SESSION_PREFIX>actors/<actor>/session_<id>/...``
- agentcore-memory: ``actorId=<actor>``, ``sessionId=<id>`` in ``MEMORY_ID``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import boto3
from strands.session.session_manager import SessionManager

from agent.session_owners import (
    AgentCoreMemoryOwnerRecords,
    FileOwnerRecords,
    MemoryOwnerRecords,
    OwnerRegistry,
    S3OwnerRecords,
)
from agent.settings import Settings


class SessionManagerFactory(Protocol):
    """Creates the session manager for one caller's session (None = keep nothing)."""

    def __call__(self, *, session_id: str, actor_id: str) -> SessionManager | None: ...


@dataclass(frozen=True)
class SessionStore:
    """What the server needs from a store: session managers and the owner registry."""

    kind: str
    session_manager: SessionManagerFactory
    owners: OwnerRegistry


def build_session_store(settings: Settings) -> SessionStore:
    """Create the store selected by ``SESSION_STORE``."""
    builders = {"file": _file_store, "s3": _s3_store, "agentcore-memory": _memory_store, "none": _no_store}
    return builders[settings.session_store](settings)


def _file_store(settings: Settings) -> SessionStore:
    from strands.session.file_session_manager import FileSessionManager

    root = settings.session_dir

    def manager(*, session_id: str, actor_id: str) -> SessionManager:
        return FileSessionManager(session_id=session_id, storage_dir=str(root / "actors" / actor_id))

    return SessionStore(kind="file", session_manager=manager, owners=OwnerRegistry(FileOwnerRecords(root)))


def _s3_store(settings: Settings) -> SessionStore:
    from strands.session.s3_session_manager import S3SessionManager

    bucket, prefix, region = settings.session_bucket or "", settings.session_prefix, settings.aws_region
    # Managers build their own boto3 session: sessions are not thread-safe and agents are created concurrently.

    def manager(*, session_id: str, actor_id: str) -> SessionManager:
        return S3SessionManager(
            session_id=session_id, bucket=bucket, prefix=f"{prefix}actors/{actor_id}/", region_name=region
        )

    owners = OwnerRegistry(S3OwnerRecords(boto3.client("s3", region_name=region), bucket, prefix))
    return SessionStore(kind="s3", session_manager=manager, owners=owners)


def _memory_store(settings: Settings) -> SessionStore:
    from bedrock_agentcore.memory.integrations.strands.config import AgentCoreMemoryConfig
    from bedrock_agentcore.memory.integrations.strands.session_manager import AgentCoreMemorySessionManager

    memory_id, region = settings.memory_id or "", settings.aws_region

    def manager(*, session_id: str, actor_id: str) -> SessionManager:
        config = AgentCoreMemoryConfig(memory_id=memory_id, session_id=session_id, actor_id=actor_id)
        return AgentCoreMemorySessionManager(config, region_name=region)

    owners = OwnerRegistry(AgentCoreMemoryOwnerRecords(boto3.client("bedrock-agentcore", region_name=region), memory_id))
    return SessionStore(kind="agentcore-memory", session_manager=manager, owners=owners)


def _no_store(settings: Settings) -> SessionStore:
    def manager(*, session_id: str, actor_id: str) -> None:
        return None

    return SessionStore(kind="none", session_manager=manager, owners=OwnerRegistry(MemoryOwnerRecords()))
