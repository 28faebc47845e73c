"""The per-user message limit (issue 17): at most N messages a minute and M a day per ``sub``.

Each person has one counter per calendar minute and one per UTC day, in the Usage table
(``brain_core.tables.USAGE``). Posting a message adds one to both in a single DynamoDB
transaction whose conditions say "below the limit": either both are counted, or (a limit is
reached) the transaction is cancelled, nothing is written, and the API answers 429 with
``Retry-After`` = the seconds until the full window resets. Counters expire with their
window (TTL), so the table holds at most two items per active person.

Calendar windows, not sliding ones: one conditional transaction per message, no read first. The
price is the edge of a window: up to 2N can pass in the two seconds around a minute's turn
(never more than M in a day). What one person can cost is bounded by M a day
(cdk/cost_model.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .conversations import ApiError

#: A counter outlives its window by this much before its TTL lets DynamoDB delete it.
TTL_SLACK_SECONDS = 3600


@dataclass(frozen=True)
class Counter:
    key: str  # the Usage table's id
    window: str  # "minute" or "day": what the limit is per
    limit: int
    resets_at: float  # epoch seconds: when the window ends

    @property
    def expires_at(self) -> int:
        return int(self.resets_at) + TTL_SLACK_SECONDS


class UsageStore(Protocol):
    def count(self, counters: Sequence[Counter]) -> list[int]:
        """Add one to every counter, or to none: the indexes of those at their limit (then none)."""
        ...


def counters(owner: str, now: float, per_minute: int, per_day: int) -> list[Counter]:
    """The owner's counters for a message at ``now``; a limit of 0 or less is no limit."""
    minute = int(now // 60) * 60
    day = datetime.fromtimestamp(now, UTC).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    found = []
    if per_minute > 0:
        found.append(Counter(f"{owner}#minute#{minute}", "minute", per_minute, minute + 60))
    if per_day > 0:
        found.append(Counter(f"{owner}#day#{day.isoformat()}", "day", per_day, midnight.timestamp()))
    return found


class TooManyRequests(ApiError):
    def __init__(self, counter: Counter, retry_after: int):
        super().__init__(
            429,
            "TooManyRequests",
            f"at most {counter.limit} messages a {counter.window}: try again in {retry_after} s",
        )
        self.retry_after = retry_after

    def to_dict(self) -> dict:
        return {**super().to_dict(), "retryAfterSeconds": self.retry_after}

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimiter:
    def __init__(self, store: UsageStore, per_minute: int, per_day: int, clock: Callable[[], float] = time.time):
        self.store, self.per_minute, self.per_day, self.clock = store, per_minute, per_day, clock

    def admit(self, owner: str) -> None:
        """Count one message of ``owner``, or raise :class:`TooManyRequests` having counted nothing."""
        now = self.clock()
        wanted = counters(owner, now, self.per_minute, self.per_day)
        if not wanted:
            return
        full = [wanted[i] for i in self.store.count(wanted)]
        if full:
            last = max(full, key=lambda c: c.resets_at)  # the one that lets the next message through
            raise TooManyRequests(last, max(1, math.ceil(last.resets_at - now)))
