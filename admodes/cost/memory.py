"""What a gradient costs in memory: the tape's bytes and the peak of the whole computation.

``memory_profile(f, *args)`` computes ``value_and_grad(f)(*args)`` once, with ``count_ops``
and ``tracemalloc`` watching, and reports

- ``tape_bytes``: the array data held by the largest tape (``Tape.nbytes``, at the end of its
  forward pass): the reverse mode's own memory;
- ``peak_bytes``: the most memory Python and NumPy had allocated at once during the call,
  above what was allocated before it (``tracemalloc``: NumPy reports its array data to it);
  this includes snapshots and the tapes a checkpointed backward sweep makes and drops;
- ``ops`` and ``recomputed``: the primitive operations run, and how many of them re-ran a
  checkpointed forward pass (``OpCounter.recomputed``); ``seconds``: the wall time (with
  tracemalloc on, which slows Python down: use it to compare, not as a timing).

>>> import numpy as np, admodes as ad
>>> p = ad.memory_profile(lambda x: np.sum(np.sin(x) ** 2), np.ones(1000))
>>> p.tape_bytes >= 8000, p.peak_bytes >= p.tape_bytes
(True, True)
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass, field

from .counter import count_ops

__all__ = ["MemoryProfile", "memory_profile"]


@dataclass
class MemoryProfile:
    """The result of ``memory_profile``: the value and gradient, and what they cost."""

    value: object
    gradient: object
    tape_bytes: int
    peak_bytes: int
    ops: int
    recomputed: int
    seconds: float
    tapes: list = field(default_factory=list, repr=False)  # (operations, bytes) of every tape recorded


def memory_profile(f, *args, argnums=0, mode="reverse"):
    """``value_and_grad(f, argnums, mode=mode)(*args)`` with its tape bytes and peak memory."""
    from ..api import value_and_grad

    fun = value_and_grad(f, argnums, mode=mode)
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        with count_ops() as counter:
            value, gradient = fun(*args)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if started:
            tracemalloc.stop()
    return MemoryProfile(value, gradient, counter.tape_bytes, peak, counter.ops, counter.recomputed, seconds,
                         list(counter.tapes))
