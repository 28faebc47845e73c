"""Percentiles and summaries of latency samples."""

from __future__ import annotations

import math
from collections.abc import Iterable

PERCENTILES = (50, 95, 99)


def percentile(values: Iterable[float | None], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Iterable[float | None]) -> float | None:
    """The 50th percentile of the values present; None for none."""
    return percentile(values, 50)


def summary(values: Iterable[float | None]) -> dict:
    """n, p50/p95/p99, mean, min, max (milliseconds in, milliseconds out, rounded to 0.1)."""
    present = [v for v in values if v is not None]
    result: dict = {"n": len(present)}
    for p in PERCENTILES:
        value = percentile(present, p)
        result[f"p{p}"] = None if value is None else round(value, 1)
    result["mean"] = round(sum(present) / len(present), 1) if present else None
    result["min"] = round(min(present), 1) if present else None
    result["max"] = round(max(present), 1) if present else None
    return result


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)
