"""More of NumPy on traced values: ufuncs, scans, indexing and shape functions, einsum.

This module only *routes*: it registers handlers in the tables of ``admodes.numpy_api``
(``UFUNC_HANDLERS``, ``FUNCTION_HANDLERS``, ``ZERO_DERIVATIVE``) and is imported at the
end of that module. Most handlers are *composites*, exact rewrites with existing
primitives, so they need no rules of their own:

- selections and rearrangements are ``getitem`` with basic slices or constant index
  arrays (flip, take, take_along_axis, sort = gather by a constant ``argsort``, repeat,
  diagonal, pad in the edge/reflect/symmetric/wrap modes, split); their adjoint is the
  scatter-add of ``getitem``, so repeated indices accumulate (``put_along_axis``
  semantics with addition, as in JAX);
- tile, kron, outer and repeat by a scalar are ``reshape`` + ``broadcast_to``/``mul``;
  roll and constant padding are ``concatenate``;
- triu/tril are ``where`` with a constant mask; fmax/fmin are ``where`` with JAX's
  choice at ties (the second argument) and at NaN;
- tensordot, inner and vdot are ``transpose`` + ``reshape`` + ``matmul``;
- nansum, nanmean, average, ptp, diff and trace are sums, differences and quotients.

New primitives live in their family modules: the elementwise functions
(``ops.elementwise``), ``cumsum``/``cumprod`` (``ops.reductions``) and ``einsum``
(``ops.contractions``).
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from .core import AdmodesError, Tracer, concrete, shape_of
from .numpy_api import (
    UFUNC_HANDLERS,
    ZERO_DERIVATIVE,
    _refuse_keywords,
    _reshape,
    amax,
    amin,
    astype,
    frozen,
    implements,
    matmul,
    ravel,
    sum_,
)
from .ops import contractions, elementwise, indexing, reductions
from .ops import shape as shape_ops

__all__ = []  # everything here is reached through NumPy's own functions

e = elementwise


def _ndim(a):
    return len(shape_of(a))


def _axis(axis, ndim):
    """One axis, negatives allowed, checked as NumPy does."""
    return reductions.normalize_axis(operator.index(axis), ndim)[0]


def _as_operand(a):
    return a if isinstance(a, Tracer) else np.asarray(a)


def _transpose(a, axes):
    axes = tuple(int(i) for i in axes)
    if axes == tuple(range(len(axes))):
        return a
    return shape_ops.transpose(a, axes=axes)


def _take_axis(a, index, axis):
    """a[..., index, ...] with ``index`` (a slice, an int or an int array) on ``axis``."""
    return indexing.getitem(a, index=(slice(None),) * axis + (index,))


# ================================================================= ufuncs


def _fmax(x, y):
    """The larger entry, ignoring NaN; JAX's choice: x where x > y or y is NaN, else y."""
    return e.select(frozen(_fmax_mask, x, y), x, y)  # frozen: re-checked by ad.record's branch check


def _fmax_mask(xv, yv):
    return np.asarray((xv > yv) | np.isnan(yv))


def _fmin_mask(xv, yv):
    return np.asarray((xv < yv) | np.isnan(yv))


def _fmin(x, y):
    return e.select(frozen(_fmin_mask, x, y), x, y)


def _positive(x):
    return x  # traced values are immutable: +x is x itself


UFUNC_HANDLERS.update({
    np.log1p: e.log1p, np.expm1: e.expm1, np.log2: e.log2, np.log10: e.log10, np.exp2: e.exp2,
    np.sinh: e.sinh, np.cosh: e.cosh, np.arcsin: e.arcsin, np.arccos: e.arccos,
    np.arctan: e.arctan, np.arcsinh: e.arcsinh, np.arccosh: e.arccosh, np.arctanh: e.arctanh,
    np.arctan2: e.arctan2, np.hypot: e.hypot, np.logaddexp: e.logaddexp,
    np.fmax: _fmax, np.fmin: _fmin, np.positive: _positive,
    np.remainder: e.remainder, np.fmod: e.fmod,
})

