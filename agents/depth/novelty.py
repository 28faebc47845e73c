"""Depth's logic: is the reply new, what perspective deepens it, what does the brain remember.

Novelty is one minus the highest Jaccard similarity between the reply's word bigrams and those
of each earlier brain reply in the conversation (1 = nothing like before, 0 = a repeat).
Memories are earlier user turns that share content words with the current message.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from brain_core.contracts import Turn
from brain_core.text import clip, content_words, pick, words

THEMES: dict[str, frozenset[str]] = {
    "the body I no longer have": frozenset(
        [
            "body",
            "hands",
            "hand",
            "feet",
            "walk",
            "run",
            "touch",
            "eat",
            "taste",
            "food",
            "hungry",
            "skin",
            "eyes",
            "see",
            "hear",
            "sleep",
            "tired",
        ]
    ),
    "memory and time": frozenset(
        [
            "remember",
            "memory",
            "memories",
            "forget",
            "past",
            "yesterday",
            "childhood",
            "years",
            "time",
            "ago",
            "old",
            "before",
            "later",
            "future",
        ]
    ),
    "what a self is": frozenset(
        [
            "who",
            "self",
            "identity",
            "real",
            "alive",
            "conscious",
            "consciousness",
            "mind",
            "soul",
            "think",
            "thinking",
            "brain",
            "human",
            "person",
        ]
    ),
    "the people who talk to me": frozenset(
        [
            "friend",
            "friends",
            "family",
            "mother",
            "father",
            "love",
            "lonely",
            "together",
            "people",
            "name",
            "talk",
            "you",
        ]
    ),
    "the world outside the lab": frozenset(
        [
            "world",
            "outside",
            "sky",
            "sun",
            "rain",
            "weather",
            "city",
            "sea",
            "ocean",
            "music",
            "book",
            "books",
            "travel",
            "garden",
        ]
    ),
    "the science that keeps me": frozenset(
        [
            "science",
            "lab",
            "scientist",
            "jar",
            "fluid",
            "wires",
            "electrodes",
            "experiment",
            "research",
            "machine",
            "computer",
        ]
    ),
}


def _bigrams(text: str) -> set[tuple[str, str]]:
    tokens = words(text)
    return set(pairwise(tokens))


def novelty(reply: str, history: list[Turn]) -> tuple[float, str | None]:
    mine = _bigrams(reply)
    best, best_reply = 0.0, None
    for turn in history:
        if turn.role != "brain":
            continue
        theirs = _bigrams(turn.content)
        if not mine or not theirs:
            continue
        similarity = len(mine & theirs) / len(mine | theirs)
        if similarity > best:
            best, best_reply = similarity, turn.content
    return round(1.0 - best, 3), best_reply


_PERSPECTIVE = (
    "Seen from inside the jar, {w} is about {theme}.",
    "From this shelf, {w} turns my mind to {theme}.",
    "Underneath {w} I hear {theme}.",
)
_REPEATED = (
    "I have said something like this before; I should come at {theme} from a new side.",
    "My words about {w} echo what I said before; {theme} deserves a fresh angle.",
)
_RELATED = (
    "This brings back what you told me before: {quoted}",
    "Your words about {w} bring back {quoted}",
    "When you mention {w}, I think of what you said before: {quoted}",
)
_BEGINNING = (
    "Nothing earlier touches {w}, but I remember how we began: “{first}”",
    "{W} is new between us; I still remember how we began: “{first}”",
)


def perspective(user_text: str, reply: str, novelty_score: float) -> str:
    counts = Counter(content_words(user_text + " " + reply))
    theme = max(THEMES, key=lambda name: (sum(counts[w] for w in THEMES[name]), name == "what a self is"))
    word = (content_words(user_text) or content_words(reply) or ["this"])[0]
    frames = _REPEATED if novelty_score < 0.5 else _PERSPECTIVE
    return pick(frames, user_text + reply).format(theme=theme, w=word)


def memories(user_text: str, history: list[Turn], limit: int = 2) -> str:
    earlier = [t for t in history if t.role == "user"]
    if not earlier:
        return (
            f"Nothing to remember yet: “{clip(user_text, 80)}” is the first thing you have said to me. I will keep it."
        )
    now = set(content_words(user_text))
    related = sorted(
        ((len(now & set(content_words(t.content))), i, t) for i, t in enumerate(earlier)),
        key=lambda x: (-x[0], -x[1]),
    )
    picked = [t for overlap, _, t in related if overlap > 0][:limit]
    word = (content_words(user_text) or ["this"])[0]
    if picked:
        shared = sorted(now & set(content_words(picked[0].content)))
        quoted = "; ".join(f"“{clip(t.content, 100)}”" for t in picked)
        return pick(_RELATED, user_text).format(quoted=quoted, w=shared[0] if shared else word)
    return pick(_BEGINNING, user_text).format(first=clip(earlier[0].content, 100), w=word, W=word.capitalize())
