"""The functions' publisher to AppSync Events: signed, batched per channel, in order, off the
caller's thread, retried briefly, and never raising (brain_core/events.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from brain_core.channels import channel_for, valid_segment
from brain_core.contracts import ReplyEvent, ReplyItem, ResponseChunk
from brain_core.events import EventPublisher, ReplyChannel, chunk_event, reply_event


class EventsEndpoint:
    """A local stand-in for the Events HTTP endpoint: records each request, answers from a script."""

    def __init__(self, statuses=()):
        self.requests: list[dict] = []
        self.statuses = list(statuses)  # answered in turn, then 200
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append({"auth": self.headers.get("Authorization", ""), **body})
                status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                answer = json.dumps({"successful": [], "failed": []}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/event"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    running = EventsEndpoint()
    yield running
    running.close()


def chunk(seq: int, text: str = "words ") -> ResponseChunk:
    return ResponseChunk(messageId="01JMSG", seq=seq, text=text, done=False, expiresAt=0)


def test_each_request_is_sigv4_signed_for_appsync_and_carries_at_most_five_events_of_one_channel(endpoint):
    publisher = EventPublisher(endpoint.url, "us-east-1")
    for seq in range(7):
        publisher.publish("/brain/u1/c1", chunk_event(chunk(seq)))
    publisher.publish("/brain/u1/c2", {"type": "reply", "messageId": "other"})
    assert publisher.flush(5)
    assert publisher.take_counts() == (8, 0)
    assert all(
        r["auth"].startswith("AWS4-HMAC-SHA256 ") and "/us-east-1/appsync/aws4_request" in r["auth"]
        for r in endpoint.requests
    )
    assert all(len(r["events"]) <= 5 for r in endpoint.requests)
    by_channel: dict[str, list] = {}
    for request in endpoint.requests:
        by_channel.setdefault(request["channel"], []).extend(json.loads(e) for e in request["events"])
    assert [e["seq"] for e in by_channel["/brain/u1/c1"]] == list(range(7))  # in order
    assert by_channel["/brain/u1/c2"] == [{"type": "reply", "messageId": "other"}]


def test_a_server_error_is_retried_and_a_refusal_is_counted_not_raised():
    flaky = EventsEndpoint(statuses=[500])
    publisher = EventPublisher(flaky.url, "us-east-1", attempts=3)
    publisher.publish("/brain/u1/c1", {"type": "chunk"})
    assert publisher.flush(5) and publisher.take_counts() == (1, 0)
    assert len(flaky.requests) == 2
    flaky.close()

    refusing = EventsEndpoint(statuses=[403, 403, 403])
    publisher = EventPublisher(refusing.url, "us-east-1", attempts=3)
    publisher.publish("/brain/u1/c1", {"type": "chunk"})
    assert publisher.flush(5) and publisher.take_counts() == (0, 1)
    assert len(refusing.requests) == 1  # a 4xx would be refused again: not retried
    refusing.close()


def test_an_endpoint_nobody_listens_on_costs_the_caller_nothing_and_is_counted():
    publisher = EventPublisher("http://127.0.0.1:9/event", "us-east-1", attempts=2, timeout_seconds=0.5)
    publisher.publish("/brain/u1/c1", {"type": "chunk"})  # returns at once: the thread sends
    assert publisher.flush(10)
    assert publisher.take_counts() == (0, 1)


def test_a_reply_channel_pushes_text_chunks_then_the_reply_item_as_it_is(endpoint):
    channel = ReplyChannel(EventPublisher(endpoint.url, "us-east-1"), "brain", "sub-1", "conv-1")
    channel.chunk(chunk(0, "Hello"))
    channel.chunk(ResponseChunk(messageId="01JMSG", seq=1, text="", done=True, expiresAt=0))  # the done marker
    reply = ReplyItem(
        conversationId="conv-1",
        messageId="01JMSG#reply",
        role="brain",
        owner="sub-1",
        inReplyTo="01JMSG",
        content="Hello",
        sensations=[],
        thoughts=[],
        memories="",
        selfReflection="",
        emotion={"label": "calm", "valence": 0.0, "arousal": 0.3},
        status="complete",
        timings={},
        model="m",
        createdAt="2026-01-01T00:00:00.000Z",
    )
    channel.reply(reply, chunks=1)
    assert channel.finish() == (2, 0)
    events = [json.loads(e) for r in endpoint.requests for e in r["events"]]
    assert [e["type"] for e in events] == ["chunk", "reply"]
    assert events[0]["messageId"] == "01JMSG"  # a chunk: of the draft of the reply to the user message
    # The reply: its own id and the message it answers, as on the item; one name, one meaning.
    assert events[1] == {"type": "reply", **reply.to_dict(), "chunks": 1} == reply_event(reply, 1)
    assert events[1]["messageId"] == "01JMSG#reply" and events[1]["inReplyTo"] == "01JMSG"
    assert "replyId" not in events[1]
    assert ReplyEvent.from_dict(events[1]).to_dict() == events[1]  # read back through its contract
    assert {r["channel"] for r in endpoint.requests} == {"/brain/sub-1/conv-1"}


def test_a_message_whose_owner_or_conversation_cannot_be_a_channel_is_not_pushed(endpoint):
    channel = ReplyChannel(EventPublisher(endpoint.url, "us-east-1"), "brain", "grace@example.com", "conv-1")
    assert channel.channel is None
    channel.chunk(chunk(0))
    assert channel.finish() == (0, 0) and endpoint.requests == []
    assert ReplyChannel(None, "brain", "sub-1", "conv-1").finish() == (0, 0)


@pytest.mark.parametrize(
    ("segment", "valid"),
    [
        ("c-1", True),
        ("0b8e6c4e-5d1a-4c6a-9b8f-2f1e3d4c5b6a", True),  # a Cognito sub
        ("a" * 50, True),
        ("a" * 51, False),
        ("-leading", False),
        ("trailing-", False),
        ("has space", False),
        ("under_score", False),
        ("", False),
        (None, False),
    ],
)
def test_channel_segments_follow_appsyncs_naming_rule(segment, valid):
    assert valid_segment(segment) is valid
    assert (channel_for("brain", "sub-1", segment) is not None) is valid