ZERO_DERIVATIVE.update({np.floor_divide, np.fix, np.einsum_path, np.argpartition, np.linalg.matrix_rank})


# ================================================================= reductions and scans


def _scan(prim, name, **extra):
    def handler(a, axis=None, dtype=None, out=None):
        _refuse_keywords(name, {"out": out})
        if dtype is not None:
            a = astype(a, dtype)
        if axis is None:
            a = ravel(a)
            axis = 0
        return prim(a, axis=_axis(axis, _ndim(a)), **extra)

    handler.__name__ = name
    return handler


cumsum = implements(np.cumsum)(_scan(reductions.cumsum, "cumsum", reverse=False))
cumprod = implements(np.cumprod)(_scan(reductions.cumprod, "cumprod"))


def _cumulative(scan, name, identity):
    def handler(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if axis is None:
            if _ndim(x) > 1:
                raise ValueError(f"{name}: axis must be given for arrays of more than one dimension")
            axis = 0
        result = scan(x, axis=axis, dtype=dtype, out=out)
        if include_initial:
            shape = list(shape_of(result))
            axis = _axis(axis, len(shape))
            shape[axis] = 1
            first = np.full(shape, identity, dtype=result.dtype)
            result = shape_ops.concatenate(first, result, axis=axis)
        return result

    handler.__name__ = name
    return handler


if hasattr(np, "cumulative_sum"):
    implements(np.cumulative_sum)(_cumulative(cumsum, "cumulative_sum", 0))
    implements(np.cumulative_prod)(_cumulative(cumprod, "cumulative_prod", 1))


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    _refuse_keywords("nansum", {"out": out, **kwargs})
    return sum_(e.select(frozen(np.isnan, a), 0, a), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    _refuse_keywords("nanmean", {"out": out, **kwargs})
    present = ~frozen(np.isnan, a)
    count = np.sum(present, axis=axis, keepdims=keepdims).astype(np.result_type(concrete(a)))
    return e.div(nansum(a, axis=axis, dtype=dtype, keepdims=keepdims), count)


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    ndim = _ndim(a)
    axes = reductions.normalize_axis(axis, ndim)
    if weights is None:
        total = sum_(a, axis=axes, keepdims=keepdims)
        count = int(np.prod([shape_of(a)[i] for i in axes], dtype=np.int64))
        avg = e.div(total, count)
        scale = np.full(shape_of(avg), count, dtype=np.result_type(concrete(avg)))
    else:
        w = _as_operand(weights)
        wshape = shape_of(w)
        if wshape != shape_of(a):
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if wshape != tuple(shape_of(a)[i] for i in axes):
                raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
            kept = [shape_of(a)[i] if i in axes else 1 for i in range(ndim)]
            w = _reshape(w, tuple(kept))
        scale = sum_(shape_ops.broadcast_to(w, shape=shape_of(a)) if shape_of(w) != shape_of(a) else w,
                     axis=axes, keepdims=keepdims)
        avg = e.div(sum_(e.mul(a, w), axis=axes, keepdims=keepdims), scale)
    if returned:
        if shape_of(scale) != shape_of(avg):
            scale = shape_ops.broadcast_to(scale, shape=shape_of(avg))
        return avg, scale
    return avg


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    _refuse_keywords("ptp", {"out": out})
    return e.sub(amax(a, axis=axis, keepdims=keepdims), amin(a, axis=axis, keepdims=keepdims))


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    ndim = _ndim(a)
    if ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis(axis, ndim)
    pieces = []
    for extra in (prepend, None, append):
        if extra is None:
            pieces.append(a)
        elif extra is not np._NoValue:
            if not isinstance(extra, Tracer):  # a Python number is weak: float32 stays float32
                extra = np.asarray(extra, dtype=np.result_type(concrete(a), extra))
            if _ndim(extra) == 0:
                shape = list(shape_of(a))
                shape[axis] = 1
                extra = shape_ops.broadcast_to(extra, shape=tuple(shape)) if isinstance(extra, Tracer) \
                    else np.broadcast_to(extra, shape)
            pieces.append(extra)
    if len(pieces) > 1:
        a = shape_ops.concatenate(*pieces, axis=axis)
    for _ in range(int(n)):
        a = e.sub(_take_axis(a, slice(1, None), axis), _take_axis(a, slice(None, -1), axis))
    return a


# ================================================================= shape and indexing


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
    _refuse_keywords("take", {"out": out})
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = _axis(axis, _ndim(a))
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
    return _take_axis(a, int(idx) if idx.ndim == 0 else idx, axis)


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
    ndim = _ndim(arr)
    if idx.ndim != ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = _axis(axis, ndim)
    return indexing.getitem(arr, index=_along_axis_index(shape_of(arr), idx, axis))


@implements(np.flip)
def flip(m, axis=None):
    ndim = _ndim(m)
    axes = reductions.normalize_axis(axis, ndim)
    if not axes:
        return m
    return indexing.getitem(m, index=tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(ndim)))


@implements(np.fliplr)
def fliplr(m):
    if _ndim(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@implements(np.flipud)
def flipud(m):
    if _ndim(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


@implements(np.roll)
def roll(a, shift, axis=None):
    if axis is None:
        return _reshape(roll(ravel(a), shift, 0), shape_of(a))
    ndim = _ndim(a)
    shifts = {}
    for s, ax in np.broadcast(np.asarray(concrete(shift)), np.asarray(axis)):
        ax = _axis(int(ax), ndim)
        shifts[ax] = shifts.get(ax, 0) + int(s)
    for ax, s in shifts.items():
        n = shape_of(a)[ax]
        if n == 0 or s % n == 0:
            continue
        k = n - s % n
        a = shape_ops.concatenate(_take_axis(a, slice(k, None), ax), _take_axis(a, slice(0, k), ax), axis=ax)
    return a


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = _axis(axis, _ndim(a))
    shape = tuple(shape_of(a))
    reps = np.asarray(concrete(repeats))
    if reps.ndim == 0 or reps.size == 1:
        r = int(reps.reshape(()))
        if r < 0:
            raise ValueError("repeats may not contain negative values.")
        # a[..., i, ...] -> a[..., i, (r copies), ...]: a reshape, a broadcast, a reshape
        spread = _reshape(a, shape[: axis + 1] + (1,) + shape[axis + 1 :])
        spread = shape_ops.broadcast_to(spread, shape=shape[: axis + 1] + (r,) + shape[axis + 1 :])
        return _reshape(spread, shape[:axis] + (shape[axis] * r,) + shape[axis + 1 :])
    index = np.repeat(np.arange(shape[axis]), reps)
    return _take_axis(a, index, axis)


@implements(np.tile)
def tile(A, reps):
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    shape = tuple(shape_of(A))
    ndim = builtins.max(len(reps), len(shape))
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - len(shape)) + shape
    if all(r == 1 for r in reps):
        return _reshape(A, shape)
    spread = _reshape(A, tuple(x for s in shape for x in (1, s)))
    spread = shape_ops.broadcast_to(spread, shape=tuple(x for r, s in zip(reps, shape) for x in (r, s)))
    return _reshape(spread, tuple(r * s for r, s in zip(reps, shape)))


def _pairs(value, ndim):
    """NumPy's (before, after) per axis from a scalar, a pair or one pair per axis."""
    value = np.asarray(value)
    return np.broadcast_to(value, (ndim, 2)) if ndim else np.zeros((0, 2), dtype=value.dtype)


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    ndim = _ndim(array)
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    widths = _pairs(widths, ndim).astype(np.intp)
    if np.any(widths < 0):
        raise ValueError("index can't contain negative values")
    if mode == "constant":
        unknown = set(kwargs) - {"constant_values"}
        if unknown:
            raise ValueError(f"unsupported keyword arguments for mode 'constant': {sorted(unknown)}")
        values = kwargs.get("constant_values", 0)
        traced = isinstance(values, Tracer)
        if traced and _ndim(values) != 0:
            raise AdmodesError("np.pad: traced constant_values must be a scalar on traced values.")
        if not traced:
            values = _pairs(values, ndim)
        out = array
        for ax in range(ndim):
            pieces = []
            for side, width in enumerate(widths[ax]):
                if width == 0:
                    continue
                shape = list(shape_of(out))
                shape[ax] = int(width)
                if traced:
                    block = shape_ops.broadcast_to(values, shape=tuple(shape))
                else:
                    dtype = np.result_type(concrete(out))
                    block = np.full(shape, values[ax, side], dtype=dtype)
                pieces.append((side, block))
            if pieces:
                parts = [b for s, b in pieces if s == 0] + [out] + [b for s, b in pieces if s == 1]
                out = shape_ops.concatenate(*parts, axis=ax)
        return out
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        if kwargs.get("reflect_type", "even") != "even":
            raise AdmodesError("np.pad on traced values supports reflect_type='even' only.")
        out = array
        for ax in range(ndim):
            before, after = (int(w) for w in widths[ax])
            if before == after == 0:
                continue
            index = np.pad(np.arange(shape_of(out)[ax]), (before, after), mode=mode)
            out = _take_axis(out, index, ax)
        return out
    raise AdmodesError(
        f"np.pad(mode={mode!r}) is not supported on traced values; use 'constant', 'edge', "
        "'reflect', 'symmetric' or 'wrap'."
    )


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    ndim = _ndim(a)
    if ndim < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    axis1, axis2 = _axis(axis1, ndim), _axis(axis2, ndim)
    if axis1 == axis2:
        raise ValueError("axis1 and axis2 cannot be the same")
    rest = [i for i in range(ndim) if i not in (axis1, axis2)]
    x = _transpose(a, rest + [axis1, axis2])
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
    ndim = _ndim(v)
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
    _refuse_keywords("trace", {"out": out})
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


def _split(ary, indices_or_sections, axis, equal):
    axis = _axis(axis, _ndim(ary))
    n = shape_of(ary)[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        if equal and n % sections:
            raise ValueError("array split does not result in an equal division")
        each, extras = divmod(n, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    else:
        points = [0] + [int(i) for i in indices_or_sections] + [n]
    return [_take_axis(ary, slice(points[i], points[i + 1]), axis) for i in range(len(points) - 1)]


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, equal=True)


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, equal=False)


@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    if _ndim(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if _ndim(ary) > 1 else 0)


@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    if _ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


@implements(np.atleast_3d)
def atleast_3d(*arrays):
    out = []
    for a in arrays:
        shape = tuple(shape_of(a))
        if len(shape) == 0:
            a = _reshape(a, (1, 1, 1))
        elif len(shape) == 1:
            a = _reshape(a, (1,) + shape + (1,))
        elif len(shape) == 2:
            a = _reshape(a, shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise AdmodesError("np.sort(order=...) (structured arrays) is not supported on traced values.")
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = _axis(axis, _ndim(a))
    # the permutation is a constant; a stable sort puts ties in input order, as JAX does
    permutation = frozen(np.argsort, a, axis=axis, kind="stable")  # re-checked by ad.record's branch check
    return take_along_axis(a, permutation, axis)


# ================================================================= products


@implements(np.outer)
def outer(a, b, out=None):
    _refuse_keywords("outer", {"out": out})
    a, b = ravel(_as_operand(a)), ravel(_as_operand(b))
    return e.mul(_reshape(a, (shape_of(a)[0], 1)), _reshape(b, (1, shape_of(b)[0])))


@implements(np.kron)
def kron(a, b):
    a, b = _as_operand(a), _as_operand(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    ndim = builtins.max(len(sa), len(sb))
    sa = (1,) * (ndim - len(sa)) + sa
    sb = (1,) * (ndim - len(sb)) + sb
    a2 = _reshape(a, tuple(x for s in sa for x in (s, 1)))
    b2 = _reshape(b, tuple(x for s in sb for x in (1, s)))
    return _reshape(e.mul(a2, b2), tuple(p * q for p, q in zip(sa, sb)))


@implements(np.einsum)
def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    _refuse_keywords("einsum", {"out": out})
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = contractions._einsum_sublist_to_string(operands)
    ops = [_as_operand(o) for o in ops]
    if dtype is not None:
        ops = [astype(o, dtype) for o in ops]
    normalized = contractions.normalize_einsum(subscripts, [shape_of(o) for o in ops])
    return contractions.einsum(*ops, subscripts=normalized)


def _prod(values):
    return int(np.prod(values, dtype=np.int64))


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    a, b = _as_operand(a), _as_operand(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    if np.ndim(axes) == 0:
        k = int(axes)
        a_axes, b_axes = list(range(len(sa) - k, len(sa))), list(range(k))
    else:
        a_axes, b_axes = axes
        a_axes = [a_axes] if np.ndim(a_axes) == 0 else list(a_axes)
        b_axes = [b_axes] if np.ndim(b_axes) == 0 else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise ValueError("shape-mismatch for sum")
    a_axes = [int(i) % len(sa) for i in a_axes] if sa else list(a_axes)
    b_axes = [int(i) % len(sb) for i in b_axes] if sb else list(b_axes)
    if any(sa[i] != sb[j] for i, j in zip(a_axes, b_axes)):
        raise ValueError("shape-mismatch for sum")
    free_a = [i for i in range(len(sa)) if i not in a_axes]
    free_b = [i for i in range(len(sb)) if i not in b_axes]
    k = _prod([sa[i] for i in a_axes])
    a2 = _reshape(_transpose(a, free_a + a_axes), (_prod([sa[i] for i in free_a]), k))
    b2 = _reshape(_transpose(b, b_axes + free_b), (k, _prod([sb[i] for i in free_b])))
    return _reshape(contractions.matmul(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


@implements(np.inner)
def inner(a, b):
    a, b = _as_operand(a), _as_operand(b)
    if _ndim(a) == 0 or _ndim(b) == 0:
        return e.mul(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@implements(np.vdot)
def vdot(a, b):
    a, b = ravel(_as_operand(a)), ravel(_as_operand(b))
    if shape_of(a) != shape_of(b):
        raise ValueError("cannot reshape array: vdot needs arrays of the same size")
    return matmul(a, b)


# ================================================================= methods of traced values


def _install_methods(t):
    t.cumsum = lambda self, axis=None, dtype=None, out=None: cumsum(self, axis, dtype, out)
    t.cumprod = lambda self, axis=None, dtype=None, out=None: cumprod(self, axis, dtype, out)
    t.trace = lambda self, offset=0, axis1=0, axis2=1, dtype=None, out=None: trace(
        self, offset, axis1, axis2, dtype, out)
    t.diagonal = lambda self, offset=0, axis1=0, axis2=1: diagonal(self, offset, axis1, axis2)
    t.take = lambda self, indices, axis=None, out=None, mode="raise": take(self, indices, axis, out, mode)
    t.repeat = lambda self, repeats, axis=None: repeat(self, repeats, axis)
    t.argsort = lambda self, axis=-1, kind=None, order=None, **kw: frozen(np.argsort, self, axis=axis, kind=kind, order=order, **kw)
    t.ptp = lambda self, axis=None, out=None, keepdims=False: ptp(self, axis, out, keepdims)

    def sort_in_place(self, *args, **kwargs):
        raise AdmodesError(
            "x.sort() sorts in place, which traced values do not allow; use x = np.sort(x)."
        )

    t.sort = sort_in_place


_install_methods(Tracer)
