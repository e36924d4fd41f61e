"""The op families. Each module defines its primitives with their JVP and VJP rules side by side:

- ``elementwise``: ufuncs (+ - * / **, exp, log, sin, tanh, maximum, where, log1p, arctan2,
  hypot, logaddexp ...)
- ``reductions``: sum, prod, max, min over axes; the scans cumsum and cumprod
- ``shape``: reshape, transpose, broadcast_to, concatenate, astype, and the batch helpers
- ``indexing``: x[index] and its adjoint scatter-add
- ``contractions``: matmul, einsum
- ``linalg``: solve, inv, det, log|det|, cholesky, eigh, qr, svd

Adding an op is one ``Primitive(...)`` with its rules in the module of its family, plus
one line in ``admodes.numpy_api`` (or ``numpy_extra``/``numpy_linalg``) that routes the
NumPy function to it.
"""

from . import contractions, elementwise, indexing, linalg, reductions, shape  # noqa: F401
