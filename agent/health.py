"""``GET /ping``: AgentCore's health check, answered on the event loop with the time of the last status change.

The contract (AgentCore devguide ``runtime-http-protocol-contract``; bedrock_agentcore 1.25
``runtime/app.py`` ``BedrockAgentCoreApp._handle_ping`` and ``runtime/models.py`` ``PingStatus``):
``{"status": "Healthy" | "HealthyBusy", "time_of_last_update": <unix seconds>}``. ``time_of_last_update``
means the last change of status; this agent has no background work, so its status is always ``Healthy`` and
the time changes only at startup and when the process finds itself restored from a platform V2 snapshot
(``agent/lifecycle.py`` ``after_restore``), not on every ping, so a restored instance does not report the
snapshot's hour. The answer needs no worker thread: busy sessions and open streams cannot delay it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bedrock_agentcore.runtime.models import PingStatus
from starlette.requests import Request
from starlette.responses import JSONResponse

PING_PATH = "/ping"  # the contract's health path (devguide runtime-http-protocol-contract)


class Health:
    """The status ``/ping`` reports and when it last changed."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.status = PingStatus.HEALTHY
        self.time_of_last_update = int(clock())

    def stamp(self) -> None:
        """Record that the status (re)started now: at startup and after a restore."""
        self.time_of_last_update = int(self._clock())

    async def ping(self, request: Request) -> JSONResponse:
        """The ``/ping`` endpoint."""
        return JSONResponse({"status": self.status.value, "time_of_last_update": self.time_of_last_update})
