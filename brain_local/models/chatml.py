"""The prompt SmolLM2-Instruct is given: its chat template (ChatML), the persona test, and what
it is told when it must call a tool.

Hand-written rather than llama-cpp-python's chat handlers: the prompt is built as tokens, block
by block, so the oldest messages can be dropped to fit the context
(:meth:`brain_local.models.smollm2.SmolLM2Model.prompt_tokens`) and a last assistant message
stays open as a prefill.
"""

from __future__ import annotations

import re

from brain_local.bedrock.converse_request import ToolSpec

#: ChatML, SmolLM2-Instruct's chat format.
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
#: Stop strings besides the end-of-turn token itself: a turn the model starts on its own.
ALWAYS_STOP = (IM_END, IM_START)

#: The end of a sentence, once the next piece begins with a space: ". ", "?\" ", "…\n".
SENTENCE_END = re.compile(r"[.!?…][\"'”)\]]*$")


def _text(blocks) -> str:
    return "".join(b.get("text", "") for b in blocks or [] if isinstance(b, dict))


def system_prompt(request: dict) -> str:
    """The request's system prompt, as given."""
    return "\n".join(s.get("text", "") for s in request.get("system", []) if isinstance(s, dict)).strip()


def is_persona(request: dict) -> bool:
    """Whether the request's system prompt carries the brain's persona, of either length."""
    from brain_core.persona import PERSONAS

    system = system_prompt(request)
    return any(persona.strip() in system for persona in PERSONAS.values())


def chatml_blocks(system: str, messages: list[dict]) -> tuple[str, list[str]]:
    """The ChatML system block and one block per message (without the assistant cue). A last
    assistant message is a prefill: its turn stays open, so the model continues it."""
    head = f"{IM_START}system\n{system}{IM_END}\n" if system else ""
    blocks = []
    for i, message in enumerate(messages):
        role = "assistant" if message.get("role") == "assistant" else "user"
        text = _text(message.get("content")).strip()
        prefill = role == "assistant" and i == len(messages) - 1
        blocks.append(f"{IM_START}{role}\n{text}" if prefill else f"{IM_START}{role}\n{text}{IM_END}\n")
    return head, blocks


def tool_instruction(tool: ToolSpec) -> str:
    """What the model is told when it must call ``tool``: its purpose and its fields."""
    fields = "; ".join(
        f"{name}: {spec.get('description', spec.get('type', ''))}"
        for name, spec in tool.schema.get("properties", {}).items()
    )
    return f"{tool.description}\nAnswer only with one JSON object with these fields. {fields}".strip()
