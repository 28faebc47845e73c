"""AWS event-stream frames, as Bedrock's ConverseStream sends them (docs/design.md §7).

Written here because nothing on PyPI encodes them for Python 3.11 (``botocore.eventstream``
only decodes; smithy-aws-event-stream needs 3.12). A test decodes our frames with botocore's
own parser to prove the two agree.

Frame: prelude (total length, headers length: big-endian u32 each), the prelude's CRC32,
headers, payload, the whole message's CRC32.
"""

from __future__ import annotations

import json
import struct
import zlib

_STRING = 7


def _headers(headers: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack(">B", len(raw_name)) + raw_name
        out += struct.pack(">BH", _STRING, len(raw_value)) + raw_value
    return bytes(out)


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    head = _headers(headers)
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + head + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(event_type: str, body: dict) -> bytes:
    """One stream event, e.g. ``event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}})``."""
    return frame(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        json.dumps(body, separators=(",", ":")).encode(),
    )


def exception(exception_type: str, message: str) -> bytes:
    """An error inside an open stream, e.g. ``throttlingException`` or ``modelStreamErrorException``."""
    return frame(
        {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"},
        json.dumps({"message": message}).encode(),
    )
