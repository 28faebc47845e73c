"""DynamoDB writes in order, and with ``brain up --data-dir DIR`` kept on disk across restarts.

**In order.** :class:`OrderedWrites` applies the DynamoDB process's writes one at a time. moto
numbers a stream record by the length of the shard's list at the moment it appends (read, then
append, with other work between), so two concurrent writes could get one sequence number, and
the pipe would read one of them twice. DynamoDB's own sequence numbers are unique and ordered;
one writer at a time makes moto's so. Reads are not held up.

**On disk** (:class:`DataDir`), as a database keeps its data: every write that changed a table
is appended to a journal — one JSON line, the request as it came in — *before* its answer goes
out, and the journal is fsynced every second. At start, once the stack has created its tables
(from configuration, as every start does), :meth:`DataDir.restore` fills them: the last snapshot
(a pickle of each table's items and stream records), then the journal replayed through moto in
its order, which gives back the same items *and the same stream sequence numbers*, so the pipe's
checkpoint still names the right record. A new snapshot is then written and the journal starts
empty; the same happens on a clean stop and every ``compact_every`` writes.

So a crash of the stack (kill -9) loses no write that was answered: each journal line has reached
the operating system before the answer. A crash of the machine loses at most the last second.
Table definitions are not kept (the stack makes them from configuration); writes to tables the
stack does not create are not restored.

Written here because nothing fits: moto keeps no data (LocalStack's persistence pickles moto's
backends, inside its Docker image), DynamoDB Local needs Java, and no library journals WSGI
requests.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pickle
import tempfile
import threading
from collections import defaultdict
from pathlib import Path

log = logging.getLogger("brain.persistence")

#: The DynamoDB operations that may change items (PartiQL statements included: a read replays harmlessly).
WRITES = frozenset(
    {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    }
)
_TARGET_PREFIX = "DynamoDB_20120810."


class Journal:
    """Append-only JSON lines: each reaches the OS at once; fsynced once a second."""

    def __init__(self, path: Path, fsync_seconds: float = 1.0):
        self.path = path
        self.count = 0
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the journal's whole life
        self._dirty = False
        self._closed = threading.Event()
        self._syncer = threading.Thread(target=self._sync_every, args=(fsync_seconds,), daemon=True)
        self._syncer.start()

    def append(self, operation: str, authorization: str, body: bytes) -> None:
        entry = {"op": operation, "auth": authorization, "body": body.decode("utf-8")}
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()
        self._dirty = True
        self.count += 1

    def _sync_every(self, seconds: float) -> None:
        while not self._closed.wait(seconds):
            self.sync()

    def sync(self) -> None:
        if self._dirty and not self._file.closed:
            self._dirty = False
            os.fsync(self._file.fileno())

    def close(self) -> None:
        self._closed.set()
        self.sync()
        self._file.close()


class OrderedWrites:
    """WSGI middleware: DynamoDB writes applied one at a time, and journaled when a journal is set."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.journal: Journal | None = None
        self.after_write = lambda: None

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.removeprefix(_TARGET_PREFIX)
        if not target.startswith(_TARGET_PREFIX) or operation not in WRITES:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        status = []

        def capture(line, headers, exc_info=None):
            status.append(line)
            return start_response(line, headers, exc_info)

        with self.lock:
            answer = list(self.app(environ, capture))  # moto has applied the write when this returns
            if self.journal is not None and status and status[0].startswith("200"):
                self.journal.append(operation, environ.get("HTTP_AUTHORIZATION", ""), body)
        self.after_write()
        return answer


def _tables():
    """Every moto DynamoDB table of this process: {(account, region, name): table}."""
    from moto.dynamodb.models import dynamodb_backends

    return {
        (account, region, name): table
        for account, regions in list(dynamodb_backends.items())
        for region, backend in list(regions.items())
        for name, table in list(backend.tables.items())
    }


