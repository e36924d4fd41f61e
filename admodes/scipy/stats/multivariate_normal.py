"""``scipy.stats.multivariate_normal`` as functions, through a Cholesky factor of ``cov``.

``x``, ``mean`` and ``cov`` are read as SciPy reads them (a scalar or 1-d ``cov`` is
``cov * I`` or ``diag(cov)``; the points run along all axes of ``x`` but the last; the
result is squeezed). ``cov`` is used as ``(cov + cov.T) / 2``, which is ``cov`` for a
symmetric matrix, so the derivative in ``cov`` is the symmetric one (as in JAX), not the one
of the lower triangle that ``np.linalg.cholesky`` reads. ``allow_singular=True`` is refused.
"""

import numpy as np

from .._args import refuse, scipy_signature
from ._common import LOG_2PI

__all__ = ["logpdf", "pdf", "entropy"]


def _parameters(mean, cov):
    if not hasattr(cov, "shape") and not isinstance(cov, (int, float, list, tuple)):
        raise refuse("scipy.stats.multivariate_normal", f"cov of type {type(cov).__name__}",
                     "pass the covariance matrix as an array")
    if mean is None:
        dim = 1 if np.ndim(cov) == 0 else np.shape(cov)[0]
        mean = np.zeros(dim)
    else:
        dim = int(np.size(mean))
        mean = np.reshape(mean, (dim,)) if np.ndim(mean) else np.broadcast_to(mean, (dim,))
    if np.ndim(cov) == 0:
        cov = cov * np.eye(dim)
    elif np.ndim(cov) == 1:
        cov = np.diag(cov)
    if np.shape(cov) != (dim, dim):
        raise ValueError(f"Array 'cov' must be of shape ({dim}, {dim}) for a mean of {dim} entries, "
                         f"got {np.shape(cov)}.")
    return dim, mean, 0.5 * (cov + np.swapaxes(cov, -1, -2))


def _points(x, dim):
    if np.ndim(x) == 0:
        x = np.reshape(x, (1,))
    if np.ndim(x) == 1:
        x = np.reshape(x, (-1, 1) if dim == 1 else (1, dim))
    return x


def _squeeze(out):
    return np.reshape(out, tuple(n for n in np.shape(out) if n != 1))


def _refuse_singular(allow_singular, name):
    if allow_singular:
        raise refuse(f"scipy.stats.multivariate_normal.{name}", "allow_singular=True",
                     "admodes factors cov with a Cholesky decomposition, which needs a positive "
                     "definite cov (call SciPy itself on plain arrays for a singular one)")


def _cholesky(cov):
    chol = np.linalg.cholesky(cov)
    return chol, 2.0 * np.sum(np.log(np.diagonal(chol)))


@scipy_signature("scipy.stats.multivariate_normal.logpdf")
def logpdf(x, mean=None, cov=1, allow_singular=False):
    _refuse_singular(allow_singular, "logpdf")
    dim, mean, cov = _parameters(mean, cov)
    x = _points(x, dim)
    chol, logdet = _cholesky(cov)
    diff = x - mean
    flat = np.reshape(diff, (-1, dim))
    z = np.linalg.solve(chol, np.transpose(flat))  # L z = (x - mean): z's squares sum to the Mahalanobis distance
    maha = np.reshape(np.sum(z * z, axis=0), np.shape(diff)[:-1])
    return _squeeze(-0.5 * (dim * LOG_2PI + logdet + maha))


@scipy_signature("scipy.stats.multivariate_normal.pdf")
def pdf(x, mean=None, cov=1, allow_singular=False):
    return np.exp(logpdf(x, mean, cov, allow_singular))


@scipy_signature("scipy.stats.multivariate_normal.entropy")
def entropy(mean=None, cov=1, allow_singular=False):
    _refuse_singular(allow_singular, "entropy")
    dim, mean, cov = _parameters(mean, cov)
    _, logdet = _cholesky(cov)
    return 0.5 * (dim * (1.0 + LOG_2PI) + logdet)
