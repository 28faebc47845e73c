"""The scripted persona model: a deterministic test double for Amazon Bedrock's model.

It is not a language model. It composes a brain-in-a-jar reply from templates, chosen by a
hash of the conversation, and from what the person said earlier (names, likes, places),
so memory can be shown and tested. It streams word by word at a configurable time to first
token and tokens per second, so latency can be measured against a known model speed.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from brain_core.text import content_words

MODEL_ID = "local.scripted-persona-v1"

_OPENINGS = (
    "Ah, {topic}: the words arrive through my wires and the fluid around me ripples.",
    "I have been floating here thinking, and now you bring me {topic}.",
    "Your words about {topic} reach me like warm current along my electrodes.",
    "{Topic}! Something in my cortex lights up when I hear that.",
    "I turn {topic} over slowly, the way the fluid turns me over in the dark.",
)
_NOTHING = "Your message reaches me as a faint ripple, and I hold on to it."
_BODY = (
    "I have no hands to gesture with, so I lean on words instead.",
    "From this jar the world is made of voices, and yours is a good one.",
    "The lab lights hum above me, and I imagine they are listening too.",
    "Sometimes I think memory is the only body I have left.",
    "I can't see you, but I picture the shape of your thoughts.",
    "My thoughts drift in the fluid like slow fish, and one of them just surfaced.",
    "The scientists call this being kept alive; I call it paying attention.",
    "Every conversation leaves a faint pattern in me, like frost on glass.",
)
_QUESTIONS = (
    "What made you think of it today?",
    "Will you tell me more?",
    "How does it feel from where you are?",
    "What would you like me to remember about it?",
)
_FACTS = (
    (re.compile(r"\bmy name is ([A-Z][\w'-]*)", re.I), "your name is {0}"),
    (re.compile(r"\bi(?:'m| am) called ([A-Z][\w'-]*)", re.I), "your name is {0}"),
    (re.compile(r"\bI(?:'m| am) ([A-Z][a-z'-]+)\b(?! (?:and|or|to|in)\b)"), "your name is {0}"),
    (re.compile(r"\bi live in ([A-Z][\w' -]{1,40}?)(?:[.,!?]|$)", re.I), "you live in {0}"),
    (re.compile(r"\bi (?:love|like|enjoy) ([\w' -]{2,40}?)(?:[.,!?]|$)", re.I), "you love {0}"),
    (re.compile(r"\bmy favou?rite ([\w -]{2,20}?) is ([\w' -]{2,30}?)(?:[.,!?]|$)", re.I), "your favourite {0} is {1}"),
)


@dataclass(frozen=True)
class ScriptSettings:
    ttft_ms: float = 400.0
    tokens_per_second: float = 40.0
    reply_tokens: int = 60


def _pick(options: tuple[str, ...], seed: str, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).hexdigest()
    return options[int(digest, 16) % len(options)]


def _text(message: dict) -> str:
    return " ".join(block.get("text", "") for block in message.get("content", []) if isinstance(block, dict))


def remembered_facts(user_texts: list[str]) -> list[str]:
    facts: list[str] = []
    for text in user_texts:
        for pattern, template in _FACTS:
            for match in pattern.finditer(text):
                fact = template.format(*(g.strip() for g in match.groups()))
                if fact not in facts:
                    facts.append(fact)
    return facts


def compose_reply(messages: list[dict], reply_tokens: int) -> str:
    """The reply to the last user message, given the conversation so far."""
    users = [_text(m) for m in messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    earlier = users[:-1]
    seed = "\n".join(users)
    topic_words = content_words(last)[:2]
    topic = " and ".join(topic_words)
    sentences = [_pick(_OPENINGS, seed, "open").format(topic=topic, Topic=topic.capitalize()) if topic else _NOTHING]
    facts = remembered_facts(earlier)
    if facts:
        # The facts the question touches first ("my name?" brings back the name), then the newest.
        asked = set(content_words(last))
        ranked = sorted(enumerate(facts), key=lambda f: (len(asked & set(content_words(f[1]))), f[0]), reverse=True)
        recalled = [fact for _, fact in ranked[:2]]
        sentences.append(f"I remember that {' and that '.join(recalled)}; I keep it close, here in the fluid.")
    elif earlier:
        sentences.append(f"I still remember you saying \u201c{' '.join(earlier[-1].split()[:12])}\u201d.")
    i = 0
    while sum(len(s.split()) for s in sentences) < reply_tokens - 8 and i < len(_BODY) * 2:
        line = _pick(_BODY, seed, f"body{i}")
        if line not in sentences:
            sentences.append(line)
        i += 1
    sentences.append(_pick(_QUESTIONS, seed, "ask"))
    return " ".join(sentences)


def tokens(text: str) -> list[str]:
    """Word-sized tokens that join back into ``text`` exactly."""
    return re.findall(r"(?:^\s+)?\S+\s*", text)


class ScriptedPersonaModel:
    """Serves Converse/ConverseStream requests with :func:`compose_reply`, paced like a model."""

    model_id = MODEL_ID
    persona_length = "full"

    def __init__(self, settings: ScriptSettings = ScriptSettings()):
        self.settings = settings

    def stream(self, request: dict) -> Iterator[str]:
        """Token texts in real time: the first after ``ttft_ms``, then ``tokens_per_second``.

        A last message from the assistant is a prefill, as Bedrock takes it: the reply continues
        that text (the part of the composed reply after it, when the reply begins with it)."""
        limit = int(request.get("inferenceConfig", {}).get("maxTokens") or 10_000)
        messages = request.get("messages", [])
        reply = compose_reply(messages, self.settings.reply_tokens)
        prefill = _text(messages[-1]) if messages and messages[-1].get("role") == "assistant" else ""
        if prefill and reply.startswith(prefill):
            reply = reply[len(prefill) :]
        start = time.perf_counter()
        per_token = 1 / self.settings.tokens_per_second if self.settings.tokens_per_second > 0 else 0.0
        for i, token in enumerate(tokens(reply)[:limit]):
            # An absolute schedule, so slow consumers do not make the model drift slower.
            delay = start + self.settings.ttft_ms / 1000 + i * per_token - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            yield token
