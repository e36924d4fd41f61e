"""Elementwise NumPy functions that are not one primitive as they stand: ``np.power`` (a
constant exponent goes to ``pow_const``), ``np.divmod``, ``np.where``, ``np.clip``, ``np.fmax``/
``np.fmin`` (``where`` with JAX's choice at ties and NaN), ``np.positive``, the angle conversions
(``np.deg2rad`` ...: a product with a constant), ``np.sinc`` and ``np.real``/``np.imag``/``np.conj``
of a traced (always real) value. The ufuncs that are one primitive are routed by their
declaration in ``ops.elementwise``.
"""

from __future__ import annotations

import numpy as np

from ..core import Tracer, concrete
from ..ops import elementwise
from .dispatch import UFUNC_HANDLERS, ZERO_DERIVATIVE, frozen, implements, plain_operand, refuse_keywords

e = elementwise

def divmod_(x, y):
    """np.divmod: the floor quotient (no derivative, logged for ad.record) and the remainder."""
    return frozen(np.floor_divide, x, y), elementwise.remainder(x, y)

@implements(np.where)
def where(condition, x=None, y=None):
    if x is None or y is None:
        return np.nonzero(concrete(condition))
    return elementwise.select(np.asarray(concrete(condition), dtype=bool), x, y)

@implements(np.clip)
def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    refuse_keywords("clip", {"out": out, **kwargs})
    a_min, a_max = (b if b is None or isinstance(b, Tracer) else plain_operand(b, "np.clip") for b in (a_min, a_max))
    if a_min is not None:
        a = elementwise.maximum(a, a_min)
    if a_max is not None:
        a = elementwise.minimum(a, a_max)
    return a

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
    return x._copy()  # np.positive(x) is a new array


def _scaled(factor):
    def handler(x):
        return e.mul(x, factor)  # a Python float is weak: float32 stays float32
    return handler


_to_radians = _scaled(np.pi / 180)
_to_degrees = _scaled(180 / np.pi)


def _conjugate(x):
    return x._copy()  # a traced value is real (complex values are refused): its own conjugate, a new array


@implements(np.real)
def real(val):
    """The real part of a traced value is the value: admodes refuses complex values."""
    return val


@implements(np.imag)
def imag(val):
    """The imaginary part of a traced (real) value: zeros, a constant."""
    return np.zeros(np.shape(concrete(val)), dtype=np.result_type(concrete(val)))


def _zero(xv):
    return np.asarray(xv == 0)


@implements(np.sinc)
def sinc(x):
    """sin(pi x) / (pi x), and at x = 0 its Taylor polynomial 1 - y^2/6 + y^4/120 (y = pi x), whose
    derivatives at 0 are sinc's own up to the fourth (0, -pi^2/3, 0, pi^4/5), as JAX's rule gives."""
    y = e.mul(x, np.pi)
    at_zero = frozen(_zero, x)
    if not np.any(at_zero):
        return e.div(e.sin(y), y)
    y2 = e.square(y)
    taylor = e.add(1, e.mul(y2, e.add(-1 / 6, e.mul(y2, 1 / 120))))
    safe = e.select(at_zero, 1, y)
    return e.select(at_zero, taylor, e.div(e.sin(safe), safe))


UFUNC_HANDLERS.update({np.power: e.power_any, np.fmax: _fmax, np.fmin: _fmin, np.positive: _positive,
                       np.deg2rad: _to_radians, np.radians: _to_radians, np.rad2deg: _to_degrees,
                       np.degrees: _to_degrees, np.conjugate: _conjugate})

# np.iscomplex / np.isreal test the values' dtype and imaginary parts: all-False / all-True
# arrays on a traced (real) value, with a zero derivative
ZERO_DERIVATIVE.update({np.floor_divide, np.fix, np.einsum_path, np.argpartition, np.linalg.matrix_rank,
                        np.iscomplex, np.isreal})
