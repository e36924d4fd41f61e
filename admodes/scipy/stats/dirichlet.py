"""``scipy.stats.dirichlet`` as functions. As in SciPy, the components of ``x`` run along its
*first* axis (K of them, or K - 1 with the last one 1 - sum), ``alpha`` is a vector of K."""

import numpy as np
from scipy.special import gammaln, xlogy

from .._args import scipy_signature
from ._common import holds

__all__ = ["logpdf", "pdf"]


def _check(x, alpha):
    if np.ndim(alpha) != 1:
        raise ValueError("Parameter vector 'a' must be one dimensional, but a.shape = %s." % (np.shape(alpha),))
    k = np.shape(alpha)[0]
    if np.ndim(x) == 0 or np.shape(x)[0] not in (k, k - 1):
        raise ValueError(
            "Vector 'x' must have either the same number of entries as, or one entry fewer than, "
            f"parameter vector 'a', but alpha.shape = {np.shape(alpha)} and x.shape = {np.shape(x)}.")
    if np.shape(x)[0] == k - 1:
        x = np.concatenate([x, 1 - np.sum(x, axis=0, keepdims=True)], axis=0)
    if not np.all(holds(lambda v: (v >= 0) & (v <= 1), x)):
        raise ValueError("Each entry in 'x' must be greater than or equal to zero and less than or equal to one.")
    if not np.all(holds(lambda v: np.abs(np.sum(v, axis=0) - 1.0) <= 10e-10, x)):
        raise ValueError("The input vector 'x' must lie within the normal simplex. "
                         "but np.sum(x, 0) - 1.0 is not 0.")
    return x, k


@scipy_signature("scipy.stats.dirichlet.logpdf")
def logpdf(x, alpha):
    x, k = _check(x, alpha)
    a = np.reshape(alpha, (k,) + (1,) * (np.ndim(x) - 1))
    log_b = np.sum(gammaln(alpha)) - gammaln(np.sum(alpha))
    return np.sum(xlogy(a - 1, x), axis=0) - log_b


@scipy_signature("scipy.stats.dirichlet.pdf")
def pdf(x, alpha):
    return np.exp(logpdf(x, alpha))
