"""``scipy.stats.poisson`` as functions of the rate ``mu`` (k a count; non-integer k has mass 0)."""

import numpy as np
from scipy.special import gammainc, gammaincc, gammaln, xlogy

from .._args import scipy_signature
from ._common import holds, nan_unless, on_support

__all__ = ["logpmf", "pmf", "cdf", "sf"]


def _valid(mu):
    return holds(lambda v: np.asarray(v) >= 0, mu)


@scipy_signature("scipy.stats.poisson.logpmf")
def logpmf(k, mu, loc=0):
    k = k - loc
    inside = holds(lambda v: (np.asarray(v) >= 0) & (np.floor(v) == v), k)
    out = on_support(inside, k, 0.0, lambda v: xlogy(v, mu) - gammaln(v + 1) - mu, -np.inf)
    return nan_unless(out, _valid(mu))


@scipy_signature("scipy.stats.poisson.pmf")
def pmf(k, mu, loc=0):
    return np.exp(logpmf(k, mu, loc))


@scipy_signature("scipy.stats.poisson.cdf")
def cdf(k, mu, loc=0):
    """P(K <= k) = gammaincc(floor(k) + 1, mu); differentiable in mu (k is a count)."""
    n = holds(lambda v: np.floor(v) + 1, k - loc)
    out = on_support(n >= 1, n, 1.0, lambda v: gammaincc(v, mu), 0.0)
    return nan_unless(out, _valid(mu))


@scipy_signature("scipy.stats.poisson.sf")
def sf(k, mu, loc=0):
    n = holds(lambda v: np.floor(v) + 1, k - loc)
    out = on_support(n >= 1, n, 1.0, lambda v: gammainc(v, mu), 1.0)
    return nan_unless(out, _valid(mu))
