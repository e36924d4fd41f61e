"""The NumPy layer: user code keeps ``import numpy as np``.

A traced value implements NumPy's protocols (``__array_ufunc__``, NEP 13; ``__array_function__``,
NEP 18): ``np.sin(x)``, ``np.sum(x, axis=0)``, ``x @ W`` on a traced ``x`` arrive here and are
routed to primitives, or to *composites* written with primitives (``np.mean`` is a sum and a
division). The modules, bottom up:

- ``dispatch``: the tables (ufunc and function handlers, zero-derivative functions) and the
  checks every handler shares (refused keywords, refused operands, ``frozen`` values);
- the handler families: ``elementwise``, ``shapes``, ``reductions``, ``indexing``,
  ``contractions``, ``linalg``, ``statistics`` (median, percentile), ``padding`` (np.pad) and
  ``signal`` (convolve, interp, gradient, trapezoid, linspace ...), each importing ``dispatch``
  and the families below it;
- ``protocol``: the hooks, Python's operators and ndarray's methods, installed on ``Tracer``.

Adding a ufunc that is one primitive needs nothing here (its declaration in ``admodes.ops``
names the NumPy function); a composite is one ``@implements(np.f)`` handler in its family.
"""

import importlib.util

from ..core import Tracer
from . import dispatch, linalg, padding, protocol, signal, statistics  # noqa: F401  (they register their handlers)
from .dispatch import FUNCTION_HANDLERS, SPECIAL_NAMES, UFUNC_HANDLERS, ZERO_DERIVATIVE, implements, supported_functions

__all__ = ["FUNCTION_HANDLERS", "UFUNC_HANDLERS", "ZERO_DERIVATIVE", "SPECIAL_NAMES", "implements", "supported_functions"]

dispatch.bind_primitives()
protocol.install(Tracer)

# scipy.special's ufuncs (gammaln, erf, xlogy, i0 ...), when SciPy is installed (it is optional)
if importlib.util.find_spec("scipy") is not None:
    from ..ops import special as _special

    UFUNC_HANDLERS.update(_special.ufunc_handlers())
    SPECIAL_NAMES.update(_special.public_names())
