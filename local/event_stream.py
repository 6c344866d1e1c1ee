"""Encode messages of the AWS event-stream format (``application/vnd.amazon.eventstream``).

WHY written here: botocore ships only the decoder (``botocore/eventstream.py``: ``EventStreamBuffer``), and
no maintained Python package exposes an encoder (awscrt keeps its codec inside its RPC client). The format
is small and fixed; the tests decode every frame this module writes with botocore's own decoder.

Layout (botocore/eventstream.py, ``MessagePrelude`` / ``EventStreamHeaderParser`` / ``_validate_checksum``),
all integers big-endian:

    total length (uint32) | headers length (uint32) | CRC32 of those 8 bytes (uint32)
    headers: name length (uint8), name (UTF-8), value type (uint8; 7 = string), value length (uint16), value
    payload (bytes)
    CRC32 of everything above (uint32)
"""

from __future__ import annotations

import json
import struct
from binascii import crc32
from collections.abc import Mapping
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING_TYPE = 7  # botocore EventStreamHeaderParser._HEADER_TYPE_MAP: 7 → utf8 string
_PRELUDE = struct.Struct("!II")
_CRC = struct.Struct("!I")


def _header(name: str, value: str) -> bytes:
    name_bytes, value_bytes = name.encode("utf-8"), value.encode("utf-8")
    return (
        struct.pack("!B", len(name_bytes)) + name_bytes
        + struct.pack("!BH", _STRING_TYPE, len(value_bytes)) + value_bytes
    )  # fmt: skip


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message with string headers."""
    header_bytes = b"".join(_header(name, value) for name, value in headers.items())
    total_length = _PRELUDE.size + _CRC.size + len(header_bytes) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total_length, len(header_bytes))
    message = prelude + _CRC.pack(crc32(prelude)) + header_bytes + payload
    return message + _CRC.pack(crc32(message))


def event_message(event_type: str, body: Mapping[str, Any]) -> bytes:
    """An ``event`` message whose JSON payload is the event member's structure (rest-json event streams)."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(body).encode("utf-8"))
