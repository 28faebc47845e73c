"""Language's logic: stream the model's reply to the client, coalesced into chunks."""

from __future__ import annotations

import time
from typing import Protocol

from brain_core.contracts import LanguageResult, PerceptionResult

from .model_client import ModelClient


class ChunkSink(Protocol):
    first_written_at: float | None
    seq: int

    def publish(self, text: str, done: bool = False): ...


class Coalescer:
    """The first text at once, then at most one chunk per ``interval_ms`` (DESIGN §4)."""

    def __init__(self, sink: ChunkSink, interval_ms: float, clock=time.perf_counter):
        self._sink = sink
        self._interval = interval_ms / 1000
        self._clock = clock
        self._pending: list[str] = []
        self._last: float | None = None

    def add(self, text: str) -> None:
        self._pending.append(text)
        now = self._clock()
        if self._last is None or now - self._last >= self._interval:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if self._pending:
            self._sink.publish("".join(self._pending))
            self._pending.clear()
            self._last = self._clock() if now is None else now


def speak(perception: PerceptionResult, model: ModelClient, sink: ChunkSink, model_id: str,
          inference: dict, interval_ms: float) -> LanguageResult:
    started = time.perf_counter()
    if not perception.valid:
        # Perception refused the input: its words are the reply, streamed like any other.
        sink.publish(perception.problem or "")
        return _result(perception.problem or "", "perception", {}, None, started, started, sink, refused=True)

    coalescer = Coalescer(sink, interval_ms)
    parts: list[str] = []
    first_token: float | None = None
    for delta in model.stream(model_id, perception.system, perception.messages, inference):
        if first_token is None:
            first_token = time.perf_counter()
        parts.append(delta)
        coalescer.add(delta)
    model_done = time.perf_counter()
    coalescer.flush()
    return _result("".join(parts), model_id, model.usage, first_token, model_done, started, sink)


def _result(text, model_id, usage, first_token, model_done, started, sink, refused=False) -> LanguageResult:
    ms = lambda t: round((t - started) * 1000, 2)  # noqa: E731
    return LanguageResult(
        text=text,
        model=model_id,
        inputTokens=int(usage.get("inputTokens", 0)),
        outputTokens=int(usage.get("outputTokens", 0)),
        modelTtftMs=ms(first_token) if first_token else 0.0,
        modelMs=ms(model_done) if not refused else 0.0,
        firstChunkAt=sink.first_written_at or time.time() * 1000,
        chunks=sink.seq,
        elapsedMs=ms(time.perf_counter()),
        refused=refused,
    )


def inference_config(max_tokens: int, temperature: float, top_p: float) -> dict:
    return {"maxTokens": max_tokens, "temperature": temperature, "topP": top_p}

