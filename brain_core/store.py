"""Data access: the Messages, ResponseChunks and Memory tables (docs/design.md §3).

The only module that speaks DynamoDB. Agents get a store from their handler's cold start and
hand it to their logic, so tests swap the store, not the logic. Endpoints come from the
standard ``AWS_ENDPOINT_URL_DYNAMODB`` setting: offline and on AWS the code is the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from brain_core.contracts import ReplyItem, ResponseChunk, Turn
from brain_core.facts import Fact, newest

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def dynamodb_client():
    """One client per execution environment, created at cold start."""
    return boto3.client(
        "dynamodb",
        config=Config(
            connect_timeout=2,
            read_timeout=5,
            retries={"mode": "standard", "max_attempts": 4},
            tcp_keepalive=True,
        ),
    )


def to_item(data: dict) -> dict:
    """Python values to DynamoDB attribute values (floats become Decimals on the way)."""
    clean = json.loads(json.dumps(data), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in clean.items() if v is not None}


def from_item(item: dict) -> dict:
    """DynamoDB attribute values to plain JSON-friendly Python values."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, set, tuple)):
            return [plain(v) for v in value]
        return value

    return {k: plain(_deserializer.deserialize(v)) for k, v in item.items()}


def query_pages(client, query: Mapping[str, Any], page_limit: Callable[[], int] | None = None) -> Iterator[dict]:
    """The pages of one DynamoDB Query, each page's ``LastEvaluatedKey`` the next one's
    ``ExclusiveStartKey``; ``page_limit`` (when given) sets each page's ``Limit`` as it is asked.
    A caller that has enough stops iterating: no page is read that is not needed. (botocore's
    paginator would do, but cannot change the Limit between pages, and test doubles implement
    ``query`` alone.)"""
    kwargs = dict(query)
    while True:
        if page_limit is not None:
            kwargs["Limit"] = page_limit()
        page = client.query(**kwargs)
        yield page
        if not page.get("LastEvaluatedKey"):
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_chunks(client, table: str, message_id: str, after_seq: int = -1) -> list[ResponseChunk]:
    """The chunks of the reply to ``message_id`` with ``seq > after_seq``, in ``seq`` order: one
    consistent Query (paged), read back as :class:`ResponseChunk`. The one chunk reader: the
    language agent resuming a stream, the API's catch-up route and the offline clients use it."""
    query = {
        "TableName": table,
        "KeyConditionExpression": "messageId = :m AND seq > :after",
        "ExpressionAttributeValues": {":m": {"S": message_id}, ":after": {"N": str(after_seq)}},
        "ConsistentRead": True,
    }
    items = [from_item(item) for page in query_pages(client, query) for item in page.get("Items", [])]
    return sorted((ResponseChunk.from_dict({"text": "", "done": False, **item}) for item in items), key=_seq)


def _seq(chunk: ResponseChunk) -> int:
    return chunk.seq


def _turn(item: dict) -> Turn | None:
    role = item.get("role", {}).get("S")
    content = item.get("content", {}).get("S")
    if role not in ("user", "brain") or content is None:
        return None
    remembered = int(item.get("factsRemembered", {}).get("N", 0))
    return Turn(role=role, content=content, messageId=item["messageId"]["S"], factsRemembered=remembered)


