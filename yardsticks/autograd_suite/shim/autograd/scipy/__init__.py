"""autograd.scipy: SciPy's own modules (admodes has rules for none of them beyond NumPy ufunc dispatch)."""

import sys as _sys

import scipy.integrate
import scipy.linalg
import scipy.special
import scipy.stats

_sys.modules[__name__ + ".special"] = scipy.special
_sys.modules[__name__ + ".linalg"] = scipy.linalg
_sys.modules[__name__ + ".integrate"] = scipy.integrate
_sys.modules[__name__ + ".stats"] = scipy.stats
for _name in ("norm", "t", "gamma", "beta", "chi2", "poisson", "dirichlet", "multivariate_normal"):
    _sys.modules[f"{__name__}.stats.{_name}"] = getattr(scipy.stats, _name)

special = scipy.special
linalg = scipy.linalg
integrate = scipy.integrate
stats = scipy.stats

from . import signal  # noqa: E402,F401
