"""The latency scenarios against the running offline stack: warm (the pushed client, the polling
client and the first version's shape, in turn) and load (pushed). Each message becomes one
:class:`MessageSample`. The pushed client's clocks are in :mod:`bench.pushed`; the polling
client's (the boto3 path) are these, all on this machine:
- ``written``: the user message's ``PutItem`` to Messages has returned (the client's clock
  starts here: ``BrainClient.put_message`` then ``BrainClient.follow``, as ``send`` does).
- ``first text``: the first chunk with text is returned by the client's ResponseChunks poll.
- ``total``: the reply item has been read back from Messages, after the done chunk was seen.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import boto3
from ulid import ULID

from bench.first_version import FirstVersionChain
from bench.settings import BenchSettings
from brain_core import workflow
from brain_core.config import SETTINGS
from brain_core.contracts import TIMED_STEPS, iso_timestamp
from brain_local.clients.boto3_client import BrainClient, Exchange, ReplyTimeout
from brain_local.stepfunctions.runs import history, state_durations

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


def _text(index: int) -> str:
    return CONVERSATION[index % len(CONVERSATION)]


def _client(endpoint: str, poll_interval_ms: float) -> BrainClient:
    return BrainClient(endpoint, poll_interval=poll_interval_ms / 1000)


def _exchange(
    client: BrainClient,
    text: str,
    conversation_id: str,
    settings: BenchSettings,
    scenario: str,
    index: int,
) -> MessageSample:
    """One message through the pipeline by the polling client (the boto3 path), timed as that
    client sees it."""
    message = client.put_message(text, conversation_id, owner="bench")
    written_at, written_epoch_ms = time.perf_counter(), time.time() * 1000
    try:
        exchange: Exchange = client.follow(message, written_at, timeout=settings.reply_timeout_s)
    except ReplyTimeout as exc:
        return MessageSample(
            scenario, index, conversation_id, message["messageId"], written_epoch_ms, None, None, error=str(exc)
        )
    return sample_from(exchange, message, written_epoch_ms, settings, scenario, index)


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


def _warm_line(sample: MessageSample, label: str) -> str:
    if sample.error:
        return f"{label}  ERROR {sample.error}"
    overhead = "" if sample.ttft_overhead_ms is None else f"  overhead {sample.ttft_overhead_ms:,.0f} ms"
    first = "none" if sample.first_text_ms is None else f"{sample.first_text_ms:,.0f} ms"
    return f"{label}  first text {first}{overhead}  total {sample.total_ms:,.0f} ms"


# -- warm, paired with the first version's shape ---------------------------------------------


def run_warm_and_first_version(
    endpoint: str,
    model_id: str,
    settings: BenchSettings,
    run_id: str,
    progress: Progress,
    cpu_probe: CpuProbe = no_cpu_probe,
    health: dict | None = None,
) -> tuple[list[MessageSample], list[MessageSample], list[MessageSample]]:
    """The same messages through the pipeline by the pushed client (the client API: the main
    row), by the polling client (the boto3 path: the second row) and through the first version's
    chain, in turn (message i by each, then message i + 1): all three see the same machine load,
    the same model settings and histories of the same size. Returns (pushed, polling, first version)."""
    from bench.pushed import pushed_client, pushed_exchange

    client = _client(endpoint, settings.poll_interval_ms)
    pushed = pushed_client(health or {})
    chain = FirstVersionChain(endpoint, model_id)
    chain.create_mirror_table()
    warm_conversation, chain_conversation = f"bench-warm-{run_id}", f"bench-first-version-{run_id}"
    pushed_conversation = f"bench-pushed-{run_id}"
    warm, polling, first_version = [], [], []
    total = settings.warmup_messages + settings.warm_messages
    for i in range(total):
        measured = i >= settings.warmup_messages
        n = i - settings.warmup_messages + 1
        unmeasured = f" {i + 1}/{settings.warmup_messages} (unmeasured: cold starts)"
        before = cpu_probe()
        sample = pushed_exchange(pushed, _text(i), pushed_conversation, settings, "warm", n)
        sample.cpu_ms = cpu_ms_between(before, cpu_probe())
        progress(_warm_line(sample, f"warm {n}/{settings.warm_messages}" if measured else "warm-up" + unmeasured))
        if measured:
            warm.append(sample)

        before = cpu_probe()
        sample = _exchange(client, _text(i), warm_conversation, settings, "warm-polling", n)
        sample.cpu_ms = cpu_ms_between(before, cpu_probe())
        label = f"warm, polling {n}/{settings.warm_messages}" if measured else "warm-up, polling" + unmeasured
        progress(_warm_line(sample, label))
        if measured:
            polling.append(sample)

        before = cpu_probe()
        chained = _first_version_exchange(chain, _text(i), chain_conversation, n)
        chained.cpu_ms = cpu_ms_between(before, cpu_probe())
        label = (
            f"first-version {n}/{settings.warm_messages}"
            if measured
            else f"first-version warm-up {i + 1}/{settings.warmup_messages} (unmeasured)"
        )
        progress(f"{label}  first text = total {chained.total_ms:,.0f} ms")
        if measured:
            first_version.append(chained)
    pushed.close()
    return warm, polling, first_version


def _first_version_exchange(chain: FirstVersionChain, text: str, conversation_id: str, index: int) -> MessageSample:
    # The shape BrainClient.put_message writes; handed to the chain in memory.
    message = {
        "conversationId": conversation_id,
        "messageId": str(ULID()),
        "role": "user",
        "owner": "bench",
        "content": text,
        "createdAt": iso_timestamp(),
    }
    chain.record_user_message(message)
    written_epoch_ms = time.time() * 1000
    answer = chain.answer(message)
    return MessageSample(
        scenario="first-version",
        index=index,
        conversation_id=conversation_id,
        message_id=message["messageId"],
        written_epoch_ms=written_epoch_ms,
        first_text_ms=answer.total_ms,
        total_ms=answer.total_ms,
        status=answer.reply.get("status"),
        degraded=list(answer.reply.get("degraded", [])),
        steps=answer.steps,
    )


# -- each state's duration, from the execution history ----------------------------------------


def stepfunctions_client(endpoint: str):
    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name=SETTINGS.region,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )


def _executions(sfn, state_machine_arn: str) -> list[dict]:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    return [execution for page in pages for execution in page["executions"]]


def _timeline(events: list[dict], written_epoch_ms: float) -> dict[str, float]:
    """Milliseconds after the message was written at which each state was entered and exited."""

    def after(event: dict) -> float:
        return round(event["timestamp"].timestamp() * 1000 - written_epoch_ms, 1)

    points: dict[str, float] = {}
    for event in events:
        if event["type"] == "ExecutionStarted":
            points["executionStarted"] = after(event)
        elif event["type"] in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut"):
            points["executionEnded"] = after(event)
        elif "stateEnteredEventDetails" in event:
            points[f"{event['stateEnteredEventDetails']['name']}.entered"] = after(event)
        elif "stateExitedEventDetails" in event:
            points[f"{event['stateExitedEventDetails']['name']}.exited"] = after(event)
    return points


def attach_execution_history(endpoint: str, state_machine_arn: str, samples: list[MessageSample]) -> int:
    """Fill each sample's ``states`` (durations, :func:`brain_local.stepfunctions.runs.state_durations`) and
    ``timeline`` from its execution's history; returns how many samples had no execution."""
    sfn = stepfunctions_client(endpoint)
    executions = _executions(sfn, state_machine_arn)
    unmatched = 0
    for sample in samples:
        # The pipe names each execution "<messageId>-<8 hex>".
        mine = sorted(
            (e for e in executions if e["name"].startswith(sample.message_id + "-")), key=lambda e: e["startDate"]
        )
        sample.executions = len(mine)
        if not mine:
            unmatched += 1
            continue
        events = history(sfn, mine[0]["executionArn"])
        sample.states = state_durations(events)
        sample.timeline = _timeline(events, sample.written_epoch_ms)
        sample.timeline["executionCreated"] = round(
            mine[0]["startDate"].timestamp() * 1000 - sample.written_epoch_ms, 1
        )
    return unmatched


