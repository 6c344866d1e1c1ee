"""The AgentCore Runtime request headers the client sends; every module of client/ takes them from here.

Sources: ``runtimeSessionId``'s header in botocore's ``bedrock-agentcore`` model (InvokeAgentRuntime), the same
as bedrock_agentcore 1.25's ``runtime/models.py`` ``SESSION_HEADER``; the end-user header is this project's name
under the custom prefix AgentCore forwards when a runtime allowlists it (devguide ``runtime-header-allowlist``:
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-header-allowlist.html). client/ runs with
its own small lock (no bedrock_agentcore), so they are spelled here; tests/toolchain/test_agentcore_headers.py
holds them to those sources.
"""

from __future__ import annotations

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
# The end user a SigV4 caller speaks for; an IAM runtime allowlists it (stacks/runtime/runtime_stack.py, docs/agent.md).
END_USER_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Id"
