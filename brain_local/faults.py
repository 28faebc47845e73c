"""Injected faults for the offline stack, seeded so a run can be repeated."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelFaultRates:
    throttle: float = 0.0  # HTTP 429 ThrottlingException before the stream opens
    error: float = 0.0  # HTTP 500 InternalServerException
    stall: float = 0.0  # the stream stops sending mid-reply
    stall_seconds: float = 60.0


class ModelFaults:
    """Decides, per model call, whether to fail it and how. Thread-safe, seeded."""

    def __init__(self, rates: ModelFaultRates = ModelFaultRates(), seed: int = 0):
        self.rates = rates
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.counts = {"throttle": 0, "error": 0, "stall": 0}

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate

    def before_call(self) -> str | None:
        for kind in ("throttle", "error"):
            if self._roll(getattr(self.rates, kind)):
                self.counts[kind] += 1
                return kind
        return None

    def stall_after(self) -> int | None:
        """After how many tokens this stream stalls, or None."""
        if self._roll(self.rates.stall):
            self.counts["stall"] += 1
            return 3
        return None

    def stall(self) -> None:
        time.sleep(self.rates.stall_seconds)
