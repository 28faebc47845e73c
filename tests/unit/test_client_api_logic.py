"""The API function's logic: what a request must look like, and that the caller is the owner."""

from __future__ import annotations

import json

import pytest

from agents.api import conversations as logic
from brain_core.contracts import ResponseChunk, UserMessage

LIMITS = logic.Limits(
    max_body_bytes=16 * 1024, max_content_chars=4000, page_size=50, max_page_size=200, title_chars=80, namespace="brain"
)


class MemoryStore:
    """An in-memory stand-in for ConversationTables (same methods)."""

    def __init__(self):
        self.items: dict[tuple[str, str], dict] = {}
        self.conversations_by_owner: dict[tuple[str, str], dict] = {}
        self.chunk_rows: dict[str, list[ResponseChunk]] = {}

    def put_message(self, message: UserMessage):
        self.items[(message.conversationId, message.messageId)] = message.to_dict()

    def touch_conversation(self, owner, conversation_id, title, message_id, at):
        found = self.conversations_by_owner.setdefault(
            (owner, conversation_id),
            {"owner": owner, "conversationId": conversation_id, "title": title, "createdAt": at},
        )
        found.update(updatedAt=at, lastMessageId=message_id)

    def messages(self, conversation_id, owner, after, limit):
        mine = sorted(
            (
                i
                for (c, m), i in self.items.items()
                if c == conversation_id and i["owner"] == owner and m > (after or "")
            ),
            key=lambda i: i["messageId"],
        )
        return mine[:limit], len(mine) > limit

    def message(self, conversation_id, message_id):
        return self.items.get((conversation_id, message_id))

    def conversations(self, owner, start, limit):
        mine = sorted(
            (c for (o, _), c in self.conversations_by_owner.items() if o == owner), key=lambda c: c["updatedAt"]
        )
        return list(reversed(mine))[:limit], None

    def chunks(self, message_id, after_seq):
        return [c for c in self.chunk_rows.get(message_id, []) if c.seq > after_seq]


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("raw", "status", "error"),
    [
        (body(content=""), 400, "EmptyContent"),
        (body(content="   \n "), 400, "EmptyContent"),
        (body(content="x" * 4001), 400, "ContentTooLong"),
        (body(content=42), 400, "InvalidContent"),
        (body(text="hello"), 400, "InvalidContent"),
        (b'{"content": "\\ud800"}', 400, "InvalidContent"),  # an unpaired surrogate: DynamoDB would refuse it
        (b"not json", 400, "InvalidJson"),
        (b'["content"]', 400, "InvalidJson"),
        (b"", 400, "InvalidJson"),
        (body(content="hi", clientMessageId="has space"), 400, "InvalidClientMessageId"),
        (body(content="hi", clientMessageId=7), 400, "InvalidClientMessageId"),
        (body(content="x" * 17_000), 413, "PayloadTooLarge"),
    ],
)
def test_a_bad_request_is_refused_with_a_clear_error(raw, status, error):
    with pytest.raises(logic.ApiError) as refused:
        logic.new_message(raw, "sub-ada", "conv-1", LIMITS)
    assert (refused.value.status, refused.value.error) == (status, error)
    assert refused.value.to_dict()["message"]


def test_a_conversation_id_that_cannot_be_a_channel_segment_is_refused():
    with pytest.raises(logic.ApiError, match="conversationId") as refused:
        logic.new_message(body(content="hi"), "sub-ada", "with_underscore", LIMITS)
    assert refused.value.status == 400


def test_the_owner_is_the_callers_never_the_bodys():
    store = MemoryStore()
    request = logic.new_message(body(content="Hello", owner="sub-bob"), "sub-ada", "conv-1", LIMITS)
    posted = logic.post_message(request, store, LIMITS)
    [item] = store.items.values()
    assert item["owner"] == "sub-ada" and item["role"] == "user" and item["content"] == "Hello"
    assert posted == {
        "conversationId": "conv-1",
        "messageId": item["messageId"],
        "createdAt": item["createdAt"],
        "channel": "/brain/sub-ada/conv-1",
    }
    assert logic.MESSAGE_ID.fullmatch(item["messageId"])  # a ULID


def test_history_shows_only_the_callers_items_without_the_owner_field():
    store = MemoryStore()
    for owner, text in (("sub-ada", "mine"), ("sub-bob", "his"), ("sub-ada", "mine too")):
        logic.post_message(logic.new_message(body(content=text), owner, "shared", LIMITS), store, LIMITS)
    ada = logic.history(store, "sub-ada", "shared", None, 50)
    assert [i["content"] for i in ada["items"]] == ["mine", "mine too"]
    assert all("owner" not in i for i in ada["items"]) and ada["nextToken"] is None
    first = logic.history(store, "sub-ada", "shared", None, 1)
    assert first["nextToken"] == first["items"][0]["messageId"]
    assert [i["content"] for i in logic.history(store, "sub-ada", "shared", first["nextToken"], 1)["items"]] == [
        "mine too"
    ]


def test_conversations_are_titled_by_their_first_message():
    store = MemoryStore()
    for text in ("The first thing I said", "and then more"):
        logic.post_message(logic.new_message(body(content=text), "sub-ada", "conv-9", LIMITS), store, LIMITS)
    [conversation] = logic.conversations(store, "sub-ada", None, 50)["items"]
    assert conversation["title"] == "The first thing I said" and conversation["conversationId"] == "conv-9"
    assert logic.conversations(store, "sub-bob", None, 50)["items"] == []


def test_a_page_token_of_someone_else_or_garbage_is_refused():
    token = logic._encode_token({"owner": "sub-bob", "conversationId": "c", "updatedAt": "t"})
    for bad in (token, "%%%", "e30"):
        with pytest.raises(logic.ApiError, match="page token"):
            logic.conversations(MemoryStore(), "sub-ada", bad, 50)


def test_a_replys_draft_is_served_to_the_owner_of_the_message_only():
    store = MemoryStore()
    posted = logic.post_message(logic.new_message(body(content="hi"), "sub-ada", "c1", LIMITS), store, LIMITS)
    store.chunk_rows[posted["messageId"]] = [
        ResponseChunk(posted["messageId"], seq, text, done, expiresAt=0)
        for seq, text, done in ((0, "Hel", False), (1, "lo", False), (2, "", True))
    ]
    caught_up = logic.chunks(store, "sub-ada", "c1", posted["messageId"], "0")
    assert [c["seq"] for c in caught_up["chunks"]] == [1, 2] and caught_up["done"] is True
    with pytest.raises(logic.ApiError) as hidden:
        logic.chunks(store, "sub-bob", "c1", posted["messageId"], None)
    assert hidden.value.status == 404


@pytest.mark.parametrize("raw", ["0", "201", "ten", "-3"])
def test_a_page_limit_out_of_range_is_refused(raw):
    with pytest.raises(logic.ApiError, match="limit"):
        logic.page_limit(raw, LIMITS)
