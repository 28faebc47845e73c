"""One message's measurements (:class:`MessageSample`), as every scenario and client records
them, and what the scenarios share: the messages sent, the CPU probe, the progress line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bench.settings import BenchSettings
from brain_core import workflow
from brain_core.contracts import TIMED_STEPS
from brain_local.clients.boto3_client import Exchange

Progress = Callable[[str], None]
#: CPU seconds used so far, by name (the stack process, its workers, this process).
CpuProbe = Callable[[], dict[str, float]]


def no_cpu_probe() -> dict[str, float]:
    return {}


def cpu_ms_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round((after[name] - before[name]) * 1000, 1) for name in before}


#: What the benchmark's users say, in turn (cycled): facts to remember, feelings, questions.
CONVERSATION = (
    "Hello! My name is Ada and I live in Lisbon.",
    "What does it feel like to float in that jar all day?",
    "I love the sea and long walks by the river.",
    "Do you remember my name, and where I live?",
    "I was a bit sad today, work was exhausting.",
    "Tell me about the scientists who look after you.",
    "My favourite book is Moby Dick, have you heard of it?",
    "Do you ever dream, or is it always the same dark fluid?",
    "I'm excited: I'm travelling to the mountains next week!",
    "What would you do first if you had a body again?",
    "Sometimes I feel lonely in the city, even with friends around.",
    "What was the last thing I told you about myself?",
)

#: Execution-history states of a run with no failure, in workflow order (the Parallel state and
#: its three branches), as the ASL names them.
STATES = tuple(state.name for state in workflow.happy_path() if state.runs_code)


@dataclass
class MessageSample:
    scenario: str  # warm | first-version | load
    index: int
    conversation_id: str
    message_id: str
    written_epoch_ms: float
    first_text_ms: float | None  # written -> first chunk visible at the client
    total_ms: float | None  # written -> reply item read at the client
    ttft_overhead_ms: float | None = None  # first text - the model's own time to first token
    overhead_vs_measured_model_ttft_ms: float | None = None  # first text - language's modelTtftMs
    model_ttft_ms: float | None = None  # language agent: ConverseStream call -> first text delta
    server_ttft_ms: float | None = None  # reply timings: createdAt -> first chunk written
    server_total_ms: float | None = None  # reply timings: createdAt -> self-review composed the reply
    first_chunk_written_ms: float | None = None  # written -> the language agent's first chunk PutItem returned
    chunks: int = 0
    status: str | None = None  # the reply's status: complete | fallback
    degraded: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)  # per agent, from the reply's timings
    states: dict[str, float] = field(default_factory=dict)  # per state, from the execution history
    timeline: dict[str, float] = field(default_factory=dict)  # ms after ``written``, execution events
    executions: int = 0
    #: CPU ms spent on this message: by the stack process, its workers, the benchmark's process
    #: (warm and first version only: measured around each message, before and after its clock).
    cpu_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def message_text(index: int) -> str:
    """The benchmark's ``index``-th message (the conversation, cycled)."""
    return CONVERSATION[index % len(CONVERSATION)]


def sample_from(
    exchange: Exchange, message: dict, written_epoch_ms: float, settings: BenchSettings, scenario: str, index: int
) -> MessageSample:
    """The sample of one answered message: ``message`` has its ``messageId`` and ``createdAt``;
    ``written_epoch_ms`` is when the client's clock started (its ``ttft_ms`` / ``total_ms``)."""
    reply = exchange.reply or {}
    timings = reply.get("timings", {})
    model_ttft = timings.get("modelTtftMs")
    model_own_ttft = settings.ttft_ms if settings.model_ttft_known else model_ttft
    first_text = exchange.ttft_ms

    def minus(a, b):
        return None if a is None or b is None else round(a - b, 1)

    # The reply's ttftMs is firstChunkAt - createdAt (the client's createdAt, the agent's clock: one machine).
    created_epoch_ms = datetime.fromisoformat(message["createdAt"].replace("Z", "+00:00")).timestamp() * 1000
    first_chunk_written = (
        None if timings.get("ttftMs") is None else round(created_epoch_ms + timings["ttftMs"] - written_epoch_ms, 1)
    )

    return MessageSample(
        scenario=scenario,
        index=index,
        conversation_id=message["conversationId"],
        message_id=message["messageId"],
        written_epoch_ms=written_epoch_ms,
        first_text_ms=None if first_text is None else round(first_text, 1),
        total_ms=round(exchange.total_ms, 1),
        ttft_overhead_ms=minus(first_text, model_own_ttft),
        overhead_vs_measured_model_ttft_ms=minus(first_text, model_ttft),
        model_ttft_ms=model_ttft,
        server_ttft_ms=timings.get("ttftMs"),
        server_total_ms=timings.get("totalMs"),
        first_chunk_written_ms=first_chunk_written,
        chunks=exchange.chunks,
        status=reply.get("status"),
        degraded=list(reply.get("degraded", [])),
        steps={step: timings[step] for step in TIMED_STEPS if step in timings},
        error=None if exchange.reply else "no reply item",
    )


def sample_line(sample: MessageSample, label: str) -> str:
    if sample.error:
        return f"{label}  ERROR {sample.error}"
    overhead = "" if sample.ttft_overhead_ms is None else f"  overhead {sample.ttft_overhead_ms:,.0f} ms"
    first = "none" if sample.first_text_ms is None else f"{sample.first_text_ms:,.0f} ms"
    return f"{label}  first text {first}{overhead}  total {sample.total_ms:,.0f} ms"
