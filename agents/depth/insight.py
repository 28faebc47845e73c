"""Depth's model call: memories, a self-reflection, and durable facts about the person, as a
forced tool's input.

The schema is the output contract: a memory of at most 300 characters, a reflection of at most
240, and at most five facts, each a kind (name, home, likes, people, plans, other) and a value of
at most 80 characters — what the long-term memory keeps per owner. :mod:`brain_core.insight`
makes the call, validates it and falls back to :mod:`agents.depth.novelty` when it fails.
"""

from __future__ import annotations

import time

from brain_core.contracts import DepthResult, InsightInput, Turn, iso_timestamp
from brain_core.facts import KINDS, Fact, clean_facts, heard_facts
from brain_core.insight import (
    INNER_VOICE,
    InsightResult,
    InsightSettings,
    InsightTool,
    exchange_prompt,
    insight_or_heuristic,
)
from brain_core.text import clip, content_words, words

from .novelty import memories, novelty, perspective

FACT_KINDS = KINDS

TOOL = InsightTool(
    name="record_depth",
    description="Record what this brings back to you, how you see yourself in it, and what to remember "
    "about the person for good.",
    schema={
        "type": "object",
        "properties": {
            "memories": {
                "type": "string",
                "description": "what this exchange brings back from earlier, in one or two sentences",
                "minLength": 8,
                "maxLength": 300,
            },
            "selfReflection": {
                "type": "string",
                "description": "one sentence about yourself: how you answered, and how you want to be",
                "minLength": 8,
                "maxLength": 240,
            },
            "facts": {
                "type": "array",
                "description": "durable facts the person told about themselves (their name, where they live, "
                "what they like, people in their life, plans); none when they told none",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string", "enum": list(FACT_KINDS)},
                        "value": {"type": "string", "minLength": 1, "maxLength": 80},
                    },
                    "required": ["key", "value"],
                },
                "maxItems": 5,
            },
        },
        "required": ["memories", "selfReflection", "facts"],
    },
    max_tokens=350,
    voiced=("memories", "selfReflection"),
)

SYSTEM = INNER_VOICE + " Now you look deeper: at what you remember, at yourself, and at the person."


def prompt(user_text: str, reply: str, history: list[Turn], known: list[str]) -> str:
    earlier = [t.content for t in history if t.role == "user"][-4:]
    lines = [f"Earlier the person said: {clip(t, 200)}" for t in earlier]
    if known:
        lines.append("You already know: " + "; ".join(known))
    ask = "Record what this brings back, how you see yourself, and the facts worth keeping."
    return exchange_prompt(user_text, reply, ask, lines)


def grounded(value: str, user_text: str) -> bool:
    """A fact is kept only if the person's own words hold it: every word of its value that
    carries meaning is in their message. What a model read into the reply, or made up, is not
    remembered for good."""
    said = set(words(user_text))
    meaning = content_words(value) or [w for w in words(value) if len(w) > 1]
    return bool(meaning) and all(w in said for w in meaning)


def depth_from(answer: dict, user_text: str) -> tuple[str, str, list[dict]]:
    """(memories, self-reflection, facts as ``{"key", "value"}``: grounded in the person's
    message, the first of each key and value kept)."""
    facts: dict[tuple[str, str], dict] = {}
    for fact in answer["facts"]:
        value = " ".join(fact["value"].split()).strip(" .,!?;:")
        if value and grounded(value, user_text):
            facts.setdefault((fact["key"], value.lower()), {"key": fact["key"], "value": value})
    return answer["memories"].strip(), answer["selfReflection"].strip(), list(facts.values())


def deepen(state: InsightInput, client, settings: InsightSettings) -> tuple[DepthResult, InsightResult]:
    """Novelty against the conversation (always measured), and memories, a self-reflection and
    the facts told this turn: the model's, or the heuristic's. The facts are not written here."""
    started = time.perf_counter()
    score, similar = novelty(state.reply, state.history)
    seen_from = perspective(state.userText, state.reply, score)

    def heuristic() -> tuple[str, str, list[dict]]:
        return memories(state.userText, state.history), seen_from, []

    known = [f"{fact.get('kind')}: {fact.get('value')}" for fact in state.facts]
    outcome = insight_or_heuristic(
        client,
        settings,
        TOOL,
        SYSTEM,
        prompt(state.userText, state.reply, state.history, known),
        lambda answer: depth_from(answer, state.userText),
        heuristic,
        # Memories may quote what the person said before; this exchange they may not copy.
        exchange=(state.userText, state.reply),
    )
    remembered, reflected, told = outcome.value
    # The patterns' facts join the model's: what they hear is exact, and a small model misses it
    # (measured: SmolLM2 left "My name is Grace" out of its facts); one per key, the model's first.
    facts = told_facts(told + [{"key": kind, "value": value} for kind, value in heard_facts(state.userText)], state)
    result = DepthResult(
        agent="depth",
        novelty=score,
        mostSimilarReply=similar,
        perspective=seen_from,
        memories=remembered,
        elapsedMs=round((time.perf_counter() - started) * 1000, 2),
        selfReflection=reflected,
        facts=[{"kind": f.kind, "value": f.value} for f in facts],
        source=outcome.source,
    )
    return result, outcome


def told_facts(facts: list[dict], state: InsightInput) -> list[Fact]:
    """The facts as long-term memory keeps them: dated by the message that told them."""
    return clean_facts(facts, state.createdAt or iso_timestamp(), state.messageId)
