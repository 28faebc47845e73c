"""The contracts clients see: the items of the Messages and ResponseChunks tables, and the events
that push them to a client's channel (docs/design.md §3 and §8).

One field name means one thing in all of them: ``messageId`` is the id of the item (or event)
itself — a user message's, or a reply's ``<user messageId>#reply`` — and ``inReplyTo`` names the
user message a reply answers. A chunk belongs to the reply's draft and is keyed by the user
message it answers: its ``messageId`` is the user message's (the ResponseChunks table's key).

``scripts/gen_contracts_ts.py`` writes ``web/src/contracts.generated.ts`` from these classes
(``tests/unit/test_generated_contracts.py`` fails, naming the field, when it is stale).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from brain_core.wire import Contract, iso_timestamp


@dataclass(frozen=True)
class UserMessage(Contract):
    """A person's message in the Messages table: written by the API (and the offline boto3 client),
    carried by the table's stream to the pipe, whose input template makes it a WorkflowInput."""

    conversationId: str
    messageId: str
    owner: str
    content: str
    createdAt: str
    role: Literal["user"] = "user"
    #: The client's own id of the message, when it sent one (a retry sends the same).
    clientMessageId: str | None = None

    @classmethod
    def new(cls, conversation_id: str, owner: str, content: str, client_message_id: str | None = None) -> UserMessage:
        """A message written now, with a new ULID (ids sort in time: a reply sorts right after)."""
        from ulid import ULID  # only the writers of messages need it, not every function

        return cls(conversation_id, str(ULID()), owner, content, iso_timestamp(), "user", client_message_id)

    def to_dict(self) -> dict[str, Any]:
        item = super().to_dict()
        if self.clientMessageId is None:
            del item["clientMessageId"]
        return item

    @property
    def reply_id(self) -> str:
        return f"{self.messageId}#reply"


@dataclass
class ReplyItem(Contract):
    """The brain's reply in the Messages table: the final word (docs/design.md §3)."""

    conversationId: str
    messageId: str
    role: Literal["brain"]
    owner: str
    inReplyTo: str
    content: str
    sensations: list[str]
    thoughts: list[str]
    memories: str
    selfReflection: str
    emotion: dict[str, Any]
    status: str  # "complete" | "fallback"
    timings: dict[str, float]
    model: str
    createdAt: str
    degraded: list[str] = field(default_factory=list)
    #: Where each insight agent's part came from: agent -> "model" | "heuristic" | "degraded".
    insightSources: dict[str, str] = field(default_factory=dict)
    #: Facts this turn added to the owner's long-term memory (perception re-reads them when > 0).
    factsRemembered: int = 0


REPLY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ReplyItem))


@dataclass(frozen=True)
class ResponseChunk(Contract):
    """One piece of the streamed draft in the ResponseChunks table."""

    messageId: str
    seq: int
    text: str
    done: bool
    expiresAt: int


@dataclass(frozen=True)
class ChunkEvent(Contract):
    """A chunk as it is pushed, once it is written: ``messageId`` is the user message's, as on the
    ResponseChunk (the draft of the reply to it); ``seq`` counts from 0."""

    messageId: str
    seq: int
    text: str
    type: Literal["chunk"] = "chunk"

    @classmethod
    def of(cls, chunk: ResponseChunk) -> ChunkEvent:
        return cls(messageId=chunk.messageId, seq=chunk.seq, text=chunk.text)


@dataclass
class ReplyEvent(ReplyItem):
    """The reply as it is pushed: the ReplyItem's fields as they are — ``messageId`` the reply's own
    id, ``inReplyTo`` the user message's — and ``chunks``, the done chunk's seq (how many the
    draft had, so a client knows whether it missed any)."""

    type: Literal["reply"] = "reply"
    chunks: int | None = None

    @classmethod
    def of(cls, reply: ReplyItem, chunks: int | None = None) -> ReplyEvent:
        return cls(**reply.to_dict(), chunks=chunks)

    def to_dict(self) -> dict[str, Any]:
        event = super().to_dict()
        if self.chunks is None:
            del event["chunks"]
        return event
