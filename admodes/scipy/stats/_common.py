"""Helpers shared by the distributions of admodes.scipy.stats.

A distribution's parameters are checked as SciPy checks them (a scale <= 0, a shape <= 0
give nan), and a point outside the support gets SciPy's value there (-inf for a log
density, 0 for a density or cdf ...). Outside the support the formula is evaluated at a
safe stand-in point, so a nan or an infinity from the unused branch cannot leak into the
derivative through ``np.where`` (whose derivative in the unselected branch is 0 times the
branch's own derivative).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ...core import decide

LOG_2PI = math.log(2.0 * math.pi)
HALF_LOG_2PI = 0.5 * LOG_2PI
LOG_PI = math.log(math.pi)
LOG_2 = math.log(2.0)


def holds(predicate, *values):
    """``predicate`` of the plain values (a bool array): a branch, logged for ``ad.record``."""
    return decide(predicate, *values)


def positive(v):
    return holds(lambda a: np.asarray(a) > 0, v)


def nan_unless(out, *valid):
    """``out`` with nan wherever one of the ``valid`` masks is False (SciPy's invalid parameters)."""
    ok = functools.reduce(np.logical_and, valid)
    if np.all(ok):
        return out
    return np.where(ok, out, np.nan)


def on_support(inside, y, safe, formula, outside):
    """``formula(y)`` where ``inside``, ``outside`` elsewhere; y is replaced by ``safe`` outside
    before ``formula`` sees it."""
    if np.all(inside):
        return formula(y)
    y_safe = np.where(inside, y, safe)
    return np.where(inside, formula(y_safe), outside)


def standardize(x, loc, scale):
    return (x - loc) / scale


def log_of(v):
    """log of a scale-like parameter without NumPy's warning for an invalid one (masked later)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(v)
