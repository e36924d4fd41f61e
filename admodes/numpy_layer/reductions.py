"""NumPy's reductions and scans on traced values: sum, prod, max, min, logaddexp (their
``ufunc.reduce`` spellings), mean, var, std, the nan-skipping nansum, nanmean, nanmax, nanmin,
nanprod, nanvar, nanstd, average, ptp, diff, cumsum, cumprod. The primitives are in ``ops.reductions``; the rest are sums, differences and
quotients of them.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..core import Tracer, concrete, shape_of
from ..ops import elementwise, indexing, reductions
from ..ops import shape as shape_ops
from .dispatch import UFUNC_REDUCTIONS, as_operand, one_axis, ndim_of, refuse_keywords, frozen, implements
from .shapes import reshaped, take_axis, astype, ravel

e = elementwise

def _reduction(prim, numpy_name):
    def handler(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        refuse_keywords(numpy_name, {"out": out, **kwargs})
        if dtype is not None:
            a = astype(a, dtype)
        axis = reductions.normalize_axis(axis, len(shape_of(a)))
        return prim(a, axis=axis, keepdims=bool(keepdims))

    handler.__name__ = numpy_name
    return handler

sum_ = implements(np.sum)(_reduction(reductions.sum_, "sum"))

prod = implements(np.prod)(_reduction(reductions.prod, "prod"))

amax = implements(np.max, np.amax)(_reduction(reductions.max_, "max"))

amin = implements(np.min, np.amin)(_reduction(reductions.min_, "min"))


def logaddexp_reduce(x, axis=0, keepdims=False):
    """np.logaddexp.reduce: log(sum(exp(x))) shifted by the maximum m, m + log(sum(exp(x - m))),
    so that no exp overflows. The shift's own derivative cancels (d/dm of the sum is 0), so the
    differentiable max does no harm; where m is infinite (all -inf, or an inf entry) the shift is 0."""
    axes = reductions.normalize_axis(axis, ndim_of(x))
    m = amax(x, axis=axes, keepdims=True)
    m = e.select(frozen(np.isfinite, m), m, 0)
    total = sum_(e.exp(e.sub(x, m)), axis=axes, keepdims=keepdims)
    if not keepdims:
        m = reshaped(m, shape_of(total))
    return e.add(e.log(total), m)


UFUNC_REDUCTIONS.update({np.add: sum_, np.multiply: prod, np.maximum: amax, np.minimum: amin,
                         np.logaddexp: logaddexp_reduce})


def _count(a, axis):
    shp = shape_of(a)
    axes = reductions.normalize_axis(axis, len(shp))
    return int(np.prod([shp[i] for i in axes], dtype=np.int64))

@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    total = sum_(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kwargs)
    return elementwise.div(total, _count(a, axis))

@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    refuse_keywords("var", {"out": out, **kwargs})
    centered = elementwise.sub(a, mean(a, axis=axis, dtype=dtype, keepdims=True))
    squares = sum_(elementwise.square(centered), axis=axis, keepdims=keepdims)
    return elementwise.div(squares, builtins.max(_count(a, axis) - ddof, 0))

@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """np.std as sqrt(var). Where the reduced axes hold one entry (and ddof=0) the standard
    deviation is identically 0, so its derivative is 0 (JAX's sqrt-of-var gives NaN there:
    a slope of 1/0 times 0). Where several entries are all equal, std has a kink (a cone),
    and the derivative is NaN in admodes as in JAX. See docs/conventions.md."""
    variance = var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kwargs)
    if ddof == 0 and _count(a, axis) == 1:
        return np.zeros(shape_of(variance), dtype=np.result_type(concrete(variance)))
    return elementwise.sqrt(variance)

@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    refuse_keywords("nansum", {"out": out, **kwargs})
    return sum_(e.select(frozen(np.isnan, a), 0, a), axis=axis, dtype=dtype, keepdims=keepdims)

@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    refuse_keywords("nanmean", {"out": out, **kwargs})
    present = ~frozen(np.isnan, a)
    count = np.sum(present, axis=axis, keepdims=keepdims).astype(np.result_type(concrete(a)))
    return e.div(nansum(a, axis=axis, dtype=dtype, keepdims=keepdims), count)

def _nan_filled(a, fill):
    return e.select(frozen(np.isnan, a), fill, a)


@implements(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, **kwargs):
    """max ignoring NaN (-inf in their place); a slice of NaN only gives NaN, as in NumPy and JAX."""
    refuse_keywords("nanmax", {"out": out, **kwargs})
    return _all_nan_is_nan(a, amax(_nan_filled(a, -np.inf), axis=axis, keepdims=keepdims), axis, keepdims)


@implements(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, **kwargs):
    refuse_keywords("nanmin", {"out": out, **kwargs})
    return _all_nan_is_nan(a, amin(_nan_filled(a, np.inf), axis=axis, keepdims=keepdims), axis, keepdims)


def _all_nan(av, axis, keepdims):
    return np.asarray(np.all(np.isnan(av), axis=axis, keepdims=keepdims))


def _all_nan_is_nan(a, result, axis, keepdims):
    empty = frozen(_all_nan, a, axis=axis, keepdims=keepdims)
    return e.select(empty, np.nan, result) if np.any(empty) else result


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    refuse_keywords("nanprod", {"out": out, **kwargs})
    return prod(_nan_filled(a, 1), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    refuse_keywords("nanvar", {"out": out, **kwargs})
    if dtype is not None:
        a = astype(a, dtype)
    missing = frozen(np.isnan, a)
    count = np.sum(~missing, axis=axis, keepdims=True).astype(np.result_type(concrete(a)))
    centered = e.select(missing, 0, e.sub(a, e.div(sum_(e.select(missing, 0, a), axis=axis, keepdims=True), count)))
    squares = sum_(e.square(centered), axis=axis, keepdims=keepdims)
    count = count if keepdims else np.reshape(count, shape_of(squares))
    return e.div(squares, np.maximum(count - ddof, 0))


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """sqrt(nanvar); a NaN-free slice of one entry has the derivative NaN (as JAX), unlike np.std's 0."""
    return e.sqrt(nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kwargs))


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    ndim = ndim_of(a)
    axes = reductions.normalize_axis(axis, ndim)
    if weights is None:
        total = sum_(a, axis=axes, keepdims=keepdims)
        count = int(np.prod([shape_of(a)[i] for i in axes], dtype=np.int64))
        avg = e.div(total, count)
        scale = np.full(shape_of(avg), count, dtype=np.result_type(concrete(avg)))
    else:
        w = as_operand(weights)
        wshape = shape_of(w)
        if wshape != shape_of(a):
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if wshape != tuple(shape_of(a)[i] for i in axes):
                raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
            kept = [shape_of(a)[i] if i in axes else 1 for i in range(ndim)]
            w = reshaped(w, tuple(kept))
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
    refuse_keywords("ptp", {"out": out})
    return e.sub(amax(a, axis=axis, keepdims=keepdims), amin(a, axis=axis, keepdims=keepdims))

