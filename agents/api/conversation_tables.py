"""The API's data layer: user messages and replies (Messages), conversations (Conversations),
the streamed draft (ResponseChunks), each person's message counters (Usage). The only module of
this function that speaks DynamoDB.

Every read is one owner's: a conversationId may be shared by two people (it is the table's
partition key, chosen by clients), so history is filtered by ``owner`` and a message's chunks are
served only to the owner of the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from brain_core.contracts import ResponseChunk, UserMessage
from brain_core.store import from_item, query_pages, read_chunks, to_item

if TYPE_CHECKING:
    from .rate_limit import Counter


#: How often a counting transaction that conflicts with another is tried.
CONFLICT_ATTEMPTS = 3


class UsageCounters:
    """The Usage table's counters (agents/api/rate_limit.py says how they are used)."""

    def __init__(self, client, table: str):
        self._client, self._table = client, table

    def count(self, counters: Sequence[Counter]) -> list[int]:
        """One transaction: each counter +1 if below its limit; if any is not, none (and which)."""
        items = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"id": {"S": counter.key}},
                    "UpdateExpression": "ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expires)",
                    "ConditionExpression": "attribute_not_exists(#count) OR #count < :limit",
                    "ExpressionAttributeNames": {"#count": "messages"},
                    "ExpressionAttributeValues": {
                        ":one": {"N": "1"},
                        ":limit": {"N": str(counter.limit)},
                        ":expires": {"N": str(counter.expires_at)},
                    },
                }
            }
            for counter in counters
        ]
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self._client.transact_write_items(TransactItems=items)
                return []
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                full = [i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
                if full:
                    return full
                # Two posts of one person at once conflict on their counters: try again.
                if "TransactionConflict" not in reasons or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")


class ConversationTables:
    def __init__(self, client, messages_table: str, conversations_table: str, conversations_index: str, chunks_table):
        self._client = client
        self._messages = messages_table
        self._conversations = conversations_table
        self._index = conversations_index
        self._chunks = chunks_table

    def put_message(self, message: UserMessage) -> None:
        """The user message; the stream (and so the pipe and the workflow) takes it from here."""
        self._client.put_item(
            TableName=self._messages,
            Item=to_item(message.to_dict()),
            ConditionExpression="attribute_not_exists(messageId)",
        )

    def touch_conversation(self, owner: str, conversation_id: str, title: str, message_id: str, at: str) -> None:
        """Create the owner's conversation on its first message (that message is its title), and
        move it to the top of the owner's list on every later one."""
        self._client.update_item(
            TableName=self._conversations,
            Key={"owner": {"S": owner}, "conversationId": {"S": conversation_id}},
            UpdateExpression=(
                "SET updatedAt = :at, lastMessageId = :m, "
                "title = if_not_exists(title, :title), createdAt = if_not_exists(createdAt, :at)"
            ),
            ExpressionAttributeValues={":at": {"S": at}, ":m": {"S": message_id}, ":title": {"S": title}},
        )

    def messages(self, conversation_id: str, owner: str, after: str | None, limit: int) -> tuple[list[dict], bool]:
        """Up to ``limit`` of the owner's items after ``after``, in order, and whether more may follow."""
        kwargs: dict[str, Any] = {
            "TableName": self._messages,
            "KeyConditionExpression": "conversationId = :c" + (" AND messageId > :after" if after else ""),
            "FilterExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {
                ":c": {"S": conversation_id},
                ":owner": {"S": owner},
                **({":after": {"S": after}} if after else {}),
            },
            "ConsistentRead": True,
        }
        items: list[dict] = []
        # One more than needed: is there a next page?
        for page in query_pages(self._client, kwargs, lambda: limit - len(items) + 1):
            items.extend(from_item(i) for i in page.get("Items", []))
            if len(items) > limit:
                break
        return items[:limit], len(items) > limit

    def message(self, conversation_id: str, message_id: str) -> dict | None:
        item = self._client.get_item(
            TableName=self._messages,
            Key={"conversationId": {"S": conversation_id}, "messageId": {"S": message_id}},
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def conversations(self, owner: str, start: dict | None, limit: int) -> tuple[list[dict], dict | None]:
        """The owner's conversations, most recently active first, and where the next page starts."""
        kwargs: dict[str, Any] = {
            "TableName": self._conversations,
            "IndexName": self._index,
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":owner": {"S": owner}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = to_item(start)
        try:
            page = self._client.query(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ValidationException" and start:
                raise ValueError("not a page token of this list") from exc
            raise
        last = page.get("LastEvaluatedKey")
        return [from_item(i) for i in page.get("Items", [])], from_item(last) if last else None

    def chunks(self, message_id: str, after_seq: int) -> list[ResponseChunk]:
        return read_chunks(self._client, self._chunks, message_id, after_seq)
