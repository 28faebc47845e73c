"""The warm scenario against the running offline stack: the same messages by the pushed client
(:mod:`bench.pushed`), the polling client (:mod:`bench.polling`) and the first version's shape,
in turn. Each message becomes one :class:`~bench.samples.MessageSample`; the load scenario is
:mod:`bench.load`, each state's duration :mod:`bench.execution_history`.
"""

from __future__ import annotations

import time
import uuid

from bench.first_version import FirstVersionChain
from bench.polling import polling_client, polling_exchange
from bench.pushed import pushed_client, pushed_exchange
from bench.samples import CpuProbe, MessageSample, Progress, cpu_ms_between, message_text, no_cpu_probe, sample_line
from bench.settings import BenchSettings
from brain_core.contracts import UserMessage


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
    client = polling_client(endpoint, settings.poll_interval_ms)
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
        sample = pushed_exchange(pushed, message_text(i), pushed_conversation, settings, "warm", n)
        sample.cpu_ms = cpu_ms_between(before, cpu_probe())
        progress(sample_line(sample, f"warm {n}/{settings.warm_messages}" if measured else "warm-up" + unmeasured))
        if measured:
            warm.append(sample)

        before = cpu_probe()
        sample = polling_exchange(client, message_text(i), warm_conversation, settings, "warm-polling", n)
        sample.cpu_ms = cpu_ms_between(before, cpu_probe())
        label = f"warm, polling {n}/{settings.warm_messages}" if measured else "warm-up, polling" + unmeasured
        progress(sample_line(sample, label))
        if measured:
            polling.append(sample)

        before = cpu_probe()
        chained = _first_version_exchange(chain, message_text(i), chain_conversation, n)
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
    # The item BrainClient.put_message writes; handed to the chain in memory.
    message = UserMessage.new(conversation_id, "bench", text).to_dict()
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


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
