"""Percentiles and summaries of latency samples (nearest-rank, so p99 of 200 samples is a real sample)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; ``pct`` in (0, 100].

    Raises:
        ValueError: no samples, or pct out of range.
    """
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 < pct <= 100:
        raise ValueError(f"pct={pct} must be in (0, 100]")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def median(samples: Sequence[float]) -> float:
    """The 50th percentile (nearest rank)."""
    return percentile(samples, 50)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p99/mean/max in milliseconds, rounded to 0.01 ms."""
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
        "max_ms": round(max(ms), 2),
    }
