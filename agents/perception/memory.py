"""Conversation memory with a cache that outlives one invocation (seed §2.2).

A warm perception function keeps each conversation's recent turns (messages, the person's and
the brain's: ``Settings.history_turns`` of them) in a TTL cache. On the next
message it asks DynamoDB only for what is newer than what it holds (an incremental refresh),
starting from the oldest user message still waiting for its reply, since that reply may have
been written after the cache was filled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cachetools import TTLCache

from brain_core.contracts import Turn


class HistorySource(Protocol):
    def recent(self, conversation_id: str, owner: str, before_id: str, limit: int) -> list[Turn]: ...

    def between(self, conversation_id: str, owner: str, from_id: str, before_id: str) -> list[Turn]: ...


@dataclass
class _Entry:
    turns: list[Turn]
    upto: str  # every turn with messageId < upto has been read


def _refresh_from(entry: _Entry) -> str:
    """Where the incremental read starts: the first user message with no reply cached yet."""
    replied = {t.messageId.removesuffix("#reply") for t in entry.turns if t.role == "brain"}
    pending = [t.messageId for t in entry.turns if t.role == "user" and t.messageId not in replied]
    return min(pending) if pending else entry.upto


class ConversationMemory:
    def __init__(self, source: HistorySource, turns: int, ttl_seconds: float, maxsize: int = 256):
        """``turns``: how many of the latest messages to keep per conversation."""
        self._source = source
        self._turns = turns
        self._cache: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl_seconds)

    def load(self, conversation_id: str, owner: str, before_id: str) -> tuple[list[Turn], bool]:
        """The turns before ``before_id``, oldest first, and whether the cache served them."""
        key = (owner, conversation_id)  # owners never share an entry
        entry: _Entry | None = self._cache.get(key)
        if entry is None or before_id <= entry.upto:
            turns = self._source.recent(conversation_id, owner, before_id, self._turns)
            self._cache[key] = _Entry(turns=turns, upto=before_id)
            return turns, False
        newer = self._source.between(conversation_id, owner, _refresh_from(entry), before_id)
        merged = {t.messageId: t for t in entry.turns}
        merged.update((t.messageId, t) for t in newer)
        turns = [merged[k] for k in sorted(merged)][-self._turns :]
        self._cache[key] = _Entry(turns=turns, upto=before_id)
        return turns, True
