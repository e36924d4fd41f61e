"""``scipy.stats.t`` as functions: Student's t with ``df`` degrees of freedom (df finite)."""

import numpy as np
from scipy.special import gammaln

from .._args import scipy_signature
from ._common import LOG_PI, log_of, nan_unless, positive, standardize

__all__ = ["logpdf", "pdf"]


@scipy_signature("scipy.stats.t.logpdf")
def logpdf(x, df, loc=0, scale=1):
    z = standardize(x, loc, scale)
    half = 0.5 * (df + 1)
    out = (gammaln(half) - gammaln(0.5 * df) - 0.5 * (log_of(df) + LOG_PI) - log_of(scale)
           - half * np.log1p(z * z / df))
    return nan_unless(out, positive(df), positive(scale))


@scipy_signature("scipy.stats.t.pdf")
def pdf(x, df, loc=0, scale=1):
    return np.exp(logpdf(x, df, loc, scale))
