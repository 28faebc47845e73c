"""A Converse / ConverseStream request body, read and checked as Bedrock checks it.

Bedrock answers ``400 ValidationException`` to a request its model cannot serve. The local
endpoint must do the same rather than answer 200 and silently drop what it does not do, or code
that works offline fails on AWS. :func:`parse` turns a body into a :class:`ConverseRequest` the
backends serve — text and tool-use conversations, every system block, stop sequences, a forced
or automatic tool choice — and raises :class:`ValidationError` for the rest:

- content other than text, toolUse and toolResult (images, documents, video, audio, guard
  content, reasoning): the local models read text only;
- ``guardrailConfig``, ``promptVariables``, ``additionalModelResponseFieldPaths``,
  ``performanceConfig``, ``outputConfig`` and a ``serviceTier`` other than the default;
- keys in ``additionalModelRequestFields`` the backend does not know (Bedrock passes them to
  the model, which refuses what it does not know);
- a conversation that does not begin with the user, or whose roles do not alternate; one that
  ends with the assistant is a *prefill* (the reply continues that text, as Bedrock's Nova and
  Claude models do), and may carry text only;
- tool blocks without a ``toolConfig``, a toolResult answering no toolUse of the turn before,
  a ``toolChoice`` naming a tool that is not offered, a tool whose input schema is not an object.

Written here, not taken from a library: it is the shape of Bedrock's own checks, which no
package carries; botocore's client-side validation only checks types, and only in the client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Content blocks the local models read; every other kind is refused.
SERVED_BLOCKS = frozenset({"text", "toolUse", "toolResult", "cachePoint"})
#: Top-level fields the local endpoint does not serve (when present and not empty).
UNSERVED_FIELDS = (
    "guardrailConfig",
    "promptVariables",
    "additionalModelResponseFieldPaths",
    "performanceConfig",
    "outputConfig",
)
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class ValidationError(ValueError):
    """What Bedrock answers as ``ValidationException`` (HTTP 400), with its kind of message."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    schema: dict  # the JSON schema of the tool's input (``inputSchema.json``)


@dataclass(frozen=True)
class ConverseRequest:
    model_id: str
    messages: list[dict]
    system: tuple[str, ...] = ()  # the text of every system block, in order
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None  # "auto" | "any" | "tool" (None: auto, when tools are offered)
    chosen_tool: str | None = None  # the tool's name when tool_choice is "tool"
    additional: Mapping[str, Any] = field(default_factory=dict)  # additionalModelRequestFields

    @property
    def system_text(self) -> str:
        """Every system block, in order, one paragraph each."""
        return "\n\n".join(s.strip() for s in self.system if s.strip())

    @property
    def forced_tool(self) -> ToolSpec | None:
        """The tool the model must call: the named one, or the only one offered under ``any``."""
        if self.tool_choice == "tool":
            return next(t for t in self.tools if t.name == self.chosen_tool)
        if self.tool_choice == "any" and len(self.tools) == 1:
            return self.tools[0]
        return None

    @property
    def prefill(self) -> str:
        """The text a last assistant message begins the reply with ("" when the user spoke last)."""
        last = self.messages[-1]
        return message_text(last) if last["role"] == "assistant" else ""

    @property
    def answers_tool_result(self) -> bool:
        """The last message carries tool results: the model answers them in text."""
        return any("toolResult" in block for block in self.messages[-1]["content"])


def block_text(block: dict) -> str:
    """The text a model reads from one content block (a tool's input or result as JSON or text)."""
    import json

    if "text" in block:
        return block["text"]
    if "toolUse" in block:
        use = block["toolUse"]
        return json.dumps({"name": use.get("name"), "input": use.get("input")}, ensure_ascii=False)
    if "toolResult" in block:
        parts = []
        for item in block["toolResult"].get("content", []):
            parts.append(item["text"] if "text" in item else json.dumps(item.get("json"), ensure_ascii=False))
        return "\n".join(parts)
    return ""


def message_text(message: dict) -> str:
    return "\n".join(t for t in (block_text(b) for b in message.get("content", [])) if t)


