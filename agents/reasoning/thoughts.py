"""Reasoning's logic: the reply's structure, turned into the brain's thoughts.

The model is asked for plain prose; small models sometimes answer with JSON, lists or headings
anyway. ``repair`` recovers the prose from such output (or rejects it when nothing usable is
left), then the sentences are sorted into questions, self-observations and claims and turned
into first-person thoughts.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from brain_core.text import clip, content_words, pick, sentences

_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+", re.M)
_HEADING = re.compile(r"^\s*#{1,6}\s+.*$", re.M)
_SELF = re.compile(r"\b(i|i'm|i've|me|my|myself)\b", re.I)
_TEXT_KEYS = ("response", "reply", "text", "content", "answer")
#: Sentences the thoughts are made of, chosen by the message so that turns do not repeat them.
_SUBJECT = (
    "They are thinking about {s}; so am I now.",
    "My attention goes where theirs went: {s}.",
    "{S}: that is what they brought me, and I hold it.",
    "I keep circling {s}, as they did.",
)
_NO_QUESTION = (
    "I did not ask them anything about {w}; next time I might.",
    "I answered about {w} but asked nothing back.",
    "Next time I will ask them more about {w}.",
    "I wonder what {w} means to them; I should have asked.",
)


def repair(text: str) -> tuple[str, bool]:
    """Plain prose from whatever the model produced, and whether anything had to be repaired."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data, _ = json.JSONDecoder(strict=False).raw_decode(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in _TEXT_KEYS:
                if isinstance(data.get(key), str) and data[key].strip():
                    return data[key].strip(), True
        return "", True  # structured output without any prose: rejected
    prose = _LIST_MARK.sub("", _HEADING.sub("", stripped))
    prose = re.sub(r"[*_`]{1,3}", "", prose)
    return " ".join(prose.split()), prose.strip() != stripped


def structure(text: str) -> dict:
    parts = sentences(text)
    return {
        "sentences": len(parts),
        "questions": [s for s in parts if s.endswith("?")],
        "selfObservations": [s for s in parts if not s.endswith("?") and _SELF.search(s)],
        "claims": [s for s in parts if not s.endswith("?") and not _SELF.search(s)],
    }


def topic(user_text: str, limit: int = 3) -> list[str]:
    counts = Counter(content_words(user_text))
    return [w for w, _ in counts.most_common(limit)]


def think(reply: str, user_text: str, max_thoughts: int = 4) -> tuple[list[str], dict, bool]:
    prose, repaired = repair(reply)
    shape = structure(prose)
    thoughts: list[str] = []
    subject = topic(user_text)
    if subject:
        joined = ", ".join(subject)
        thoughts.append(pick(_SUBJECT, user_text).format(s=joined, S=joined.capitalize()))
    for question in shape["questions"][:1]:
        thoughts.append(f"I want to know: {clip(question, 140)}")
    for observation in shape["selfObservations"][:1]:
        thoughts.append(f"I noticed this about myself: {clip(observation, 140)}")
    for claim in shape["claims"][:1]:
        thoughts.append(f"I believe this much: {clip(claim, 140)}")
    if not prose:
        thoughts.append("My words came out tangled; I could not find the thread of them.")
    elif not shape["questions"]:
        word = (subject or content_words(prose) or ["this"])[0]
        thoughts.append(pick(_NO_QUESTION, user_text + prose).format(w=word))
    return thoughts[:max_thoughts], shape, repaired
