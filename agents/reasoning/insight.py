"""Reasoning's model call: the brain's thoughts about the exchange, as a forced tool's input.

The tool's schema is the output contract (1-3 thoughts, each one sentence of at most 160
characters); :mod:`brain_core.insight` makes the call, validates it and falls back to
:func:`agents.reasoning.thoughts.think` when it fails.
"""

from __future__ import annotations

from brain_core.insight import INNER_VOICE, InsightTool, exchange_prompt

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
)

SYSTEM = INNER_VOICE + " Now you think about what was just said and what you answered."


def prompt(user_text: str, reply: str) -> str:
    return exchange_prompt(user_text, reply, "Record the thoughts this exchange left in you.")


def thoughts_from(answer: dict) -> list[str]:
    """The thoughts, stripped, without empty or repeated ones (the schema bounds the rest)."""
    return list(dict.fromkeys(t.strip() for t in answer["thoughts"] if t.strip()))
