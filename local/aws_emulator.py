"""moto in server mode, plus a small extension of bedrock-agentcore ListEvents (and of CloudWatch's alarm history
and actions: local/alarm_history.py; of AgentCore Memory's long-term records: local/memory_records.py).

Why the extension: moto 5.2 stores and returns AgentCore Memory events, but its ListEvents ignores
``filter.eventMetadata``, returns events oldest first and never paginates. AgentCore Memory's Strands
integration filters by metadata (to tell its session/agent/message events apart) and reads the first
event returned as the newest, so against plain moto a conversation it wrote is not restored. The real
service filters, returns newest first and pages with ``maxResults``/``nextToken`` (default page 20,
at most 100); the patch below does the same, on moto's own stored events, still served over HTTP.

TOTP: moto checks Cognito TOTP codes (VerifySoftwareToken, the SOFTWARE_TOKEN_MFA challenge) only when the variable
``MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP`` is ``true`` (moto/settings.py ``get_cognito_idp_user_pool_enable_totp``,
read at every call; moto/cognitoidp/models.py). ``start_emulator`` sets it, so every code sent to the twin is checked
against the secret AssociateSoftwareToken returned, in the current 30 s step only (moto's ``verify_totp``).

Usage: ``start_emulator(port=0)`` → ``Emulator`` with ``.endpoint_url`` and ``.stop()`` in this process, or
``start_emulator_process(log_path=...)`` → the same in a process of its own (``python -m local.aws_emulator``).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.bedrockagentcore.models import Event
from moto.bedrockagentcore.responses import BedrockAgentCoreResponse
from moto.core.responses import ActionResult
from moto.server import ThreadedMotoServer

from local import alarm_history, memory_records
from local.processes import (
    STARTUP_TIMEOUT_SECONDS,
    ServerProcess,
    free_port,
    python_module,
    start_server,
    stop_on_signal,
)

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MOTO_TOTP_CHECKS = "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"
HEALTH_PATH = "/moto-api/data.json"  # moto serves no /ping; its state document answers 200 once it serves


def _metadata_string(event: Event, key: str) -> str | None:
    value = event.metadata.get(key)
    return value.get("stringValue") if isinstance(value, dict) else None


def _matches_metadata(event: Event, condition: dict[str, Any]) -> bool:
    """One ``eventMetadata`` filter: EQUALS_TO, EXISTS or NOT_EXISTS on a metadata key."""
    key = condition.get("left", {}).get("metadataKey", "")
    operator = condition.get("operator", "EQUALS_TO")
    if operator == "EXISTS":
        return key in event.metadata
    if operator == "NOT_EXISTS":
        return key not in event.metadata
    expected: str | None = condition.get("right", {}).get("metadataValue", {}).get("stringValue")
    return _metadata_string(event, key) == expected


def _matches_filter(event: Event, event_filter: dict[str, Any]) -> bool:
    """All metadata conditions hold (AND) and, when given, the branch name matches."""
    branch = (event_filter.get("branch") or {}).get("name")
    if branch and event.branch.get("name") != branch:
        return False
    return all(_matches_metadata(event, c) for c in event_filter.get("eventMetadata") or [])


def list_events_with_filter(self: BedrockAgentCoreResponse) -> ActionResult:
    """Replacement for moto's ListEvents handler: filter, newest first, paginate."""
    params = self._get_params()
    stored = self.backend.list_events(
        memory_id=params["memoryId"], actor_id=params["actorId"], session_id=params["sessionId"], max_results=None
    )
    matching = [e for e in reversed(stored) if _matches_filter(e, params.get("filter") or {})]
    matching.sort(key=lambda e: e.event_timestamp, reverse=True)  # stable: ties stay newest-inserted first
    start = int(params.get("nextToken") or 0)
    size = min(int(params.get("maxResults") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    page = matching[start : start + size]
    result: dict[str, Any] = {"events": [e.to_dict(include_payload=params.get("includePayloads", False)) for e in page]}
    if start + size < len(matching):
        result["nextToken"] = str(start + size)
    return ActionResult(result)


def install_extensions() -> None:
    """Patch moto's bedrock-agentcore ListEvents handler, add its memory records, and its CloudWatch alarm history
    (idempotent)."""
    BedrockAgentCoreResponse.list_events = list_events_with_filter  # type: ignore[method-assign]
    memory_records.install()
    alarm_history.install()


@dataclass
class Emulator:
    """A running moto server."""

    server: ThreadedMotoServer
    endpoint_url: str

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()


def start_emulator(port: int = 0, host: str = "127.0.0.1") -> Emulator:
    """Start moto (with the extension, checking TOTP codes) on ``host:port``; 0 picks a free port.

    WHY the process environment: moto reads its TOTP switch from ``os.environ`` at each call and offers no other
    setting; the in-process servers share moto's backends, so they share the switch too.
    """
    os.environ[MOTO_TOTP_CHECKS] = "true"
    install_extensions()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per AWS call drowns test output
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{bound_host}:{bound_port}"
    logger.info("endpoint=<%s> | aws emulator started", endpoint_url)
    return Emulator(server=server, endpoint_url=endpoint_url)


def start_emulator_process(
    *, log_path: Path, env: Mapping[str, str] | None = None, timeout: float = STARTUP_TIMEOUT_SECONDS
) -> ServerProcess:
    """``python -m local.aws_emulator`` on a free port of 127.0.0.1, returned once it answers; the caller stops it.

    Args:
        log_path: the process's combined output.
        env: extra environment (e.g. moto's ``MOTO_ENABLE_RECORDING`` and ``MOTO_RECORDER_FILEPATH``).
        timeout: seconds to wait for it to answer.
    """
    port = free_port()
    return start_server(
        python_module("local.aws_emulator", "--port", str(port)),
        port=port,
        log_path=log_path,
        name="aws emulator",
        env=env,
        health_path=HEALTH_PATH,
        timeout=timeout,
    )


def main() -> None:
    """Serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description="moto server with the AgentCore Memory ListEvents extension")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    stopped = stop_on_signal()  # before serving: a SIGTERM right after the first health answer is still orderly
    emulator = start_emulator(args.port, args.host)
    print(f"aws emulator listening on {emulator.endpoint_url}", flush=True)
    stopped.wait()
    emulator.stop()


if __name__ == "__main__":
    main()
