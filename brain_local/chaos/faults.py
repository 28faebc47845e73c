"""Injected faults for the offline stack, seeded so a run can be repeated.

A :class:`FaultPlan` says what fails and how often; ``brain up --faults plan.json`` and
``brain chaos`` take one. Each kind of fault draws from its own seeded random stream.

    {"seed": 7,
     "model": {"throttle": 0.1, "error": 0.02, "stall": 0.01, "stall_seconds": 60},
     "functions": {"brain-depth": {"raise_rate": 0.05}, "brain-perception": {"die_rate": 0.02}},
     "duplicate_rate": 0.1,
     "chunk_throttle_rate": 0.05}
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ModelFaultRates:
    throttle: float = 0.0  # HTTP 429 ThrottlingException before the stream opens
    error: float = 0.0  # HTTP 500 InternalServerException
    stall: float = 0.0  # the stream stops sending mid-reply
    stall_seconds: float = 60.0


class RateFault:
    """A yes/no fault at a rate, from its own seeded stream (thread-safe)."""

    def __init__(self, rate: float, seed: str):
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self) -> bool:
        if self.rate <= 0:
            return False
        with self._lock:
            hit = self._random.random() < self.rate
            self.count += hit
            return hit


class ModelFaults:
    """Decides, per model call, whether to fail it and how: one seeded stream per kind."""

    def __init__(self, rates: ModelFaultRates = ModelFaultRates(), seed: int = 0):
        self.rates = rates
        self._faults = {
            kind: RateFault(getattr(rates, kind), f"{seed}:model:{kind}") for kind in ("throttle", "error", "stall")
        }

    @property
    def counts(self) -> dict[str, int]:
        return {kind: fault.count for kind, fault in self._faults.items()}

    def before_call(self) -> str | None:
        for kind in ("throttle", "error"):
            if self._faults[kind]():
                return kind
        return None

    def stall_after(self) -> int | None:
        """After how many tokens this stream stalls, or None."""
        return 3 if self._faults["stall"]() else None

    def stall(self) -> None:
        time.sleep(self.rates.stall_seconds)


@dataclass(frozen=True)
class FaultPlan:
    seed: int = 0
    model: ModelFaultRates = field(default_factory=ModelFaultRates)
    #: Function name -> {"raise_rate": r, "die_rate": r} (see lambda_service.InvokeFaultRates).
    functions: dict = field(default_factory=dict)
    #: The pipe starts the same input twice (at-least-once delivery).
    duplicate_rate: float = 0.0
    #: DynamoDB answers a ResponseChunks PutItem with ProvisionedThroughputExceededException.
    chunk_throttle_rate: float = 0.0

    @classmethod
    def from_dict(cls, data: dict) -> FaultPlan:
        known = {"seed", "model", "functions", "duplicate_rate", "chunk_throttle_rate"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"unknown fault settings: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})"
            )
        return cls(
            seed=int(data.get("seed", 0)),
            model=ModelFaultRates(**data.get("model", {})),
            functions={name: dict(rates) for name, rates in data.get("functions", {}).items()},
            duplicate_rate=float(data.get("duplicate_rate", 0.0)),
            chunk_throttle_rate=float(data.get("chunk_throttle_rate", 0.0)),
        )

    @classmethod
    def load(cls, path: str | Path) -> FaultPlan:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def any(self) -> bool:
        return self != FaultPlan(seed=self.seed)
