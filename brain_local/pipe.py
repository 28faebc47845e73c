"""The offline EventBridge Pipe: Messages stream -> filter -> input template -> StartExecution.

moto creates no events from an ``AWS::Pipes::Pipe`` (DESIGN §7), so this thread does what
the pipe does on AWS, with the same parameters and the same filter pattern and input template
(:class:`brain_core.config.PipeSettings`): it polls each shard from LATEST, ``batch_size``
records at a time, starts one execution per matching record (FIRE_AND_FORGET), retries a
failed start ``maximum_retry_attempts`` times, then sends the record to the dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import Any

from brain_core.config import PipeSettings

log = logging.getLogger("brain.pipe")

_PLACEHOLDER = re.compile(r"<(\$(?:\.[A-Za-z0-9_]+)+)>")


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge pattern matching, the subset pipes filters use: exact values in lists,
    ``prefix``, ``exists`` and ``anything-but``, nested objects."""
    if isinstance(pattern, Mapping):
        if not isinstance(event, Mapping):
            return False
        return all(_match_field(rule, event.get(key), key in event) for key, rule in pattern.items())
    return pattern == event


def _match_field(rule: Any, value: Any, present: bool) -> bool:
    if isinstance(rule, Mapping):
        return present and matches(rule, value)
    if not isinstance(rule, list):
        return rule == value
    for option in rule:
        if isinstance(option, Mapping):
            if "exists" in option and option["exists"] == present:
                return True
            if "prefix" in option and isinstance(value, str) and value.startswith(option["prefix"]):
                return True
            if "anything-but" in option and present:
                banned = option["anything-but"]
                banned = banned if isinstance(banned, list) else [banned]
                if value not in banned:
                    return True
        elif present and option == value:
            return True
    return False


def _lookup(path: str, data: Any) -> Any:
    for part in path.split(".")[1:]:
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def render(template: str, record: Mapping) -> dict:
    """Apply a pipes input template: each ``<$.path>`` becomes that value as JSON (null if absent)."""
    return json.loads(_PLACEHOLDER.sub(lambda m: json.dumps(_lookup(m.group(1), record)), template))


#: Records read per GetRecords call. Batch size is about the target, not the read: a pipe reads
#: what the shard has and invokes the target once per batch.
READ_LIMIT = 100


class StreamPipe(threading.Thread):
    def __init__(
        self,
        streams,
        sfn,
        sqs,
        stream_arn: str,
        state_machine_arn: str,
        dlq_url: str,
        settings: PipeSettings,
        poll_interval: float = 0.01,
        before_start: Callable[[dict], int] | None = None,
    ):
        super().__init__(name="brain-pipe", daemon=True)
        if settings.batch_size != 1:
            raise ValueError("the workflow takes one WorkflowInput per execution: the pipe's batch size must be 1")
        self._streams, self._sfn, self._sqs = streams, sfn, sqs
        self._stream_arn, self._state_machine_arn, self._dlq_url = stream_arn, state_machine_arn, dlq_url
        self.settings = settings
        self._poll_interval = poll_interval
        self._stopping = threading.Event()
        #: For fault injection: how many times to start each matching record (2 = duplicate delivery).
        self._deliveries = before_start or (lambda record: 1)
        self.counts = {"records": 0, "filtered": 0, "started": 0, "startFailures": 0, "deadLettered": 0}
        self._iterators: dict[str, str] = {}
        self._lock = threading.Lock()
        self.ready = threading.Event()

    def _open_shards(self) -> None:
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType=self.settings.starting_position,
                )["ShardIterator"]

    def run(self) -> None:
        self._open_shards()
        self.ready.set()
        while not self._stopping.is_set():
            busy = False
            with self._lock:
                for shard_id, iterator in list(self._iterators.items()):
                    # Like the pipe's poller: read what the shard has, then hand the target
                    # batches of batch_size (one record each here) in order.
                    page = self._streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
                    self._iterators[shard_id] = page["NextShardIterator"]
                    for record in page["Records"]:
                        busy = True
                        self._deliver(record)
            if not busy:
                self._stopping.wait(self._poll_interval)

    def _deliver(self, record: dict) -> None:
        self.counts["records"] += 1
        if not matches(self.settings.filter_pattern, record):
            self.counts["filtered"] += 1
            return
        for _ in range(self._deliveries(record)):
            self._start(record)

    def _start(self, record: dict) -> None:
        workflow_input = render(self.settings.input_template, record)
        name = f"{workflow_input.get('messageId') or 'message'}-{uuid.uuid4().hex[:8]}"
        name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:80]
        error: Exception | None = None
        for _ in range(1 + self.settings.maximum_retry_attempts):
            try:
                self._sfn.start_execution(
                    stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(workflow_input)
                )
                self.counts["started"] += 1
                return
            except Exception as exc:  # noqa: BLE001 - any failure to start is retried, then dead-lettered
                error = exc
                self.counts["startFailures"] += 1
                time.sleep(0.05)
        log.error("pipe: dead-lettering record %s: %s", record.get("eventID"), error)
        self._sqs.send_message(
            QueueUrl=self._dlq_url, MessageBody=json.dumps({"record": record, "error": repr(error)}, default=str)
        )
        self.counts["deadLettered"] += 1

    def stop(self) -> None:
        self._stopping.set()

    @contextmanager
    def stopped(self):
        """Stop the pipe, and start it again from LATEST: what was written meanwhile starts no
        workflow (as when a pipe is stopped for a bulk import and started again on AWS)."""
        with self._lock:
            yield
            self._iterators.clear()
            self._open_shards()
