"""The pipe's source: each shard of the Messages stream read in order, after its checkpoint.

A shard never read opens at its first record (TRIM_HORIZON), one whose iterator was lost
(expired, a failed call, a restart) after the last record processed; a child shard waits for
its parent's end; the stream is described again every :data:`DESCRIBE_EVERY_SECONDS` to find
new shards. A record counts as processed once the target has it (started or dead-lettered):
only then does the shard move past it, and with durable checkpoints the checkpoint moves past
it once its executions have ended.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from brain_local.pipe.checkpoints import Checkpoints

#: Records read per GetRecords call. Batch size is about the target, not the read: a pipe reads
#: what the shard has and invokes the target once per batch.
READ_LIMIT = 100
#: How often the stream is described again, to find new shards (a split on AWS), when all is well.
DESCRIBE_EVERY_SECONDS = 30.0


def streams_client(endpoint: str, region: str, credentials: dict[str, str | None] | None = None):
    """The pipe's own Streams client: short timeouts and no botocore retries, so a paused or
    failing DynamoDB shows at once in the pipe's status and its own back-off takes over.
    ``credentials``: the pipe's role (``aws_access_key_id``, …); the administrator's without."""
    import boto3
    from botocore.config import Config

    keys = credentials or {"aws_access_key_id": "offline", "aws_secret_access_key": "offline"}
    return boto3.client(  # type: ignore[call-overload]  # boto3-stubs type a client by a literal name
        "dynamodbstreams",
        region_name=region,
        endpoint_url=endpoint,
        **keys,
        config=Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1}),
    )


@dataclass
class Shard:
    shard_id: str
    parent_id: str | None = None
    iterator: str | None = None  # None: (re)open it, after last_seq
    last_seq: str | None = None  # the last record processed (read and started)
    checkpoint: str | None = None  # what is kept: with durable checkpoints, the last record whose runs ended
    closed: bool = False  # read to its end (it was split): never reopened
    #: Durable checkpoints: records processed whose executions may still run, oldest first.
    running: deque = field(default_factory=deque)


class StreamReader:
    """Reads the stream's shards and hands each record to ``deliver``, which returns the ARNs
    of the executions it started (the durable checkpoint waits for them to end)."""

    def __init__(
        self,
        streams,
        sfn,
        stream_arn: str,
        checkpoints: Checkpoints,
        deliver: Callable[[dict], list[str]],
        counts: dict[str, int],
    ):
        self._streams, self._sfn, self._stream_arn = streams, sfn, stream_arn
        self._checkpoints, self._deliver, self.counts = checkpoints, deliver, counts
        self.shards: dict[str, Shard] = {
            shard_id: Shard(shard_id, last_seq=seq, checkpoint=seq) for shard_id, seq in checkpoints.load().items()
        }
        self._described_at = 0.0
        self.operation = "DescribeStream"  # the call under way, for the status when one fails

    def read_once(self) -> bool:
        """One pass over the open shards; True if any record came."""
        if any(s.iterator is None and not s.closed for s in self.shards.values()) or (
            time.monotonic() - self._described_at > DESCRIBE_EVERY_SECONDS
        ):
            self.describe()
        busy = False
        for shard in list(self.shards.values()):
            if shard.iterator is None or shard.closed:
                continue
            try:
                self.operation = "GetRecords"
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
        return busy

    def describe(self) -> None:
        """Find the stream's shards; open those never read (from their start) and those whose
        iterator was lost (after their checkpoint). A child shard waits for its parent's end."""
        self.operation = "DescribeStream"
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
            shard = self.shards.setdefault(described["ShardId"], Shard(described["ShardId"]))
            shard.parent_id = described.get("ParentShardId")
        self.operation = "GetShardIterator"
        for shard in list(self.shards.values()):
            parent = self.shards.get(shard.parent_id or "")
            if shard.iterator is None and not shard.closed and (parent is None or parent.closed):
                shard.iterator = self._open_iterator(shard)
                self.counts["shardsOpened"] += 1
        self._described_at = time.monotonic()

    def _open_iterator(self, shard: Shard) -> str:
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.last_seq}
            if shard.last_seq
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        return self._streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard.shard_id, **where)[
            "ShardIterator"
        ]

    def _advance(self, shard: Shard, sequence_number: str, runs: list[str]) -> None:
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
        for shard in list(self.shards.values()):
            while shard.running and all(self._ended(arn) for arn in shard.running[0][1]):
                shard.checkpoint = shard.running.popleft()[0]
                moved = True
        if moved:
            self.operation = "checkpoint"
            self._checkpoints.save({s.shard_id: s.checkpoint for s in self.shards.values() if s.checkpoint})

    def _ended(self, execution_arn: str) -> bool:
        try:
            return self._sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING"
        except Exception:  # noqa: BLE001 - not known to have ended: the checkpoint waits, and asks again
            return False

    def skip_to_end(self) -> None:
        """Move every shard past what it holds now, starting nothing."""
        self.describe()
        for shard in self.shards.values():
            while shard.iterator and not shard.closed:
                page = self._streams.get_records(ShardIterator=shard.iterator, Limit=1000)
                shard.iterator = page.get("NextShardIterator")
                if not page["Records"]:
                    break
                self.counts["skipped"] += len(page["Records"])
                self._advance(shard, page["Records"][-1]["dynamodb"]["SequenceNumber"], [])
