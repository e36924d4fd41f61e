"""``np.linalg`` on traced values: routing to the primitives of ``admodes.ops.linalg``.

The decompositions that NumPy returns as several arrays (``eigh``, ``qr``, ``svd``) are
one *packed* primitive each (see ``admodes.ops.linalg``); the handlers below unpack the
packed value and return NumPy's own result types (``EighResult``, ``QRResult``,
``SVDResult``, ``SlogdetResult``). The sign of ``slogdet`` has zero derivative and is
computed on plain values.

Differentiable cases follow JAX: ``qr`` for ``m >= n`` (reduced, or complete when square),
``svd`` with ``full_matrices=False`` (or square input); the others raise a clear error
instead of returning a derivative that is not defined. ``np.linalg.norm`` (vector and
matrix, ord None/1/-1/2/-2/inf/-inf/'fro'/'nuc'/p) is a composite of sums, abs, max/min
and ``svdvals``.
"""

from __future__ import annotations

import numpy as np
from numpy.linalg import _linalg as _numpy_linalg

from ..core import AdmodesError, Tracer, concrete, shape_of
from .contractions import matmul
from .dispatch import refuse_keywords, frozen, implements
from .shapes import reshaped
from ..ops import elementwise as e
from ..ops import linalg, reductions
from ..ops import shape as shape_ops

__all__ = []  # everything here is reached through np.linalg's own functions

_EighResult = _numpy_linalg.EighResult
_QRResult = _numpy_linalg.QRResult
_SVDResult = _numpy_linalg.SVDResult
_SlogdetResult = _numpy_linalg.SlogdetResult


def as_operand(a):
    return a if isinstance(a, Tracer) else np.asarray(a)


def _square(a, name):
    shape = shape_of(a)
    if len(shape) < 2:
        raise np.linalg.LinAlgError(
            f"{len(shape)}-dimensional array given. Array must be at least two-dimensional"
        )
    if shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")


def _matrix(a):
    shape = shape_of(a)
    if len(shape) < 2:
        raise np.linalg.LinAlgError(
            f"{len(shape)}-dimensional array given. Array must be at least two-dimensional"
        )
    return shape[-2], shape[-1]


@implements(np.linalg.solve)
def solve(a, b):
    a, b = as_operand(a), as_operand(b)
    _square(a, "solve")
    if len(shape_of(b)) == 1:  # NumPy 2: a 1-D b is one vector, broadcast against the stack of a
        out = linalg.solve(a, reshaped(b, shape_of(b) + (1,)))
        return reshaped(out, shape_of(out)[:-1])
    return linalg.solve(a, b)


@implements(np.linalg.inv)
def inv(a):
    _square(a, "inv")
    return linalg.inv(a)


@implements(np.linalg.det)
def det(a):
    _square(a, "det")
    return linalg.det(a)


def _slogdet_sign(a):
    return np.linalg.slogdet(a).sign


def _count_nonzero(x, axis, keepdims):
    return np.sum(x != 0, axis=axis, keepdims=keepdims).astype(np.result_type(x))


@implements(np.linalg.slogdet)
def slogdet(a):
    _square(a, "slogdet")
    sign = frozen(_slogdet_sign, a)  # a constant: re-checked by ad.record's branch check
    return _SlogdetResult(sign, linalg.logabsdet(a))


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    _square(a, "cholesky")
    return linalg.cholesky(a, upper=bool(upper))  # NumPy reads the upper triangle for upper=True


