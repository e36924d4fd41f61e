"""``scipy.stats.norm`` as functions: the normal distribution N(loc, scale**2)."""

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

from .._args import scipy_signature
from ._common import HALF_LOG_2PI, log_of, nan_unless, positive, standardize

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


@scipy_signature("scipy.stats.norm.logpdf")
def logpdf(x, loc=0, scale=1):
    z = standardize(x, loc, scale)
    return nan_unless(-0.5 * (z * z) - HALF_LOG_2PI - log_of(scale), positive(scale))


@scipy_signature("scipy.stats.norm.pdf")
def pdf(x, loc=0, scale=1):
    return np.exp(logpdf(x, loc, scale))


@scipy_signature("scipy.stats.norm.cdf")
def cdf(x, loc=0, scale=1):
    return nan_unless(ndtr(standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.norm.logcdf")
def logcdf(x, loc=0, scale=1):
    return nan_unless(log_ndtr(standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.norm.sf")
def sf(x, loc=0, scale=1):
    return nan_unless(ndtr(-standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.norm.logsf")
def logsf(x, loc=0, scale=1):
    return nan_unless(log_ndtr(-standardize(x, loc, scale)), positive(scale))


@scipy_signature("scipy.stats.norm.ppf")
def ppf(q, loc=0, scale=1):
    return nan_unless(loc + scale * ndtri(q), positive(scale))


@scipy_signature("scipy.stats.norm.isf")
def isf(q, loc=0, scale=1):
    return nan_unless(loc - scale * ndtri(q), positive(scale))
