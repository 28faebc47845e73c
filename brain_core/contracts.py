"""Typed contracts at every boundary of the workflow (DESIGN §3).

The state machine's data is one JSON document that grows as it runs. Its keys are where the
ASL's ResultPaths write (``tests/unit/test_contracts.py`` checks that they agree)::

    WorkflowInput fields        <- the pipe's input template
    perception:    PerceptionResult     <- Perception,  ResultPath $.perception
    language:      LanguageResult       <- Language,    ResultPath $.language
    insights:      one per Parallel branch, in branch order: ReasoningResult, EmotionalResult,
                   DepthResult, or a DegradedBranch where that branch failed
                                        <- PostProcess, ResultPath $.insights
    insightsError: StepError            <- only when PostProcess failed as a whole (its Catch)
    error:         StepError            <- only on the fallback path (a Task's Catch)

Each agent reads the part it needs with the ``from_dict`` below and returns its own result's
``to_dict()``; SelfReview reads the whole document as a :class:`StateDocument` and returns a
:class:`ReviewResult` (OutputPath $.review: the execution's output).

Plain dataclasses with a small field check (:func:`_checked`), not pydantic: importing pydantic
costs a cold start ~100 ms, and these are a dozen flat records.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin

from brain_core.config import AGENTS, INSIGHT_AGENTS


def iso_timestamp(moment: datetime | None = None) -> str:
    """A ``createdAt`` as the contract writes it: ISO 8601, UTC, milliseconds, ``Z`` (now by default)."""
    moment = datetime.now(UTC) if moment is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def step_name(agent: str) -> str:
    """The key of ``agent``'s own milliseconds in a reply's ``timings`` (self_review -> selfReview)."""
    first, *rest = agent.split("_")
    return first + "".join(part.capitalize() for part in rest)


#: Every agent's key in ReplyItem.timings, in workflow order.
TIMED_STEPS: tuple[str, ...] = tuple(step_name(agent) for agent in AGENTS)


class ContractError(ValueError):
    """The input does not match its contract (missing field, wrong type)."""


def _require_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        got = "missing" if value is None else type(value).__name__
        raise ContractError(f"{key} must be a string ({got})")
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` (parsed JSON) has the shape of the annotation ``hint``. Containers are
    checked one level deep; nested contracts are parsed by their own ``from_dict``."""
    origin = get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (list, tuple) or hint in (list, tuple):
        return isinstance(value, list | tuple)
    if origin in (dict, Mapping) or hint in (dict, Mapping) or dataclasses.is_dataclass(hint):
        return isinstance(value, Mapping)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _checked(cls: type, data: Any) -> dict[str, Any]:
    """The fields of ``cls`` present in ``data``, each of its annotated type; a missing required
    field or a value of the wrong type is a :class:`ContractError`. Unknown keys are ignored."""
    if not isinstance(data, Mapping):
        raise ContractError(f"{cls.__name__} must be an object, not {type(data).__name__}")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ContractError(f"{cls.__name__}.{f.name} is missing")
            continue
        value = data[f.name]
        if not _matches(value, hints[f.name]):
            raise ContractError(f"{cls.__name__}.{f.name} must be {hints[f.name]}, not {type(value).__name__}")
        values[f.name] = value
    return values


_C = TypeVar("_C", bound="Contract")


