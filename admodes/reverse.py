"""Reverse mode: a tape (Wengert list) and a backward sweep.

During the forward pass every primitive applied to a traced value is appended to the
tape, in execution order, with the values its VJP rules need (and nothing more:
see ``Primitive.saves``). The backward sweep then walks the tape once, from the last
entry to the first. Each entry that received an adjoint (a cotangent) passes it to
its inputs through its VJP rules; where a value fed several operations, the
contributions are summed ("gradients add at branches"). The tape is already in
execution order, so no graph search is needed.

One sweep yields the derivative of one output (or, with ``nb = 1``, of k output
directions at once) with respect to every recorded value.
"""

from __future__ import annotations

import numpy as np

from . import core
from .core import IndexedTracer, Trace, Tracer, _level_counter, bind, check_real
from .tape import walk
from .tape.entries import ShapeDtype, Tape, shape_dtype_of

__all__ = ["Node", "Tape", "ReverseTrace", "ShapeDtype", "backward_sweep"]


_KEEPS_ARGS = frozenset({"args_only", "both", "args"})


def _same_contents(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


class ReverseTrace(Trace):
    """One reverse-mode derivative call: records onto its tape, then sweeps it backwards.

    The tape keeps the values its rules need until the backward sweep, which may run after
    the caller (or the function itself) has written to an array it passed in: a scratch
    buffer refilled between two uses, an input changed between ``vjp`` and ``vjp_fun``. So
    a writeable constant array the tape keeps is copied (``_own``), once per distinct
    contents: a constant used by many operations is kept once, and a buffer refilled
    between two uses is kept twice. Read-only arrays (broadcast views, or weights marked
    with ``W.setflags(write=False)``) are kept as they are.
    """

    __slots__ = ("tape", "owned")

    def __init__(self):
        self.level = next(_level_counter)  # Trace.__init__, inline: a trace per jacobian call
        self.finished = False
        self.tape = Tape()
        self.owned = None  # id -> (the caller's array, the tape's copy of it)

    def _own(self, value):
        """The tape's own copy of a constant array the caller could still write to."""
        if not value.flags.writeable:
            return value
        owned = self.owned
        if owned is None:
            owned = self.owned = {}
        hit = owned.get(id(value))
        if hit is not None and hit[0] is value and _same_contents(value, hit[1]):
            return hit[1]
        copy = value.copy()
        owned[id(value)] = (value, copy)  # the original stays referenced, so its id is not reused
        return copy

    def new_input(self, value):
        entries = self.tape.entries
        entries.append((None, None, (), (), shape_dtype_of(value)))
        return Node(self, value, len(entries) - 1)

    def process(self, prim, args, params):
        if self.finished:
            raise self.leaked()
        nargs = len(args)
        if nargs == 2 and core.SHORTCUTS:
            x, y = args
            # a binary op with one constant (W @ x, x * 2.0): the hot path, without the loop
            if type(y) is Node and y._trace is self and type(y.primal) is np.ndarray and not isinstance(x, Tracer):
                primals = [x, y.primal]
                parents = [-1, y.index]
                nested = False
                constant = 0 if type(x) is np.ndarray else -1
            elif type(x) is Node and x._trace is self and type(x.primal) is np.ndarray and not isinstance(y, Tracer):
                primals = [x.primal, y]
                parents = [x.index, -1]
                nested = False
                constant = 1 if type(y) is np.ndarray else -1
            else:
                primals, parents, nested = self._unwrap(args)
                constant = -2
        elif nargs == 1 and core.SHORTCUTS and type(args[0]) is Node and args[0]._trace is self:  # unary: no loop
            primals = [args[0].primal]
            parents = [args[0].index]
            nested = isinstance(primals[0], Tracer)
            constant = -1
        else:
            primals, parents, nested = self._unwrap(args)
            constant = -2
        if nested:
            out = bind(prim, primals, params)
        else:
            out = prim.impl(*primals, **params) if params else prim.impl(*primals)
            if core._counter is not None:
                core._counter.record(prim, out, primals, params)
            check_real(prim, out)
        if prim.vjps is None and prim.vjp is None:
            raise prim.missing_rule("VJP")
        entries = self.tape.entries
        saves = prim.saves
        # constant arrays the rules will read (``constant``: the one constant array of a binary
        # op, -1 none, -2 unknown) are kept as the tape's own copies
        if constant != -1 and saves in _KEEPS_ARGS:
            if constant >= 0:
                primals[constant] = self._own(primals[constant])
            else:
                for j, p in enumerate(parents):
                    if p < 0 and type(primals[j]) is np.ndarray:
                        primals[j] = self._own(primals[j])
        if saves == "args_only":
            entries.append((prim, params, parents, primals, None))
        elif saves == "out_only":
            entries.append((prim, params, parents, [None] * nargs, out))
        elif saves == "both":
            entries.append((prim, params, parents, primals, out))
        elif saves == "args":
            entries.append((prim, params, parents, primals, shape_dtype_of(out)))
        else:
            # A traced argument is the output of an earlier entry, which usually keeps it
            # (whole or as a ShapeDtype): point at that instead of making a new object.
            kept_args = [_kept_output(entries, p, a) if p >= 0 else (a if saves == "out" else shape_dtype_of(a))
                         for a, p in zip(primals, parents)]
            entries.append((prim, params, parents, kept_args, out if saves == "out" else shape_dtype_of(out)))
        return Node(self, out, len(entries) - 1)

    def _unwrap(self, args):
        """The primal values of ``args``, their tape indices (-1: a constant), and whether
        one of them belongs to an enclosing (lower-level) trace."""
        primals = []
        parents = []
        nested = False
        for a in args:
            if type(a) is Node and a._trace is self:
                parents.append(a.index)
                a = a.primal
            else:
                parents.append(-1)
            if not nested and isinstance(a, Tracer):
                nested = True
            primals.append(a)
        return primals, parents, nested

    def backward(self, seeds, inputs, nb):
        """Sweep this trace's tape backwards (see ``backward_sweep``)."""
        return backward_sweep(self.tape.entries, seeds, inputs, nb)


def backward_sweep(entries, seeds, inputs, nb):
    """Walk tape ``entries`` from the last to the first, pulling cotangents back.

    ``seeds`` maps tape indices of outputs to their cotangents (shape ``B + out.shape``);
    returns the adjoints of the tape indices in ``inputs`` (``None`` where zero). The
    walk is ``admodes.tape.walk.backward``, the one every recorded computation uses.
    """
    return walk.backward(entries, seeds, inputs, nb)


def _kept_output(entries, parent, value):
    """What the tape already keeps of entry ``parent``'s output, or a new ShapeDtype of it."""
    kept = entries[parent][4]
    return kept if kept is not None else shape_dtype_of(value)


class Node(IndexedTracer):
    """A value recorded on the tape of one reverse-mode call."""

    __slots__ = ()

