"""Cost accounting: how many primitive operations ran, their flops, and the tapes kept.

    with ad.count_ops() as c:
        ad.jacfwd(f, chunk=1)(x)
    c.ops, c.flops, c.by_primitive, c.tape_length, c.tape_bytes, c.recomputed

Every primitive evaluated on plain NumPy values is counted once, wherever it comes
from: the user's function in the primal pass, the JVP rules of a forward sweep, or
the VJP rules of a backward sweep. This is the engine's own count of the work a mode
does, independent of timer noise. Flops are estimates: one per output element for
elementwise ops (a transcendental counts as one), 2*n*p*q for an (n, p) @ (p, q)
product, one per input element for a reduction, zero for shape ops. ``recomputed`` is the
part of ``ops`` that re-ran a checkpointed forward pass in a backward sweep
(``ad.checkpoint``, ``ad.checkpointed_loop``): work reverse mode does again to keep less.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from .. import core

__all__ = ["OpCounter", "count_ops", "uncounted", "note_tape"]


class OpCounter:
    """Counts of primitive operations, flops, and reverse-mode tapes seen while active."""

    __slots__ = ("ops", "flops", "by_primitive", "tapes", "recomputed")

    def __init__(self):
        self.ops = 0
        self.flops = 0
        self.by_primitive = Counter()
        self.tapes = []  # (operations recorded, bytes kept) per reverse-mode forward pass
        self.recomputed = 0  # operations that re-ran a checkpointed segment's forward pass

    def record(self, prim, out, args, params):
        self.ops += 1
        self.flops += prim.flops(out, args, params)
        self.by_primitive[prim.name] += 1

    @property
    def tape_length(self) -> int:
        """Operations recorded on the largest tape."""
        return max((length for length, _ in self.tapes), default=0)

    @property
    def tape_bytes(self) -> int:
        """Bytes of array data held by the largest tape at the end of its forward pass (its peak)."""
        return max((nbytes for _, nbytes in self.tapes), default=0)

    def __repr__(self):
        return (f"OpCounter(ops={self.ops}, flops={self.flops}, tape_length={self.tape_length}, "
                f"tape_bytes={self.tape_bytes}, recomputed={self.recomputed})")


@contextmanager
def count_ops():
    """Count the primitive operations (and flops, and tapes) executed inside the block."""
    counter = OpCounter()
    previous = core.set_counter(counter)
    try:
        yield counter
    finally:
        core.set_counter(previous)


@contextmanager
def uncounted():
    """Keep the block's work out of an active ``count_ops`` (work that is not the engine's own,
    such as the graph view annotating its edges and sweeps)."""
    previous = core.set_counter(None)
    try:
        yield
    finally:
        core.set_counter(previous)


def note_tape(tape):
    """Called by reverse mode when a forward pass has finished recording."""
    counter = core.counting()
    if counter is not None:
        counter.tapes.append((tape.operations(), tape.nbytes()))