@implements(np.linalg.eigh)
def eigh(a, UPLO="L"):
    _square(a, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    w, v = linalg.unpack_eigh(linalg.eigh_packed(a, UPLO=UPLO))
    return _EighResult(w, v)


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    _square(a, "eigvalsh")
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return linalg.eigvalsh(a, UPLO=UPLO)


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    m, n = _matrix(a)
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    if mode == "raw":
        raise AdmodesError("np.linalg.qr(mode='raw') (Householder reflectors) is not differentiable in admodes.")
    if m < n or (mode == "complete" and m != n):
        raise AdmodesError(
            f"np.linalg.qr of a {m}x{n} matrix with mode={mode!r} is not differentiable in admodes "
            "(as in JAX, the QR derivative is defined for m >= n in reduced mode). Use mode='reduced' "
            "on a matrix with at least as many rows as columns, or factor the transpose."
        )
    q, r = linalg.unpack_qr(linalg.qr_packed(a), m)
    return r if mode == "r" else _QRResult(q, r)


@implements(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    m, n = _matrix(a)
    if not compute_uv:
        return linalg.svdvals(a)
    if hermitian:
        raise AdmodesError(
            "np.linalg.svd(hermitian=True) is not supported on traced values (its signs differ "
            "from the general SVD); use np.linalg.eigh, or hermitian=False."
        )
    if full_matrices and m != n:
        raise AdmodesError(
            f"np.linalg.svd of a {m}x{n} matrix with full_matrices=True is not differentiable: "
            "the extra columns of U or V are not unique (JAX raises too). Pass full_matrices=False."
        )
    u, s, vt = linalg.unpack_svd(linalg.svd_packed(a), m, n)
    return _SVDResult(u, s, vt)


if hasattr(np.linalg, "svdvals"):

    @implements(np.linalg.svdvals)
    def svdvals(x, /):
        _matrix(x)
        return linalg.svdvals(x)


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    refuse_keywords("linalg.multi_dot", {"out": out})
    arrays = [as_operand(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    result = arrays[0]
    for a in arrays[1:]:
        result = matmul(result, a)
    return result


@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    _square(a, "matrix_power")
    n = int(n)
    if n == 0:
        size = shape_of(a)[-1]
        return np.broadcast_to(np.eye(size, dtype=np.result_type(concrete(a))), shape_of(a)).copy()
    if n < 0:
        a, n = linalg.inv(a), -n
    result, power = None, a
    while n:  # repeated squaring, as NumPy
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if n:
            power = matmul(power, power)
    return result


# ----------------------------------------------------------------- norms


def _sum(x, axis, keepdims):
    return reductions.sum_(x, axis=tuple(sorted(axis)), keepdims=keepdims)


def _max_from_zero(x, axis, keepdims):
    """max(x) over ``axis`` with an initial 0, as JAX's norms: where every entry is 0 the
    maximum ties with the initial value, and the derivative is split (0.5)."""
    return e.maximum(reductions.max_(x, axis=axis, keepdims=keepdims), 0.0)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return e.sqrt(_sum(e.mul(x, x), axis, keepdims))
    if ord == np.inf:
        return _max_from_zero(e.absolute(x), axis, keepdims)
    if ord == -np.inf:
        return reductions.min_(e.absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries: zero derivative
        return frozen(_count_nonzero, x, axis=axis, keepdims=keepdims)
    if ord == 1:
        return _sum(e.absolute(x), axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    p = float(ord)
    return e.power(_sum(e.power(e.absolute(x), p), axis, keepdims), 1.0 / p)


def _matrix_norm(x, ord, axis, keepdims):
    row, col = axis
    ndim = len(shape_of(x))
    if ord is None or ord in ("fro", "f"):
        return e.sqrt(_sum(e.mul(x, x), axis, keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (row, col) if ord in (1, -1) else (col, row)  # sum over inner, extremum over outer
        sums = _sum(e.absolute(x), (inner,), True)
        if ord > 0:
            out = _max_from_zero(sums, (outer,), True)
        else:
            out = reductions.min_(sums, axis=(outer,), keepdims=True)
    elif ord in (2, -2, "nuc"):
        rest = [i for i in range(ndim) if i not in (row, col)]
        moved = shape_ops.transpose(x, axes=tuple(rest + [row, col])) if rest + [row, col] != list(range(ndim)) else x
        s = linalg.svdvals(moved)
        last = (len(rest),)
        if ord == "nuc":
            out = reductions.sum_(s, axis=last, keepdims=False)
        elif ord == 2:
            out = _max_from_zero(s, last, False)
        else:
            out = reductions.min_(s, axis=last, keepdims=False)
        kept = list(shape_of(x))
        kept[row] = kept[col] = 1
        out = reshaped(out, tuple(kept))
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        return out
    return reshaped(out, tuple(s for i, s in enumerate(shape_of(out)) if i not in (row, col)))


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    x = as_operand(x)
    ndim = len(shape_of(x))
    if axis is None:
        if ord is None or (ord in ("f", "fro") and ndim == 2) or (ord == 2 and ndim == 1):
            r = e.sqrt(reductions.sum_(e.mul(x, x), axis=tuple(range(ndim)), keepdims=False))
            return reshaped(r, (1,) * ndim) if keepdims else r
        if ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(ndim))
    elif np.ndim(axis) == 0:
        axis = (int(axis),)
    axis = tuple(int(a) % ndim for a in axis) if ndim else tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        if axis[0] == axis[1]:
            raise ValueError("Duplicate axes given.")
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


if hasattr(np.linalg, "vector_norm"):

    @implements(np.linalg.vector_norm)
    def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
        x = as_operand(x)
        ndim = len(shape_of(x))
        if axis is None:
            flat = reshaped(x, (-1,))
            r = _vector_norm(flat, ord, (0,), False)
            return reshaped(r, (1,) * ndim) if keepdims else r
        axes = reductions.normalize_axis(axis, ndim)
        return _vector_norm(x, ord, axes, keepdims)

    @implements(np.linalg.matrix_norm)
    def matrix_norm(x, /, *, keepdims=False, ord="fro"):
        x = as_operand(x)
        ndim = len(shape_of(x))
        _matrix(x)
        return _matrix_norm(x, ord, (ndim - 2, ndim - 1), keepdims)
