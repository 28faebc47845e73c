"""Reasoning's model call: the brain's thoughts about the exchange, as a forced tool's input.

The tool's schema is the output contract (1-3 thoughts, each one sentence of at most 160
characters); :mod:`brain_core.insight` makes the call, validates it and falls back to
:func:`agents.reasoning.thoughts.think` when it fails.
"""

from __future__ import annotations

import time

from brain_core.contracts import InsightInput, ReasoningResult
from brain_core.insight import (
    INNER_VOICE,
    InsightResult,
    InsightSettings,
    InsightTool,
    exchange_prompt,
    insight_or_heuristic,
)

from .thoughts import think

TOOL = InsightTool(
    name="record_thoughts",
    description="Record the thoughts you had about this exchange.",
    schema={
        "type": "object",
        "properties": {
            "thoughts": {
                "type": "array",
                "description": "one to three thoughts, each one sentence in the first person: what you noticed, "
                "what you wonder, what you believe about this exchange",
                "items": {"type": "string", "minLength": 8, "maxLength": 160},
                "minItems": 1,
                "maxItems": 3,
            }
        },
        "required": ["thoughts"],
    },
    max_tokens=250,
    voiced=("thoughts",),
)

SYSTEM = INNER_VOICE + " Now you think about what was just said and what you answered."


def prompt(user_text: str, reply: str) -> str:
    return exchange_prompt(user_text, reply, "Record the thoughts this exchange left in you.")


def thoughts_from(answer: dict) -> list[str]:
    """The thoughts, stripped, without empty or repeated ones (the schema bounds the rest)."""
    return list(dict.fromkeys(t.strip() for t in answer["thoughts"] if t.strip()))


def reason(state: InsightInput, client, settings: InsightSettings) -> tuple[ReasoningResult, InsightResult]:
    """The brain's thoughts about the exchange: the model's, or the heuristic's. The reply's
    structure (and whether it needed repair) is always the heuristic's: it costs nothing."""
    started = time.perf_counter()
    own_thoughts, shape, repaired = think(state.reply, state.userText)
    outcome = insight_or_heuristic(
        client,
        settings,
        TOOL,
        SYSTEM,
        prompt(state.userText, state.reply),
        thoughts_from,
        lambda: own_thoughts,
        exchange=(state.userText, state.reply),
    )
    result = ReasoningResult(
        agent="reasoning",
        thoughts=outcome.value,
        structure=shape,
        repaired=repaired,
        elapsedMs=round((time.perf_counter() - started) * 1000, 2),
        source=outcome.source,
    )
    return result, outcome
