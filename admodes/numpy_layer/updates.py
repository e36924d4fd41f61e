"""In-place updates of traced arrays: ``x[index] = v``, ``x += v`` and JAX's ``x.at[index].set(v)``.

NumPy changes ``x`` in place; a derivative may still need the old value, so admodes records a
functional update (the ``setitem`` primitive: a copy of ``x`` with ``x[index]`` replaced) and
rebinds the traced object to it (``Tracer._become``), so that the caller, and every other name
for the same array, sees the new value, as in NumPy. ``x.at[index]`` returns a new array and
leaves ``x`` as it was, as in JAX.

Two things NumPy does cannot be followed and are refused with the fix named:
- writing into a *view* (``r = x[0]; r[1] = v``, ``x.T[0] = v``, ``x.reshape(...)[...] = v``):
  NumPy would change ``x`` too; write into ``x`` itself, or take ``r = x[0].copy()`` first;
- writing a traced value into a plain array made without one (``g = np.zeros(n); g[i] = x[0]``):
  NumPy asks for the number and cannot be intercepted; make the array with ``np.zeros_like(x)``
  (a traced constant) or build it with ``x.at[...]``.

Repeated positions in an advanced index follow NumPy for ``x[index] = v`` (the last write
wins, and only it gets a derivative) and JAX for ``x.at[index].add(v)`` (the contributions
accumulate).
"""

from __future__ import annotations

import numpy as np

from ..core import AdmodesError, Tracer, shape_of
from ..ops import elementwise, indexing
from ..ops import shape as shape_ops
from .dispatch import on_trace_of, operand_or_traced

__all__ = ["assign", "in_place", "AtIndexer"]

_VIEW_REFUSAL = (
    "x[...] = v writes into a view of another traced array (a basic slice, x.T, a reshape, "
    "a broadcast ...). NumPy would change the viewed array as well, which admodes cannot "
    "follow. Write into the original array (x[0, 1] = v instead of r = x[0]; r[1] = v), or "
    "take a copy first (r = x[0].copy())."
)


def _updated(x, index, value, where):
    index = indexing.normalize_index(index, len(shape_of(x)))
    return on_trace_of(x, indexing.setitem(x, operand_or_traced(value, where), index=index, nb=0))


def assign(x, index, value):
    """``x[index] = value`` on a traced ``x``: record the update and rebind ``x`` to it."""
    if getattr(x, "_base", None) is not None:
        raise AdmodesError(_VIEW_REFUSAL)
    x._become(_updated(x, index, value, "x[...] = v"))


def in_place(function, symbol):
    """``x op= v`` (``+=``, ``*=`` ...): x rebound to ``x op v``; through ``x[...] = x op v`` when
    that would change x's shape or dtype (NumPy keeps both, casting the result)."""
    def operator(self, other):
        if getattr(self, "_base", None) is not None:
            raise AdmodesError(_VIEW_REFUSAL)
        new = on_trace_of(self, function(self, other))
        if isinstance(new, Tracer) and new.shape == self.shape and new.dtype == self.dtype:
            self._become(new)  # one operation, as x = x op v would record
        else:
            assign(self, Ellipsis, new)
        return self

    operator.__name__ = f"__i{symbol}__"
    return operator


class _AtIndex:
    __slots__ = ("x", "index")

    def __init__(self, x, index):
        self.x = x
        self.index = index

    def get(self):
        """``x[index]``."""
        return self.x[self.index]

    def set(self, value):
        """A copy of ``x`` with ``x[index]`` replaced by ``value`` (x itself is unchanged)."""
        return _updated(self.x, self.index, value, "x.at[...].set(v)")

    def add(self, value):
        """A copy of ``x`` with ``value`` added at ``index``; repeated positions accumulate (JAX)."""
        x = self.x
        index = indexing.normalize_index(self.index, len(shape_of(x)))
        value = operand_or_traced(value, "x.at[...].add(v)")
        target = np.broadcast_to(np.False_, shape_of(x))[index].shape
        if shape_of(value) != target:
            value = shape_ops.broadcast_to(value, shape=target)
        added = indexing.scatter_add(value, index=index, shape=shape_of(x), nb=0)
        out = elementwise.add(x, added)
        return out if out.dtype == x.dtype else shape_ops.astype(out, dtype=x.dtype)

    def multiply(self, value):
        """A copy of ``x`` with ``x[index]`` multiplied by ``value`` (no repeated positions)."""
        x = self.x
        index = indexing.normalize_index(self.index, len(shape_of(x)))
        if indexing.winners(index, shape_of(x)) is not None:
            raise AdmodesError("x.at[index].multiply(v) with an index that repeats a position is not "
                               "supported; combine the repeated factors first.")
        return _updated(x, index, elementwise.mul(x[index], operand_or_traced(value, "x.at[...].multiply(v)")),
                        "x.at[...].multiply(v)")


class AtIndexer:
    """``x.at``: JAX's spelling of an update that returns a new array (``x.at[i].set(v)``)."""

    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def __getitem__(self, index):
        if isinstance(index, Tracer):
            raise AdmodesError("x.at[index]: an index computed from a traced value cannot be "
                               "differentiated through; use an integer or boolean array of plain values.")
        return _AtIndex(self.x, index)
