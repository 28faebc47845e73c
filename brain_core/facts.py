"""Long-term memory: durable facts about a person, kept per owner across conversations.

Depth extracts them (a name, a home, likes, people, plans); :class:`brain_core.store.FactStore`
keeps them in the Memory table; perception reads the owner's facts and hands them to the model
in the system prompt (:func:`facts_prompt`), so a name told thirty turns ago, or in another
conversation, can be used.

Item layout (table ``memory_table``, one partition per owner, so a read names its owner and can
never return another's facts)::

    owner      (S, partition key)  the message's owner, as on the Messages table
    factKey    (S, sort key)       "name" / "home" (one value each: the newest replaces the old),
                                   "likes#sailing" (several values: one item per value, deduplicated)
    kind, value (S)                value at most MAX_VALUE_CHARS characters
    updatedAt  (S)                 ISO 8601 UTC of the message that told it: a write replaces an item
                                   only if it is not older (newest wins per key)
    sourceMessageId (S)
    expiresAt  (N)                 DynamoDB TTL: a fact not heard again for ``memory_ttl_days`` expires

Bounded: at most ``memory_max_facts`` items per owner (the oldest are deleted after a write),
each value at most 80 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What the heuristic hears as a durable fact (depth's fallback, and the scripted test double):
#: (kind, pattern); the value is the pattern's last group.
FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("name", re.compile(r"\bmy name is ([A-Z][\w'-]*)", re.I)),
    ("name", re.compile(r"\bi(?:'m| am) called ([A-Z][\w'-]*)", re.I)),
    ("name", re.compile(r"\bI(?:'m| am) ([A-Z][a-z'-]+)\b(?! (?:and|or|to|in)\b)")),
    ("home", re.compile(r"\bi live in ([A-Z][\w' -]{1,40}?)(?:[.,!?]|$| and\b)", re.I)),
    ("likes", re.compile(r"\bi (?:love|like|enjoy) ([\w' -]{2,40}?)(?:[.,!?]|$)", re.I)),
    ("likes", re.compile(r"\bmy favou?rite [\w -]{2,20}? is ([\w' -]{2,30}?)(?:[.,!?]|$)", re.I)),
)

#: Kinds with one value per person: a new one replaces the old.
SINGLE_VALUED = frozenset({"name", "home"})
KINDS = ("name", "home", "likes", "people", "plans", "other")
MAX_VALUE_CHARS = 80


@dataclass(frozen=True)
class Fact:
    kind: str
    value: str
    updatedAt: str = ""
    sourceMessageId: str = ""

    @property
    def key(self) -> str:
        """The sort key: the kind alone for single-valued kinds, else kind and normalised value."""
        if self.kind in SINGLE_VALUED:
            return self.kind
        return f"{self.kind}#{normalise(self.value)}"


def heard_facts(text: str) -> list[tuple[str, str]]:
    """(kind, value) for each fact the patterns find: ("name", "Ada"), ("home", "Lisbon")."""
    found: list[tuple[str, str]] = []
    for kind, pattern in FACT_PATTERNS:
        for match in pattern.finditer(text):
            value = match.groups()[-1].strip()
            if (kind, value) not in found:
                found.append((kind, value))
    return found


def normalise(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", value.lower()).strip()[:MAX_VALUE_CHARS]


def clean_facts(raw: list[dict], updated_at: str, message_id: str) -> list[Fact]:
    """Facts from an agent's output: known kinds, non-empty bounded values, one per key (the first)."""
    facts: dict[str, Fact] = {}
    for item in raw:
        kind = str(item.get("key", item.get("kind", ""))).strip().lower()
        value = " ".join(str(item.get("value", "")).split())[:MAX_VALUE_CHARS]
        if kind in KINDS and normalise(value):
            fact = Fact(kind, value, updated_at, message_id)
            facts.setdefault(fact.key, fact)
    return list(facts.values())


def newest(facts: list[Fact], limit: int) -> list[Fact]:
    """The ``limit`` most recently told facts, newest first."""
    return sorted(facts, key=lambda f: f.updatedAt, reverse=True)[:limit]


def facts_prompt(facts: list[Fact]) -> str:
    """The system prompt's paragraph of what the brain remembers about the person ("" if nothing)."""
    if not facts:
        return ""
    order = {kind: i for i, kind in enumerate(KINDS)}
    lines = [f"- {f.kind}: {f.value}" for f in sorted(facts, key=lambda f: (order.get(f.kind, 99), f.value))]
    return (
        "What you remember about the person you are talking to, from everything they told you before "
        "(use it when it matters; never recite it as a list):\n" + "\n".join(lines)
    )
