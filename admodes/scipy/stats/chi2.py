"""``scipy.stats.chi2`` as functions: the gamma distribution with a = df/2 and scale 2."""

from .._args import scipy_signature
from . import gamma as _gamma

__all__ = ["logpdf", "pdf", "cdf", "sf"]


@scipy_signature("scipy.stats.chi2.logpdf")
def logpdf(x, df, loc=0, scale=1):
    return _gamma.logpdf(x, 0.5 * df, loc, 2 * scale)


@scipy_signature("scipy.stats.chi2.pdf")
def pdf(x, df, loc=0, scale=1):
    return _gamma.pdf(x, 0.5 * df, loc, 2 * scale)


@scipy_signature("scipy.stats.chi2.cdf")
def cdf(x, df, loc=0, scale=1):
    return _gamma.cdf(x, 0.5 * df, loc, 2 * scale)


@scipy_signature("scipy.stats.chi2.sf")
def sf(x, df, loc=0, scale=1):
    return _gamma.sf(x, 0.5 * df, loc, 2 * scale)