class ConversationStore:
    """Messages table: history reads (owner-scoped) and the reply write."""

    def __init__(self, client, table: str):
        self._client = client
        self._table = table

    def _query(
        self, conversation_id: str, owner: str, condition: str, values: dict, forward: bool, limit: int | None
    ) -> list[Turn]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            # Memory is one person's: another owner's items with the same conversationId never
            # reach the prompt.
            "FilterExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":c": {"S": conversation_id}, ":owner": {"S": owner}, **values},
            "ScanIndexForward": forward,
            "ProjectionExpression": "messageId, #role, content, factsRemembered",
        }
        kwargs["ExpressionAttributeNames"]["#role"] = "role"
        turns: list[Turn] = []
        # Twice what is missing a page: the owner filter may drop items after the Limit counted them.
        page_limit = None if limit is None else lambda: max(limit - len(turns), 1) * 2
        for page in query_pages(self._client, kwargs, page_limit):
            turns.extend(t for t in map(_turn, page.get("Items", [])) if t)
            if limit is not None and len(turns) >= limit:
                break
        return turns[:limit] if limit is not None else turns

    def recent(self, conversation_id: str, owner: str, before_id: str, limit: int) -> list[Turn]:
        """The last ``limit`` turns before ``before_id``, oldest first: one bounded Query."""
        turns = self._query(
            conversation_id,
            owner,
            "conversationId = :c AND messageId < :before",
            {":before": {"S": before_id}},
            forward=False,
            limit=limit,
        )
        return list(reversed(turns))

    def between(self, conversation_id: str, owner: str, from_id: str, before_id: str) -> list[Turn]:
        """Turns with ``from_id <= messageId < before_id``, oldest first (incremental refresh)."""
        turns = self._query(
            conversation_id,
            owner,
            "conversationId = :c AND messageId BETWEEN :from AND :before",
            {":from": {"S": from_id}, ":before": {"S": before_id}},
            forward=True,
            limit=None,
        )
        return [t for t in turns if t.messageId < before_id]

    def put_reply(self, reply: ReplyItem) -> bool:
        """Write the reply once. False when a reply to this message already exists."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(reply.to_dict()),
                ConditionExpression="attribute_not_exists(messageId)",
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise


class ChunkWriter:
    """Writes the streamed draft of one reply to ResponseChunks, in order; ``on_written`` is told
    of each chunk once it is durable (the language agent pushes it to the client's channel: that
    is :class:`brain_core.events.EventPublisher`'s ``publish``, not this ``write``)."""

    def __init__(
        self,
        client,
        table: str,
        message_id: str,
        ttl_seconds: int,
        start_seq: int = 0,
        on_written: Callable[[ResponseChunk], None] | None = None,
    ):
        self._client = client
        self._table = table
        self._message_id = message_id
        self._ttl = ttl_seconds
        self._on_written = on_written
        self.seq = start_seq
        self.first_written_at: float | None = None  # epoch ms

    def write(self, text: str, done: bool = False) -> ResponseChunk:
        chunk = ResponseChunk(
            messageId=self._message_id,
            seq=self.seq,
            text=text,
            done=done,
            expiresAt=int(time.time()) + self._ttl,
        )
        self._client.put_item(TableName=self._table, Item=to_item(chunk.to_dict()))
        if self.first_written_at is None:
            self.first_written_at = time.time() * 1000
        self.seq += 1
        if self._on_written is not None:
            self._on_written(chunk)
        return chunk

    def finish(self, next_seq: int | None = None) -> None:
        """End the stream with the done chunk: at ``next_seq`` when the caller knows it (no read
        on the hot path), else right after the last chunk written, unless that one already ends it."""
        if next_seq is None:
            last_seq, done = self.last()
            if done:
                return
            next_seq = last_seq + 1
        self.seq = next_seq
        self.write("", done=True)

    def streamed(self) -> tuple[str, int, bool]:
        """What earlier runs streamed for this message: (the text of chunks 0, 1, ... with no gap,
        the seq after them, whether one of them ends the stream). Read by a run that took over
        from one that died mid-stream, to continue after it instead of streaming again."""
        texts, done = [], False
        for seq, chunk in enumerate(read_chunks(self._client, self._table, self._message_id)):
            if chunk.seq != seq:
                break
            texts.append(chunk.text)
            done = done or chunk.done
        return "".join(texts), len(texts), done

    def last(self) -> tuple[int, bool]:
        """(highest seq written for this message or -1, whether that chunk ends the stream)."""
        page = self._client.query(
            TableName=self._table,
            KeyConditionExpression="messageId = :m",
            ExpressionAttributeValues={":m": {"S": self._message_id}},
            ScanIndexForward=False,
            Limit=1,
            ProjectionExpression="seq, done",
            ConsistentRead=True,
        )
        items = page.get("Items", [])
        if not items:
            return -1, False
        return int(items[0]["seq"]["N"]), bool(items[0].get("done", {}).get("BOOL"))


class FactStore:
    """The Memory table: one partition per owner (layout in :mod:`brain_core.facts`)."""

    def __init__(self, client, table: str, max_facts: int, ttl_days: int):
        self._client = client
        self._table = table
        self._max = max_facts
        self._ttl_seconds = ttl_days * 86400

    def _facts(self, owner: str) -> list[tuple[Fact, float]]:
        """Every item of the owner's partition, with its expiry: one Query (paged)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":owner": {"S": owner}},
        }
        found: list[tuple[Fact, float]] = []
        for page in query_pages(self._client, kwargs):
            for i in page.get("Items", []):
                fact = Fact(i["kind"]["S"], i["value"]["S"], i["updatedAt"]["S"], i["sourceMessageId"]["S"])
                found.append((fact, float(i["expiresAt"]["N"])))
        return found

    def load(self, owner: str) -> list[Fact]:
        """The owner's facts, newest first, at most ``max_facts``. DynamoDB deletes expired items
        some time after they expire: they are left out here already."""
        now = time.time()
        return newest([fact for fact, expires in self._facts(owner) if expires > now], self._max)

    def remember(self, owner: str, facts: list[Fact]) -> int:
        """Write ``facts`` (newest wins per key), then trim the owner to ``max_facts``. Returns how
        many were written (a fact older than the stored one is not)."""
        written = 0
        for fact in facts:
            item = {
                "owner": owner,
                "factKey": fact.key,
                "kind": fact.kind,
                "value": fact.value,
                "updatedAt": fact.updatedAt,
                "sourceMessageId": fact.sourceMessageId,
                "expiresAt": int(time.time()) + self._ttl_seconds,
            }
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(item),
                    ConditionExpression="attribute_not_exists(updatedAt) OR updatedAt <= :u",
                    ExpressionAttributeValues={":u": {"S": fact.updatedAt}},
                )
                written += 1
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        if written:
            self._trim(owner)
        return written

    def _trim(self, owner: str) -> None:
        """Delete the owner's oldest facts beyond ``max_facts``."""
        for fact in newest([fact for fact, _ in self._facts(owner)], 10_000)[self._max :]:
            self._client.delete_item(TableName=self._table, Key={"owner": {"S": owner}, "factKey": {"S": fact.key}})
