"""Explain a failed invocation by the runtime's control-plane status (CREATING, UPDATING, FAILED…).

WHY: while a deployment rolls a new version, calls fail with errors that do not say "not ready".
GetAgentRuntime (the caller's AWS credentials) tells the user what is actually going on.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from client.aws_clients import aws_client
from client.targets import Target

logger = logging.getLogger(__name__)

READY = "READY"
# Statuses AgentCore answers with while a runtime cannot take calls (404 while creating, 424/503 while updating).
STATUSES_WORTH_CHECKING = frozenset({404, 409, 424, 503})


def not_ready_reason(target: Target) -> str | None:
    """A one-line explanation if the runtime is not READY; None if READY or the status is unknowable."""
    try:
        runtime = aws_client("bedrock-agentcore-control", target).get_agent_runtime(agentRuntimeId=target.runtime_id)
    except (ClientError, BotoCoreError) as e:
        logger.debug("runtime_id=<%s>, error=<%s> | runtime status unavailable", target.runtime_id, e)
        return None
    status = runtime.get("status", "UNKNOWN")
    if status == READY:
        return None
    reason = f" ({runtime['failureReason']})" if runtime.get("failureReason") else ""
    return f"runtime {target.runtime_id} is {status}{reason}, not READY: wait for the deployment to finish, then retry"
