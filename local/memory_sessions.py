"""moto extension: AgentCore Memory's ``ListSessions`` over moto's own stored events, served over HTTP.

Why: moto 5.2 stores events per (memory, actor, session) but has no ListSessions handler, and forget-me finds a
caller's Memory sessions with it (``agent/erasure_stores.py``). Shapes follow botocore's ``bedrock-agentcore``
model: ``ListSessionsInput`` (memoryId, actorId, maxResults 1..100, nextToken) and ``SessionSummary`` (sessionId,
actorId, createdAt). Like the service, a session whose events were all deleted is still listed (the model's
documentation: "Empty sessions are automatically deleted after one day").
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def list_sessions(self: Any) -> ActionResult:
    """The actor's sessions in the memory, oldest first, paged by ``maxResults``/``nextToken``."""
    params = self._get_params()
    memory_id, actor_id = params["memoryId"], params["actorId"]
    summaries = []
    for (memory, actor, session), events in self.backend.events.items():
        if (memory, actor) != (memory_id, actor_id):
            continue
        created = min((event.event_timestamp for event in events.values()), default=utcnow())
        summaries.append({"sessionId": session, "actorId": actor, "createdAt": created})
    summaries.sort(key=lambda summary: summary["sessionId"])
    start = int(params.get("nextToken") or 0)
    size = min(int(params.get("maxResults") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    result: dict[str, Any] = {"sessionSummaries": summaries[start : start + size]}
    if start + size < len(summaries):
        result["nextToken"] = str(start + size)
    return ActionResult(result)


def install() -> None:
    """Add the handler to moto's bedrock-agentcore responses (idempotent)."""
    from moto.bedrockagentcore.responses import BedrockAgentCoreResponse

    BedrockAgentCoreResponse.list_sessions = list_sessions  # type: ignore[attr-defined]
