"""Recording a computation for replay: every primitive with its constants, and the logged
decisions (comparisons of traced values and the other values kept as constants) that a
replay re-checks. ``admodes.tape.replay`` replays what this records.
"""

from __future__ import annotations

import numpy as np

from ..core import IndexedTracer, Trace, Tracer, bind, concrete

__all__ = ["RecordingTrace", "Recorded", "BranchCheck"]


class RecordingTrace(Trace):
    """Keeps every primitive applied to its values, with all constants (unlike the reverse tape)."""

    __slots__ = ("entries", "comparisons", "copies")

    def __init__(self):
        super().__init__()
        self.entries = []  # (prim, params, parents, constants, None): admodes.tape.walk's layout
        self.comparisons = []  # (ufunc, operands as (index, constant) pairs, result)
        self.copies = {}  # id(array) -> (array, the tape's copy of it)

    def _constant(self, a):
        """The tape's own copy of an array constant: changing the original later (a weight
        updated in place, an index array) must not change what the tape replays, nor disagree
        with the constants a staged program folded. Tuples and lists (of indices, of arrays to
        concatenate) are copied item by item. A broadcast view (a zero stride) is kept as it
        is: its copy could take any amount of memory."""
        if isinstance(a, tuple | list):
            return type(a)(self._constant(item) for item in a)
        if not isinstance(a, np.ndarray) or 0 in a.strides:
            return a
        kept = self.copies.get(id(a))
        if kept is None:
            kept = self.copies[id(a)] = (a, a.copy())  # the original is held so its id stays unique
        return kept[1]

    def _params(self, params):
        if not params:
            return params
        return {key: self._constant(value) for key, value in params.items()}

    def new_input(self, value):
        self.entries.append((None, None, (), (), None))
        return Recorded(self, value, len(self.entries) - 1)

    def process(self, prim, args, params):
        if self.finished:
            raise self.leaked()
        primals, parents, constants = [], [], []
        for a in args:
            if type(a) is Recorded and a._trace is self:
                parents.append(a.index)
                constants.append(None)
                primals.append(a.primal)
            else:
                parents.append(-1)
                constants.append(self._constant(a))
                primals.append(a)
        out = bind(prim, primals, params)
        self.entries.append((prim, self._params(params), tuple(parents), tuple(constants), None))
        return Recorded(self, out, len(self.entries) - 1)

    def note_comparison(self, ufunc, operands, result):
        spec = tuple(self._spec(a) for a in operands)
        if any(_mentions(item) for item in spec):
            self.comparisons.append((ufunc, spec, np.asarray(result).copy()))

    def _spec(self, a):
        """How the branch check finds operand ``a`` again at a new point: ``(index, None)``
        for a recorded value, ``(-1, constant)``, or ``(SEQUENCE, type, items)`` for a
        list or tuple of such (``np.argmax([x[0], x[1]])``)."""
        if isinstance(a, tuple | list):
            return (SEQUENCE, type(a), tuple(self._spec(item) for item in a))
        # inside a derivative call (ad.record(lambda x: ad.grad(f)(x))) the compared value
        # is that call's tracer wrapping ours: look through the layers for our own value
        while isinstance(a, Tracer) and not (type(a) is Recorded and a._trace is self):
            a = a.primal
        if type(a) is Recorded and a._trace is self:
            return (a.index, None)
        return (-1, self._constant(concrete(a)))


SEQUENCE = -2  # the index of a spec item that is a list or tuple of items


def _mentions(item):
    """Whether a spec item depends on a recorded value."""
    if item[0] == SEQUENCE:
        return any(_mentions(sub) for sub in item[2])
    return item[0] >= 0


def _indices(item):
    if item[0] == SEQUENCE:
        return [i for sub in item[2] for i in _indices(sub)]
    return [item[0]] if item[0] >= 0 else []


def _same(now, recorded):
    """Whether a re-evaluated branch value equals the recorded one (NaN equal to NaN: a NaN
    that was frozen is the same branch)."""
    eq = now == recorded
    if eq is True or (type(eq) is not bool and eq.all()):
        return True
    if getattr(recorded, "dtype", None) is not None and recorded.dtype.kind == "f":
        return bool(np.array_equal(now, recorded, equal_nan=True))
    return False


def _operand(item, values):
    """The operand a spec item names, with ``values`` (index -> value) at the new point."""
    if item[0] == SEQUENCE:
        return item[1](_operand(sub, values) for sub in item[2])
    return values[item[0]] if item[0] >= 0 else item[1]


class Recorded(IndexedTracer):
    """A value recorded by ``ad.record``."""

    __slots__ = ()


class BranchCheck:
    """The logged decisions of a recording, re-evaluated at a new point.

    ``checked`` are the entries whose values the decisions read (a checked replay returns
    them beside its outputs); ``hold(values)`` and ``hold_seen(seen)`` say whether every
    decision comes out as recorded.
    """

    def __init__(self, comparisons):
        self.comparisons = comparisons
        self.checked = sorted({i for _, spec, _ in comparisons for item in spec for i in _indices(item)})
        self._plan = None

    def hold(self, values):
        """Whether every logged branch gives the recorded result with ``values`` (index -> value)."""
        for fn, spec, result in self.comparisons:
            if not _same(fn(*[_operand(item, values) for item in spec]), result):
                return False
        return True

    def hold_seen(self, seen):
        """``hold`` for the values a checked sweep returned (in ``checked`` order):
        the hot path of every replay, so the operands' positions are worked out once."""
        plan = self._plan
        if plan is None:
            where = {i: k for k, i in enumerate(self.checked)}
            plan = self._plan = [
                (fn, None if any(item[0] == SEQUENCE for item in spec) else [(where.get(i, -1), c) for i, c in spec], spec, result)
                for fn, spec, result in self.comparisons
            ]
        for fn, flat, spec, result in plan:
            if flat is None:
                operands = [_operand(item, dict(zip(self.checked, seen))) for item in spec]
            else:
                operands = [seen[k] if k >= 0 else c for k, c in flat]
            now = fn(*operands)
            # the same dtype and shape and the same bytes: the same branch (the usual answer,
            # found without building an array of comparisons)
            if type(now) is np.ndarray and now.dtype == result.dtype and now.shape == result.shape:
                if now.tobytes() == result.tobytes():
                    continue
            if not _same(now, result):
                return False
        return True
