"""The sparsity pattern of a Jacobian, read off a recorded tape.

One forward walk over the tape's entries (``admodes.tape.entries``) carries, for every
value, the set of inputs each of its entries depends on (``deps.Deps``); each primitive's
rule (``rules``) says how its output entries read its arguments' entries. The pattern of
J is the outputs' sets, stacked. It is *global*: it holds at every point at which the
function runs the same operations (the tape's branch check finds a point where it does
not, and the sparse Jacobian then re-records and detects again), because the rules
take every branch of a value-dependent choice (``where``, ``maximum``, ``max``).

A primitive without a rule makes each of its output entries depend on everything its
arguments depend on: never a sparser pattern than the truth, but maybe a denser one, so
``SparsityPattern.fallbacks`` names those primitives and a ``SparsityWarning`` says so.

>>> import numpy as np, admodes as ad
>>> f = lambda x: np.concatenate([x[:1], x[1:] * x[:-1]])
>>> ad.jacobian_sparsity(f)(np.ones(4)).toarray().astype(int)
array([[1, 0, 0, 0],
       [1, 1, 0, 0],
       [0, 1, 1, 0],
       [0, 0, 1, 1]])
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..core import AdmodesError, shape_of
from ..tape import walk
from ..tape.entries import shape_dtype_of
from . import deps as _deps
from .rules import rule_for

__all__ = ["SparsityPattern", "SparsityWarning", "pattern_of_tape"]


class SparsityWarning(UserWarning):
    """A pattern is denser than it may need to be: a primitive had no sparsity rule."""


def scipy_sparse():
    """``scipy.sparse``, or ``None`` when SciPy is not installed (it is optional for admodes)."""
    try:
        import scipy.sparse
    except ImportError:
        return None
    return scipy.sparse


class SparsityPattern:
    """The boolean pattern of an ``m x n`` Jacobian, in CSR form (``indptr``, ``indices``).

    Rows are the outputs' entries flattened in C order and concatenated; columns likewise the
    inputs'. ``fallbacks`` names the primitives without a sparsity rule, whose outputs were
    taken as dense in their arguments' dependencies (``exact`` is true when there were none).
    """

    def __init__(self, shape, indptr, indices, fallbacks=()):
        self.shape = (int(shape[0]), int(shape[1]))
        self.indptr = np.asarray(indptr, np.int64)
        self.indices = np.asarray(indices, np.int64)
        self.fallbacks = tuple(fallbacks)

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    @property
    def exact(self) -> bool:
        """Whether every primitive had a rule (no dense fallback was needed)."""
        return not self.fallbacks

    @property
    def rows(self):
        """The row of each nonzero (in CSR order)."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    @property
    def cols(self):
        return self.indices

    def row_counts(self):
        return np.diff(self.indptr)

    def col_counts(self):
        return np.bincount(self.indices, minlength=self.shape[1])

    def density(self) -> float:
        size = self.shape[0] * self.shape[1]
        return self.nnz / size if size else 0.0

    def toarray(self):
        """The pattern as a dense boolean ``(m, n)`` array."""
        out = np.zeros(self.shape, bool)
        out[self.rows, self.indices] = True
        return out

    def tocsr(self):
        """The pattern as a boolean ``scipy.sparse.csr_matrix`` (needs SciPy)."""
        sparse = scipy_sparse()
        if sparse is None:
            raise AdmodesError("SparsityPattern.tocsr needs SciPy (pip install scipy); toarray() gives a dense boolean array.")
        return sparse.csr_matrix((np.ones(self.nnz, bool), self.indices, self.indptr), shape=self.shape)

    def transpose(self) -> "SparsityPattern":
        """The pattern of J^T (rows and columns swapped)."""
        order = np.lexsort((self.rows, self.indices))
        indptr = np.zeros(self.shape[1] + 1, np.int64)
        np.cumsum(self.col_counts(), out=indptr[1:])
        return SparsityPattern(self.shape[::-1], indptr, self.rows[order], self.fallbacks)

    T = property(transpose)

    def __eq__(self, other):
        if not isinstance(other, SparsityPattern):
            return NotImplemented
        return (self.shape == other.shape and np.array_equal(self.indptr, other.indptr)
                and np.array_equal(self.indices, other.indices))

    __hash__ = None

    def __repr__(self):
        note = "" if self.exact else f", dense fallback for {', '.join(self.fallbacks)}"
        return f"<SparsityPattern {self.shape[0]} x {self.shape[1]}, {self.nnz} nonzeros ({100 * self.density():.3g}%){note}>"

    @classmethod
    def from_dense(cls, dense) -> "SparsityPattern":
        """The pattern of the nonzeros of a 2-D array (a dense Jacobian, a hand-made test pattern)."""
        dense = np.asarray(dense)
        if dense.ndim != 2:
            raise AdmodesError(f"SparsityPattern.from_dense needs a 2-D array, got shape {dense.shape}.")
        nz = dense != 0
        indptr = np.zeros(dense.shape[0] + 1, np.int64)
        np.cumsum(nz.sum(axis=1), out=indptr[1:])
        return cls(dense.shape, indptr, np.nonzero(nz)[1])

    def spy(self, ax=None, **kwargs):
        """A spy plot of the pattern with matplotlib (returns the axes)."""
        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.figure().add_subplot()
        ax.spy(self.toarray(), **({"markersize": 2} | kwargs))
        ax.set_title(f"{self.shape[0]} x {self.shape[1]}, {self.nnz} nonzeros")
        return ax


