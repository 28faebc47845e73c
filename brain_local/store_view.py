"""Reading the offline stack's tables from inside its process (tests, benchmark)."""

from __future__ import annotations

from brain_core.store import from_item


def reply_for(stack, message: dict) -> dict | None:
    item = stack.client("dynamodb").get_item(
        TableName=stack.settings.messages_table,
        Key={"conversationId": {"S": message["conversationId"]}, "messageId": {"S": message["messageId"] + "#reply"}},
        ConsistentRead=True,
    ).get("Item")
    return from_item(item) if item else None


def chunks_for(stack, message_id: str) -> list[dict]:
    page = stack.client("dynamodb").query(
        TableName=stack.settings.chunks_table,
        KeyConditionExpression="messageId = :m",
        ExpressionAttributeValues={":m": {"S": message_id}},
        ConsistentRead=True,
    )
    return [from_item(i) for i in page.get("Items", [])]
