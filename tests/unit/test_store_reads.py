"""The one Query paginator and the one chunk reader (brain_core/store.py), and the UserMessage
contract the API and the clients write, against a small DynamoDB double that pages as DynamoDB
does (``Limit``, ``LastEvaluatedKey`` -> ``ExclusiveStartKey``)."""

from __future__ import annotations

import pytest

from brain_core.contracts import ContractError, UserMessage
from brain_core.store import ChunkWriter, query_pages, read_chunks


class PagingDynamoDB:
    """ResponseChunks in memory: ``query`` answers ``messageId = :m AND seq > :after`` (or the
    whole partition) at most ``page_size`` items a page, and counts its calls."""

    def __init__(self, page_size: int = 2):
        self.items: list[dict] = []
        self.page_size = page_size
        self.calls: list[dict] = []

    def put_item(self, TableName, Item):
        self.items.append(Item)

    def query(self, **kwargs):
        self.calls.append(kwargs)
        values = kwargs["ExpressionAttributeValues"]
        after = int(values[":after"]["N"]) if ":after" in values else -1
        start = int(kwargs["ExclusiveStartKey"]["seq"]["N"]) if "ExclusiveStartKey" in kwargs else after
        rows = sorted(
            (i for i in self.items if i["messageId"] == values[":m"] and int(i["seq"]["N"]) > start),
            key=lambda i: int(i["seq"]["N"]),
        )
        page = rows[: min(self.page_size, kwargs.get("Limit", self.page_size))]
        answer = {"Items": page}
        if len(rows) > len(page):
            answer["LastEvaluatedKey"] = {"messageId": page[-1]["messageId"], "seq": page[-1]["seq"]}
        return answer


def written(client: PagingDynamoDB, *texts: str, message_id: str = "01M") -> None:
    writer = ChunkWriter(client, "chunks", message_id, ttl_seconds=60)
    for text in texts:
        writer.write(text)
    writer.finish(writer.seq)


def test_the_chunk_reader_reads_every_page_in_seq_order_after_a_seq():
    client = PagingDynamoDB(page_size=2)
    written(client, "Hel", "lo", " there", "!")
    written(client, "other message", message_id="01N")
    chunks = read_chunks(client, "chunks", "01M")
    assert [c.seq for c in chunks] == [0, 1, 2, 3, 4] and chunks[-1].done and not chunks[0].done
    assert "".join(c.text for c in chunks) == "Hello there!"
    assert len(client.calls) == 3  # five chunks, two a page
    assert [c.seq for c in read_chunks(client, "chunks", "01M", after_seq=2)] == [3, 4]
    assert all(call["ConsistentRead"] for call in client.calls)


def test_the_paginator_reads_no_page_the_caller_does_not_need():
    client = PagingDynamoDB(page_size=1)
    written(client, "a", "b", "c")
    query = {"TableName": "chunks", "ExpressionAttributeValues": {":m": {"S": "01M"}}}
    for page in query_pages(client, query, page_limit=lambda: 1):
        assert page["Items"][0]["text"] == {"S": "a"}
        break
    assert len(client.calls) == 1 and client.calls[0]["Limit"] == 1
    assert sum(len(page["Items"]) for page in query_pages(client, query)) == 4
    assert "ExclusiveStartKey" not in query  # the caller's query is not changed


def test_a_run_that_takes_over_reads_what_was_streamed_up_to_the_first_gap():
    client = PagingDynamoDB()
    written(client, "one", " two")
    client.items = [i for i in client.items if i["seq"]["N"] != "1"]  # seq 1 lost
    assert ChunkWriter(client, "chunks", "01M", ttl_seconds=60).streamed() == ("one", 1, False)


def test_a_user_message_reads_back_what_it_writes_and_is_a_users():
    message = UserMessage.new("c1", "sub-ada", "Hello", client_message_id="client-1")
    assert UserMessage.from_dict(message.to_dict()) == message and message.role == "user"
    assert message.reply_id == f"{message.messageId}#reply" and len(message.messageId) == 26
    assert "clientMessageId" not in UserMessage.new("c1", "sub-ada", "Hello").to_dict()
    with pytest.raises(ContractError, match="role"):
        UserMessage.from_dict({**message.to_dict(), "role": "brain"})
