"""The offline EventBridge Pipe: Messages stream -> filter -> input template -> StartExecution.

moto creates no events from an ``AWS::Pipes::Pipe`` (docs/design.md §7), so this thread does what
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
way, so nothing is dropped. The thread ends only by :meth:`Pipe.stop`; if it ever ends
otherwise (a bug), :meth:`Pipe.status` says ``stopped`` with the error, and the stack's
health endpoint and ``brain up`` say so.

The parts, one job each: the filter and input template (:mod:`.filtering`), the checkpoints
(:mod:`.checkpoints`), the reader of the shards (:mod:`.reader`), the target that starts
executions and dead-letters (:mod:`.target`), the waits between retries (:mod:`.backoff`). This
module assembles them into the pipe's thread and its status.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime

from brain_core.config import PipeSettings
from brain_local.pipe.backoff import Backoff, Stopping
from brain_local.pipe.checkpoints import Checkpoints
from brain_local.pipe.reader import StreamReader
from brain_local.pipe.target import WorkflowTarget

log = logging.getLogger("brain.pipe")


class Pipe(threading.Thread):
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
        runs=None,
    ):
        """``runs``: the Step Functions client that tells whether a run has ended, for durable
        checkpoints (default ``sfn``). Offline bookkeeping, not a call an EventBridge pipe makes,
        so the stack gives its own client here, not one signed with the pipe's role."""
        super().__init__(name="brain-pipe", daemon=True)
        if settings.batch_size != 1:
            raise ValueError("the workflow takes one WorkflowInput per execution: the pipe's batch size must be 1")
        self.settings = settings
        self._poll_interval = poll_interval
        self._stopping = threading.Event()
        #: The first and the longest wait between retries of a failed call.
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
        self._target = WorkflowTarget(
            sfn,
            sqs,
            state_machine_arn,
            dlq_url,
            settings,
            self._stopping,
            backoff,
            self.counts,
            on_failure=self._fail,
            deliveries=before_start or (lambda record: 1),
        )
        self._reader = StreamReader(
            streams, runs or sfn, stream_arn, checkpoints or Checkpoints(), self._target.deliver, self.counts
        )
        self._read_at = time.monotonic()  # the end of the last pass that read every shard
        self._lock = threading.Lock()

    # -- what the stack and the tests see ------------------------------------------------------
    def status(self) -> dict:
        return {
            "state": self.state,
            #: How long since the pipe last read every shard: seconds while a call hangs (a paused
            #: DynamoDB answers nothing, and fails nothing either, until its timeout).
            "secondsSinceRead": round(time.monotonic() - self._read_at, 1),
            "operation": self._reader.operation,
            "lastError": self.last_error,
            "counts": dict(self.counts),
            "shards": {
                s.shard_id: {"lastProcessed": s.last_seq, "checkpoint": s.checkpoint, "closed": s.closed}
                for s in list(self._reader.shards.values())
            },
        }

    def open(self) -> None:
        """Describe the stream and open every shard: called before the stack serves anyone, and
        raises if the stream cannot be read (the stack then fails to start, loudly)."""
        with self._lock:
            self._reader.describe()
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
            self._reader.skip_to_end()

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
                    busy = self._reader.read_once()
                    self._read_at = time.monotonic()
            except Stopping:
                return
            except Exception as exc:  # noqa: BLE001 - whatever failed is retried; the thread must not end
                self.counts["readErrors"] += 1
                self._fail("retrying", self._reader.operation, exc)
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
