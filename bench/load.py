"""The load scenario: many conversations at once through the pushed path, then an audit of the
tables: exactly one reply per message sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.polling import polling_client
from bench.pushed import pushed_client, pushed_exchange
from bench.samples import CpuProbe, MessageSample, Progress, cpu_ms_between, message_text, no_cpu_probe, sample_line
from bench.settings import BenchSettings
from brain_local.clients.boto3_client import BrainClient


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
    count, per = settings.load_conversations, settings.load_messages
    lock = threading.Lock()
    # Clients are made here, not in the threads: creating boto3 clients is not thread-safe.
    pushed = [pushed_client(health or {}) for _ in range(count)]
    auditor = polling_client(endpoint, settings.poll_interval_ms)  # reads the tables for the exactly-once check

    warmup: list[MessageSample] = []
    cpu: dict[str, dict[str, float]] = {}
    cpu_before, warmup_started = cpu_probe(), time.perf_counter()

    def warm_one(i: int) -> Callable[[], None]:
        def job() -> None:
            sample = pushed_exchange(
                pushed[i], message_text(i), f"bench-load-warmup-{run_id}-{i:02d}", settings, "load-warmup", 1
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
                sample = pushed_exchange(pushed[i], message_text(i + m), conversations[i], settings, "load", m + 1)
                with lock:
                    samples.append(sample)
                    progress(
                        sample_line(
                            sample, f"load {len(samples)}/{count * per} (conversation {i + 1}, message {m + 1})"
                        )
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
