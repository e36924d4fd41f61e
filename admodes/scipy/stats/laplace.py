"""``scipy.stats.laplace`` as functions: density e**-|y| / (2 scale)."""

import numpy as np

from .._args import scipy_signature
from ._common import LOG_2, holds, log_of, nan_unless, positive, standardize

__all__ = ["logpdf", "pdf", "cdf", "sf"]


@scipy_signature("scipy.stats.laplace.logpdf")
def logpdf(x, loc=0, scale=1):
    y = standardize(x, loc, scale)
    return nan_unless(-np.abs(y) - LOG_2 - log_of(scale), positive(scale))


@scipy_signature("scipy.stats.laplace.pdf")
def pdf(x, loc=0, scale=1):
    return np.exp(logpdf(x, loc, scale))


def _tail(y):
    """(half the mass beyond |y|, y > 0): both branches finite for any y."""
    return 0.5 * np.exp(-np.abs(y)), holds(lambda v: np.asarray(v) > 0, y)


@scipy_signature("scipy.stats.laplace.cdf")
def cdf(x, loc=0, scale=1):
    tail, right = _tail(standardize(x, loc, scale))
    return nan_unless(np.where(right, 1.0 - tail, tail), positive(scale))


@scipy_signature("scipy.stats.laplace.sf")
def sf(x, loc=0, scale=1):
    tail, right = _tail(standardize(x, loc, scale))
    return nan_unless(np.where(right, tail, 1.0 - tail), positive(scale))
