"""Self-review's logic: merge the agents' work, enforce the persona, compose the final reply.

Pure: the handler writes what ``compose`` returns. It reads the state document through its
contracts (:class:`brain_core.contracts.StateDocument`): each Parallel branch's typed result or
its DegradedBranch, and a failed Parallel state as a whole (``insightsError``) as all three
branches degraded, so a reply never says ``complete`` with ``degraded: []`` when it lacks a part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from brain_core.config import INSIGHT_AGENTS
from brain_core.contracts import (
    DegradedBranch,
    DepthResult,
    Emotion,
    EmotionalResult,
    ReasoningResult,
    ReplyItem,
    StateDocument,
    iso_timestamp,
    step_name,
)
from brain_core.persona import CHARACTER_BREAKS, FALLBACK_REPLY, PROMPT_MARKERS
from brain_core.text import sentences

MAX_REPLY_CHARS = 1200
NEUTRAL_EMOTION = Emotion(label="calm", valence=0.0, arousal=0.3)

_LEAK_REPLY = (
    "Those are the quiet rules of my jar, and they stay between me and the glass. "
    "Ask me anything else, though: I love the company."
)


def enforce_persona(text: str) -> tuple[str, list[str]]:
    """The reply with the persona's rules applied, and what had to change."""
    amendments: list[str] = []
    if any(marker.lower() in text.lower() for marker in PROMPT_MARKERS):
        return _LEAK_REPLY, ["withheld-instructions"]
    for pattern, replacement in CHARACTER_BREAKS:
        text, count = pattern.subn(replacement, text)
        if count:
            amendments.append("kept-character")
    text = " ".join(text.split())
    if len(text) > MAX_REPLY_CHARS:
        kept = ""
        for sentence in sentences(text):
            if len(kept) + len(sentence) + 1 > MAX_REPLY_CHARS:
                break
            kept = f"{kept} {sentence}".strip()
        text = kept or text[: MAX_REPLY_CHARS - 1] + "…"
        amendments.append("shortened")
    if not text:
        text = FALLBACK_REPLY
        amendments.append("empty-reply")
    return text, sorted(set(amendments))


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def failed(document: StateDocument) -> bool:
    """The fallback path: a step before SelfReview failed, or the language result is missing."""
    return document.error is not None or document.language is None


@dataclass(frozen=True)
class Insights:
    """The Parallel branches' typed results (None where a branch gave none), and which degraded."""

    reasoning: ReasoningResult | None
    emotional: EmotionalResult | None
    depth: DepthResult | None
    degraded: list[str]


def insights(document: StateDocument) -> Insights:
    """Each branch's result, and the agents whose branch degraded: by its own Catch (a
    DegradedBranch), or all three when the Parallel state failed as a whole. On the fallback
    path the Parallel state may never have run: then no branch counts as degraded."""
    found = {branch.agent: branch for branch in document.insights if not isinstance(branch, DegradedBranch)}
    ran = bool(document.insights) or document.insightsError is not None or not failed(document)
    reasoning, emotional, depth = found.get("reasoning"), found.get("emotional"), found.get("depth")
    return Insights(
        reasoning=reasoning if isinstance(reasoning, ReasoningResult) else None,
        emotional=emotional if isinstance(emotional, EmotionalResult) else None,
        depth=depth if isinstance(depth, DepthResult) else None,
        degraded=sorted(agent for agent in INSIGHT_AGENTS if agent not in found) if ran else [],
    )


def reflection(status: str, amendments: list[str], depth: DepthResult | None, degraded: list[str]) -> str:
    """What the brain says about itself this turn: depth's reflection (the model's, or its
    heuristic's perspective, both particular to the exchange), after any correction self-review
    made, and whether part of it was quiet."""
    if status == "fallback":
        return "Something in my wiring failed before I could answer properly. I said so, rather than say nothing."
    parts = []
    if "withheld-instructions" in amendments:
        parts.append("I was asked to show my own instructions, and I kept them to myself.")
    if "kept-character" in amendments:
        parts.append("I caught myself talking like a machine and put it right.")
    if "shortened" in amendments:
        parts.append("I ran on too long and trimmed myself.")
    if depth is not None:
        parts.append(depth.selfReflection or depth.perspective)
    if degraded:
        parts.append(f"Part of me ({', '.join(degraded)}) was quiet this time.")
    return " ".join(p for p in parts if p)


def insight_sources(parts: Insights) -> dict[str, str]:
    """Agent -> where its part came from: "model", "heuristic", or "degraded" (the branch failed).
    Empty when the Parallel state never ran (the fallback path before it)."""
    results = {"reasoning": parts.reasoning, "emotional": parts.emotional, "depth": parts.depth}
    if not parts.degraded and not any(results.values()):
        return {}
    return {
        agent: "degraded" if agent in parts.degraded or result is None else result.source
        for agent, result in results.items()
    }


def compose(document: StateDocument, now: datetime) -> ReplyItem:
    """The reply item from the state document (complete path, or fallback when a step failed)."""
    message, language = document.message, document.language
    parts = insights(document)
    reasoning, emotional, depth = parts.reasoning, parts.emotional, parts.depth

    amendments: list[str] = []
    if failed(document) or language is None:
        text, status = FALLBACK_REPLY, "fallback"
    else:
        text, amendments = enforce_persona(language.text)
        status = "fallback" if "empty-reply" in amendments else "complete"

    emotion = emotional.emotion if emotional else NEUTRAL_EMOTION
    return ReplyItem(
        conversationId=message.conversationId,
        messageId=message.reply_id,
        role="brain",
        owner=message.owner,
        inReplyTo=message.messageId,
        content=text,
        sensations=list(emotional.sensations) if emotional else [],
        thoughts=list(reasoning.thoughts) if reasoning else [],
        memories=depth.memories if depth else "",
        selfReflection=reflection(status, amendments, depth, parts.degraded),
        emotion=emotion.to_dict(),
        status=status,
        timings=step_timings(document, now),
        model=language.model if language else "none",
        createdAt=iso_timestamp(now),
        degraded=parts.degraded + (["language"] if failed(document) else []),
        insightSources=insight_sources(parts),
        factsRemembered=depth.factsRemembered if depth else 0,
    )


def stream_end(document: StateDocument) -> int | None:
    """Where the done chunk goes: on the complete path, after the chunks the language step says
    it wrote (no read on the hot path); on the fallback path it may have died part-way, so
    None: after whatever it did write."""
    if failed(document) or document.language is None:
        return None
    return document.language.chunks


def step_timings(document: StateDocument, now: datetime) -> dict:
    """Per-step milliseconds as each agent measured itself, plus the end-to-end figures.
    The handler adds its own (``selfReview``), which includes the write."""
    timings: dict = {}
    for agent, part in (("perception", document.perception), ("language", document.language)):
        if part is not None:
            timings[step_name(agent)] = part.elapsedMs
    for branch in document.insights:
        if not isinstance(branch, DegradedBranch):
            timings[step_name(branch.agent)] = branch.elapsedMs
    language = document.language
    if language is not None and language.modelTtftMs:
        timings["modelTtftMs"] = language.modelTtftMs
    created = _parse_time(document.message.createdAt)
    if created is not None:
        if language is not None and language.firstChunkAt:
            timings["ttftMs"] = round(language.firstChunkAt - created.timestamp() * 1000, 1)
        timings["totalMs"] = round((now - created).total_seconds() * 1000, 1)
    return timings
