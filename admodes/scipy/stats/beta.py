"""``scipy.stats.beta`` as functions: density y**(a-1) (1-y)**(b-1) / B(a, b) on [0, 1]."""

import numpy as np
from scipy.special import betaln, xlog1py, xlogy

from .._args import scipy_signature
from ._common import holds, log_of, nan_unless, on_support, positive, standardize

__all__ = ["logpdf", "pdf"]


@scipy_signature("scipy.stats.beta.logpdf")
def logpdf(x, a, b, loc=0, scale=1):
    y = standardize(x, loc, scale)
    inside = holds(lambda v: (np.asarray(v) >= 0) & (np.asarray(v) <= 1), y)
    out = on_support(inside, y, 0.5, lambda v: xlogy(a - 1, v) + xlog1py(b - 1, -v) - betaln(a, b), -np.inf)
    return nan_unless(out - log_of(scale), positive(a), positive(b), positive(scale))


@scipy_signature("scipy.stats.beta.pdf")
def pdf(x, a, b, loc=0, scale=1):
    return np.exp(logpdf(x, a, b, loc, scale))
