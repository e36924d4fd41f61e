"""``scipy.special`` for admodes: the ufuncs that have rules, and logsumexp / softmax /
log_softmax / polygamma / multigammaln written with differentiable NumPy calls.

The ufuncs below are SciPy's own objects (``admodes.scipy.special.gammaln is
scipy.special.gammaln``): a traced value reaches their rules in ``admodes.ops.special``
through NumPy's ``__array_ufunc__``. The functions defined here replace SciPy's Python
functions, which convert their input with ``np.asarray`` and so refuse a traced value.

>>> import numpy as np
>>> import admodes as ad
>>> from admodes.scipy import special
>>> float(special.logsumexp(np.array([0.0, np.log(3.0)])))  # log(1 + 3)
1.3862943611198906
>>> ad.grad(lambda a: special.logsumexp(a))(np.array([0.0, np.log(3.0)]))  # the softmax
array([0.25, 0.75])
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as _sc

from ..core import decide
from ..ops import special as _rules
from ..ops.special import polygamma  # noqa: F401  (SciPy's is a Python function calling np.asarray)
from ._args import scipy_signature

# every name under which scipy.special exposes a ufunc that admodes has a rule for
# (digamma is also psi, jv also jn ...): the SciPy object itself, so plain calls are SciPy's
UFUNCS = sorted({name.rsplit(".", 1)[1] for names in _rules.public_names().values() for name in names})
globals().update({name: getattr(_sc, name) for name in UFUNCS})

__all__ = [*UFUNCS, "logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln"]


def _finite_max(a, axis):
    """max over ``axis`` (keepdims) of a's plain values, 0 where it is not finite: the shift that
    keeps exp from overflowing. A constant: any shift gives the same value and derivatives."""
    def shift(v):
        with np.errstate(invalid="ignore"):
            m = np.max(v, axis=axis, keepdims=True)
        return np.where(np.isfinite(m), m, 0).astype(np.result_type(v, np.float16))

    return decide(shift, a)


def _squeeze(out, axis, ndim):
    if axis is None:
        return np.reshape(out, ())
    axes = tuple(ax % ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    return np.squeeze(out, axis=axes)


@scipy_signature("scipy.special.logsumexp")
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axis``, shifted by the maximum so exp cannot overflow.

    As SciPy's: ``b`` (broadcast against ``a``) weighs the terms and entries with ``b == 0``
    are left out (an ``a`` of +inf there does not count); a negative sum is nan unless
    ``return_sign=True``, which returns ``(log|sum|, sign(sum))``. Differentiable in ``a``
    and ``b``.
    """
    if b is not None:
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        a = np.broadcast_to(a, shape) if np.shape(a) != shape else a
        b = np.broadcast_to(b, shape) if np.shape(b) != shape else b
        kept = decide(lambda v: v != 0, b)
        if not np.all(kept):
            a = np.where(kept, a, -np.inf)
    ndim = np.ndim(a)
    m = _finite_max(a, axis)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        terms = np.exp(a - m)
        if b is not None:
            terms = b * terms
        s = np.sum(terms, axis=axis, keepdims=True)
        if return_sign:
            sign = decide(np.sign, s)
            out = np.log(np.abs(s)) + m
        else:
            out = np.log(s) + m
    if not keepdims:
        out = _squeeze(out, axis, ndim)
        if return_sign:
            sign = _squeeze(sign, axis, ndim)
    return (out, sign) if return_sign else out


@scipy_signature("scipy.special.log_softmax")
def log_softmax(x, axis=None):
    """``x - logsumexp(x, axis, keepdims=True)``."""
    return x - logsumexp(x, axis=axis, keepdims=True)


@scipy_signature("scipy.special.softmax")
def softmax(x, axis=None):
    """``exp(x - logsumexp(x, axis, keepdims=True))``: sums to 1 over ``axis``."""
    return np.exp(log_softmax(x, axis=axis))


@scipy_signature("scipy.special.multigammaln")
def multigammaln(a, d):
    """log of the multivariate gamma function of dimension ``d`` (a Python int):
    ``d(d-1)/4 log(pi) + sum_{j<d} gammaln(a - j/2)``. Like SciPy, refuses a <= (d-1)/2."""
    d = int(d)
    if np.any(decide(lambda v: v <= 0.5 * (d - 1), a)):
        raise ValueError("condition a (%f) > 0.5 * (d-1) (%f) not met" % (np.min(decide(np.asarray, a)), 0.5 * (d - 1)))
    out = d * (d - 1) * 0.25 * math.log(math.pi)
    for j in range(d):
        out = out + _sc.gammaln(a - 0.5 * j)
    return out