class DataDir:
    """The tables' items and stream records in a directory: a snapshot and a journal."""

    SNAPSHOT = "tables.pickle"

    def __init__(self, path: Path, writes: OrderedWrites, compact_every: int = 20_000):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.writes = writes
        self.compact_every = compact_every
        self._journal_number = 0
        self._compacting = threading.Lock()

    def _journal_path(self, number: int) -> Path:
        return self.path / f"journal-{number:06d}.jsonl"

    def restore(self) -> dict:
        """Fill the (just created) tables from the snapshot and the journal; then compact."""
        with self.writes.lock:
            tables = _tables()
            snapshot_file = self.path / self.SNAPSHOT
            restored_items, skipped = 0, []
            if snapshot_file.exists():
                snapshot = pickle.loads(snapshot_file.read_bytes())
                self._journal_number = snapshot["journal"]
                for key, saved in snapshot["tables"].items():
                    table = tables.get(key)
                    if table is None:
                        skipped.append(key[2])
                        continue
                    table.items = defaultdict(dict, saved["items"])
                    if table.stream_shard is not None and saved["stream"] is not None:
                        table.stream_shard.items = saved["stream"]
                    restored_items += sum(len(v) if table.range_key_attr else 1 for v in table.items.values())
            replayed = 0
            for journal in sorted(self.path.glob("journal-*.jsonl")):
                if int(journal.stem.split("-")[1]) >= self._journal_number:
                    replayed += self._replay(journal)
            self._snapshot_and_switch()
        if skipped:
            log.warning("data dir: tables no longer created, not restored: %s", ", ".join(sorted(set(skipped))))
        self.writes.after_write = self._maybe_compact
        return {"items": restored_items, "replayed": replayed}

    def _replay(self, journal: Path) -> int:
        from werkzeug.test import EnvironBuilder, run_wsgi_app

        count = 0
        with open(journal, encoding="utf-8") as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    log.warning("data dir: %s ends in a partial line (a crash mid-write): ignored", journal.name)
                    break
                environ = EnvironBuilder(
                    method="POST",
                    path="/",
                    headers=[
                        ("X-Amz-Target", _TARGET_PREFIX + entry["op"]),
                        ("Authorization", entry["auth"]),
                        ("Content-Type", "application/x-amz-json-1.0"),
                        ("Host", "localhost"),
                    ],
                    data=entry["body"].encode("utf-8"),
                ).get_environ()
                answer, status, _ = run_wsgi_app(self.writes.app, environ)
                b"".join(answer)
                if not status.startswith("200"):
                    log.error("data dir: replaying %s gave %s (it succeeded when first written)", entry["op"], status)
                count += 1
        return count

    def _snapshot_and_switch(self) -> None:
        """Write a snapshot of every table (atomically), then journal to a new file. Called with
        the write lock held: no write lands between the snapshot and the new journal."""
        if self.writes.journal is not None:
            self.writes.journal.close()
        number = self._journal_number + 1
        tables = {
            key: {"items": dict(table.items), "stream": table.stream_shard.items if table.stream_shard else None}
            for key, table in _tables().items()
        }
        fd, temporary = tempfile.mkstemp(dir=self.path, prefix=".snapshot-")
        with os.fdopen(fd, "wb") as out:
            pickle.dump({"journal": number, "tables": tables}, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path / self.SNAPSHOT)
        for old in self.path.glob("journal-*.jsonl"):
            if int(old.stem.split("-")[1]) < number:
                old.unlink()
        self._journal_number = number
        self.writes.journal = Journal(self._journal_path(number))

    def _maybe_compact(self) -> None:
        journal = self.writes.journal
        if journal is not None and journal.count >= self.compact_every and self._compacting.acquire(blocking=False):
            try:
                with self.writes.lock:
                    self._snapshot_and_switch()
            finally:
                self._compacting.release()

    def close(self, compact: bool = True) -> None:
        """On a clean stop: a last snapshot, so the next start replays nothing."""
        with self.writes.lock:
            if compact:
                self._snapshot_and_switch()
            if self.writes.journal is not None:
                self.writes.journal.close()
                self.writes.journal = None


def stream_ends() -> dict[str, dict[str, str]]:
    """The last sequence number of each table's stream shards: {table: {shard id: number}}."""
    ends: dict[str, dict[str, str]] = {}
    for (_, _, name), table in _tables().items():
        shard = table.stream_shard
        if shard is not None and shard.items:
            ends.setdefault(name, {})[shard.id] = str(shard.starting_sequence_number + len(shard.items) - 1)
    return ends
