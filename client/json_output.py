"""`--json`: every command that takes it prints exactly one JSON document on stdout, success or not.

WHY this shape: it is the official AgentCore CLI's (aws/agentcore-cli, `src/cli/commands/invoke/command.tsx` and
`status/command.tsx`): `console.log(JSON.stringify(result))` with a boolean `success`, and on any failure
`{"success": false, "error": <message>}` on stdout with exit code 1. A script reads stdout and needs no stderr
parsing; the exit code stays what the command returns without `--json`. No token, password or secret key is
ever a value here: documents are built from named fields, never from the caches.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


def success(**fields: Any) -> dict[str, Any]:
    """`{"success": true, **fields}`."""
    return {"success": True, **fields}


def failure(message: str, **fields: Any) -> dict[str, Any]:
    """`{"success": false, "error": message, **fields}`."""
    return {"success": False, "error": message, **fields}


def print_document(document: dict[str, Any], stream: TextIO | None = None) -> None:
    """Write the document as one line of JSON (UTF-8 as is, keys in the order built)."""
    print(json.dumps(document, ensure_ascii=False), file=stream or sys.stdout, flush=True)
