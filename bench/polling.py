"""The benchmark's second client: the polling client (the boto3 path, a trusted backend).

Clocks (all on this machine), beside the pushed client's of :mod:`bench.pushed`:
- ``written``: the user message's ``PutItem`` to Messages has returned (the client's clock
  starts here: ``BrainClient.put_message`` then ``BrainClient.follow``, as ``send`` does).
- ``first text``: the first chunk with text is returned by the client's ResponseChunks poll.
- ``total``: the reply item has been read back from Messages, after the done chunk was seen.
"""

from __future__ import annotations

import time

from bench.samples import MessageSample, sample_from
from bench.settings import BenchSettings
from brain_local.clients.boto3_client import BrainClient, Exchange, ReplyTimeout


def polling_client(endpoint: str, poll_interval_ms: float) -> BrainClient:
    return BrainClient(endpoint, poll_interval=poll_interval_ms / 1000)


def polling_exchange(
    client: BrainClient,
    text: str,
    conversation_id: str,
    settings: BenchSettings,
    scenario: str,
    index: int,
) -> MessageSample:
    """One message through the pipeline by the polling client (the boto3 path), timed as that
    client sees it."""
    message = client.put_message(text, conversation_id, owner="bench")
    written_at, written_epoch_ms = time.perf_counter(), time.time() * 1000
    try:
        exchange: Exchange = client.follow(message, written_at, timeout=settings.reply_timeout_s)
    except ReplyTimeout as exc:
        return MessageSample(
            scenario, index, conversation_id, message["messageId"], written_epoch_ms, None, None, error=str(exc)
        )
    return sample_from(exchange, message, written_epoch_ms, settings, scenario, index)
