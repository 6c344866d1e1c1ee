"""Read a conversation back from where Strands' file and S3 session managers stored it, oldest message first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AGENT_MESSAGES = "agents/agent_default/messages"


def _index(name: str) -> int:
    return int(name.rsplit("/", 1)[-1].removeprefix("message_").removesuffix(".json"))


def file_messages(session_dir: Path, actor: str, stored_name: str) -> list[dict[str, Any]]:
    """Messages under ``<SESSION_DIR>/actors/<actor>/session_<stored_name>/``."""
    folder = session_dir / "actors" / actor / f"session_{stored_name}" / AGENT_MESSAGES
    paths = sorted(folder.glob("message_*.json"), key=lambda p: _index(p.name))
    return [json.loads(p.read_text(encoding="utf-8"))["message"] for p in paths]


def s3_messages(s3: Any, bucket: str, prefix: str, actor: str, session_id: str) -> list[dict[str, Any]]:
    """Messages under ``s3://<bucket>/<prefix>actors/<actor>/session_<id>/``."""
    folder = f"{prefix}actors/{actor}/session_{session_id}/{AGENT_MESSAGES}/"
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
        for o in page.get("Contents", [])
    ]
    return [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read())["message"] for k in sorted(keys, key=_index)]


def roles(messages: list[dict[str, Any]]) -> list[str]:
    """The role of each message."""
    return [m["role"] for m in messages]
