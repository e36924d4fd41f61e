"""``scipy.stats.gamma`` as functions: shape ``a``, density y**(a-1) e**-y / Gamma(a) / scale."""

import numpy as np
from scipy.special import gammainc, gammaincc, gammaln, xlogy

from .._args import scipy_signature
from ._common import holds, log_of, nan_unless, on_support, positive, standardize

__all__ = ["logpdf", "pdf", "cdf", "sf"]


def _inside(y):
    return holds(lambda v: np.asarray(v) >= 0, y)


@scipy_signature("scipy.stats.gamma.logpdf")
def logpdf(x, a, loc=0, scale=1):
    y = standardize(x, loc, scale)
    out = on_support(_inside(y), y, 1.0, lambda v: xlogy(a - 1, v) - v - gammaln(a), -np.inf)
    return nan_unless(out - log_of(scale), positive(a), positive(scale))


@scipy_signature("scipy.stats.gamma.pdf")
def pdf(x, a, loc=0, scale=1):
    return np.exp(logpdf(x, a, loc, scale))


@scipy_signature("scipy.stats.gamma.cdf")
def cdf(x, a, loc=0, scale=1):
    """The regularised lower incomplete gamma function; differentiable in x, loc and scale
    (admodes has no derivative of gammainc in ``a``)."""
    y = standardize(x, loc, scale)
    out = on_support(_inside(y), y, 1.0, lambda v: gammainc(a, v), 0.0)
    return nan_unless(out, positive(a), positive(scale))


@scipy_signature("scipy.stats.gamma.sf")
def sf(x, a, loc=0, scale=1):
    y = standardize(x, loc, scale)
    out = on_support(_inside(y), y, 1.0, lambda v: gammaincc(a, v), 1.0)
    return nan_unless(out, positive(a), positive(scale))
