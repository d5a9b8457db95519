"""This machine's memory bandwidth, measured in the same run as the answer rows it is a limit for.

Decoding one token on a CPU reads every weight of the model once, so no runtime decodes faster than
bandwidth / weight bytes tokens per second; the bench reports each decode rate as a share of that.

The measure is a large array copy (numpy's ``copyto``, which releases the GIL, so the slices copy in
parallel), split across as many threads as the answer runtime uses, best of several repeats. It counts
the bytes read plus the bytes written per copy (2x the array size, as STREAM's "copy" does). It does not
count the read-for-ownership a CPU may do on each destination line before writing it, so the true traffic
can be up to 1.5x what it counts: the figure is a lower bound on what the memory can do, and the decode
limit derived from it errs on the side of looking reachable.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

# 1 GiB: far beyond the last-level caches of the machines here (32 MiB on the 2-core EPYC, at most a few
# hundred MiB on server parts), so the copy runs at memory speed, not cache speed.
DEFAULT_BYTES = 1 << 30
REPEATS = 5  # the best of five: on a shared 2-core machine a single copy is often slowed by other work


def measure_bandwidth(threads: int, nbytes: int = DEFAULT_BYTES, repeats: int = REPEATS) -> dict[str, Any]:
    """Copy bandwidth in GB/s (10^9 bytes) with ``threads`` threads over an ``nbytes`` source array."""
    if threads < 1 or repeats < 1:
        raise ValueError(f"threads and repeats must be at least 1, not {threads} and {repeats}")
    items = nbytes // 8
    if items < threads:
        raise ValueError(f"{nbytes} bytes cannot be split across {threads} threads")
    src = np.ones(items, dtype=np.float64)
    dst = np.empty_like(src)
    dst.fill(0.0)  # touch every page now: first-touch page faults would otherwise be timed as copying
    bounds = np.linspace(0, items, threads + 1).astype(int)

    def copy(part: int) -> None:
        np.copyto(dst[bounds[part] : bounds[part + 1]], src[bounds[part] : bounds[part + 1]])

    times = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(pool.map(copy, range(threads)))
            times.append(time.perf_counter() - t0)
    if not np.array_equal(dst, src):
        raise RuntimeError("the bandwidth copy left part of the array uncopied")
    copied = items * 8
    best = min(times)
    gb_per_s = 2 * copied / best / 1e9
    if not math.isfinite(gb_per_s) or gb_per_s <= 0:
        raise RuntimeError(f"the bandwidth copy timed {best} s for {copied} bytes")
    return {
        "gb_per_s": round(gb_per_s, 2),
        "counts": "bytes read + bytes written per copy (2x the array)",
        "array_bytes": copied,
        "threads": threads,
        "repeats": repeats,
        "best_s": round(best, 6),
        "median_gb_per_s": round(2 * copied / float(np.median(times)) / 1e9, 2),
    }
