"""Perception, from one user message to a PerceptionResult: validate it (:mod:`.validation`),
load the conversation (:mod:`.memory`), build the prompt (:mod:`.prompt`)."""

from __future__ import annotations

import time

from brain_core.contracts import PerceptionResult, WorkflowInput

from .memory import ConversationMemory, OwnerFacts
from .prompt import converse_messages, system_prompt, trim_history
from .validation import InvalidMessage, suspected_override, valid_content


def perceive(
    message: WorkflowInput,
    memory: ConversationMemory,
    facts: OwnerFacts | None = None,
    *,
    history_turns: int,
    max_input_chars: int,
    persona_length: str = "full",
) -> PerceptionResult:
    started = time.perf_counter()
    try:
        content = valid_content(message, max_input_chars)
    except InvalidMessage as refused:
        return PerceptionResult(
            valid=False,
            problem=refused.reply,
            system=system_prompt(persona_length),
            messages=[],
            history=[],
            cacheHit=False,
            elapsedMs=_ms(started),
            refusal=refused.reason,
        )
    history, cache_hit = memory.load(message.conversationId, message.owner, message.messageId)
    known, _ = facts.load(message.owner, history) if facts is not None else ([], False)
    history = trim_history(history, history_turns)
    guarded = suspected_override(content)
    return PerceptionResult(
        valid=True,
        problem=None,
        system=system_prompt(persona_length, guarded, known),
        messages=converse_messages(history, content),
        history=history,
        cacheHit=cache_hit,
        elapsedMs=_ms(started),
        suspectedOverride=guarded,
        facts=[{"kind": f.kind, "value": f.value} for f in known],
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
