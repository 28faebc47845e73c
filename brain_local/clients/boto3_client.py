"""A chat client, as a user's own app would be: plain boto3 against the endpoint.

It writes the user message into Messages, then follows the reply's streamed draft in
ResponseChunks (a consistent Query for chunks after the last one seen, every few
milliseconds) until the done chunk, and reads the final reply item.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3
from botocore.config import Config

from brain_core.config import SETTINGS, Settings
from brain_core.contracts import UserMessage
from brain_core.store import from_item, read_chunks, to_item


class ReplyTimeout(TimeoutError):
    pass


@dataclass
class Exchange:
    """One message and its reply, with what the client saw when."""

    message: dict
    reply: dict | None
    streamed: str
    chunks: int
    ttft_ms: float | None  # message written -> first chunk visible here
    total_ms: float  # message written -> reply item read here
    chunk_times_ms: list[float] = field(default_factory=list)

    def timings(self) -> dict:
        steps = dict((self.reply or {}).get("timings", {}))
        return {
            "ttftMs": None if self.ttft_ms is None else round(self.ttft_ms, 1),
            "totalMs": round(self.total_ms, 1),
            "steps": {k: v for k, v in steps.items() if k not in ("ttftMs", "totalMs", "modelTtftMs")},
            "server": {k: steps[k] for k in ("ttftMs", "totalMs", "modelTtftMs") if k in steps},
        }


class BrainClient:
    def __init__(self, endpoint: str | None, settings: Settings = SETTINGS, poll_interval: float = 0.01):
        self.settings = settings
        self.poll_interval = poll_interval
        # Offline (a plain http:// endpoint), the account's administrator, as the README's trusted
        # backend (even in a process whose environment holds other keys: moto's mock sets some);
        # a real account's come from the usual chain.
        offline = endpoint is not None and endpoint.startswith("http://")
        self.dynamodb = boto3.client(
            "dynamodb",
            region_name=settings.region,
            endpoint_url=endpoint or None,
            aws_access_key_id="offline" if offline else None,
            aws_secret_access_key="offline" if offline else None,
            config=Config(retries={"mode": "standard", "max_attempts": 3}, tcp_keepalive=True, max_pool_connections=64),
        )

    def put_message(self, text, conversation_id: str, owner: str) -> dict:
        message = UserMessage.new(conversation_id, owner, text).to_dict()
        self.dynamodb.put_item(TableName=self.settings.messages_table, Item=to_item(message))
        return message

    def follow(
        self, message: dict, written_at: float, on_chunk: Callable[[str], None] | None = None, timeout: float = 60.0
    ) -> Exchange:
        """Stream the reply to ``message``: ``on_chunk`` gets each chunk's text as it is seen."""
        parts: list[str] = []
        chunk_times: list[float] = []
        next_seq, done, reply = 0, False, None
        deadline = written_at + timeout
        last_reply_check = written_at
        while not done:
            now = time.perf_counter()
            if now > deadline:
                raise ReplyTimeout(f"no reply to {message['messageId']} within {timeout:.0f} s")
            for chunk in read_chunks(self.dynamodb, self.settings.chunks_table, message["messageId"], next_seq - 1):
                if chunk.seq != next_seq:
                    break  # a gap: the next chunk is not visible yet; keep order
                next_seq += 1
                if chunk.text:
                    chunk_times.append((time.perf_counter() - written_at) * 1000)
                    parts.append(chunk.text)
                    if on_chunk:
                        on_chunk(chunk.text)
                done = done or chunk.done
            if not done and now - last_reply_check > 1.0:
                # A reply with no done chunk yet (or no chunks at all) still ends the wait.
                last_reply_check = now
                done = self.reply(message) is not None
            if not done:
                time.sleep(self.poll_interval)
        reply = self.reply(message)
        while reply is None and time.perf_counter() < deadline:
            time.sleep(self.poll_interval)
            reply = self.reply(message)
        total = (time.perf_counter() - written_at) * 1000
        return Exchange(
            message=message,
            reply=reply,
            streamed="".join(parts),
            chunks=len(chunk_times),
            ttft_ms=chunk_times[0] if chunk_times else None,
            total_ms=total,
            chunk_times_ms=chunk_times,
        )

    def send(
        self,
        text,
        conversation_id: str,
        owner: str,
        on_chunk: Callable[[str], None] | None = None,
        timeout: float = 60.0,
    ) -> Exchange:
        message = self.put_message(text, conversation_id, owner)
        written_at = time.perf_counter()
        return self.follow(message, written_at, on_chunk, timeout)

    def reply(self, message: dict) -> dict | None:
        item = self.dynamodb.get_item(
            TableName=self.settings.messages_table,
            Key={
                "conversationId": {"S": message["conversationId"]},
                "messageId": {"S": f"{message['messageId']}#reply"},
            },
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def chunks(self, message_id: str) -> list[dict]:
        """Every chunk of the reply to ``message_id`` written so far, in order."""
        return [chunk.to_dict() for chunk in read_chunks(self.dynamodb, self.settings.chunks_table, message_id)]

    def history(self, conversation_id: str) -> list[dict]:
        """Every item of the conversation, in order: one Query (paged), as docs/design.md §3 promises;
        consistent, so an audit right after a reply is written sees it."""
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=self.settings.messages_table,
            KeyConditionExpression="conversationId = :c",
            ExpressionAttributeValues={":c": {"S": conversation_id}},
            ConsistentRead=True,
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]
