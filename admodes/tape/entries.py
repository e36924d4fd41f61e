"""The format of a recorded computation, shared by every recorder and walker.

A recording is a list of *entries* in execution order, each a tuple
``(prim, params, parents, args, out)``:

- ``prim`` is the ``Primitive`` applied (``None`` for an input) and ``params`` its keyword
  parameters;
- ``parents[j]`` is the index of the entry whose output is argument ``j``, or ``-1`` for a
  constant;
- ``args`` and ``out`` are what the recording keeps of the arguments and the output. Eager
  reverse mode (``ReverseTrace``) keeps only what the VJP rules read (``Primitive.saves``;
  the rest as a ``ShapeDtype``); a recording for replay (``ad.record``) keeps every constant
  in ``args``, ``None`` for traced arguments and the output, whose values come from a
  replay's own evaluation.

``admodes.tape.walk`` holds the two walkers over such a list.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import concrete

__all__ = ["ShapeDtype", "Tape"]


class ShapeDtype:
    """What the tape keeps of a value whose contents no VJP rule reads: its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    def __repr__(self):
        return f"ShapeDtype({self.shape}, {self.dtype})"


class Tape:
    """The recorded operations of one reverse-mode call, in execution order.

    Entry ``i`` is ``(prim, params, parents, args, out)``: ``parents[j]`` is the tape
    index of argument ``j`` (``-1`` for a constant); ``args`` and ``out`` are the
    values kept for the VJP rules. Inputs are entries with ``prim`` ``None``.
    """

    __slots__ = ("entries",)

    def __init__(self):
        self.entries = []

    def __len__(self):
        return len(self.entries)

    def nbytes(self) -> int:
        """Bytes of array data the tape keeps alive (each array counted once)."""
        seen = set()
        total = 0
        for prim, params, parents, args, out in self.entries:
            if prim is None:
                continue
            for value in (*args, out):
                value = concrete(value)
                if isinstance(value, np.ndarray | np.generic) and id(value) not in seen:
                    seen.add(id(value))
                    total += value.nbytes
        return total

    def operations(self) -> int:
        """Number of primitive operations recorded (inputs excluded)."""
        return sum(1 for e in self.entries if e[0] is not None)


_PYTHON_SCALARS = {t: ShapeDtype((), np.result_type(t(0))) for t in (bool, int, float, complex)}


def shape_dtype_of(value):
    if type(value) is np.ndarray:  # the common case first
        return ShapeDtype(value.shape, value.dtype)
    scalar = _PYTHON_SCALARS.get(type(value))  # a Python number: no attribute lookups to fail
    if scalar is not None:
        return scalar
    try:
        return ShapeDtype(value.shape, value.dtype)
    except AttributeError:
        return ShapeDtype(np.shape(value), np.result_type(value))
