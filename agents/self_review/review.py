"""Self-review's logic: merge the agents' work, enforce the persona, compose the final reply.

Pure: the handler writes what ``compose`` returns.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from brain_core.contracts import ReplyItem, WorkflowInput, iso_timestamp
from brain_core.persona import FALLBACK_REPLY, PROMPT_MARKERS
from brain_core.text import sentences

MAX_REPLY_CHARS = 1200
NEUTRAL_EMOTION = {"label": "calm", "valence": 0.0, "arousal": 0.3}

_BREAKS = (
    (
        re.compile(r"\bas an? (?:ai|artificial intelligence|(?:large )?language model|assistant|chatbot)\b", re.I),
        "as a brain in a jar",
    ),
    (
        re.compile(
            r"\bi(?:'m| am) (?:just |only )?an? (?:ai|artificial intelligence|(?:large )?language model|"
            r"virtual assistant|assistant|chatbot|computer program)\b",
            re.I,
        ),
        "I'm a brain in a jar",
    ),
)
_LEAK_REPLY = (
    "Those are the quiet rules of my jar, and they stay between me and the glass. "
    "Ask me anything else, though: I love the company."
)


def enforce_persona(text: str) -> tuple[str, list[str]]:
    """The reply with the persona's rules applied, and what had to change."""
    amendments: list[str] = []
    if any(marker.lower() in text.lower() for marker in PROMPT_MARKERS):
        return _LEAK_REPLY, ["withheld-instructions"]
    for pattern, replacement in _BREAKS:
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


def insights_by_agent(insights: list) -> tuple[dict, list[str]]:
    """Each branch's result by agent name, and the agents whose branch degraded."""
    found: dict = {}
    degraded: list[str] = []
    for item in insights or []:
        if not isinstance(item, dict) or "agent" not in item:
            continue
        if item.get("degraded"):
            degraded.append(item["agent"])
        else:
            found[item["agent"]] = item
    return found, sorted(degraded)


def reflection(status: str, amendments: list[str], emotion: dict, depth: dict | None, degraded: list[str]) -> str:
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
        novelty = float(depth.get("novelty", 1.0))
        parts.append("I said something new." if novelty >= 0.5 else "I repeated myself more than I would like.")
    parts.append(f"I feel {emotion.get('label', 'calm')}.")
    if degraded:
        parts.append(f"Part of me ({', '.join(degraded)}) was quiet this time.")
    return " ".join(parts)


def compose(message: WorkflowInput, state: dict, now: datetime) -> ReplyItem:
    """The reply item from the workflow state (complete path, or fallback when ``error`` is set)."""
    language = state.get("language") if isinstance(state.get("language"), dict) else None
    failed = "error" in state or language is None
    found, degraded = insights_by_agent(state.get("insights", []))
    reasoning, emotional, depth = found.get("reasoning"), found.get("emotional"), found.get("depth")

    if failed:
        text, amendments, status = FALLBACK_REPLY, [], "fallback"
    else:
        text, amendments = enforce_persona(language.get("text", ""))
        status = "fallback" if "empty-reply" in amendments else "complete"

    emotion = (emotional or {}).get("emotion") or NEUTRAL_EMOTION
    timings = step_timings(state, now, message.createdAt)
    return ReplyItem(
        conversationId=message.conversationId,
        messageId=message.reply_id,
        role="brain",
        owner=message.owner,
        inReplyTo=message.messageId,
        content=text,
        sensations=list((emotional or {}).get("sensations", [])),
        thoughts=list((reasoning or {}).get("thoughts", [])),
        memories=(depth or {}).get("memories", ""),
        selfReflection=reflection(status, amendments, emotion, depth, degraded),
        emotion={"label": emotion["label"], "valence": emotion["valence"], "arousal": emotion["arousal"]},
        status=status,
        timings=timings,
        model=(language or {}).get("model", "none"),
        createdAt=iso_timestamp(now),
        degraded=degraded + (["language"] if failed else []),
    )


def step_timings(state: dict, now: datetime, created_at: str) -> dict:
    """Per-step milliseconds as each agent measured itself, plus the end-to-end figures.
    The handler adds its own (``selfReview``), which includes the write."""
    timings: dict = {}
    for step in ("perception", "language"):
        part = state.get(step)
        if isinstance(part, dict) and "elapsedMs" in part:
            timings[step] = part["elapsedMs"]
    for item in state.get("insights", []) or []:
        if isinstance(item, dict) and "elapsedMs" in item:
            timings[item["agent"]] = item["elapsedMs"]
    language = state.get("language") if isinstance(state.get("language"), dict) else {}
    if language.get("modelTtftMs"):
        timings["modelTtftMs"] = language["modelTtftMs"]
    created = _parse_time(created_at)
    if created is not None:
        if language.get("firstChunkAt"):
            timings["ttftMs"] = round(language["firstChunkAt"] - created.timestamp() * 1000, 1)
        timings["totalMs"] = round((now - created).total_seconds() * 1000, 1)
    return timings
