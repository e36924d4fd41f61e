"""Contractions: matrix products.

``matmul`` here takes operands of at least two axes (NumPy's stacked matrices); the
NumPy-facing ``np.matmul``/``np.dot``/``@`` handlers lift vectors to matrices and drop
the extra axis afterwards, so the rules need only one case:

    d(X @ Y) = dX @ Y + X @ dY          X_bar = G @ Y^T,   Y_bar = X^T @ G

with the cotangents summed over broadcast stack axes.
"""

from __future__ import annotations

from ..core import Primitive, shape_of
from .shape import align, transpose, unbroadcast

__all__ = ["matmul", "matrix_transpose"]


def matrix_transpose(x):
    """Swap the last two axes."""
    ndim = len(shape_of(x))
    axes = tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)
    return transpose(x, axes=axes)


def _matmul_impl(x, y):
    return x @ y


def _matmul_flops(out, args, params):
    x = args[0]
    return 2 * int(getattr(out, "size", 1)) * shape_of(x)[-1]


matmul = Primitive("matmul", _matmul_impl, flops=_matmul_flops, saves="args")
matmul.defjvp(
    lambda t, nb, out, x, y: matmul(align(t, nb, len(shape_of(out))), y),
    lambda t, nb, out, x, y: matmul(x, align(t, nb, len(shape_of(out)))),
)
matmul.defvjp(
    lambda g, nb, out, x, y: unbroadcast(matmul(g, matrix_transpose(y)), nb, shape_of(x)),
    lambda g, nb, out, x, y: unbroadcast(matmul(matrix_transpose(x), g), nb, shape_of(y)),
)
