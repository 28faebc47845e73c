"""Typed contracts at every boundary of the workflow (DESIGN §3).

The state machine's data is one JSON document that grows as it runs::

    WorkflowInput fields            <- from the pipe's input template
    perception: PerceptionResult    <- Perception,  ResultPath $.perception
    language:   LanguageResult      <- Language,    ResultPath $.language
    insights:   [ReasoningResult, EmotionalResult, DepthResult]   <- Parallel, ResultPath $.insights
    error:      {Error, Cause}      <- only on the fallback path, from a Catch

Each agent reads the part it needs with the ``from_dict`` below and returns its own result's
``to_dict()``. Plain dataclasses, not pydantic: importing pydantic costs a cold start ~100 ms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any


def iso_timestamp(moment: datetime | None = None) -> str:
    """A ``createdAt`` as the contract writes it: ISO 8601, UTC, milliseconds, ``Z`` (now by default)."""
    moment = datetime.now(UTC) if moment is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ContractError(ValueError):
    """The input does not match its contract (missing field, wrong type)."""


def _require_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        got = "missing" if value is None else type(value).__name__
        raise ContractError(f"{key} must be a string ({got})")
    return value


def _known(cls, data: Mapping[str, Any]) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class WorkflowInput:
    """What the pipe hands the state machine: one user message."""

    conversationId: str
    messageId: str
    owner: str
    content: str
    createdAt: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], strict: bool = True) -> WorkflowInput:
        """Strict on the ids a reply is written under (conversationId, messageId). With
        ``strict=False`` a missing or non-text owner, content or createdAt becomes ``""``, so
        perception can answer the message with a clear refusal instead of crashing."""
        if not isinstance(data, Mapping):
            raise ContractError("workflow input must be an object")
        ids = {key: _require_str(data, key) for key in ("conversationId", "messageId")}
        rest = {}
        for key in ("owner", "content", "createdAt"):
            value = data.get(key)
            rest[key] = _require_str(data, key) if strict else (value if isinstance(value, str) else "")
        return cls(**ids, **rest)

    @property
    def reply_id(self) -> str:
        return f"{self.messageId}#reply"


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation, as memory holds it."""

    role: str  # "user" or "brain"
    content: str
    messageId: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Turn:
        return cls(**_known(cls, data))


@dataclass(frozen=True)
class PerceptionResult:
    """The prompt, ready for the model, and the memory it was built from."""

    valid: bool
    problem: str | None  # why the input was refused, in the persona's words, when not valid
    system: str
    messages: list[dict]  # Bedrock Converse messages, the last one the user's
    history: list[Turn]
    cacheHit: bool
    elapsedMs: float
    refusal: str | None = None  # machine-readable reason when not valid (content-empty, owner-missing, ...)
    suspectedOverride: bool = False  # the message tries to replace the persona; the prompt is guarded

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PerceptionResult:
        values = _known(cls, data)
        values["history"] = [Turn.from_dict(t) for t in data.get("history", [])]
        return cls(**values)


@dataclass(frozen=True)
class LanguageResult:
    """The model's streamed draft, as the client saw it."""

    text: str
    model: str
    inputTokens: int
    outputTokens: int
    modelTtftMs: float  # model call start -> first text delta
    modelMs: float  # model call start -> stream end (Bedrock latency)
    firstChunkAt: float  # epoch ms when the first chunk was written
    chunks: int
    elapsedMs: float
    refused: bool = False  # perception refused the input; text is the refusal, not a model reply
    failedChunkWrites: int = 0  # chunk writes that failed and were folded into the next chunk

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LanguageResult:
        return cls(**_known(cls, data))


@dataclass(frozen=True)
class InsightInput:
    """What each Parallel branch (reasoning, emotional, depth) reads from the workflow state."""

    messageId: str
    userText: str  # "" when the content was not text
    reply: str  # the language step's streamed draft
    history: list[Turn]

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> InsightInput:
        content = state.get("content")
        return cls(
            messageId=str(state.get("messageId", "")),
            userText=content if isinstance(content, str) else "",
            reply=LanguageResult.from_dict(state["language"]).text,
            history=[Turn.from_dict(t) for t in (state.get("perception") or {}).get("history", [])],
        )


@dataclass(frozen=True)
class ReasoningResult:
    agent: str
    thoughts: list[str]
    structure: dict  # sentences, questions, claims: what the thoughts were built from
    repaired: bool
    elapsedMs: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Emotion:
    label: str
    valence: float  # -1 .. 1
    arousal: float  # 0 .. 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Emotion:
        return cls(label=str(data["label"]), valence=float(data["valence"]), arousal=float(data["arousal"]))


@dataclass(frozen=True)
class EmotionalResult:
    agent: str
    emotion: Emotion  # the brain's, in its reply
    userEmotion: Emotion
    sensations: list[str]
    elapsedMs: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DepthResult:
    agent: str
    novelty: float  # 0 (repeats an earlier reply) .. 1 (nothing like it)
    mostSimilarReply: str | None
    perspective: str
    memories: str
    elapsedMs: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ReplyItem:
    """The brain's reply in the Messages table: the final word (DESIGN §3)."""

    conversationId: str
    messageId: str
    role: str
    owner: str
    inReplyTo: str
    content: str
    sensations: list[str]
    thoughts: list[str]
    memories: str
    selfReflection: str
    emotion: dict
    status: str  # "complete" | "fallback"
    timings: dict
    model: str
    createdAt: str
    degraded: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


REPLY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ReplyItem))


@dataclass(frozen=True)
class ResponseChunk:
    """One piece of the streamed draft in the ResponseChunks table."""

    messageId: str
    seq: int
    text: str
    done: bool
    expiresAt: int

    def to_item(self) -> dict:
        return asdict(self)
