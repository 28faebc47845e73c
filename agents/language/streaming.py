"""Language's logic: stream the model's reply to the client, coalesced into chunks."""

from __future__ import annotations

import time
from typing import Protocol

from brain_core.contracts import LanguageResult, PerceptionResult

from .model_client import ModelClient


class ChunkSink(Protocol):
    first_written_at: float | None
    seq: int

    def write(self, text: str, done: bool = False): ...

    def streamed(self) -> tuple[str, int, bool]: ...


class Coalescer:
    """The first text at once, then at most one chunk per ``interval_ms`` (docs/design.md §4).

    A chunk write that fails (DynamoDB throttling beyond botocore's retries) does not lose
    text or leave a gap in ``seq``: the text stays pending and goes out with the next chunk.
    Only the final flush insists, ``final_attempts`` times, then raises.
    """

    def __init__(
        self, sink: ChunkSink, interval_ms: float, clock=time.perf_counter, final_attempts: int = 4, sleep=time.sleep
    ):
        self._sink = sink
        self._interval = interval_ms / 1000
        self._clock = clock
        self._final_attempts = final_attempts
        self._sleep = sleep
        self._pending: list[str] = []
        self._last: float | None = None
        self.failed_writes = 0

    def add(self, text: str) -> None:
        self._pending.append(text)
        now = self._clock()
        if self._last is None or now - self._last >= self._interval:
            self._try_flush(now)

    def _try_flush(self, now: float) -> bool:
        try:
            self._sink.write("".join(self._pending))
        except Exception:  # noqa: BLE001 - any failed write is retried with the next chunk
            self.failed_writes += 1
            return False
        self._pending.clear()
        self._last = now
        return True

    def flush(self) -> None:
        """Write whatever is pending; retried with backoff, since nothing comes after it."""
        for attempt in range(self._final_attempts):
            if not self._pending or self._try_flush(self._clock()):
                return
            self._sleep(0.05 * 2**attempt)
        self._sink.write("".join(self._pending))  # the last try raises what went wrong
        self._pending.clear()


def speak(
    perception: PerceptionResult,
    model: ModelClient,
    sink: ChunkSink,
    model_id: str,
    inference: dict,
    interval_ms: float,
    resume: bool = False,
) -> LanguageResult:
    """Stream the reply. With ``resume`` (this run took over from one that died), what that run
    streamed is read first: a client has shown it, so it is continued, not streamed again — the
    model gets it as the start of its answer (an assistant prefill, which ConverseStream
    continues), the chunks go on after it, and the reply is that text plus the continuation. If
    the earlier run's stream had ended, its text is the reply."""
    started = time.perf_counter()
    streamed, stream_ended = "", False
    if resume:
        streamed, sink.seq, stream_ended = sink.streamed()
    if not perception.valid:
        # Perception refused the input: its words are the reply, streamed like any other.
        if not streamed:
            sink.write(perception.problem or "")
        return _result(perception.problem or "", "perception", {}, None, started, started, sink, refused=True)
    if stream_ended:
        return _result(streamed, model_id, {}, None, started, started, sink)

    messages = perception.messages
    if streamed:
        messages = [*messages, {"role": "assistant", "content": [{"text": streamed.rstrip()}]}]
    coalescer = Coalescer(sink, interval_ms)
    parts: list[str] = [streamed]
    first_token: float | None = None
    for delta in model.stream(model_id, perception.system, messages, inference):
        if first_token is None:
            first_token = time.perf_counter()
            if streamed != streamed.rstrip():
                delta = delta.lstrip()  # the space before it was streamed already
        parts.append(delta)
        if delta:
            coalescer.add(delta)
    model_done = time.perf_counter()
    coalescer.flush()
    return _result(
        "".join(parts),
        model_id,
        model.usage,
        first_token,
        model_done,
        started,
        sink,
        failed_writes=coalescer.failed_writes,
    )


def _result(
    text, model_id, usage, first_token, model_done, started, sink, refused=False, failed_writes=0
) -> LanguageResult:
    def ms(t: float) -> float:
        return round((t - started) * 1000, 2)

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
        failedChunkWrites=failed_writes,
    )


def inference_config(max_tokens: int, temperature: float, top_p: float) -> dict:
    return {"maxTokens": max_tokens, "temperature": temperature, "topP": top_p}
