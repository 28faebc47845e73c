"""Publishing to the client's channel on AppSync Events: chunks as they are written, then the reply.

boto3 has no client for the Events data plane, so this is the one hand-written AWS call in the
functions (docs/design.md §8): ``POST https://<http domain>/event`` with ``{"channel", "events": [<JSON
string>, ...]}``, at most 5 events a request, signed with SigV4 for the service ``appsync`` by
botocore's own ``SigV4Auth`` with the function's credentials, over botocore's pooled HTTP session
(a kept-alive connection per execution environment; ``AWS_CA_BUNDLE`` is honoured as by any AWS
SDK call, which is how the offline stack's local CA is trusted).

Off the hot path: :meth:`EventPublisher.publish` only queues the event; one background thread per
execution environment sends the queue in order, taking up to 5 events of one channel a request,
so a slow publish never delays the model's stream or the DynamoDB writes. A failed request is
retried briefly, then counted in :attr:`EventPublisher.failed` and dropped: publishing never fails
a reply, the client catches up from the API (DynamoDB holds every chunk and the reply).
Lambda freezes an environment when the handler returns, so a handler calls :meth:`flush` (bounded)
before it returns.

Events (JSON objects, :mod:`brain_core.client_contracts`): a :class:`ChunkEvent` ``{"type":
"chunk", "messageId", "seq", "text"}`` for each chunk (``messageId`` the user message's, as on the
chunk item), then a :class:`ReplyEvent` ``{"type": "reply", ...}`` with the reply item's fields as
they are (``messageId`` the reply's own ``<user messageId>#reply``, ``inReplyTo`` the user
message's) and ``chunks``.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping

from brain_core.client_contracts import ChunkEvent, ReplyEvent, ReplyItem, ResponseChunk

log = logging.getLogger(__name__)


def chunk_event(chunk: ResponseChunk) -> dict:
    return ChunkEvent.of(chunk).to_dict()


def reply_event(reply: ReplyItem, chunks: int | None = None) -> dict:
    """The reply as it is pushed: the item's own fields (``messageId`` the reply's, ``inReplyTo``)."""
    return ReplyEvent.of(reply, chunks).to_dict()


class EventPublisher:
    """Publishes to AppSync Events' HTTP endpoint from a background thread (see the module)."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        *,
        max_batch: int = 5,
        attempts: int = 3,
        timeout_seconds: float = 2.0,
        session=None,
    ):
        import botocore.session
        from botocore.httpsession import URLLib3Session

        self.endpoint = endpoint
        self.region = region
        self.max_batch = max_batch
        self.attempts = attempts
        self._session = session or botocore.session.get_session()
        ca_bundle = self._session.get_config_variable("ca_bundle")
        # As botocore's clients set them (URLLib3Session alone sets none): without TCP_NODELAY the
        # body, sent after the headers, waits for a delayed ACK: ~40 ms per publish, measured here.
        # (The stubs type these as strings; urllib3 takes (level, option, value) tuples.)
        socket_options: list = [
            (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        ]
        self._http = URLLib3Session(
            verify=ca_bundle or True,
            timeout=timeout_seconds,  # type: ignore[arg-type]  # float seconds work: urllib3 takes them
            max_pool_connections=2,
            socket_options=socket_options,
        )
        self._queue: deque[tuple[str, str]] = deque()
        self._lock = threading.Condition()
        self._sending = 0
        self._thread: threading.Thread | None = None
        self.published = 0
        self.failed = 0

    # -- the caller's side: never blocks, never raises ---------------------------------------
    def publish(self, channel: str, event: Mapping) -> None:
        data = json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str)
        with self._lock:
            self._queue.append((channel, data))
            self._lock.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="events-publisher", daemon=True)
                self._thread.start()

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued is sent (or given up on); False if ``timeout`` ran out."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queue or self._sending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
        return True

    def take_counts(self) -> tuple[int, int]:
        """(published, failed) since the last call: what a handler reports as metrics."""
        with self._lock:
            counts = (self.published, self.failed)
            self.published = self.failed = 0
        return counts

    # -- the background thread ---------------------------------------------------------------
    def _next_batch(self) -> tuple[str, list[str]]:
        with self._lock:
            while not self._queue:
                self._lock.wait()
            channel, first = self._queue.popleft()
            batch = [first]
            while self._queue and len(batch) < self.max_batch and self._queue[0][0] == channel:
                batch.append(self._queue.popleft()[1])
            self._sending = len(batch)
            return channel, batch

    def _run(self) -> None:
        while True:
            channel, batch = self._next_batch()
            ok = self._send(channel, batch)
            with self._lock:
                self._sending = 0
                if ok:
                    self.published += len(batch)
                else:
                    self.failed += len(batch)
                self._lock.notify_all()

    def _send(self, channel: str, events: list[str]) -> bool:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.exceptions import BotoCoreError

        body = json.dumps({"channel": channel, "events": events}, separators=(",", ":"))
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(0.05 * 2 ** (attempt - 1))
            request = AWSRequest(
                method="POST", url=self.endpoint, data=body.encode(), headers={"content-type": "application/json"}
            )
            try:
                found = self._session.get_credentials()
                if found is None:
                    log.warning("publish to %s: no AWS credentials", channel)
                    return False
                credentials = found.get_frozen_credentials()
                SigV4Auth(credentials, "appsync", self.region).add_auth(request)
                response = self._http.send(request.prepare())
            except BotoCoreError as exc:
                log.warning("publish to %s failed (attempt %d): %s", channel, attempt + 1, exc)
                continue
            if response.status_code < 300:
                failed = _failed_events(response.content)
                if not failed:
                    return True
                log.warning("publish to %s: %d of %d events refused: %s", channel, len(failed), len(events), failed)
                return False  # refused events (too large, bad JSON) would be refused again
            log.warning("publish to %s: HTTP %d %s", channel, response.status_code, response.content[:200])
            if response.status_code < 500 and response.status_code != 429:
                return False  # unauthorised or malformed: retrying changes nothing
        return False


