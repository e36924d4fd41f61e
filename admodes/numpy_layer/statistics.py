"""Order statistics on traced values: median, percentile, quantile.

Each sorts the reduced entries (``np.sort``: a gather by a constant, stable ``argsort``, so tied
entries keep their input order as in JAX) and interpolates between the two neighbouring order
statistics with weights that depend only on ``q`` and the number of entries (constants). The
derivative goes to the entries at those ranks.
"""

from __future__ import annotations

import numpy as np

from ..core import AdmodesError, Tracer, concrete, shape_of
from ..ops import elementwise as e
from ..ops import reductions
from .dispatch import frozen, implements, ndim_of, refuse_keywords
from .indexing import sort
from .shapes import permuted, reshaped, take_axis

__all__ = ["median", "percentile", "quantile"]

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _ranks(qv, n, method):
    """The two ranks (int arrays of q's shape) and the weight of the upper one."""
    virtual = qv * (n - 1)
    if method == "nearest":
        virtual = np.around(virtual)  # NumPy's choice: half to even
    lo = np.floor(virtual).astype(np.intp)
    if method == "higher":
        lo = np.ceil(virtual).astype(np.intp)
    lo = np.clip(lo, 0, n - 1)
    hi = np.minimum(lo + 1, n - 1)
    frac = virtual - np.floor(virtual)
    if method in ("lower", "higher", "nearest"):
        frac = np.zeros_like(frac)
    elif method == "midpoint":
        frac = np.where(frac > 0, 0.5, 0.0)
    return lo, hi, frac


def _has_nan(av):
    return np.asarray(np.any(np.isnan(av), axis=-1))


def _quantile(a, qv, axis, method, keepdims, name):
    if method not in _METHODS:
        raise AdmodesError(f"np.{name}(method={method!r}) is not supported on traced values; use one of {_METHODS}.")
    shape = tuple(shape_of(a))
    ndim = len(shape)
    axes = reductions.normalize_axis(axis, ndim)
    kept = [i for i in range(ndim) if i not in axes]
    # the reduced axes last, merged into one
    flat = permuted(a, kept + list(axes))
    n = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    flat = reshaped(flat, tuple(shape[i] for i in kept) + (n,))
    if n == 0:
        raise AdmodesError(f"np.{name} of an empty slice of a traced value: there is no order statistic "
                           "to differentiate.")
    ordered = sort(flat, axis=-1)
    lo, hi, frac = _ranks(qv, n, method)
    if lo.ndim == 0:
        lo, hi = int(lo), int(hi)
    low = take_axis(ordered, lo, len(kept))    # kept + q.shape
    high = take_axis(ordered, hi, len(kept))
    frac = frac.astype(np.result_type(concrete(a)))
    span = e.sub(high, low)
    # NumPy's lerp: from the lower end for t < 1/2, from the upper end otherwise (its exact values)
    upper = frac >= 0.5
    out = e.select(upper, e.sub(high, e.mul(span, 1 - frac)), e.add(low, e.mul(span, frac)))
    missing = frozen(_has_nan, flat)
    if np.any(missing):  # NumPy's value for a slice with a NaN is NaN
        out = e.select(np.reshape(missing, missing.shape + (1,) * qv.ndim), np.nan, out)
    # NumPy's layout: q's axes first, then the kept axes (the reduced ones as 1 with keepdims)
    nk, nq = len(kept), qv.ndim
    out = permuted(out, list(range(nk, nk + nq)) + list(range(nk)))
    if keepdims:
        out = reshaped(out, qv.shape + tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return out


def _plain_q(q, name, scale):
    if isinstance(q, Tracer):
        raise AdmodesError(f"np.{name} with a traced q: the derivative in q is not supported; pass q as a "
                           "plain number or array.")
    qv = np.true_divide(np.asarray(q, dtype=np.float64), scale)
    if np.any((qv < 0) | (qv > 1)):
        raise ValueError("Percentiles must be in the range [0, 100]" if scale == 100
                         else "Quantiles must be in the range [0, 1]")
    return qv


def _refuse(name, out, weights, interpolation):
    refuse_keywords(name, {"out": out})
    if weights is not None:
        raise AdmodesError(f"np.{name}(..., weights=...) is not supported on traced values; drop 'weights='.")
    if interpolation is not None:
        raise AdmodesError(f"np.{name}(..., interpolation=...) is NumPy's deprecated spelling; use method=.")


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
               weights=None, interpolation=None):
    _refuse("percentile", out, weights, interpolation)
    return _quantile(a, _plain_q(q, "percentile", 100), axis, method, keepdims, "percentile")


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
             weights=None, interpolation=None):
    _refuse("quantile", out, weights, interpolation)
    return _quantile(a, _plain_q(q, "quantile", 1), axis, method, keepdims, "quantile")


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    refuse_keywords("median", {"out": out})
    if ndim_of(a) == 0:
        return a[...] if isinstance(a, Tracer) else a
    return _quantile(a, np.asarray(0.5), axis, "linear", keepdims, "median")
