"""Elementwise NumPy functions that are not one primitive as they stand: ``np.power`` (a
constant exponent goes to ``pow_const``), ``np.divmod``, ``np.where``, ``np.clip``, ``np.fmax``/
``np.fmin`` (``where`` with JAX's choice at ties and NaN) and ``np.positive``. The ufuncs that
are one primitive are routed by their declaration in ``ops.elementwise``.
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


UFUNC_HANDLERS.update({np.power: e.power_any, np.fmax: _fmax, np.fmin: _fmin, np.positive: _positive})

ZERO_DERIVATIVE.update({np.floor_divide, np.fix, np.einsum_path, np.argpartition, np.linalg.matrix_rank})
