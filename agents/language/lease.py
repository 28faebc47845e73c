"""The language step's hold on its idempotency record: a short lease, renewed while it runs.

Powertools idempotency marks a run ``INPROGRESS`` until the invocation's deadline (the function's
timeout: 30 s for language), so an execution environment that dies mid-invoke blocks the state
machine's retries for up to 30 s, and the message ended as a fallback reply. Here the window is a
lease instead: :meth:`Lease.window` gives Powertools a remaining time of at most
``seconds`` (so the record's in-progress expiry is that close), and :meth:`Lease.held` renews the
expiry every ``renew_every`` seconds for as long as the run is alive. A dead run stops renewing;
within ``seconds`` a retry takes the record over (Powertools' own condition: an ``INPROGRESS``
record whose in-progress expiry has passed). A live run keeps it, so a duplicate delivery still
waits and then gets the first run's result. The state machine's Retry on
``IdempotencyAlreadyInProgressError`` covers the lease (statemachine/brain.asl.json).

:class:`WatchedRecords` is the DynamoDB client Powertools writes through, watched: it learns the
record's key from Powertools' own write (no private API) and whether that write replaced an
earlier run's record (``ReturnValues: ALL_OLD``, on the same call) — the sign that a run before
this one may have streamed part of the reply, which this one then continues instead of starting
the stream again.

Powertools has no renewal (aws-powertools/powertools-lambda-python#738 discusses the deadline);
this is the small part it lacks.
"""

from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager


class WatchedRecords:
    """A boto3 DynamoDB client for Powertools' persistence layer that remembers its last PutItem."""

    def __init__(self, client, key_attr: str = "id"):
        self._client = client
        self._key_attr = key_attr
        self.key: dict | None = None  # the record this invocation holds, as a DynamoDB key
        self.replaced: dict | None = None  # the record its write replaced (an earlier run's), if any

    def __getattr__(self, name):
        return getattr(self._client, name)

    def put_item(self, **kwargs):
        response = self._client.put_item(**{"ReturnValues": "ALL_OLD", **kwargs})
        self.key = {self._key_attr: kwargs["Item"][self._key_attr]}
        self.replaced = response.get("Attributes")
        return response


class _Window:
    """The Lambda context, with the remaining time Powertools reads capped at the lease."""

    def __init__(self, context, limit_ms: int):
        self._context, self._limit_ms = context, limit_ms

    def __getattr__(self, name):
        return getattr(self._context, name)

    def get_remaining_time_in_millis(self) -> int:
        return min(self._context.get_remaining_time_in_millis(), self._limit_ms)


class Lease:
    def __init__(self, records: WatchedRecords, persistence, seconds: float = 10.0, renew_every: float = 2.5):
        if renew_every * 2 > seconds:
            raise ValueError("renew at least twice per lease, or one slow renewal loses it")
        self._records, self._persistence = records, persistence
        self.seconds, self.renew_every = seconds, renew_every
        self.renewals = 0

    def windowed(self, handler):
        """Decorates the idempotent handler: Powertools reads the remaining time from the context
        it is given, so the record's in-progress expiry is the lease, not the function's timeout."""

        @functools.wraps(handler)
        def with_lease_window(event, context):
            self._records.key = self._records.replaced = None  # this invocation's, once it writes
            return handler(event, _Window(context, int(self.seconds * 1000)))

        return with_lease_window

    @property
    def took_over(self) -> bool:
        """This invocation's record replaced an earlier run's: one that died, or expired."""
        return self._records.replaced is not None

    @contextmanager
    def held(self):
        """Renew the record's in-progress expiry until the block ends (Powertools then completes
        or deletes the record)."""
        if self._records.key is None:
            yield  # no record was written (Powertools returned a stored result): nothing to hold
            return
        done = threading.Event()
        threading.Thread(target=self._renew_until, args=(done, dict(self._records.key)), daemon=True).start()
        try:
            yield
        finally:
            # Not joined: a renewal under way when the run ends finds the record completed or
            # deleted, and its condition fails harmlessly.
            done.set()

    def _renew_until(self, done: threading.Event, key: dict) -> None:
        p = self._persistence
        while not done.wait(self.renew_every):
            until_ms = int((time.time() + self.seconds) * 1000)
            try:
                self._records.update_item(
                    TableName=p.table_name,
                    Key=key,
                    UpdateExpression="SET #until = :until",
                    ConditionExpression="#status = :inprogress",
                    ExpressionAttributeNames={"#until": p.in_progress_expiry_attr, "#status": p.status_attr},
                    ExpressionAttributeValues={":until": {"N": str(until_ms)}, ":inprogress": {"S": "INPROGRESS"}},
                )
                self.renewals += 1
            except Exception:  # noqa: BLE001 - a missed renewal is retried at the next tick; the lease has room for it
                continue
