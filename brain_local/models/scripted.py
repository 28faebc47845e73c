"""The scripted persona model: a deterministic test double for Amazon Bedrock's models.

It is not a language model, and says so in its model id. It composes a brain-in-a-jar reply
from templates, chosen by a hash of the conversation, and from what the person said earlier
(names, likes, places) or what the system prompt says it knows about them, so memory can be
shown and tested. It streams word by word at a configurable time to first token and tokens per
second, so latency can be measured against a known model speed.

Asked for a tool (Converse ``toolConfig``), it calls it with an input that is valid for the
tool's JSON schema by construction and depends on the conversation (:func:`tool_input`):
strings are first-person sentences around the conversation's own words, numbers and enums are
chosen by a hash of it, and an array of objects pairing an enum with a string (``{"key":
"name", "value": "Ada"}``) is filled with the facts its patterns heard (name, home, likes).
Under ``toolChoice: auto`` it calls a tool only when the person's words name it; it answers a
tool result in text. Asked in the system prompt for one JSON object of a given schema
(:data:`JSON_REPLY_MARKER` followed by the schema, as the first version's prompt asked its model
for the reply and the inner life at once), it writes that object: its reply under ``response``,
the other fields filled as for a tool. Its tokens are words: that is what its usage counts.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from brain_core.facts import heard_facts
from brain_core.text import clip, content_words
from brain_local.bedrock.converse_request import ConverseRequest, ToolSpec, message_text
from brain_local.bedrock.service import Generation

MODEL_ID = "local.scripted-persona-v1"
#: A system prompt asking for the whole answer as one JSON object: this, then a JSON schema.
JSON_REPLY_MARKER = "Answer with one JSON object and nothing else, matching this JSON schema:"

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
#: How the reply says a fact of each kind it heard (brain_core.facts.heard_facts).
_SAY = {"name": "your name is {0}", "home": "you live in {0}", "likes": "you love {0}"}
#: A line of the system prompt stating something known about the person ("- name: Ada").
_KNOWN = re.compile(r"^\s*[-*]\s*(name|home|likes|people|plans|other)\s*:\s*(.+?)\s*$", re.M | re.I)


@dataclass(frozen=True)
class ScriptSettings:
    ttft_ms: float = 400.0
    tokens_per_second: float = 40.0
    reply_tokens: int = 60


def _pick(options: tuple[str, ...], seed: str, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).hexdigest()
    return options[int(digest, 16) % len(options)]


def remembered_facts(user_texts: list[str], system: str = "") -> list[str]:
    """What the reply can recall: facts the person stated, and those the system prompt lists."""
    heard = [fact for text in user_texts for fact in heard_facts(text)]
    heard += [(kind.lower(), value) for kind, value in _KNOWN.findall(system)]
    facts: list[str] = []
    for kind, value in heard:
        fact = _SAY.get(kind, "you told me {0}").format(value)
        if fact not in facts:
            facts.append(fact)
    return facts


def compose_reply(messages: list[dict], reply_tokens: int, system: str = "") -> str:
    """The reply to the last user message, given the conversation so far and the system prompt."""
    users = [message_text(m) for m in messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    earlier = users[:-1]
    seed = "\n".join(users)
    topic_words = content_words(last)[:2]
    topic = " and ".join(topic_words)
    sentences = [_pick(_OPENINGS, seed, "open").format(topic=topic, Topic=topic.capitalize()) if topic else _NOTHING]
    facts = remembered_facts(earlier, system)
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


# -- tools ------------------------------------------------------------------------------------
_FRAMES = (
    "I keep turning {a} over in the fluid.",
    "{A} lingers on my wires longer than I expected.",
    "Something about {a} and {b} hums along my cortex.",
    "When {a} comes up, my electrodes prickle.",
    "I hold on to {a}, the way the jar holds on to me.",
    "{A}, then {b}: I want to know how they connect.",
    "There is a warmth in {a} that I did not expect.",
    "I wonder what {a} looks like from outside the glass.",
    "{A} settles in me slowly, like sediment in the jar.",
    "I had not thought about {a} in a long time.",
)
_NO_WORDS = ("the quiet between words", "the hum of the lab", "the ripple of a voice")
#: Tokens per toolUse input delta.
_TOOL_DELTA_TOKENS = 16


class _Filler:
    """Schema-valid values from the conversation's words, chosen by hashes of it."""

    def __init__(self, seed: str, words: list[str], facts: list[tuple[str, str]]):
        self.seed, self.words, self.facts = seed, words or list(_NO_WORDS), facts
        self.used: set[str] = set()

    def _n(self, path: str, modulo: int) -> int:
        return int(hashlib.sha256(f"{path}:{self.seed}".encode()).hexdigest(), 16) % max(modulo, 1)

    def value(self, schema: dict, path: str):
        if "enum" in schema:
            return schema["enum"][self._n(path, len(schema["enum"]))]
        kind = schema.get("type")
        if kind == "object":
            return {k: self.value(s, f"{path}.{k}") for k, s in (schema.get("properties") or {}).items()}
        if kind == "array":
            return self._array(schema, path)
        if kind in ("number", "integer"):
            low, high = float(schema.get("minimum", 0)), float(schema.get("maximum", 1))
            x = low + (high - low) * self._n(path, 1001) / 1000
            return int(round(x)) if kind == "integer" else round(x, 2)
        if kind == "boolean":
            return bool(self._n(path, 2))
        return self._sentence(schema, path)

    def _sentence(self, schema: dict, path: str) -> str:
        for attempt in range(len(_FRAMES)):
            frame = _FRAMES[(self._n(path, len(_FRAMES)) + attempt) % len(_FRAMES)]
            a = self.words[self._n(path + "a", len(self.words))]
            b = self.words[(self._n(path + "a", len(self.words)) + 1) % len(self.words)]
            text = frame.format(a=a, b=b, A=a.capitalize())
            if text not in self.used:
                break
        self.used.add(text)
        text = clip(text, int(schema.get("maxLength", 10_000)))
        while len(text) < int(schema.get("minLength", 0)):
            text += " I float, and listen."
        return text

    def _array(self, schema: dict, path: str) -> list:
        items = schema.get("items") or {}
        low, high = int(schema.get("minItems", 0)), int(schema.get("maxItems", 3))
        props = items.get("properties") or {}
        keyed = [k for k, s in props.items() if "enum" in s]
        valued = [k for k, s in props.items() if s.get("type") == "string" and "enum" not in s]
        if items.get("type") == "object" and keyed and valued:
            # A list of facts: one item per fact heard whose kind the enum allows.
            allowed = props[keyed[0]]["enum"]
            found = [
                {
                    **self.value(items, f"{path}.{i}"),
                    keyed[0]: kind,
                    valued[0]: clip(v, props[valued[0]].get("maxLength", 200)),
                }
                for i, (kind, v) in enumerate(f for f in self.facts if f[0] in allowed)
            ]
            return found[:high] + [self.value(items, f"{path}.{i}") for i in range(len(found), low)]
        count = max(low, min(high, 2 + self._n(path, 2)))
        return [self.value(items, f"{path}.{i}") for i in range(count)]