@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    ndim = ndim_of(a)
    if ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = one_axis(axis, ndim)
    pieces = []
    for extra in (prepend, None, append):
        if extra is None:
            pieces.append(a)
        elif extra is not np._NoValue:
            if not isinstance(extra, Tracer):  # a Python number is weak: float32 stays float32
                extra = np.asarray(extra, dtype=np.result_type(concrete(a), extra))
            if ndim_of(extra) == 0:
                shape = list(shape_of(a))
                shape[axis] = 1
                extra = shape_ops.broadcast_to(extra, shape=tuple(shape)) if isinstance(extra, Tracer) \
                    else np.broadcast_to(extra, shape)
            pieces.append(extra)
    if len(pieces) > 1:
        a = indexing.concatenate(*pieces, axis=axis)
    for _ in range(int(n)):
        a = e.sub(take_axis(a, slice(1, None), axis), take_axis(a, slice(None, -1), axis))
    return a

def _scan(prim, name, **extra):
    def handler(a, axis=None, dtype=None, out=None):
        refuse_keywords(name, {"out": out})
        if dtype is not None:
            a = astype(a, dtype)
        if axis is None:
            a = ravel(a)
            axis = 0
        return prim(a, axis=one_axis(axis, ndim_of(a)), **extra)

    handler.__name__ = name
    return handler

cumsum = implements(np.cumsum)(_scan(reductions.cumsum, "cumsum", reverse=False))

cumprod = implements(np.cumprod)(_scan(reductions.cumprod, "cumprod"))

def _cumulative(scan, name, identity):
    def handler(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if axis is None:
            if ndim_of(x) > 1:
                raise ValueError(f"{name}: axis must be given for arrays of more than one dimension")
            axis = 0
        result = scan(x, axis=axis, dtype=dtype, out=out)
        if include_initial:
            shape = list(shape_of(result))
            axis = one_axis(axis, len(shape))
            shape[axis] = 1
            first = np.full(shape, identity, dtype=result.dtype)
            result = indexing.concatenate(first, result, axis=axis)
        return result

    handler.__name__ = name
    return handler

if hasattr(np, "cumulative_sum"):
    implements(np.cumulative_sum)(_cumulative(cumsum, "cumulative_sum", 0))
    implements(np.cumulative_prod)(_cumulative(cumprod, "cumulative_prod", 1))
