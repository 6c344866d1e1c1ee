"""AgentCore Runtime's header and subprotocol names as AWS's own SDK spells them: what tests send and expect.

Taken from bedrock_agentcore 1.25 (``runtime/models.py``), not from the part under test, so a part that
misspells one fails its tests. The subprotocol is the literal bedrock_agentcore's ``AgentCoreRuntimeClient``
offers on ``/ws`` (``runtime/agent_core_runtime_client.py``; devguide ``runtime-get-started-websocket``).
"""

from __future__ import annotations

from bedrock_agentcore.runtime.models import CUSTOM_HEADER_PREFIX, REQUEST_ID_HEADER, SESSION_HEADER

__all__ = ["BEARER_SUBPROTOCOL", "END_USER_HEADER", "REQUEST_ID_HEADER", "SESSION_HEADER"]

END_USER_HEADER = f"{CUSTOM_HEADER_PREFIX}User-Id"
BEARER_SUBPROTOCOL = "base64UrlBearerAuthorization"
