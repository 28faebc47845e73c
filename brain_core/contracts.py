"""Typed contracts at every boundary of the workflow (docs/design.md §3).

The state machine's data is one JSON document that grows as it runs. Its keys are where the
ASL's ResultPaths write (``tests/unit/test_contracts.py`` checks that they agree)::

    WorkflowInput fields        <- the pipe's input template (the UserMessage item's fields)
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

By boundary: this module holds the workflow's states; :mod:`brain_core.client_contracts` the
tables' items and the pushed events that clients read (UserMessage, ReplyItem, ResponseChunk,
ChunkEvent, ReplyEvent), re-exported here; :mod:`brain_core.wire` the base they share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

# The tables' items and the pushed events, re-exported: ``brain_core.contracts`` names every contract.
from brain_core.client_contracts import REPLY_FIELDS as REPLY_FIELDS
from brain_core.client_contracts import ChunkEvent as ChunkEvent
from brain_core.client_contracts import ReplyEvent as ReplyEvent
from brain_core.client_contracts import ReplyItem as ReplyItem
from brain_core.client_contracts import ResponseChunk as ResponseChunk
from brain_core.client_contracts import UserMessage as UserMessage
from brain_core.config import AGENTS, INSIGHT_AGENTS
from brain_core.wire import _C, Contract, ContractError, _checked, _require_str
from brain_core.wire import iso_timestamp as iso_timestamp


def step_name(agent: str) -> str:
    """The key of ``agent``'s own milliseconds in a reply's ``timings`` (self_review -> selfReview)."""
    first, *rest = agent.split("_")
    return first + "".join(part.capitalize() for part in rest)


#: Every agent's key in ReplyItem.timings, in workflow order.
TIMED_STEPS: tuple[str, ...] = tuple(step_name(agent) for agent in AGENTS)


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