class Contract:
    """A record on the wire: ``to_dict`` is its JSON shape, ``from_dict`` reads it back checked.
    Every subclass is a dataclass."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls: type[_C], data: Any) -> _C:
        return cls(**_checked(cls, data))


@dataclass(frozen=True)
class WorkflowInput(Contract):
    """What the pipe hands the state machine: one user message."""

    conversationId: str
    messageId: str
    owner: str
    content: str
    createdAt: str
    #: Lenient reads only: the fields that arrived missing or not as text, each read as "". Not
    #: part of the wire format (perception answers them with a clear refusal).
    not_text: tuple[str, ...] = ()

    WIRE_FIELDS: ClassVar[tuple[str, ...]] = ("conversationId", "messageId", "owner", "content", "createdAt")

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.WIRE_FIELDS}

    @classmethod
    def from_dict(cls, data: Any, strict: bool = True) -> WorkflowInput:
        """Strict on the ids a reply is written under (conversationId, messageId). With
        ``strict=False`` a missing or non-text owner, content or createdAt becomes ``""`` and is
        named in ``not_text``, so perception can refuse the message clearly instead of crashing."""
        if not isinstance(data, Mapping):
            raise ContractError("workflow input must be an object")
        conversation_id, message_id = _require_str(data, "conversationId"), _require_str(data, "messageId")
        if strict:
            owner, content, created_at = (_require_str(data, key) for key in ("owner", "content", "createdAt"))
            return cls(conversation_id, message_id, owner, content, created_at)
        rest = {key: data.get(key) for key in ("owner", "content", "createdAt")}
        owner, content, created_at = (value if isinstance(value, str) else "" for value in rest.values())
        not_text = tuple(key for key, value in rest.items() if not isinstance(value, str))
        return cls(conversation_id, message_id, owner, content, created_at, not_text=not_text)

    @property
    def reply_id(self) -> str:
        return f"{self.messageId}#reply"


@dataclass(frozen=True)
class Turn(Contract):
    """One earlier message of the conversation (the person's or the brain's), as memory holds it."""

    role: str  # "user" or "brain"
    content: str
    messageId: str
    factsRemembered: int = 0  # a brain reply's: facts its turn added to long-term memory


@dataclass(frozen=True)
class PerceptionResult(Contract):
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
    #: The owner's long-term facts the prompt carries (``{"kind", "value"}``; brain_core/facts.py).
    facts: list[dict] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Any) -> PerceptionResult:
        values = _checked(cls, data)
        values["history"] = [Turn.from_dict(t) for t in values["history"]]
        return cls(**values)


@dataclass(frozen=True)
class LanguageResult(Contract):
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


@dataclass(frozen=True)
class InsightInput:
    """What each Parallel branch (reasoning, emotional, depth) reads from the workflow state."""

    messageId: str
    userText: str  # "" when the content was not text
    reply: str  # the language step's streamed draft
    history: list[Turn]
    owner: str = ""
    createdAt: str = ""
    facts: list[dict] = field(default_factory=list)  # what the brain already knew about the owner

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> InsightInput:
        message = WorkflowInput.from_dict(state, strict=False)
        perception = PerceptionResult.from_dict(state["perception"]) if state.get("perception") else None
        return cls(
            messageId=message.messageId,
            userText=message.content,
            reply=LanguageResult.from_dict(state["language"]).text,
            history=perception.history if perception else [],
            owner=message.owner,
            createdAt=message.createdAt,
            facts=perception.facts if perception else [],
        )


#: Where an insight came from: the model, or the agent's heuristic (model off, or it failed this
#: turn). A reply's ``insightSources`` adds ``degraded``: the branch failed as a whole.
INSIGHT_SOURCES: tuple[str, ...] = ("model", "heuristic", "degraded")


@dataclass(frozen=True)
class ReasoningResult(Contract):
    agent: str
    thoughts: list[str]
    structure: dict  # sentences, questions, claims: what the heuristic's thoughts were built from
    repaired: bool
    elapsedMs: float
    source: str = "heuristic"  # "model" | "heuristic"


@dataclass(frozen=True)
class Emotion(Contract):
    label: str
    valence: float  # -1 .. 1
    arousal: float  # 0 .. 1


@dataclass(frozen=True)
class EmotionalResult(Contract):
    agent: str
    emotion: Emotion  # the brain's, in its reply
    userEmotion: Emotion
    sensations: list[str]
    elapsedMs: float
    source: str = "heuristic"  # "model" | "heuristic"

    @classmethod
    def from_dict(cls, data: Any) -> EmotionalResult:
        values = _checked(cls, data)
        values["emotion"] = Emotion.from_dict(values["emotion"])
        values["userEmotion"] = Emotion.from_dict(values["userEmotion"])
        return cls(**values)


@dataclass(frozen=True)
class DepthResult(Contract):
    agent: str
    novelty: float  # 0 (repeats an earlier reply) .. 1 (nothing like it)
    mostSimilarReply: str | None
    perspective: str
    memories: str
    elapsedMs: float
    selfReflection: str = ""  # how the brain sees itself in this reply ("": self-review composes one)
    facts: list[dict] = field(default_factory=list)  # durable facts told this turn ({"kind", "value"})
    factsRemembered: int = 0  # of those, how many long-term memory took (new or newer)
    source: str = "heuristic"  # "model" | "heuristic"


@dataclass(frozen=True)
class DegradedBranch(Contract):
    """What a Parallel branch's ``<Agent>Degraded`` Pass state outputs when its agent failed: the
    reply goes out without that agent's part."""

    agent: str
    degraded: bool  # always true: how the Pass state's output is told from an agent's result
    error: str  # the failure's error name, from the branch Catch's $.error.Error


