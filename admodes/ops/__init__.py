"""The op families. Each module defines its primitives with their JVP and VJP rules side by side:

- ``elementwise``: ufuncs (+ - * / **, exp, log, sin, tanh, maximum, where, log1p, arctan2,
  hypot, logaddexp ...)
- ``reductions``: sum, prod, max, min over axes; the scans cumsum and cumprod
- ``shape``: reshape, transpose, broadcast_to, astype, and the batch helpers
- ``indexing``: x[index] and its adjoint scatter-add
- ``contractions``: matmul, einsum
- ``linalg``: solve, inv, det, log|det|, cholesky, eigh, qr, svd
- ``special``: scipy.special's ufuncs (gammaln, digamma, erf, xlogy, i0, jv ...); imported by
  ``admodes.numpy_api`` only when SciPy is installed, so not from here

Adding an op is one declaration in the module of its family: the primitive, the NumPy
function it implements and its rules (``elementwise.unary(np.cbrt, lambda out, x: ...)``;
``Primitive(..., numpy=...)`` with ``defjvp``/``defvjp`` for the others), and one row in the
family's spec table (tests/ops/test_<family>.py). A NumPy function that is a composite of
primitives is one ``@implements(np.f)`` handler in ``admodes.numpy_layer``'s family module.
"""

from . import contractions, elementwise, indexing, linalg, reductions, shape  # noqa: F401
