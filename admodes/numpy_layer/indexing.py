"""NumPy's selections on traced values: take, take_along_axis, diagonal, diag, trace, triu,
tril, sort. Each is a ``getitem`` with a constant index (sort: gathered by a constant
``argsort``, ties in input order as JAX), a scatter-add (diag of a vector) or a ``where``
with a constant mask.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..core import AdmodesError, concrete, shape_of
from ..ops import elementwise, indexing
from .dispatch import one_axis, ndim_of, refuse_keywords, frozen, implements
from .reductions import sum_
from .shapes import permuted, ravel, take_axis

e = elementwise

def _int_index(indices):
    idx = np.asarray(concrete(indices))
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            idx = idx.astype(np.intp)
        else:
            raise IndexError(f"arrays used as indices must be of integer type, got {idx.dtype}")
    return idx

@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    refuse_keywords("take", {"out": out})
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = one_axis(axis, ndim_of(a))
    n = shape_of(a)[axis]
    idx = _int_index(indices)
    if mode == "wrap":
        idx = np.mod(idx, n)
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif mode == "raise":
        if np.any((idx < -n) | (idx >= n)):
            raise IndexError(f"index out of bounds for axis {axis} with size {n}")
    else:
        raise ValueError(f"clipmode not understood: {mode!r}")
    return take_axis(a, int(idx) if idx.ndim == 0 else idx, axis)

def _along_axis_index(arr_shape, idx, axis):
    """The fancy index NumPy builds for take_along_axis / put_along_axis."""
    ndim = len(arr_shape)
    index = []
    for dim, n in enumerate(arr_shape):
        if dim == axis:
            index.append(idx)
        else:
            shape = [1] * ndim
            shape[dim] = n
            index.append(np.arange(n).reshape(shape))
    return tuple(index)

@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    idx = _int_index(indices)
    if axis is None:
        if idx.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr = ravel(arr)
        axis = 0
    ndim = ndim_of(arr)
    if idx.ndim != ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = one_axis(axis, ndim)
    return indexing.getitem(arr, index=_along_axis_index(shape_of(arr), idx, axis))

@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    ndim = ndim_of(a)
    if ndim < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    axis1, axis2 = one_axis(axis1, ndim), one_axis(axis2, ndim)
    if axis1 == axis2:
        raise ValueError("axis1 and axis2 cannot be the same")
    rest = [i for i in range(ndim) if i not in (axis1, axis2)]
    x = permuted(a, rest + [axis1, axis2])
    n1, n2 = shape_of(a)[axis1], shape_of(a)[axis2]
    offset = int(offset)
    if offset >= 0:
        length = builtins.max(0, builtins.min(n1, n2 - offset))
        rows, cols = np.arange(length), np.arange(length) + offset
    else:
        length = builtins.max(0, builtins.min(n1 + offset, n2))
        rows, cols = np.arange(length) - offset, np.arange(length)
    return indexing.getitem(x, index=(slice(None),) * (ndim - 2) + (rows, cols))

@implements(np.diag)
def diag(v, k=0):
    ndim = ndim_of(v)
    k = int(k)
    if ndim == 2:
        return diagonal(v, k)
    if ndim != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape_of(v)[0]
    size = n + abs(k)
    rows = np.arange(n) + builtins.max(-k, 0)
    cols = np.arange(n) + builtins.max(k, 0)
    return indexing.scatter_add(v, index=(rows, cols), shape=(size, size), nb=0)

@implements(np.diagflat)
def diagflat(v, k=0):
    return diag(ravel(v), k)

@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    refuse_keywords("trace", {"out": out})
    d = diagonal(a, offset, axis1, axis2)
    return sum_(d, axis=-1, dtype=dtype)

def _triangle_mask(shape, k, upper):
    rows, cols = shape[-2:] if len(shape) >= 2 else (shape[-1], shape[-1])
    if upper:
        return ~np.tri(rows, cols, k=k - 1, dtype=bool)
    return np.tri(rows, cols, k=k, dtype=bool)

@implements(np.triu)
def triu(m, k=0):
    return e.select(_triangle_mask(shape_of(m), int(k), True), m, 0)

@implements(np.tril)
def tril(m, k=0):
    return e.select(_triangle_mask(shape_of(m), int(k), False), m, 0)

@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise AdmodesError("np.sort(order=...) (structured arrays) is not supported on traced values.")
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = one_axis(axis, ndim_of(a))
    # the permutation is a constant; a stable sort puts ties in input order, as JAX does
    permutation = frozen(np.argsort, a, axis=axis, kind="stable")  # re-checked by ad.record's branch check
    return take_along_axis(a, permutation, axis)
