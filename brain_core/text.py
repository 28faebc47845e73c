"""Small text tools the post-processing agents share: words, sentences, content words."""

from __future__ import annotations

import hashlib
import re

_WORD = re.compile(r"[a-z][a-z']*")
_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+[\"'”’)\]]*|$)")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "you're",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tell",
        "told",
        "say",
        "said",
        "also",
        "still",
        "really",
        "much",
        "many",
        "one",
        "thing",
        "things",
        "like",
        "know",
        "think",
        "well",
        "maybe",
        "yes",
        "oh",
        "hello",
        "hi",
        "hey",
        "please",
        "thanks",
        "thank",
    ]
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stopwords, nothing shorter than three letters."""
    return [w for w in words(text) if len(w) > 2 and w not in STOPWORDS]


def sentences(text: str) -> list[str]:
    """Sentences, each with its closing punctuation and quotes; fragments without a letter dropped."""
    parts = (s.strip() for s in _SENTENCE.findall(text.replace("\n", " ")))
    return [s for s in parts if any(c.isalpha() for c in s)]


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def pick(options: tuple[str, ...], seed: str) -> str:
    """One of ``options``, the same for the same ``seed``: how the heuristics vary their sentences
    with the input instead of repeating one template every turn."""
    return options[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)]
