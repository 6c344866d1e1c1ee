"""Frames written by local/event_stream.py parse with botocore's own event-stream decoder, byte for byte."""

from __future__ import annotations

import json
import struct
from binascii import crc32

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from local.event_stream import encode_message, event_message


def _decode(data: bytes) -> list:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_event_message_parses_with_botocore_headers_and_payload() -> None:
    frame = event_message("messageStart", {"role": "assistant"})

    [message] = _decode(frame)

    assert message.headers == {
        ":event-type": "messageStart",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(message.payload) == {"role": "assistant"}
    assert message.to_response_dict() == {"status_code": 200, "headers": message.headers, "body": message.payload}


def test_prelude_states_total_and_headers_length_and_crcs_cover_them() -> None:
    frame = encode_message({"a": "b"}, b"xyz")

    total, headers_length, prelude_crc = struct.unpack("!III", frame[:12])

    assert total == len(frame) == 12 + (1 + 1 + 1 + 2 + 1) + 3 + 4
    assert headers_length == 6
    assert prelude_crc == crc32(frame[:8])
    assert struct.unpack("!I", frame[-4:])[0] == crc32(frame[:-4])


def test_consecutive_frames_split_anywhere_decode_in_order() -> None:
    frames = b"".join(
        event_message("contentBlockDelta", {"delta": {"text": f"w{i} "}, "contentBlockIndex": 0}) for i in range(3)
    )
    buffer = EventStreamBuffer()

    decoded = []
    for offset in range(0, len(frames), 7):  # the HTTP body arrives in arbitrary chunks
        buffer.add_data(frames[offset : offset + 7])
        decoded += [json.loads(m.payload)["delta"]["text"] for m in buffer]

    assert decoded == ["w0 ", "w1 ", "w2 "]


def test_utf8_headers_and_payload_keep_their_byte_lengths() -> None:
    [message] = _decode(encode_message({":event-type": "météo"}, "22 °C".encode()))

    assert message.headers == {":event-type": "météo"}
    assert message.payload.decode() == "22 °C"


def test_a_corrupted_frame_is_refused_by_botocore() -> None:
    # Control for the tests above: botocore really checks what we write.
    frame = bytearray(event_message("messageStop", {"stopReason": "end_turn"}))
    frame[-6] ^= 0xFF

    with pytest.raises(ChecksumMismatch):
        _decode(bytes(frame))
