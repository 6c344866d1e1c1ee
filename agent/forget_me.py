"""``{"action": "forget_me"}`` on ``/invocations`` and ``/ws``: the caller erases everything stored about them.

The actor is the authenticated caller (``agent/caller_identity.py``: the JWT's ``sub``, or the end user a SigV4
caller names), never a field of the body, so nobody can erase another caller's data; an operator offboarding a
user invokes as that user with their own IAM credentials (SigV4 + end-user header). The shared ``anonymous``
actor is refused: its data belongs to every unauthenticated caller at once. The session id of the request is
transport only: it is not claimed, so forgetting leaves no new owner record behind.

Sessions of the caller in this process cannot bring data back: while the erasure runs, the registry refuses
the caller's new turns (409 ``erasure_in_progress``), waits for turns already running to finish (they are
then erased with the rest) and drops the caller's agents, so the next turn restores from the emptied store.
"""

from __future__ import annotations

import logging
import time

import anyio.to_thread

from agent.caller_identity import ANONYMOUS_ACTOR
from agent.erasure import Erasure
from agent.erasure_receipt import Receipt
from agent.errors import ForgetMeRefusedError, StoreError
from agent.session_owners import OwnerRegistry
from agent.session_registry import SessionRegistry

logger = logging.getLogger(__name__)


class ForgetMe:
    """Runs one caller's erasure against this process's sessions and the store."""

    def __init__(self, *, enabled: bool, erasure: Erasure, registry: SessionRegistry, owners: OwnerRegistry) -> None:
        self._enabled = enabled
        self._erasure = erasure
        self._registry = registry
        self._owners = owners

    async def forget(self, actor_id: str) -> Receipt:
        """Erase ``actor_id``'s data and return the receipt.

        Raises:
            ForgetMeRefusedError: the feature is off (``FORGET_ME_ENABLED=false``) or the caller is anonymous.
            ErasureInProgressError: an erasure of this caller already runs in this process.
            SessionBusyError: a turn of this caller did not finish within the session wait limit.
            StoreError: the store failed; nothing is lost by running forget-me again.
        """
        if not self._enabled:
            raise ForgetMeRefusedError("forget-me is turned off on this agent (FORGET_ME_ENABLED=false)")
        if actor_id == ANONYMOUS_ACTOR:
            raise ForgetMeRefusedError(
                "forget-me needs an identified caller: anonymous calls share one actor; call with a bearer token "
                "(JWT runtimes) or the end-user header (IAM runtimes)"
            )
        started = time.monotonic()
        async with self._registry.exclusive(actor_id) as dropped:
            try:
                claimed = tuple(self._owners.cached_sessions_of(actor_id))
                receipt = await anyio.to_thread.run_sync(self._erasure.erase, actor_id, claimed)
            except Exception as error:
                logger.exception("actor_id=<%s> | erasure failed; a re-run finishes it", actor_id)
                raise StoreError(
                    f"the session store failed during erasure ({type(error).__name__}); run forget-me again to "
                    "finish it"
                ) from error
            finally:
                self._owners.forget_actor(actor_id)
        logger.info(
            "actor_id=<%s>, deleted=<%s>, complete=<%s>, agents_dropped=<%s>, latency_ms=<%d> | erased a caller",
            actor_id,
            receipt.deleted,
            receipt.complete,
            dropped,
            (time.monotonic() - started) * 1000,
        )
        return receipt
