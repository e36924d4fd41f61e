"""``scipy.stats.expon`` as functions: density e**-y / scale for y = (x - loc)/scale >= 0."""

import numpy as np

from .._args import scipy_signature
from ._common import holds, log_of, nan_unless, on_support, positive, standardize

__all__ = ["logpdf", "pdf", "cdf", "sf", "logsf", "ppf"]


def _y(x, loc, scale):
    y = standardize(x, loc, scale)
    return y, holds(lambda v: np.asarray(v) >= 0, y)


@scipy_signature("scipy.stats.expon.logpdf")
def logpdf(x, loc=0, scale=1):
    y, inside = _y(x, loc, scale)
    return nan_unless(on_support(inside, y, 0.0, lambda v: -v, -np.inf) - log_of(scale), positive(scale))


@scipy_signature("scipy.stats.expon.pdf")
def pdf(x, loc=0, scale=1):
    return np.exp(logpdf(x, loc, scale))


@scipy_signature("scipy.stats.expon.cdf")
def cdf(x, loc=0, scale=1):
    y, inside = _y(x, loc, scale)
    return nan_unless(on_support(inside, y, 0.0, lambda v: -np.expm1(-v), 0.0), positive(scale))


@scipy_signature("scipy.stats.expon.sf")
def sf(x, loc=0, scale=1):
    y, inside = _y(x, loc, scale)
    return nan_unless(on_support(inside, y, 0.0, lambda v: np.exp(-v), 1.0), positive(scale))


@scipy_signature("scipy.stats.expon.logsf")
def logsf(x, loc=0, scale=1):
    y, inside = _y(x, loc, scale)
    return nan_unless(on_support(inside, y, 0.0, lambda v: -v, 0.0), positive(scale))


@scipy_signature("scipy.stats.expon.ppf")
def ppf(q, loc=0, scale=1):
    return nan_unless(loc - scale * np.log1p(-q), positive(scale))
