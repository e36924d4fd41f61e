"""``scipy.stats.cauchy`` as functions: density 1 / (pi scale (1 + y**2))."""

import math

import numpy as np

from .._args import scipy_signature
from ._common import LOG_PI, log_of, nan_unless, positive, standardize

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf"]


@scipy_signature("scipy.stats.cauchy.logpdf")
def logpdf(x, loc=0, scale=1):
    y = standardize(x, loc, scale)
    return nan_unless(-LOG_PI - log_of(scale) - np.log1p(y * y), positive(scale))


@scipy_signature("scipy.stats.cauchy.pdf")
def pdf(x, loc=0, scale=1):
    return np.exp(logpdf(x, loc, scale))


@scipy_signature("scipy.stats.cauchy.cdf")
def cdf(x, loc=0, scale=1):
    return nan_unless(0.5 + np.arctan(standardize(x, loc, scale)) / math.pi, positive(scale))


@scipy_signature("scipy.stats.cauchy.sf")
def sf(x, loc=0, scale=1):
    return nan_unless(0.5 - np.arctan(standardize(x, loc, scale)) / math.pi, positive(scale))


@scipy_signature("scipy.stats.cauchy.ppf")
def ppf(q, loc=0, scale=1):
    return nan_unless(loc + scale * np.tan(math.pi * (q - 0.5)), positive(scale))