# -- load --------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    samples: list[MessageSample]
    delivery: dict
    warmup_samples: list[MessageSample]
    #: Per round ("warm-up", "measured"): wall seconds and CPU ms by process kind.
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)


def _concurrently(jobs: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_load(
    endpoint: str,
    settings: BenchSettings,
    run_id: str,
    progress: Progress,
    cpu_probe: CpuProbe = no_cpu_probe,
    health: dict | None = None,
) -> LoadResult:
    """``load_conversations`` conversations at once through the pushed path, each a thread with
    its own signed-in client (its own WebSocket) sending ``load_messages`` messages one after
    another; first one unmeasured round at the same concurrency. The environments the load needs
    are started with the stack (``BenchSettings.provisioned``), not by that round: it does not
    overlap the insight calls as much as the measured round does."""
    from bench.pushed import pushed_client, pushed_exchange

    count, per = settings.load_conversations, settings.load_messages
    lock = threading.Lock()
    # Clients are made here, not in the threads: creating boto3 clients is not thread-safe.
    pushed = [pushed_client(health or {}) for _ in range(count)]
    auditor = _client(endpoint, settings.poll_interval_ms)  # reads the tables for the exactly-once check

    warmup: list[MessageSample] = []
    cpu: dict[str, dict[str, float]] = {}
    cpu_before, warmup_started = cpu_probe(), time.perf_counter()

    def warm_one(i: int) -> Callable[[], None]:
        def job() -> None:
            sample = pushed_exchange(
                pushed[i], _text(i), f"bench-load-warmup-{run_id}-{i:02d}", settings, "load-warmup", 1
            )
            with lock:
                warmup.append(sample)

        return job

    _concurrently([warm_one(i) for i in range(count)])
    cpu["warm-up"] = {
        "wallS": round(time.perf_counter() - warmup_started, 2),
        **cpu_ms_between(cpu_before, cpu_probe()),
    }
    answered = sum(1 for s in warmup if s.total_ms is not None and not s.error)
    progress(
        f"load warm-up round: {count} concurrent messages, {answered} answered, "
        f"{time.perf_counter() - warmup_started:.1f} s (unmeasured)"
    )

    samples: list[MessageSample] = []
    barrier = threading.Barrier(count)
    conversations = {i: f"bench-load-{run_id}-{i:02d}" for i in range(count)}

    def converse(i: int) -> Callable[[], None]:
        def job() -> None:
            barrier.wait()  # every conversation starts at once
            for m in range(per):
                sample = pushed_exchange(pushed[i], _text(i + m), conversations[i], settings, "load", m + 1)
                with lock:
                    samples.append(sample)
                    progress(
                        _warm_line(sample, f"load {len(samples)}/{count * per} (conversation {i + 1}, message {m + 1})")
                    )

        return job

    cpu_before, measured_started = cpu_probe(), time.perf_counter()
    _concurrently([converse(i) for i in range(count)])
    cpu["measured"] = {
        "wallS": round(time.perf_counter() - measured_started, 2),
        **cpu_ms_between(cpu_before, cpu_probe()),
    }
    sent = {
        conversations[i]: [s.message_id for s in samples if s.conversation_id == conversations[i]] for i in range(count)
    }
    for client in pushed:
        client.close()
    return LoadResult(samples=samples, delivery=check_delivery(auditor, sent), warmup_samples=warmup, cpu=cpu)


def check_delivery(client: BrainClient, sent: dict[str, list[str]]) -> dict:
    """Query each conversation: exactly one ``#reply`` item per user message sent."""
    replies_per_message: dict[str, int] = {}
    statuses: dict[str, int] = {}
    orphans = 0
    for conversation_id, message_ids in sent.items():
        wanted = set(message_ids)
        counts = dict.fromkeys(message_ids, 0)
        for item in client.history(conversation_id):
            if item.get("role") != "brain":
                continue
            # Counted by what it answers, not by its key: a second reply under another key is a duplicate.
            answered = item.get("inReplyTo") or item["messageId"].removesuffix("#reply")
            if answered in wanted:
                counts[answered] += 1
                statuses[item.get("status", "?")] = statuses.get(item.get("status", "?"), 0) + 1
            else:
                orphans += 1
        replies_per_message.update(counts)
    missing = sorted(m for m, n in replies_per_message.items() if n == 0)
    duplicated = sorted(m for m, n in replies_per_message.items() if n > 1)
    return {
        "messages": len(replies_per_message),
        "replies": sum(replies_per_message.values()),
        "missing": len(missing),
        "duplicated": len(duplicated),
        "unexpectedReplies": orphans,
        "replyStatuses": statuses,
        "missingMessageIds": missing,
        "duplicatedMessageIds": duplicated,
        "exactlyOnce": not missing and not duplicated and not orphans,
    }


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
