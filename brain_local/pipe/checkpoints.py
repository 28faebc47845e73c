"""Where the pipe keeps its checkpoint per shard: the last sequence number it processed.

In memory (:class:`Checkpoints`) for a stack without a data dir; in a JSON file there
(:class:`FileCheckpoints`) with ``brain up --data-dir``, so a restart neither skips nor replays a
record. Written here (a few lines) rather than taken from a library: the file must be replaced
atomically, and the checkpoint must wait for each record's executions to end (see
:class:`FileCheckpoints`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("brain.pipe")


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


def checkpoints_for(data_dir: Path | None, stream_ends: dict[str, str]) -> Checkpoints:
    """In memory; with a data dir, in a file there — never ahead of the stream restored
    (``stream_ends``: each shard's last sequence number; after a machine crash the checkpoint
    may have outlived the last second of writes)."""
    if data_dir is None:
        return Checkpoints()
    checkpoints = FileCheckpoints(data_dir / "pipe-checkpoint.json")
    saved = checkpoints.load()
    kept = {shard: min(seq, stream_ends[shard], key=int) for shard, seq in saved.items() if shard in stream_ends}
    if kept != saved:
        log.warning("pipe checkpoint %s is ahead of the restored stream: using %s", saved, kept)
        checkpoints.save(kept)
    return checkpoints
