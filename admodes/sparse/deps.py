"""Boolean dependency sets: which of the n inputs each entry of a value depends on.

A ``Deps`` is a boolean matrix of shape ``(value.size, n)`` (the value flattened in C order,
the inputs flattened and concatenated), stored row by row as NumPy arrays: ``indptr`` and
sorted ``indices`` as in CSR, and a ``full`` flag per row for a row that depends on every
input (stored without its n indices, so a dense part of a computation, a sum over all
inputs broadcast back, costs one flag per entry instead of n indices).

A primitive's sparsity rule says, per traced argument, which argument entries each output
entry depends on: a *local pattern*, given as two equally long index arrays ``(r, c)``
("output entry r depends on argument entry c"). ``compose`` turns the local patterns and
the arguments' ``Deps`` into the output's ``Deps``: row r is the union of the rows c it
reads. This is a product of boolean matrices, written with NumPy's sort-based ``unique``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Deps", "compose", "inputs_deps", "dense_deps", "no_deps"]

_INT = np.int64


class Deps:
    """The dependency set of one value: a boolean ``(size, n)`` matrix (see the module)."""

    __slots__ = ("size", "n", "indptr", "indices", "full")

    def __init__(self, size, n, indptr, indices, full=None):
        self.size = size
        self.n = n
        self.indptr = indptr
        self.indices = indices
        self.full = full  # None: no full row

    def counts(self):
        """The number of inputs each row depends on."""
        counts = np.diff(self.indptr)
        if self.full is not None:
            counts = np.where(self.full, self.n, counts)
        return counts

    def to_csr(self):
        """``(indptr, indices)`` with the full rows spelled out."""
        if self.full is None or not self.full.any():
            return self.indptr, self.indices
        counts = self.counts()
        indptr = np.zeros(self.size + 1, _INT)
        np.cumsum(counts, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), _INT)
        sparse_rows = ~self.full
        keep = np.repeat(sparse_rows, counts)
        indices[keep] = self.indices
        nfull = int(self.full.sum())
        indices[~keep] = np.tile(np.arange(self.n, dtype=_INT), nfull)
        return indptr, indices


def no_deps(size, n):
    """A value that depends on no input (a constant)."""
    return Deps(size, n, np.zeros(size + 1, _INT), np.zeros(0, _INT))


def inputs_deps(size, n, offset):
    """Input leaf entries ``offset .. offset + size - 1``: each depends on itself alone."""
    return Deps(size, n, np.arange(size + 1, dtype=_INT), np.arange(offset, offset + size, dtype=_INT))


def _union_row(deps_list):
    """The union of every row of every ``Deps`` in ``deps_list``: (indices, is_full)."""
    parts = []
    for d in deps_list:
        if d.full is not None and d.full.any():
            return None, True
        parts.append(d.indices)
    if not parts:
        return np.zeros(0, _INT), False
    union = np.unique(np.concatenate(parts))
    return union, union.size == deps_list[0].n


def dense_deps(size, deps_list, n):
    """Every one of ``size`` entries depends on everything any of ``deps_list`` depends on:
    the conservative answer for a primitive without a sparsity rule."""
    union, is_full = _union_row(deps_list)
    if is_full:
        return Deps(size, n, np.zeros(size + 1, _INT), np.zeros(0, _INT), np.ones(size, bool))
    k = union.size
    return Deps(size, n, np.arange(size + 1, dtype=_INT) * k, np.tile(union, size))


def _expand(r, c, d):
    """Rows ``r`` paired with every input of row ``c`` of ``d`` (the non-full rows): flat keys."""
    starts = d.indptr[c]
    lens = d.indptr[c + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, _INT)
    ends = np.cumsum(lens)
    positions = np.arange(total, dtype=_INT) - np.repeat(ends - lens - starts, lens)
    return np.repeat(r.astype(_INT), lens) * d.n + d.indices[positions]


def compose(size, n, parts):
    """The ``Deps`` of a value of ``size`` entries from ``parts``, a list of ``(r, c, deps)``:
    output entry ``r[k]`` depends on what entry ``c[k]`` of an argument with ``deps`` does."""
    full = np.zeros(size, bool)
    keys = []
    for r, c, d in parts:
        r = np.asarray(r, _INT)
        c = np.asarray(c, _INT)
        if d.full is not None:
            hit = d.full[c]
            if hit.any():
                full[r[hit]] = True
                r, c = r[~hit], c[~hit]
        keys.append(_expand(r, c, d))
    keys = np.unique(np.concatenate(keys)) if keys else np.zeros(0, _INT)
    rows = keys // n if n else keys
    cols = keys - rows * n
    if full.any():
        keep = ~full[rows]
        rows, cols = rows[keep], cols[keep]
    counts = np.bincount(rows, minlength=size)
    complete = counts == n
    if n and complete.any():  # a row that reached every input is stored as full
        full |= complete
        keep = ~complete[rows]
        rows, cols = rows[keep], cols[keep]
        counts = np.where(complete, 0, counts)
    indptr = np.zeros(size + 1, _INT)
    np.cumsum(counts, out=indptr[1:])
    return Deps(size, n, indptr, cols, full if full.any() else None)