def _failed_events(content: bytes) -> list:
    try:
        return list(json.loads(content or b"{}").get("failed") or [])
    except (ValueError, AttributeError):
        return []


def events_publisher(endpoint: str, region: str) -> EventPublisher | None:
    """The execution environment's publisher, or ``None`` where no Events endpoint is configured
    (a deployment without the client API: replies are then read from DynamoDB only)."""
    from brain_core.config import SETTINGS

    if not endpoint:
        log.warning("EVENTS_HTTP_ENDPOINT is not set: chunks and replies are not pushed to clients")
        return None
    api = SETTINGS.client_api
    return EventPublisher(
        endpoint,
        region,
        max_batch=api.publish_max_batch,
        attempts=api.publish_attempts,
        timeout_seconds=api.publish_timeout_seconds,
    )


class ReplyChannel:
    """One message's channel: where its chunks and its reply are pushed, if anywhere."""

    def __init__(self, publisher: EventPublisher | None, namespace: str, owner: str, conversation_id: str):
        from brain_core.channels import channel_for

        self._publisher = publisher
        self.channel = channel_for(namespace, owner, conversation_id) if publisher else None

    def chunk(self, chunk: ResponseChunk) -> None:
        if self._publisher and self.channel and chunk.text:
            self._publisher.publish(self.channel, chunk_event(chunk))

    def reply(self, reply: ReplyItem, chunks: int | None = None) -> None:
        if self._publisher and self.channel:
            self._publisher.publish(self.channel, reply_event(reply, chunks))

    def finish(self, timeout: float | None = None) -> tuple[int, int]:
        """Wait (bounded) for what was queued; (published, failed) since the last finish."""
        if self._publisher is None:
            return 0, 0
        from brain_core.config import SETTINGS

        if not self._publisher.flush(SETTINGS.client_api.publish_flush_seconds if timeout is None else timeout):
            log.warning("events still queued after the flush timeout: sent when this environment next runs")
        return self._publisher.take_counts()
