"""The benchmark's main client: a signed-in user on the client API and the pushed stream (docs/design.md §8).

Clocks (all on this machine), beside the polling client's of :mod:`bench.polling`:
- ``written``: just before ``POST /conversations/{id}/messages`` is sent (the channel is already
  subscribed: a client subscribes before it sends);
- ``first text``: the first chunk event with text has arrived on the client's WebSocket;
- ``total``: the reply event has arrived.
So the pushed figures include the HTTP API (the JWT check, the api function's invoke and its
PutItem) that the polling client's ``PutItem`` skips, and no polling delay.
"""

from __future__ import annotations

import time

from bench.samples import MessageSample, sample_from
from bench.settings import BenchSettings
from brain_local.clients.api_client import ApiError, SignedInClient, SubscribeRefused, for_running_stack
from brain_local.clients.boto3_client import ReplyTimeout

#: The offline user the benchmark signs in as (created by `brain up`).
BENCH_USER = "ada"


def pushed_client(health: dict) -> SignedInClient:
    """Signed in, its WebSocket connected (one per conversation thread, as one per browser tab)."""
    return for_running_stack(health, BENCH_USER)


def pushed_exchange(
    client: SignedInClient, text: str, conversation_id: str, settings: BenchSettings, scenario: str, index: int
) -> MessageSample:
    client.ensure_subscribed(conversation_id)
    written_epoch_ms = time.time() * 1000
    try:
        exchange = client.send(text, conversation_id, timeout=settings.reply_timeout_s)
    except (ReplyTimeout, ApiError, SubscribeRefused, OSError) as exc:
        return MessageSample(scenario, index, conversation_id, "", written_epoch_ms, None, None, error=str(exc))
    return sample_from(exchange, exchange.message, written_epoch_ms, settings, scenario, index)
