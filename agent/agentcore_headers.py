"""The names AgentCore Runtime's contract gives what reaches the container: request headers and the WebSocket
bearer subprotocol. Every module of the agent takes them from here.

Sources: the session and request-id headers are bedrock_agentcore 1.25's own constants (``runtime/models.py``,
the SDK AgentCore's samples serve with); the session header is also ``runtimeSessionId``'s location in
botocore's ``bedrock-agentcore`` model. The end-user header is this project's name under the prefix AgentCore
forwards when a runtime allowlists it (``CUSTOM_HEADER_PREFIX``; devguide ``runtime-header-allowlist``:
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-header-allowlist.html). The subprotocol
carries a browser's bearer token on ``/ws`` (devguide ``runtime-get-started-websocket``; bedrock_agentcore's
``runtime/agent_core_runtime_client.py``).
"""

from __future__ import annotations

from bedrock_agentcore.runtime.models import CUSTOM_HEADER_PREFIX, REQUEST_ID_HEADER, SESSION_HEADER

__all__ = ["BEARER_SUBPROTOCOL", "END_USER_HEADER", "REQUEST_ID_HEADER", "SESSION_HEADER"]

# The end user an IAM (SigV4) caller speaks for; the Runtime stack allowlists it in IAM mode.
END_USER_HEADER = f"{CUSTOM_HEADER_PREFIX}User-Id"
BEARER_SUBPROTOCOL = "base64UrlBearerAuthorization"
