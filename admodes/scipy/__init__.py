"""SciPy's Python-level functions rewritten with NumPy calls that admodes differentiates.

``scipy.special``'s ufuncs (gammaln, erf, xlogy ...) reach a traced value through NumPy's
``__array_ufunc__`` and have rules in ``admodes.ops.special``. SciPy's Python functions
(``scipy.special.logsumexp``, the ``scipy.stats`` distributions) first convert their input
with ``np.asarray``, which a traced value refuses. This package gives them again, with
SciPy's signatures, as plain NumPy code: they take plain arrays (and return SciPy's values)
and traced values alike, in every mode and to any order::

    from admodes.scipy import special, stats
    stats.norm.logpdf(x, loc, scale)
    special.logsumexp(a, axis=0, b=w)

Like ``jax.scipy.stats``, a distribution is a module of functions
(``stats.norm.logpdf(x, loc=0, scale=1)``), not a frozen object. SciPy is needed (the
ufuncs are SciPy's); ``import admodes`` does not import this package. docs/scipy.md lists
which SciPy function takes which route.
"""

import importlib

__all__ = ["special", "stats"]


def __getattr__(name):
    # ``import admodes.scipy`` alone stays cheap; ``admodes.scipy.stats`` loads on first use
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
