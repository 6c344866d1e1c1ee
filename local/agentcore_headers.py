"""The names in AgentCore Runtime's data-plane contract the stand-ins speak: request headers, and the WebSocket
bearer subprotocol. Every module of local/ takes them from here.

Sources: ``runtimeSessionId``'s header in botocore's ``bedrock-agentcore`` model (InvokeAgentRuntime);
bedrock_agentcore 1.25 ``runtime/models.py`` (``SESSION_HEADER``, ``REQUEST_ID_HEADER``,
``CUSTOM_HEADER_PREFIX``); the devguide's ``runtime-header-allowlist`` page for the custom prefix AgentCore
forwards (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-header-allowlist.html) and
``runtime-get-started-websocket`` for the subprotocol. local/ does not depend on bedrock_agentcore, so they are
spelled here; tests/toolchain/test_agentcore_headers.py holds them to those sources.
"""

from __future__ import annotations

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
# The end user an IAM (SigV4) caller speaks for: this project's name under AgentCore's custom-header prefix.
END_USER_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Id"
BEARER_SUBPROTOCOL = "base64UrlBearerAuthorization"
