"""Reading the offline stack's tables from inside its process (tests, chaos): the client's reads."""

from __future__ import annotations

from brain_local.clients.boto3_client import BrainClient


def reply_for(stack, message: dict) -> dict | None:
    return BrainClient(stack.options.endpoint).reply(message)


def chunks_for(stack, message_id: str) -> list[dict]:
    return BrainClient(stack.options.endpoint).chunks(message_id)