def parse(model_id: str, body: Any, additional_fields: frozenset[str] = frozenset()) -> ConverseRequest:
    """The request, or :class:`ValidationError` with the reason Bedrock would give."""
    if not isinstance(body, Mapping):
        raise ValidationError("The request body must be a JSON object.")
    for name in UNSERVED_FIELDS:
        if body.get(name):
            raise ValidationError(f"The local Bedrock endpoint does not serve {name}. Remove it and try again.")
    if body.get("serviceTier") not in (None, "default", {"type": "default"}):
        raise ValidationError("The local Bedrock endpoint serves the default service tier only.")
    messages = _messages(body.get("messages"))
    tools, choice, chosen = _tool_config(body.get("toolConfig"))
    uses_tools = any(("toolUse" in b or "toolResult" in b) for m in messages for b in m["content"])
    if uses_tools and not tools:
        raise ValidationError("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
    inference = body.get("inferenceConfig") or {}
    if not isinstance(inference, Mapping):
        raise ValidationError("inferenceConfig must be an object.")
    additional = body.get("additionalModelRequestFields") or {}
    if not isinstance(additional, Mapping):
        raise ValidationError("additionalModelRequestFields must be an object.")
    extra = sorted(set(additional) - additional_fields)
    if extra:
        raise ValidationError(
            f"The model returned the following errors: Malformed input request: extraneous key [{extra[0]}] "
            "is not permitted, please reformat your input and try again."
        )
    return ConverseRequest(
        model_id=model_id,
        messages=messages,
        system=_system(body.get("system")),
        max_tokens=_bounded(inference, "maxTokens", int, 1, None),
        temperature=_bounded(inference, "temperature", float, 0.0, 1.0),
        top_p=_bounded(inference, "topP", float, 0.0, 1.0),
        stop_sequences=_stop_sequences(inference.get("stopSequences")),
        tools=tools,
        tool_choice=choice,
        chosen_tool=chosen,
        additional=dict(additional),
    )


def _messages(messages: Any) -> list[dict]:  # noqa: C901 - Bedrock's message checks in its order; split after the re-layout
    if not isinstance(messages, list) or not messages:
        raise ValidationError("A conversation must start with a user message. Try again with a conversation.")
    previous_uses: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
            raise ValidationError(f"messages.{i}.role must be user or assistant.")
        expected = "user" if i % 2 == 0 else "assistant"
        if message["role"] != expected:
            raise ValidationError(
                "A conversation must start with a user message and alternate between user and assistant "
                "roles. Try again with a conversation that alternates."
            )
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise ValidationError(f"messages.{i}.content must not be empty.")
        uses: set[str] = set()
        for block in content:
            kinds = [k for k in block if k in SERVED_BLOCKS] if isinstance(block, Mapping) else []
            unserved = [k for k in block if k not in SERVED_BLOCKS] if isinstance(block, Mapping) else ["?"]
            if unserved or len(kinds) != 1:
                kind = unserved[0] if unserved else "empty"
                raise ValidationError(f"This model doesn't support the {kind} content block (messages.{i}).")
            if "toolUse" in block:
                if message["role"] != "assistant":
                    raise ValidationError(f"messages.{i}: toolUse blocks belong to assistant messages.")
                uses.add(str(block["toolUse"].get("toolUseId")))
            if "toolResult" in block:
                answered = str(block["toolResult"].get("toolUseId"))
                if message["role"] != "user" or answered not in previous_uses:
                    raise ValidationError(
                        f"messages.{i}: the toolResult block's toolUseId {answered} does not match a toolUse "
                        "block of the previous turn."
                    )
        previous_uses = uses
    if messages[-1]["role"] != "user" and any("text" not in block for block in messages[-1]["content"]):
        raise ValidationError("A final assistant message (a prefill) may carry text only.")
    return [dict(m) for m in messages]


def _system(system: Any) -> tuple[str, ...]:
    if system is None:
        return ()
    if not isinstance(system, list):
        raise ValidationError("system must be a list of blocks.")
    texts = []
    for i, block in enumerate(system):
        if not isinstance(block, Mapping) or not ({"text", "cachePoint"} >= set(block)) or len(block) != 1:
            kind = next(iter(block), "empty") if isinstance(block, Mapping) else "?"
            raise ValidationError(f"This model doesn't support the {kind} system block (system.{i}).")
        if "text" in block:
            texts.append(str(block["text"]))
    return tuple(texts)


def _tool_config(config: Any) -> tuple[tuple[ToolSpec, ...], str | None, str | None]:  # noqa: C901 - Bedrock's toolConfig checks in its order; split after the re-layout
    if config is None:
        return (), None, None
    tools = config.get("tools") if isinstance(config, Mapping) else None
    if not isinstance(tools, list) or not tools:
        raise ValidationError("toolConfig.tools must list at least one tool.")
    specs: list[ToolSpec] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise ValidationError(f"toolConfig.tools.{i} must be an object.")
        if "cachePoint" in tool and len(tool) == 1:
            continue
        spec = tool.get("toolSpec")
        if not isinstance(spec, Mapping):
            raise ValidationError(f"toolConfig.tools.{i}: the local Bedrock endpoint serves toolSpec tools only.")
        name = spec.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise ValidationError(f"toolConfig.tools.{i}.toolSpec.name must match [a-zA-Z0-9_-]{{1,64}}.")
        schema = (spec.get("inputSchema") or {}).get("json")
        if not isinstance(schema, Mapping) or schema.get("type") != "object":
            raise ValidationError(f"The tool {name}'s inputSchema.json must be a JSON schema of type object.")
        if any(s.name == name for s in specs):
            raise ValidationError(f"The tool name {name} is used more than once.")
        specs.append(ToolSpec(name=name, description=str(spec.get("description") or ""), schema=dict(schema)))
    choice = config.get("toolChoice")
    if choice is None:
        return tuple(specs), "auto", None
    if not isinstance(choice, Mapping) or len(choice) != 1 or next(iter(choice)) not in ("auto", "any", "tool"):
        raise ValidationError("toolConfig.toolChoice must be exactly one of auto, any or tool.")
    kind = next(iter(choice))
    chosen = None
    if kind == "tool":
        chosen = (choice["tool"] or {}).get("name")
        if chosen not in {s.name for s in specs}:
            raise ValidationError(f"toolConfig.toolChoice.tool.name {chosen} is not one of the tools offered.")
    return tuple(specs), kind, chosen


def _bounded(config: Mapping, key: str, kind, low, high):
    value = config.get(key)
    if value is None:
        return None
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ValidationError(f"inferenceConfig.{key} must be a number.") from None
    if value < low or (high is not None and value > high):
        raise ValidationError(f"inferenceConfig.{key} must be between {low} and {high if high is not None else '∞'}.")
    return value


def _stop_sequences(stops: Any) -> tuple[str, ...]:
    if stops is None:
        return ()
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise ValidationError("inferenceConfig.stopSequences must be a list of non-empty strings.")
    return tuple(stops)
