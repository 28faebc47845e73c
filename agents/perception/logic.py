"""Perception: from one user message to a prompt the model can answer."""

from __future__ import annotations

import time

from brain_core.contracts import PerceptionResult, WorkflowInput
from brain_core.persona import PERSONA

from .memory import ConversationMemory
from .prompt import (
    OVERRIDE_GUARD,
    InvalidMessage,
    check_owner,
    clean_content,
    converse_messages,
    suspected_override,
    trim_history,
)


def perceive(
    message: WorkflowInput, raw_content: object, memory: ConversationMemory, history_turns: int, max_input_chars: int
) -> PerceptionResult:
    """``raw_content`` is the content as it arrived (maybe not text at all); ``message`` the ids."""
    started = time.perf_counter()
    try:
        check_owner(message.owner)
        content = clean_content(raw_content, max_input_chars)
    except InvalidMessage as refused:
        return PerceptionResult(
            valid=False,
            problem=refused.reply,
            system=PERSONA,
            messages=[],
            history=[],
            cacheHit=False,
            elapsedMs=_ms(started),
            refusal=refused.reason,
        )
    history, cache_hit = memory.load(message.conversationId, message.owner, message.messageId)
    history = trim_history(history, history_turns)
    guarded = suspected_override(content)
    return PerceptionResult(
        valid=True,
        problem=None,
        system=PERSONA + OVERRIDE_GUARD if guarded else PERSONA,
        messages=converse_messages(history, content),
        history=history,
        cacheHit=cache_hit,
        elapsedMs=_ms(started),
        suspectedOverride=guarded,
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
