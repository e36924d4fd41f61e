"""The op families. Each module defines its primitives with their JVP and VJP rules side by side:

- ``elementwise``: ufuncs (+ - * / **, exp, log, sin, tanh, maximum, where ...)
- ``reductions``: sum, prod, max, min over axes
- ``shape``: reshape, transpose, broadcast_to, concatenate, astype, and the batch helpers
- ``indexing``: x[index] and its adjoint scatter-add
- ``contractions``: matmul

Adding an op is one ``Primitive(...)`` with its rules in the module of its family, plus
one line in ``admodes.numpy_api`` that routes the NumPy function to it.
"""

from . import contractions, elementwise, indexing, reductions, shape  # noqa: F401
