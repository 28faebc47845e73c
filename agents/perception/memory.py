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
from brain_core.facts import Fact


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


class FactSource(Protocol):
    def load(self, owner: str) -> list[Fact]: ...


@dataclass
class _Facts:
    facts: list[Fact]
    upto: str  # the newest brain reply seen when the facts were read


class OwnerFacts:
    """The owner's long-term facts (:mod:`brain_core.facts`), cached per owner across warm
    invocations. They are re-read when the cache entry expires, or when the conversation shows a
    reply newer than the entry that added facts (depth writes a turn's facts before self-review
    writes its reply, and the reply says how many): so a fact told one message ago is already
    there, while a conversation that adds none costs no read. An owner with no facts yet is not
    cached (a first fact, told in any conversation, is seen at the next message); a further fact
    told in another conversation arrives within the cache's TTL."""

    def __init__(self, source: FactSource, ttl_seconds: float, maxsize: int = 256):
        self._source = source
        self._cache: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl_seconds)

    def load(self, owner: str, history: list[Turn]) -> tuple[list[Fact], bool]:
        """The owner's facts, and whether the cache served them."""
        replies = [t.messageId for t in history if t.role == "brain"]
        newest = max(replies, default="")
        entry: _Facts | None = self._cache.get(owner)
        if entry is not None and not any(
            t.role == "brain" and t.factsRemembered and t.messageId > entry.upto for t in history
        ):
            return entry.facts, True
        facts = self._source.load(owner)
        if facts:
            self._cache[owner] = _Facts(facts=facts, upto=newest)
        return facts, False
