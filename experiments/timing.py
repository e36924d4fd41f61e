"""Wall time (autorange + repeats: median and IQR) and peak memory of one call.

``measure(call, ...)`` works like ``timeit``: after warm-up it finds a number of
inner loops that makes one repeat last at least ``min_time`` seconds (like
``Timer.autorange``), then times ``repeats`` repeats and reports the per-call median,
quartiles and minimum. The garbage collector is off while timing, as in ``timeit``.

Memory: ``peak_tracemalloc`` (Python and NumPy allocations, which NumPy reports to
tracemalloc; XLA and torch buffers are invisible to it) and ``peak_rss_delta`` (the
process's own accounting: Linux's resident-set high-water mark, reset through
/proc/self/clear_refs before the call, minus the resident set before it; NaN where
that is unavailable).
"""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["Timing", "measure", "autorange", "peak_tracemalloc", "peak_rss_delta"]


@dataclass
class Timing:
    median_s: float
    iqr_s: float
    q25_s: float
    q75_s: float
    min_s: float
    repeats: int
    inner_loops: int


def _time(call, loops: int) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(loops):
            call()
        return time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()


def autorange(call: Callable[[], Any], min_time: float) -> tuple[int, float]:
    """Inner loops (1, 2, 5, 10, 20, 50 ...) so that one repeat lasts at least ``min_time``.

    Returns the loops and the duration of the last calibration repeat (which lasted at
    least ``min_time`` and is a valid sample of that many loops).
    """
    loops = 1
    while True:
        t = _time(call, loops)
        if t >= min_time:
            return loops, t
        grow = min_time / t if t > 0 else 10.0
        loops = _nice_at_least(loops * min(max(grow * 1.2, 2.0), 100.0))


def _nice_at_least(x: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= x."""
    decade = 10 ** max(0, math.floor(math.log10(max(x, 1.0))))
    for base in (1, 2, 5, 10):
        if base * decade >= x:
            return int(base * decade)
    return int(10 * decade)  # pragma: no cover


def measure(
    call: Callable[[], Any],
    repeats: int = 5,
    min_time: float = 0.1,
    budget_s: float | None = None,
) -> Timing:
    """Time ``call`` (already warmed up): per-call median, IQR, quartiles and minimum.

    The last calibration repeat of ``autorange`` is kept as the first sample. ``budget_s``
    bounds the time spent on a slow call: repeats are cut (to no fewer than 3) when
    ``repeats`` repeats would exceed it.
    """
    repeats = max(1, int(repeats))
    loops, first = autorange(call, min_time)
    if budget_s and first * repeats > budget_s:
        repeats = max(min(3, repeats), int(budget_s // first))
    samples = [first / loops] + [_time(call, loops) / loops for _ in range(repeats - 1)]
    samples = np.array(samples)
    q25, med, q75 = np.percentile(samples, [25, 50, 75])
    return Timing(float(med), float(q75 - q25), float(q25), float(q75), float(samples.min()), repeats, loops)


def peak_tracemalloc(call: Callable[[], Any]) -> int:
    """Peak bytes traced by tracemalloc during one call (Python and NumPy allocations)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
        del result
        return int(peak - base)
    finally:
        if not was_tracing:
            tracemalloc.stop()


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_accounting_available() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kib("VmHWM") is not None
    except OSError:
        return False


def peak_rss_delta(call: Callable[[], Any]) -> float:
    """Growth of the process's resident-set high-water mark during one call, in bytes (NaN if unknown)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        return float("nan")
    before = _status_kib("VmRSS")
    result = call()
    peak = _status_kib("VmHWM")
    del result
    if before is None or peak is None:
        return float("nan")
    return float(max(0, peak - before) * 1024)
