"""Reductions: sum, prod, max, min over axes (``axis`` a tuple of non-negative ints).

``sum`` itself is defined in ``shape`` (it is the adjoint of ``broadcast_to``, and every
rule that undoes a broadcast needs it) and is part of this family's API from here.

The reverse rule of a reduction spreads the cotangent back over the reduced axes:
``sum`` broadcasts it; ``max``/``min`` send it to the entries that attain the
extremum, split equally among ties (JAX's convention); ``prod`` multiplies it by the
product of the other entries, computed without dividing when an entry is zero.
"""

from __future__ import annotations

import numpy as np

from ..core import Primitive, decide, shape_of
from .elementwise import div, mul, select
from .shape import broadcast_to, expand_reduced, kept_shape, reduction_flops, reshape, shift_axes, sum_, transpose

__all__ = ["sum_", "prod", "max_", "min_", "normalize_axis", "expand_reduced"]


def normalize_axis(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int | np.integer):
        axis = (axis,)
    normalized = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(f"axis {a} is out of bounds for array of dimension {ndim}")
        normalized.append(a % ndim if ndim else 0)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"duplicate value in 'axis': {axis}")
    return tuple(sorted(normalized))


# ---------------------------------------------------------------- max / min


def _chooser_weights(x, out, axis, keepdims):
    """Where the extremum is attained, each of k ties weighted 1/k (a constant)."""

    def weights(xv, ov):
        if not keepdims:
            ov = np.reshape(ov, kept_shape(shape_of(xv), axis))
        hits = (xv == ov).astype(np.result_type(xv))
        return hits / np.sum(hits, axis=axis, keepdims=True)

    return decide(weights, x, out)


def _chooser(name, numpy_reduce):
    prim = Primitive(name, lambda x, axis, keepdims: numpy_reduce(x, axis=axis, keepdims=keepdims),
                     flops=reduction_flops, saves="both")

    def jvp(t, nb, out, x, axis, keepdims):

        weights = _chooser_weights(x, out, axis, keepdims)
        return sum_(mul(t, weights), axis=shift_axes(axis, nb), keepdims=keepdims)

    def vjp(g, nb, out, x, axis, keepdims):

        weights = _chooser_weights(x, out, axis, keepdims)
        return mul(expand_reduced(g, nb, shape_of(x), axis, keepdims), weights)

    prim.defjvp(jvp)
    prim.defvjp(vjp)
    return prim


max_ = _chooser("max", np.max)
min_ = _chooser("min", np.min)


# ---------------------------------------------------------------- prod


def _others_product(x, axis):
    """For each entry, the product of the other entries along ``axis`` (no division).

    Moves the reduced axes last and flattens them to length N, then takes the product
    of an N x N array whose diagonal is replaced by ones: O(N^2) work, used only when
    some entry is zero (otherwise ``prod / x`` is exact and cheaper).
    """

    shape = shape_of(x)
    ndim = len(shape)
    kept = tuple(i for i in range(ndim) if i not in axis)
    moved = transpose(x, axes=kept + axis)
    outer = tuple(shape[i] for i in kept)
    n = int(np.prod([shape[i] for i in axis], dtype=np.int64))
    flat = reshape(moved, shape=outer + (1, n))
    square = broadcast_to(flat, shape=outer + (n, n))
    others = prod(select(np.eye(n, dtype=bool), 1, square), axis=(len(outer) + 1,), keepdims=False)
    others = reshape(others, shape=outer + tuple(shape[i] for i in axis))
    inverse = tuple(np.argsort(kept + axis))
    return transpose(others, axes=inverse)


def _has_zero(v):
    return bool(np.any(v == 0))


def _prod_partials(x, out, axis, keepdims):

    if decide(_has_zero, x):
        return _others_product(x, axis)
    kept_out = out if keepdims else reshape(out, shape=kept_shape(shape_of(x), axis))
    return div(kept_out, x)


def _prod_jvp(t, nb, out, x, axis, keepdims):

    return sum_(mul(t, _prod_partials(x, out, axis, keepdims)), axis=shift_axes(axis, nb), keepdims=keepdims)


def _prod_vjp(g, nb, out, x, axis, keepdims):

    return mul(expand_reduced(g, nb, shape_of(x), axis, keepdims), _prod_partials(x, out, axis, keepdims))


prod = Primitive("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
                 flops=reduction_flops, saves="both")
prod.defjvp(_prod_jvp)
prod.defvjp(_prod_vjp)


# ---------------------------------------------------------------- cumsum / cumprod (scans)


def _to_last(x, axis):
    """Move ``axis`` to the end (a transpose); returns the value and the inverse permutation."""
    ndim = len(shape_of(x))
    order = tuple(i for i in range(ndim) if i != axis) + (axis,)
    if order == tuple(range(ndim)):
        return x, None
    return transpose(x, axes=order), tuple(int(i) for i in np.argsort(order))


def _from_last(x, inverse):
    return x if inverse is None else transpose(x, axes=inverse)


def _cumsum_impl(x, axis, reverse):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)
    return np.cumsum(x, axis=axis)


# A running sum is linear: its tangent is the running sum of the tangent, and its adjoint
# is the running sum taken from the other end (``reverse``).
cumsum = Primitive("cumsum", _cumsum_impl, flops=reduction_flops, saves="none")
cumsum.defjvp(lambda t, nb, out, x, axis, reverse: cumsum(t, axis=axis + nb, reverse=reverse))
cumsum.defvjp(lambda g, nb, out, x, axis, reverse: cumsum(g, axis=axis + nb, reverse=not reverse))


def _cumprod_partials(x, axis):
    """M[..., j, i] = d out_i / d x_j = prod of x_k over k <= i, k != j (0 for j > i).

    No division, so exact where entries are zero; O(n^2) work along ``axis`` (moved
    last), used only when some entry is zero.
    """

    moved, _ = _to_last(x, axis)
    shape = shape_of(moved)
    n = shape[-1]
    rows = broadcast_to(reshape(moved, shape=shape[:-1] + (1, n)), shape=shape[:-1] + (n, n))
    others = cumprod(select(np.eye(n, dtype=bool), 1, rows), axis=len(shape))
    return select(np.tri(n, dtype=bool).T, others, 0)  # keep j <= i


def _cumprod_jvp(t, nb, out, x, axis):

    if not decide(_has_zero, x):
        return mul(out, cumsum(div(t, x), axis=axis + nb, reverse=False))
    partials = _cumprod_partials(x, axis)
    moved, inverse = _to_last(t, axis + nb)
    shape = shape_of(moved)
    column = reshape(moved, shape=shape + (1,))
    return _from_last(sum_(mul(column, partials), axis=(len(shape) - 1,), keepdims=False), inverse)


def _cumprod_vjp(g, nb, out, x, axis):

    if not decide(_has_zero, x):
        return div(cumsum(mul(g, out), axis=axis + nb, reverse=True), x)
    partials = _cumprod_partials(x, axis)
    moved, inverse = _to_last(g, axis + nb)
    shape = shape_of(moved)
    row = reshape(moved, shape=shape[:-1] + (1, shape[-1]))
    return _from_last(sum_(mul(row, partials), axis=(len(shape),), keepdims=False), inverse)


cumprod = Primitive("cumprod", lambda x, axis: np.cumprod(x, axis=axis), flops=reduction_flops, saves="both")
cumprod.defjvp(_cumprod_jvp)
cumprod.defvjp(_cumprod_vjp)
