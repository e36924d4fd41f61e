"""``scipy.stats`` for admodes: each distribution is a module of functions with SciPy's
signatures (``stats.norm.logpdf(x, loc=0, scale=1)``, as in ``jax.scipy.stats``), written
with NumPy calls and scipy.special ufuncs that admodes differentiates in every argument
(except where a ufunc's rule is missing: gammainc's ``a`` in gamma.cdf, chi2.cdf).

>>> import numpy as np
>>> import admodes as ad
>>> from admodes.scipy import stats
>>> float(stats.norm.logpdf(1.0, 0.0, 2.0))  # -1/8 - log 2 - log(2 pi)/2
-1.737085713764618
>>> float(ad.grad(stats.norm.logpdf, argnums=2)(1.0, 0.0, 2.0))  # (z**2 - 1) / scale
-0.375
"""

from . import beta, cauchy, chi2, dirichlet, expon, gamma, laplace, logistic, multivariate_normal, norm, poisson, t

__all__ = ["beta", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace", "logistic",
           "multivariate_normal", "norm", "poisson", "t"]
