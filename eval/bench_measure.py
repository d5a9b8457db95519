"""What every bench step reports its timings and memory in: p50/p95 percentiles and this process's peak RSS."""

from __future__ import annotations

import resource
from collections.abc import Callable, Sequence

from eval.metrics import percentile

Echo = Callable[[str], None]  # where the bench prints its progress lines


def percentiles(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> dict[str, float | None]:
    def at(q: float) -> float | None:
        v = percentile(values, q)
        return None if v is None else round(v * scale, digits)

    return {"p50": at(50), "p95": at(95)}


def ms(values: Sequence[float]) -> dict[str, float | None]:
    """Percentiles of seconds, in milliseconds to two decimals."""
    return percentiles(values, 1000, 2)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux reports KiB