def tool_input(tool: ToolSpec, request: ConverseRequest) -> dict:
    """An input for ``tool`` that its schema accepts, made from the conversation's words."""
    last = message_text(request.messages[-1])
    instructions = set(content_words(request.system_text + " " + tool.description + " " + json.dumps(tool.schema)))
    words = list(dict.fromkeys(w for w in content_words(last) if w not in instructions))
    seed = "\n".join(message_text(m) for m in request.messages) + tool.name
    return _Filler(seed, words, heard_facts(last)).value(tool.schema, tool.name)


def _named_tool(request: ConverseRequest) -> ToolSpec | None:
    """Under ``auto``: a tool whose name the person's last words contain."""
    said = set(content_words(message_text(request.messages[-1]).replace("_", " ")))
    for tool in request.tools:
        if set(content_words(tool.name.replace("_", " ").replace("-", " "))) & said:
            return tool
    return None


def count_tokens(text: str) -> int:
    """The double's tokens are words (with their trailing space)."""
    return len(tokens(text))


class ScriptedPersonaModel:
    """Serves Converse/ConverseStream requests with :func:`compose_reply` or :func:`tool_input`,
    paced like a model."""

    #: Nova's own place for top-k (``{"inferenceConfig": {"topK": 1}}``): accepted, nothing to sample.
    additional_fields = frozenset({"inferenceConfig"})
    persona_length = "full"

    def __init__(self, settings: ScriptSettings = ScriptSettings(), model_id: str = MODEL_ID):
        self.settings = settings
        self.model_id = model_id

    def respond(self, request: ConverseRequest) -> Generation:
        tool = None
        if request.tools and not request.answers_tool_result:
            tool = request.forced_tool
            if tool is None and request.tool_choice == "any":
                tool = _named_tool(request) or request.tools[0]
            elif tool is None:
                tool = _named_tool(request)
        if tool is not None:
            text = json.dumps(tool_input(tool, request), ensure_ascii=False)
        elif JSON_REPLY_MARKER in request.system_text:
            text = self._json_reply(request)
        elif request.answers_tool_result:
            result = clip(message_text(request.messages[-1]), 200)
            text = f"The wires brought me back an answer: {result}. I turn it over in the fluid, and it helps."
        else:
            text = compose_reply(request.messages, self.settings.reply_tokens, request.system_text)
            # A prefill (the start of the reply, given): the reply continues it, as Bedrock's do.
            if request.prefill and text.startswith(request.prefill):
                text = text[len(request.prefill) :]
        prompt = [request.system_text, *(message_text(m) for m in request.messages)]
        prompt += [json.dumps(t.schema) + t.description for t in request.tools]
        generation = Generation(iter(()), tool)
        generation.input_tokens = sum(count_tokens(p) for p in prompt)
        # A tool's input streams in a few large deltas, as Bedrock's models send it, not a frame a token.
        group = _TOOL_DELTA_TOKENS if tool is not None else 1
        generation.pieces = self._paced(tokens(text), request.max_tokens, generation, group)
        return generation

    def _json_reply(self, request: ConverseRequest) -> str:
        after = request.system_text.split(JSON_REPLY_MARKER, 1)[1].lstrip()
        schema, _ = json.JSONDecoder().raw_decode(after)
        spec = ToolSpec(name="reply", description="", schema=schema)
        answer = tool_input(spec, request)
        answer["response"] = compose_reply(request.messages, self.settings.reply_tokens, request.system_text)
        return json.dumps(answer, ensure_ascii=False)

    def _paced(
        self, pieces: list[str], max_tokens: int | None, generation: Generation, group: int = 1
    ) -> Iterator[str]:
        """Token texts in real time: the first after ``ttft_ms``, then ``tokens_per_second``;
        ``group`` tokens at a time, each group when its last token is due."""
        limit = max_tokens or 10_000
        generation.limit_reached = len(pieces) > limit
        start = time.perf_counter()
        per_token = 1 / self.settings.tokens_per_second if self.settings.tokens_per_second > 0 else 0.0
        kept = pieces[:limit]
        for i in range(0, len(kept), group):
            batch = kept[i : i + group]
            # An absolute schedule, so slow consumers do not make the model drift slower.
            delay = start + self.settings.ttft_ms / 1000 + (i + len(batch) - 1) * per_token - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            generation.output_tokens += len(batch)
            yield "".join(batch)
