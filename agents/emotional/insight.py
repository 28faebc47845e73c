"""Emotional's model call: the emotion of the person's message and of the reply, and the
sensations that go with the brain's, as a forced tool's input.

The schema is the output contract: valence -1..1 and arousal 0..1 for each emotion, one to three
sensations of at most 120 characters. The label is not asked for: it follows from valence and
arousal by the heuristic's own rule (:func:`agents.emotional.affect.label_for`), so a reply reads
the same whichever produced it, and a label never contradicts its numbers (SmolLM2-135M, asked
for all three, wrote "melancholy" with valence 1.0). :mod:`brain_core.insight` makes the call,
validates it and falls back to :mod:`agents.emotional.affect` when it fails.
"""

from __future__ import annotations

import time

from brain_core.contracts import Emotion, EmotionalResult, InsightInput
from brain_core.insight import (
    INNER_VOICE,
    InsightResult,
    InsightSettings,
    InsightTool,
    exchange_prompt,
    insight_or_heuristic,
)

from .affect import empathise, label_for, score, sensations


def _emotion(whose: str) -> dict:
    return {
        "type": "object",
        "description": f"the emotion of {whose}",
        "properties": {
            "valence": {"type": "number", "minimum": -1, "maximum": 1, "description": "-1 unpleasant .. 1 pleasant"},
            "arousal": {"type": "number", "minimum": 0, "maximum": 1, "description": "0 calm .. 1 intense"},
        },
        "required": ["valence", "arousal"],
    }


TOOL = InsightTool(
    name="record_feelings",
    description="Record what the person felt, what you feel, and what that feels like inside your jar.",
    schema={
        "type": "object",
        "properties": {
            "userEmotion": _emotion("the person's message"),
            "emotion": _emotion("your own answer: what you feel"),
            "sensations": {
                "type": "array",
                "description": "one to three bodily sensations of a brain in a jar that go with your feeling "
                "(the fluid, the wires, the glass, the pump), each a short phrase",
                "items": {"type": "string", "minLength": 4, "maxLength": 120},
                "minItems": 1,
                "maxItems": 3,
            },
        },
        "required": ["userEmotion", "emotion", "sensations"],
    },
    max_tokens=300,
    voiced=("sensations",),
)

SYSTEM = INNER_VOICE + " Now you notice what you feel, and what the person seems to feel."


def prompt(user_text: str, reply: str) -> str:
    return exchange_prompt(user_text, reply, "Record the feelings of this exchange.")


def _labelled(emotion: dict) -> Emotion:
    valence, arousal = round(float(emotion["valence"]), 3), round(float(emotion["arousal"]), 3)
    return Emotion(label=label_for(valence, arousal), valence=valence, arousal=arousal)


def feelings_from(answer: dict) -> tuple[Emotion, Emotion, list[str]]:
    """(the brain's emotion, the person's, the sensations)."""
    own, theirs = _labelled(answer["emotion"]), _labelled(answer["userEmotion"])
    sensations = list(dict.fromkeys(s.strip() for s in answer["sensations"] if s.strip()))
    return own, theirs, sensations


def heuristic_feelings(state: InsightInput) -> tuple[Emotion, Emotion, list[str]]:
    theirs = score(state.userText)
    own = empathise(score(state.reply), theirs)
    return own, theirs, sensations(own, seed=state.messageId)


def feel(state: InsightInput, client, settings: InsightSettings) -> tuple[EmotionalResult, InsightResult]:
    """The emotions of the exchange and the brain's sensations: the model's, or the lexicon's."""
    started = time.perf_counter()
    outcome = insight_or_heuristic(
        client,
        settings,
        TOOL,
        SYSTEM,
        prompt(state.userText, state.reply),
        feelings_from,
        lambda: heuristic_feelings(state),
        exchange=(state.userText, state.reply),
    )
    own, theirs, felt = outcome.value
    result = EmotionalResult(
        agent="emotional",
        emotion=own,
        userEmotion=theirs,
        sensations=felt,
        elapsedMs=round((time.perf_counter() - started) * 1000, 2),
        source=outcome.source,
    )
    return result, outcome