@dataclass(frozen=True)
class StepError(Contract):
    """What a Catch writes at its ResultPath: the error name and its cause."""

    Error: str
    Cause: str = ""


InsightResult = ReasoningResult | EmotionalResult | DepthResult
BranchResult = InsightResult | DegradedBranch

#: The result contract of each Parallel branch's agent.
INSIGHT_RESULTS: Mapping[str, type[InsightResult]] = {
    "reasoning": ReasoningResult,
    "emotional": EmotionalResult,
    "depth": DepthResult,
}


def read_branch(agent: str, data: Any) -> BranchResult:
    """One element of ``insights``: ``agent``'s result, or its DegradedBranch. Anything else (a
    result that does not match its contract, or names another agent) counts as that branch
    degraded: a reply never claims a part it does not have."""
    branch: BranchResult
    try:
        if isinstance(data, Mapping) and data.get("degraded"):
            branch = DegradedBranch.from_dict(data)
        else:
            branch = INSIGHT_RESULTS[agent].from_dict(data)
    except ContractError as invalid:
        return DegradedBranch(agent=agent, degraded=True, error=f"{ContractError.__name__}: {invalid}")
    if branch.agent != agent:
        return DegradedBranch(agent=agent, degraded=True, error=f"{ContractError.__name__}: result of {branch.agent}")
    return branch


def _optional(cls: type[_C], data: Any) -> _C | None:
    """``cls`` read from ``data``; None where the part is absent or unreadable."""
    if data is None:
        return None
    try:
        return cls.from_dict(data)
    except ContractError:
        return None


def _step_error(data: Any) -> StepError | None:
    """A Catch's output; one that cannot be read still marks the failure it stands for."""
    if data is None:
        return None
    return _optional(StepError, data) or StepError(Error=ContractError.__name__, Cause=repr(data)[:500])


@dataclass(frozen=True)
class StateDocument:
    """The workflow's state document as SelfReview and WriteFallbackReply receive it.

    Read leniently: SelfReview must write a reply whatever arrives. An unreadable language
    result reads as absent (the reply falls back, counted by FallbackReplies); an unreadable
    branch result as that branch degraded (counted by DegradedReplies).
    """

    message: WorkflowInput  # the WorkflowInput fields, at the top level of the document
    perception: PerceptionResult | None = None
    language: LanguageResult | None = None
    insights: list[BranchResult] = field(default_factory=list)
    insightsError: StepError | None = None
    error: StepError | None = None

    #: The document's keys that the states' ResultPaths write (the rest are WorkflowInput's).
    RESULT_FIELDS: ClassVar[tuple[str, ...]] = ("perception", "language", "insights", "insightsError", "error")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StateDocument:
        insights = data.get("insights")
        return cls(
            message=WorkflowInput.from_dict(data, strict=False),
            perception=_optional(PerceptionResult, data.get("perception")),
            language=_optional(LanguageResult, data.get("language")),
            insights=[read_branch(agent, item) for agent, item in zip(INSIGHT_AGENTS, insights or [], strict=False)]
            if isinstance(insights, list)
            else [],
            insightsError=_step_error(data.get("insightsError")),
            error=_step_error(data.get("error")),
        )

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = self.message.to_dict()
        for name in self.RESULT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, list) and value:
                document[name] = [item.to_dict() for item in value]
            elif isinstance(value, Contract):
                document[name] = value.to_dict()
        return document


@dataclass(frozen=True)
class ReviewResult(Contract):
    """SelfReview's (and WriteFallbackReply's) output: the execution's output."""

    messageId: str
    replyId: str
    status: str  # "complete" | "fallback"
    written: bool  # False: a reply to this message already existed (a duplicate run)


@dataclass
class ReplyItem(Contract):
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
    #: Where each insight agent's part came from: agent -> "model" | "heuristic" | "degraded".
    insightSources: dict = field(default_factory=dict)
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