def pattern_of_tape(tape, *, warn=True) -> SparsityPattern:
    """The global Jacobian pattern of a ``RecordedTape`` (``ad.record``): one walk over its entries."""
    entries = tape.entries
    values = walk.values(entries, tape._recorded_at)  # the shapes of every value (never read beyond)
    n = tape.n
    last_use = {}
    for i, entry in enumerate(entries):
        for p in entry[2]:
            if p >= 0:
                last_use[p] = i
    for index, _ in tape.outputs:
        if index >= 0:
            last_use[index] = len(entries)
    deps = [None] * len(entries)
    offsets = np.concatenate([[0], np.cumsum(tape.in_sizes)]).astype(np.int64)
    for k, i in enumerate(tape._inputs):
        deps[i] = _deps.inputs_deps(tape.in_sizes[k], n, int(offsets[k]))
    fallbacks = {}
    for i, (prim, params, parents, constants, _) in enumerate(entries):
        if prim is None:
            continue
        size = math.prod(shape_of(values[i]))
        traced = [p >= 0 for p in parents]
        args = [shape_dtype_of(values[p]) if p >= 0 else c for p, c in zip(parents, constants)]
        rule = rule_for(prim)
        local = None
        if rule is not None:
            try:
                local = rule(shape_dtype_of(values[i]), args, params, traced)
            except Exception:  # a case the rule does not know: dense is never wrong
                local = None
        if local is None:
            fallbacks[prim.name] = fallbacks.get(prim.name, 0) + 1
            deps[i] = _deps.dense_deps(size, [deps[p] for p in parents if p >= 0], n)
        else:
            parts = [(r, c, deps[p]) for (p, item) in zip(parents, local) if p >= 0 and item is not None for r, c in [item]]
            deps[i] = _deps.compose(size, n, parts)
        if i not in last_use:
            deps[i] = None  # read by nothing (a value computed for a branch check only)
        for p in set(parents):  # free what no later entry reads
            if p >= 0 and last_use.get(p) == i:
                deps[p] = None
    rows_ptr, rows_idx = [], []
    for k, (index, _) in enumerate(tape.outputs):
        size = math.prod(tape.out_shapes[k])
        d = deps[index] if index >= 0 else _deps.no_deps(size, n)
        indptr, indices = d.to_csr()
        rows_ptr.append(np.diff(indptr))
        rows_idx.append(indices)
    counts = np.concatenate(rows_ptr) if rows_ptr else np.zeros(0, np.int64)
    indptr = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.concatenate(rows_idx) if rows_idx else np.zeros(0, np.int64)
    names = tuple(sorted(fallbacks))
    if names and warn:
        warnings.warn(
            f"no sparsity rule for {', '.join(names)}: their outputs were taken to depend on every input "
            "their arguments depend on, so the pattern may be denser than the Jacobian's (never sparser). "
            "Add a rule to admodes.sparse.rules.RULES to make it exact.",
            SparsityWarning,
            stacklevel=3,
        )
    return SparsityPattern((tape.m, n), indptr, indices, names)
