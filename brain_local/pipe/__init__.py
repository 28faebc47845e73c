"""The offline EventBridge Pipe: Messages stream -> filter -> input template -> StartExecution.

moto creates no events from an ``AWS::Pipes::Pipe`` (DESIGN §7), so this thread does what
the pipe does on AWS, with the same parameters and the same filter pattern and input template
(:class:`brain_core.config.PipeSettings`): it reads each shard in order, ``READ_LIMIT``
records at a time, starts one execution per matching record (FIRE_AND_FORGET), retries a
failed start ``maximum_retry_attempts`` times, then sends the record to the dead-letter queue.

**Where it reads.** A shard it has never read, from its first record (TRIM_HORIZON). The
offline stack creates the table and the pipe together, before its endpoint serves anyone, so
that is "from when the pipe was created" — on AWS the pipe's LATEST is the same point, since
the pipe exists before any client writes. (Opening at LATEST here lost every message written in
the 45-80 ms between the endpoint serving and the pipe asking for its iterator.) After that it
resumes after the last sequence number it processed, its *checkpoint*: an expired iterator, a
failed call, a new shard or a restart with ``brain up --data-dir`` (where the checkpoint is kept
in a file) neither skips nor replays a record.

**How it survives.** Any call can fail — DescribeStream, GetShardIterator, GetRecords (a slow,
paused or restarting DynamoDB, a throttle), StartExecution, SendMessage to the dead-letter
queue. Reading errors are logged, counted and retried with a doubling back-off (50 ms to 2 s),
then the stream is described again and each shard reopened after its checkpoint. A record is
passed only once it is started or dead-lettered: a failing dead-letter send is retried the same
way, so nothing is dropped. The thread ends only by :meth:`StreamPipe.stop`; if it ever ends
otherwise (a bug), :meth:`StreamPipe.status` says ``stopped`` with the error, and the stack's
health endpoint and ``brain up`` say so.

The back-off and the checkpoint file are written here (a few lines each) rather than taken
from a retry library: the waits must end the moment the pipe is stopped, and each failure
must be visible in the pipe's status.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
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
#: How often the stream is described again, to find new shards (a split on AWS), when all is well.
DESCRIBE_EVERY_SECONDS = 30.0


class Checkpoints:
    """Where the pipe keeps its checkpoint per shard: in memory, for as long as it runs."""

    #: Kept across restarts? Then the checkpoint waits for each record's executions to end.
    durable = False

    def load(self) -> dict[str, str]:
        return {}

    def save(self, shards: dict[str, str]) -> None:
        pass


class FileCheckpoints(Checkpoints):
    """The checkpoint in a JSON file, replaced atomically (write, then rename) at every advance,
    so a crash at any point leaves the previous or the new checkpoint, never half of one.

    Offline, a running execution lives in the stack's memory and dies with it; on AWS Step
    Functions keeps it. So the checkpoint kept here is the last record whose executions have
    *ended* (and every record before it): after a crash or a stop, a record whose run was cut
    short is delivered again — once more at least, as the pipe promises, never lost — and one
    that was answered is not."""

    durable = True

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text())["shards"])
        except FileNotFoundError:
            return {}

    def save(self, shards: dict[str, str]) -> None:
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".checkpoint-")
        with os.fdopen(fd, "w") as out:
            json.dump({"shards": shards}, out)
        os.replace(temporary, self.path)


class Backoff:
    """A doubling delay, capped, back to the start after a success."""

    def __init__(self, first: float = 0.05, limit: float = 2.0):
        self.first, self.limit = first, limit
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.limit)
        return delay

    def reset(self) -> None:
        self._next = self.first


class _Stopping(Exception):
    """stop() was called while a call was being retried."""


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None = None
    iterator: str | None = None  # None: (re)open it, after last_seq
    last_seq: str | None = None  # the last record processed (read and started)
    checkpoint: str | None = None  # what is kept: with durable checkpoints, the last record whose runs ended
    closed: bool = False  # read to its end (it was split): never reopened
    #: Durable checkpoints: records processed whose executions may still run, oldest first.
    running: deque = field(default_factory=deque)


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
        checkpoints: Checkpoints | None = None,
        backoff: tuple[float, float] = (0.05, 2.0),
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
        self._checkpoints = checkpoints or Checkpoints()
        #: The first and the longest wait between retries of a failed call.
        self._backoff_range = backoff
        self._backoff = Backoff(*backoff)
        self.counts = {
            "records": 0,
            "filtered": 0,
            "started": 0,
            "startFailures": 0,
            "deadLettered": 0,
            "deadLetterFailures": 0,
            "readErrors": 0,
            "shardsOpened": 0,
            "skipped": 0,
        }
        self.state = "starting"
        self.last_error: dict | None = None
        self._shards: dict[str, _Shard] = {
            shard_id: _Shard(shard_id, last_seq=seq, checkpoint=seq)
            for shard_id, seq in self._checkpoints.load().items()
        }
        self._described_at = 0.0
        self._read_at = time.monotonic()  # the end of the last pass that read every shard
        self._operation = "DescribeStream"  # the call under way, for the status when one fails
        self._lock = threading.Lock()

    # -- what the stack and the tests see ------------------------------------------------------
    def status(self) -> dict:
        return {
            "state": self.state,
            #: How long since the pipe last read every shard: seconds while a call hangs (a paused
            #: DynamoDB answers nothing, and fails nothing either, until its timeout).
            "secondsSinceRead": round(time.monotonic() - self._read_at, 1),
            "operation": self._operation,
            "lastError": self.last_error,
            "counts": dict(self.counts),
            "shards": {
                s.shard_id: {"lastProcessed": s.last_seq, "checkpoint": s.checkpoint, "closed": s.closed}
                for s in list(self._shards.values())
            },
        }

    def open(self) -> None:
        """Describe the stream and open every shard: called before the stack serves anyone, and
        raises if the stream cannot be read (the stack then fails to start, loudly)."""
        with self._lock:
            self._describe()
        self._read_at = time.monotonic()
        self.state = "running"

    def stop(self) -> None:
        self._stopping.set()

    @contextmanager
    def stopped(self):
        """Pause the pipe and skip what is written meanwhile: for loading history that must start
        no workflow (on AWS: load it before the pipe exists, or with a filter that excludes it).
        The checkpoint moves past the skipped records, so a restart does not replay them."""
        with self._lock:
            yield
            self._skip_to_end()

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # noqa: BLE001 - said loudly and kept in the status, not lost with the thread
            self._fail("stopped", "the pipe thread", exc)
            log.critical("THE PIPE HAS STOPPED: no new message will start a workflow (%s)", exc, exc_info=True)
            return
        self.state = "stopped"

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                with self._lock:
                    busy = self._read_once()
            except _Stopping:
                return
            except Exception as exc:  # noqa: BLE001 - whatever failed is retried; the thread must not end
                self.counts["readErrors"] += 1
                self._fail("retrying", self._operation, exc)
                self._stopping.wait(self._backoff.next())
                continue
            if self.state != "running":
                log.warning("pipe: reading again after %s", (self.last_error or {}).get("error"))
                self.state = "running"
            self._backoff.reset()
            if not busy:
                self._stopping.wait(self._poll_interval)

    def _fail(self, state: str, operation: str, exc: BaseException) -> None:
        self.state = state
        self.last_error = {
            "operation": operation,
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        if state == "retrying":
            log.error("pipe: %s failed, retrying: %s", operation, self.last_error["error"])

    def _read_once(self) -> bool:
        """One pass over the open shards; True if any record came."""
        if any(s.iterator is None and not s.closed for s in self._shards.values()) or (
            time.monotonic() - self._described_at > DESCRIBE_EVERY_SECONDS
        ):
            self._describe()
        busy = False
        for shard in list(self._shards.values()):
            if shard.iterator is None or shard.closed:
                continue
            try:
                self._operation = "GetRecords"
                page = self._streams.get_records(ShardIterator=shard.iterator, Limit=READ_LIMIT)
                for record in page["Records"]:
                    busy = True
                    runs = self._deliver(record)
                    self._advance(shard, record["dynamodb"]["SequenceNumber"], runs)
            except BaseException:
                shard.iterator = None  # expired, unknown or half read: reopen it after the last record processed
                raise
            shard.iterator = page.get("NextShardIterator")
            if shard.iterator is None:  # the shard was split and is read to its end
                shard.closed = True
                self._described_at = 0.0
        self._settle()
        self._read_at = time.monotonic()
        return busy

    def _describe(self) -> None:
        """Find the stream's shards; open those never read (from their start) and those whose
        iterator was lost (after their checkpoint). A child shard waits for its parent's end."""
        self._operation = "DescribeStream"
        shards, start = [], None
        while True:
            page = self._streams.describe_stream(
                StreamArn=self._stream_arn, **({"ExclusiveStartShardId": start} if start else {})
            )["StreamDescription"]
            shards.extend(page["Shards"])
            start = page.get("LastEvaluatedShardId")
            if not start:
                break
        for described in shards:
            shard = self._shards.setdefault(described["ShardId"], _Shard(described["ShardId"]))
            shard.parent_id = described.get("ParentShardId")
        self._operation = "GetShardIterator"
        for shard in list(self._shards.values()):
            parent = self._shards.get(shard.parent_id or "")
            if shard.iterator is None and not shard.closed and (parent is None or parent.closed):
                shard.iterator = self._open_iterator(shard)
                self.counts["shardsOpened"] += 1
        self._described_at = time.monotonic()

    def _open_iterator(self, shard: _Shard) -> str:
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.last_seq}
            if shard.last_seq
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        return self._streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard.shard_id, **where)[
            "ShardIterator"
        ]

    def _advance(self, shard: _Shard, sequence_number: str, runs: list[str]) -> None:
        shard.last_seq = sequence_number
        if not self._checkpoints.durable:
            shard.checkpoint = sequence_number
            return
        shard.running.append((sequence_number, runs))
        self._settle()

    def _settle(self) -> None:
        """Durable checkpoints: move each shard's checkpoint past the records whose runs ended."""
        if not self._checkpoints.durable:
            return
        moved = False
        for shard in list(self._shards.values()):
            while shard.running and all(self._ended(arn) for arn in shard.running[0][1]):
                shard.checkpoint = shard.running.popleft()[0]
                moved = True
        if moved:
            self._operation = "checkpoint"
            self._checkpoints.save({s.shard_id: s.checkpoint for s in self._shards.values() if s.checkpoint})

    def _ended(self, execution_arn: str) -> bool:
        try:
            return self._sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING"
        except Exception:  # noqa: BLE001 - not known to have ended: the checkpoint waits, and asks again
            return False

    def _skip_to_end(self) -> None:
        self._describe()
        for shard in self._shards.values():
            while shard.iterator and not shard.closed:
                page = self._streams.get_records(ShardIterator=shard.iterator, Limit=1000)
                shard.iterator = page.get("NextShardIterator")
                if not page["Records"]:
                    break
                self.counts["skipped"] += len(page["Records"])
                self._advance(shard, page["Records"][-1]["dynamodb"]["SequenceNumber"], [])

    # -- the target ----------------------------------------------------------------------------
    def _deliver(self, record: dict) -> list[str]:
        """Start the record's execution(s); their ARNs (none if filtered out or dead-lettered)."""
        self.counts["records"] += 1
        if not matches(self.settings.filter_pattern, record):
            self.counts["filtered"] += 1
            return []
        runs = [self._start(record) for _ in range(self._deliveries(record))]
        return [arn for arn in runs if arn]

    def _start(self, record: dict) -> str | None:
        workflow_input = render(self.settings.input_template, record)
        name = f"{workflow_input.get('messageId') or 'message'}-{uuid.uuid4().hex[:8]}"
        name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:80]
        error: Exception | None = None
        backoff = Backoff(*self._backoff_range)
        for attempt in range(1 + self.settings.maximum_retry_attempts):
            if attempt:
                self._wait(backoff.next())
            try:
                started = self._sfn.start_execution(
                    stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(workflow_input)
                )
                self.counts["started"] += 1
                return started.get("executionArn")
            except Exception as exc:  # noqa: BLE001 - any failure to start is retried, then dead-lettered
                error = exc
                self.counts["startFailures"] += 1
                log.warning("pipe: StartExecution failed for %s: %s", name, exc)
        self._dead_letter(record, error)
        return None

    def _dead_letter(self, record: dict, error: Exception | None) -> None:
        """Send the record to the dead-letter queue, however long that takes: until it is there,
        the pipe does not pass it (nor, to keep order, anything after it on its shard)."""
        log.error("pipe: dead-lettering record %s: %s", record.get("eventID"), error)
        body = json.dumps({"record": record, "error": repr(error)}, default=str)
        backoff = Backoff(*self._backoff_range)
        while True:
            try:
                self._sqs.send_message(QueueUrl=self._dlq_url, MessageBody=body)
                self.counts["deadLettered"] += 1
                return
            except Exception as exc:  # noqa: BLE001 - a record is never dropped: retried until it is dead-lettered
                self.counts["deadLetterFailures"] += 1
                self._fail("retrying", "SendMessage (dead-letter queue)", exc)
                self._wait(backoff.next())

    def _wait(self, seconds: float) -> None:
        if self._stopping.wait(seconds):
            raise _Stopping
