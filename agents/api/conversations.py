"""The client API's logic (docs/design.md §8): post a message, read one's history, list one's conversations,
catch up on a reply's draft. Plain functions over a :class:`ConversationTables`-like store; the
caller's identity is always the ``owner`` argument (the token's ``sub``), never the request body.

Bad input raises :class:`ApiError` (a 4xx with a machine-readable ``error`` and a sentence) before
anything is written.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Protocol

from brain_core.channels import SEGMENT_RULE, channel_for, valid_segment
from brain_core.contracts import ResponseChunk, UserMessage

CLIENT_MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
MESSAGE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # a ULID, as this API writes them
#: Fields of the items that are the store's business, not the client's.
PRIVATE_FIELDS = ("owner",)


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def to_dict(self) -> dict:
        return {"error": self.error, "message": self.message}


class Store(Protocol):
    def put_message(self, message: UserMessage) -> None: ...
    def touch_conversation(self, owner: str, conversation_id: str, title: str, message_id: str, at: str) -> None: ...
    def messages(self, conversation_id: str, owner: str, after: str | None, limit: int) -> tuple[list[dict], bool]: ...
    def message(self, conversation_id: str, message_id: str) -> dict | None: ...
    def conversations(self, owner: str, start: dict | None, limit: int) -> tuple[list[dict], dict | None]: ...
    def chunks(self, message_id: str, after_seq: int) -> list[ResponseChunk]: ...


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_content_chars: int
    page_size: int
    max_page_size: int
    title_chars: int
    namespace: str


# -- input --------------------------------------------------------------------------------------
def conversation_id(value: str) -> str:
    if not valid_segment(value):
        raise ApiError(400, "InvalidConversationId", f"conversationId must be {SEGMENT_RULE}")
    return value


def new_message(body: bytes | None, owner: str, conv_id: str, limits: Limits) -> dict:
    """The request to post a message, checked: ``{owner, conversationId, content, clientMessageId}``."""
    conv_id = conversation_id(conv_id)
    body = body or b""
    if len(body) > limits.max_body_bytes:
        raise ApiError(413, "PayloadTooLarge", f"the body is over {limits.max_body_bytes} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "InvalidJson", "the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidJson", "the body must be a JSON object")
    content = data.get("content")
    if not isinstance(content, str):
        raise ApiError(400, "InvalidContent", "content must be a string")
    try:
        content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(400, "InvalidContent", "content must be valid Unicode text") from exc
    if not content.strip():
        raise ApiError(400, "EmptyContent", "content is empty")
    if len(content) > limits.max_content_chars:
        raise ApiError(400, "ContentTooLong", f"content is over {limits.max_content_chars} characters")
    client_id = data.get("clientMessageId")
    if client_id is not None and not (isinstance(client_id, str) and CLIENT_MESSAGE_ID.fullmatch(client_id)):
        raise ApiError(400, "InvalidClientMessageId", "clientMessageId must be 1-64 of A-Z a-z 0-9 . _ : -")
    return {"owner": owner, "conversationId": conv_id, "content": content, "clientMessageId": client_id}


def page_limit(raw: str | None, limits: Limits) -> int:
    if raw is None:
        return limits.page_size
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= limits.max_page_size:
        raise ApiError(400, "InvalidLimit", f"limit must be a whole number from 1 to {limits.max_page_size}")
    return value


# -- the routes' work ---------------------------------------------------------------------------
def post_message(request: dict, store: Store, limits: Limits) -> dict:
    """Write the user message as ``request["owner"]``; the workflow answers it from the stream."""
    message = UserMessage.new(
        request["conversationId"], request["owner"], request["content"], request.get("clientMessageId") or None
    )
    store.put_message(message)
    title = " ".join(message.content.split())[: limits.title_chars]
    store.touch_conversation(message.owner, message.conversationId, title, message.messageId, message.createdAt)
    return {
        "conversationId": message.conversationId,
        "messageId": message.messageId,
        "createdAt": message.createdAt,
        "channel": channel_for(limits.namespace, message.owner, message.conversationId),
    }


def history(store: Store, owner: str, conv_id: str, after: str | None, limit: int) -> dict:
    conv_id = conversation_id(conv_id)
    if after is not None and len(after) > 64:
        raise ApiError(400, "InvalidAfter", "after must be a messageId from this conversation")
    items, more = store.messages(conv_id, owner, after, limit)
    public = [{k: v for k, v in item.items() if k not in PRIVATE_FIELDS} for item in items]
    return {
        "conversationId": conv_id,
        "items": public,
        "nextToken": public[-1]["messageId"] if more and public else None,
    }


def conversations(store: Store, owner: str, token: str | None, limit: int) -> dict:
    start = _decode_token(token, owner) if token else None
    try:
        items, last = store.conversations(owner, start, limit)
    except ValueError as exc:
        raise ApiError(400, "InvalidNextToken", str(exc)) from exc
    public = [
        {k: item.get(k) for k in ("conversationId", "title", "createdAt", "updatedAt", "lastMessageId")}
        for item in items
    ]
    return {"items": public, "nextToken": _encode_token(last) if last else None}


def chunks(store: Store, owner: str, conv_id: str, message_id: str, after: str | None) -> dict:
    """The streamed draft of the reply to one's own message, after seq ``after`` (catching up)."""
    conv_id = conversation_id(conv_id)
    if not MESSAGE_ID.fullmatch(message_id or ""):
        raise ApiError(400, "InvalidMessageId", "messageId must be a message id this API returned")
    try:
        after_seq = -1 if after is None else int(after)
    except ValueError as exc:
        raise ApiError(400, "InvalidAfter", "after must be a chunk's seq (a whole number)") from exc
    message = store.message(conv_id, message_id)
    if message is None or message.get("owner") != owner:
        raise ApiError(404, "NotFound", "no such message of yours")
    found = store.chunks(message_id, after_seq)
    return {
        "messageId": message_id,
        "chunks": [{"seq": c.seq, "text": c.text, "done": c.done} for c in found],
        "done": any(c.done for c in found),
    }


def _encode_token(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str, owner: str) -> dict:
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise ApiError(400, "InvalidNextToken", "not a page token of this list") from exc
    if not isinstance(key, dict) or key.get("owner") != owner:
        raise ApiError(400, "InvalidNextToken", "not a page token of this list")
    return key
