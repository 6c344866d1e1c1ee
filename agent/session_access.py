"""The owner check both transports run before a turn: a session id belongs to the caller who first used it."""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread

from agent.errors import SessionForbiddenError, StoreError
from agent.session_registry import SessionRegistry

logger = logging.getLogger(__name__)


async def authorize_session(owners: Any, session_id: str, actor_id: str, *, registry: SessionRegistry) -> None:
    """Allow ``actor_id`` to use ``session_id``, or raise; the store is asked in a worker thread on a cache miss.

    ``owners`` is the store's ``SessionOwners`` (``agent/session_owners.py``). A caller being erased is refused
    first, before the claim: an erasure must not race a new owner record (``agent/forget_me.py``).

    Raises:
        ErasureInProgressError: forget-me is erasing this caller.
        SessionForbiddenError: the session belongs to another caller (the message reveals nothing about them).
        StoreError: the owner records could not be read or written.
    """
    registry.ensure_not_erasing(actor_id)
    allowed = owners.cached_is_owner(session_id, actor_id)
    if allowed is None:
        try:
            allowed = await anyio.to_thread.run_sync(owners.is_owner, session_id, actor_id)
        except Exception as error:
            logger.exception("session_id=<%s> | owner check failed", session_id)
            raise StoreError(
                f"the session store failed ({type(error).__name__}); see server logs for this request id"
            ) from error
    if not allowed:
        raise SessionForbiddenError("this session id belongs to another caller; start a new session")
