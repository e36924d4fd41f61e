"""``scipy.stats.logistic`` as functions: cdf expit(y), log density -|y| - 2 log(1 + e**-|y|)."""

import numpy as np
from scipy.special import expit, log_expit, logit

from .._args import scipy_signature
from ._common import log_of, nan_unless, positive, standardize

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


@scipy_signature("scipy.stats.logistic.logpdf")
def logpdf(x, loc=0, scale=1):
    a = np.abs(standardize(x, loc, scale))  # the density is even: |y| keeps exp from overflowing
    return nan_unless(-a - 2.0 * np.log1p(np.exp(-a)) - log_of(scale), positive(scale))


@scipy_signature("scipy.stats.logistic.pdf")
def pdf(x, loc=0, scale=1):
    return np.exp(logpdf(x, loc, scale))


@scipy_signature("scipy.stats.logistic.cdf")
def cdf(x, loc=0, scale=1):
    return nan_unless(expit(standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.logistic.logcdf")
def logcdf(x, loc=0, scale=1):
    return nan_unless(log_expit(standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.logistic.sf")
def sf(x, loc=0, scale=1):
    return nan_unless(expit(-standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.logistic.logsf")
def logsf(x, loc=0, scale=1):
    return nan_unless(log_expit(-standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.logistic.ppf")
def ppf(q, loc=0, scale=1):
    return nan_unless(loc + scale * logit(q), positive(scale))
