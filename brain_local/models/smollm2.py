"""A real small language model behind the local Bedrock endpoint: SmolLM2-135M-Instruct.

Where it is installed and how it loads: :mod:`.smollm2_loading` (:func:`available
<brain_local.models.smollm2_loading.available>` says whether it can serve here, and why not);
the prompt it is given: :mod:`.chatml`; a forced tool call's grammar: :mod:`.tool_grammar`.
This module is the backend: the Converse request in, the decoded pieces out.

The backend speaks the same interface as :class:`brain_local.models.scripted.ScriptedPersonaModel`:
``respond(request)`` takes a checked Converse request and returns a :class:`Generation` whose text
pieces come as the model decodes them, one per generated token (``stream(body)`` does the same for
a raw body, for scripts).

It serves the prompt it is given, unchanged. A 135M model follows the full persona poorly, so
the offline stack configures perception with the condensed one (``persona_length``
:attr:`SmolLM2Model.persona_length`, :data:`brain_core.persona.CONDENSED_PERSONA`); and as such a
model does not count sentences, a reply to either persona ends after five.

``scripts/local_model_bench.py`` checks it, measures it and holds a short conversation with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from brain_local.bedrock.converse_request import ConverseRequest, ToolSpec, message_text, parse
from brain_local.bedrock.service import Generation
from brain_local.models.chatml import (
    ALWAYS_STOP,
    IM_START,
    SENTENCE_END,
    chatml_blocks,
    is_persona,
    system_prompt,
    tool_instruction,
)
from brain_local.models.smollm2_loading import INSTALL_HINT, LocalModelSettings, model_path, shared_llama
from brain_local.models.tool_grammar import tool_grammar

MODEL_ID = "local.smollm2-135m-instruct"


class SmolLM2Model:
    """Serves Converse/ConverseStream requests with SmolLM2-135M-Instruct via llama.cpp.

    Thread-safe: the model loads once, as ``settings.instances`` contexts; each generation takes
    a free one, so that many requests run at once (the three insight calls of one message) and
    further ones wait their turn.

    Under a forced tool choice (``tool``, or ``any`` with one tool) the model is told the tool's
    purpose and fields and is constrained by a llama.cpp grammar built from its JSON schema, so
    its input is valid JSON of that schema. ``any`` with several tools first picks the tool's
    name under a grammar of the names. Under ``auto`` it answers in text (a 135M model was not
    trained to decide on tool calls). Tool results reach it as text in the person's turn.
    """

    model_id = MODEL_ID
    #: Converse's place for a model's own parameters; ``inferenceConfig.topK`` is Nova's spelling.
    additional_fields = frozenset({"seed", "repeat_penalty", "top_k", "min_p", "inferenceConfig"})
    persona_length = "condensed"

    def __init__(self, settings: LocalModelSettings | None = None, path: Path | None = None, model_id: str = MODEL_ID):
        self.settings = settings or LocalModelSettings()
        self._path = path
        self.model_id = model_id
        #: The prompt the model last saw, in tokens (for tests and measurement).
        self.last_prompt_tokens = 0
        self.last_dropped_messages = 0

    @property
    def path(self) -> Path:
        path = self._path or model_path()
        if path is None:
            raise RuntimeError(f"the SmolLM2 model file is not installed: {INSTALL_HINT}")
        return path

    def load(self):
        """A loaded ``llama_cpp.Llama`` (shared by every backend with the same file and settings)."""
        return shared_llama(self.path, self.settings).instances[0]

    # -- the prompt --------------------------------------------------------------------------
    def prompt_tokens(self, request: dict, max_tokens: int) -> list[int]:
        """The ChatML prompt as tokens, the oldest messages dropped until it fits with room to reply."""
        llama = self.load()

        def tok(text: str) -> list[int]:
            return llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

        messages = request.get("messages", [])
        head, blocks = chatml_blocks(system_prompt(request), messages)
        prefilled = bool(messages) and messages[-1].get("role") == "assistant"
        head_t, cue_t = tok(head), [] if prefilled else tok(f"{IM_START}assistant\n")
        block_t = [tok(b) for b in blocks]
        budget = self.settings.n_ctx - max_tokens - len(head_t) - len(cue_t)
        dropped = 0
        while len(block_t) > 1 and sum(map(len, block_t)) > budget:
            block_t.pop(0)
            dropped += 1
            if len(block_t) > 1 and request["messages"][dropped].get("role") == "assistant":
                block_t.pop(0)  # begin with the person's words, as the conversation did
                dropped += 1
        body = [t for b in block_t for t in b]
        if len(body) > budget:  # one message longer than the context: keep its end
            body = body[len(body) - max(budget, 0) :]
        self.last_dropped_messages = dropped
        return head_t + body + cue_t

    # -- generation --------------------------------------------------------------------------
    def respond(self, request: ConverseRequest) -> Generation:
        tool = request.forced_tool
        if tool is None and request.tool_choice == "any" and not request.answers_tool_result:
            tool = self._pick_tool(request)
        generation = Generation(iter(()), tool)
        generation.pieces = self._generate(request, tool, generation)
        return generation

    def stream(self, request: dict) -> Iterator[str]:
        """Text pieces of the reply to a raw Converse body (for scripts and measurements)."""
        return self.respond(parse(self.model_id, request, self.additional_fields)).pieces

    def _pick_tool(self, request: ConverseRequest) -> ToolSpec:
        names = [t.name for t in request.tools]
        listing = "\n".join(f"- {t.name}: {t.description}" for t in request.tools)
        ask = f"Choose the tool to call:\n{listing}\nAnswer with its name."
        chosen = ConverseRequest(
            model_id=self.model_id,
            messages=request.messages,
            system=(*request.system, ask),
            max_tokens=24,
            temperature=0.0,
        )
        picker = ToolSpec(
            "choose", "", {"type": "object", "properties": {"name": {"enum": names}}, "required": ["name"]}
        )
        text = "".join(self._generate(chosen, picker, Generation(iter(()))))
        try:
            name = json.loads(text)["name"]
        except (ValueError, KeyError, TypeError):
            name = names[0]
        return next(t for t in request.tools if t.name == name)

    def _generate(self, request: ConverseRequest, tool: ToolSpec | None, generation: Generation) -> Iterator[str]:
        """Text pieces in real time, one per decoded token, until end of turn or ``maxTokens``
        (stop sequences are the endpoint's to apply). ``additionalModelRequestFields`` may set
        ``seed``, ``repeat_penalty``, ``top_k`` (or Nova's ``inferenceConfig.topK``) and ``min_p``."""
        s = self.settings
        temperature = request.temperature if request.temperature is not None else s.temperature
        top_p = request.top_p if request.top_p is not None else s.top_p
        max_tokens = max(1, min(request.max_tokens or s.max_tokens, s.n_ctx // 2))
        extra = dict(request.additional)
        top_k = extra.get("top_k", (extra.get("inferenceConfig") or {}).get("topK", 40))
        system = list(request.system)
        if tool is not None:
            system.append(tool_instruction(tool))
        body = {
            "system": [{"text": t} for t in system],
            "messages": [{"role": m["role"], "content": [{"text": message_text(m)}]} for m in request.messages],
        }
        pool = shared_llama(self.path, self.settings)
        prompt = self.prompt_tokens(body, max_tokens)
        generation.input_tokens = len(prompt)
        with pool.take(prompt) as llama:
            if temperature <= 0 and tool is None:
                # Greedy decoding repeats itself only if the prompt is evaluated the same way each
                # time: reusing the cached prefix of the previous prompt (which saves most of the
                # prompt's evaluation, turn after turn) changes the batch shapes, and with them the
                # last bits of the logits. So a greedy text reply evaluates the whole prompt afresh;
                # a tool call keeps the prefix (its grammar bounds the output, and it must be quick).
                llama.reset()
            self.last_prompt_tokens = len(prompt)
            max_tokens = min(max_tokens, s.n_ctx - len(prompt))
            pieces = llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                top_k=int(top_k),
                min_p=float(extra.get("min_p", 0.05)),
                repeat_penalty=float(extra.get("repeat_penalty", s.repeat_penalty)),
                seed=int(extra["seed"]) if "seed" in extra else None,
                stop=list(ALWAYS_STOP),
                grammar=tool_grammar(tool.schema, s.grammar_max_string) if tool is not None else None,
                stream=True,
            )
            sentence_limit = s.persona_sentences if tool is None and is_persona(body) else None
            sentences, reply = 0, ""
            try:
                for chunk in pieces:
                    choice = chunk["choices"][0]
                    if choice.get("finish_reason") == "length":
                        generation.limit_reached = True
                    text = choice["text"]
                    if text or not choice.get("finish_reason"):
                        generation.output_tokens += 1
                    if not reply and not request.prefill:
                        # A reply begins with words, not with the blank line some turns open with
                        # (a prefill's continuation keeps its space: it joins the prefill's words).
                        text = text.lstrip()
                    if not text:
                        continue
                    if sentence_limit and text[0].isspace() and SENTENCE_END.search(reply):
                        sentences += 1
                        if sentences >= sentence_limit:
                            break
                    reply += text
                    yield text
            finally:
                pieces.close()  # a client that went away stops the generation here
