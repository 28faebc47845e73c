"""What a benchmark run measures and how much of it: read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

#: (full run, BENCH_QUICK=1) defaults for what the environment does not set.
_COUNTS = {
    "warm_messages": (30, 4),
    "load_conversations": (20, 5),
    "load_messages": (5, 2),
    "cold_repeats": (7, 3),
}


#: The benchmark's phases, in the order they run (``BENCH_PHASES`` picks some of them).
PHASES = ("coldstart", "warm", "load")


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class BenchSettings:
    quick: bool
    #: Model backend behind the local Bedrock endpoint (``brain up --model``): scripted | smollm2.
    model: str
    #: Scripted model: time to first token, tokens per second, about how many tokens per reply.
    ttft_ms: float
    tokens_per_second: float
    reply_tokens: int
    #: Warm scenario: measured messages, after ``warmup_messages`` unmeasured ones.
    warm_messages: int
    load_conversations: int
    load_messages: int
    #: Measured fresh workers per cold-start variant (after one unmeasured priming round).
    cold_repeats: int
    #: How often the polling client (the second warm row) polls ResponseChunks for the next chunk
    #: (BrainClient's default, 10 ms: first text is seen at most this late).
    poll_interval_ms: float = 10.0
    warmup_messages: int = 2
    #: Seconds a client waits for a reply before counting it missing.
    reply_timeout_s: float = 90.0
    results_dir: Path = RESULTS_DIR
    #: Which phases run (``BENCH_PHASES=load``: the load scenario alone, against a fresh stack);
    #: the report holds only their figures and budgets.
    phases: tuple[str, ...] = PHASES
    #: Execution environments per function the stack starts before any traffic (``brain up
    #: --warm``, provisioned concurrency's analogue): by default as many as the load has
    #: conversations, the most any function runs at once, so no measured message waits for a cold
    #: start (those are measured on their own). ``BENCH_PROVISIONED=0``: none, environments start
    #: on demand and the load's unmeasured round is the only warm-up.
    provisioned: int = 0

    @property
    def model_ttft_known(self) -> bool:
        """The scripted model's own time to first token is exactly ``ttft_ms``; a real model's
        is only known from the language agent's measurement (``modelTtftMs``)."""
        return self.model == "scripted"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> BenchSettings:
        env = os.environ if environ is None else environ
        quick = env.get("BENCH_QUICK", "").strip().lower() not in ("", "0", "false", "no")

        def number(name: str, default, kind=float):
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a {kind.__name__}") from None
            if value < 0:
                raise SettingsError(f"{name} must not be negative")
            return value

        counts = {
            field: number(f"BENCH_{field.upper()}", full_quick[quick], int) for field, full_quick in _COUNTS.items()
        }
        if counts["cold_repeats"] < 1 or counts["warm_messages"] < 1:
            raise SettingsError("BENCH_COLD_REPEATS and BENCH_WARM_MESSAGES must be at least 1")
        return cls(
            quick=quick,
            phases=_phases(env.get("BENCH_PHASES", "")),
            model=env.get("BENCH_MODEL", "").strip() or "scripted",
            ttft_ms=number("BENCH_TTFT_MS", 400.0),
            tokens_per_second=number("BENCH_TPS", 40.0),
            reply_tokens=number("BENCH_REPLY_TOKENS", 120, int),
            poll_interval_ms=number("BENCH_POLL_MS", 10.0),
            provisioned=number("BENCH_PROVISIONED", counts["load_conversations"], int),
            **counts,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["results_dir"] = str(self.results_dir)
        data["phases"] = list(self.phases)
        return data


def _phases(raw: str) -> tuple[str, ...]:
    """``BENCH_PHASES``: comma-separated names from :data:`PHASES`, run in their usual order;
    empty: all of them."""
    names = {name.strip().lower() for name in raw.split(",") if name.strip()}
    if not names:
        return PHASES
    unknown = names - set(PHASES)
    if unknown:
        raise SettingsError(
            f"BENCH_PHASES: unknown phase(s) {', '.join(sorted(unknown))} (choose from {', '.join(PHASES)})"
        )
    return tuple(phase for phase in PHASES if phase in names)
