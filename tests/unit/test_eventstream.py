"""Our event-stream frames, decoded by botocore's own parser exactly as it decodes AWS's."""

import json

from botocore.eventstream import EventStreamBuffer

from brain_local.bedrock import eventstream


def decode(data: bytes):
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_an_event_frame_round_trips_through_botocore():
    frame = eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi ✨"}})
    [message] = decode(frame)
    assert message.headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(message.payload) == {"contentBlockIndex": 0, "delta": {"text": "Hi ✨"}}
    assert message.prelude.total_length == len(frame)


def test_frames_split_across_reads_decode_in_order():
    frames = b"".join(eventstream.event("contentBlockDelta", {"delta": {"text": str(i)}}) for i in range(5))
    buffer = EventStreamBuffer()
    decoded = []
    for i in range(0, len(frames), 7):  # botocore sees the bytes as a socket would deliver them
        buffer.add_data(frames[i : i + 7])
        decoded.extend(buffer)
    assert [json.loads(m.payload)["delta"]["text"] for m in decoded] == ["0", "1", "2", "3", "4"]


def test_an_exception_frame_carries_its_type():
    [message] = decode(eventstream.exception("throttlingException", "slow down"))
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
