"""Reductions: sum, prod, max, min over axes (``axis`` a tuple of non-negative ints).

The reverse rule of a reduction spreads the cotangent back over the reduced axes:
``sum`` broadcasts it; ``max``/``min`` send it to the entries that attain the
extremum, split equally among ties (JAX's convention); ``prod`` multiplies it by the
product of the other entries, computed without dividing when an entry is zero.
"""

from __future__ import annotations

import numpy as np

from ..core import Primitive, concrete, shape_of
from .shape import broadcast_to, reshape, shift_axes, transpose

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


def _kept_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def expand_reduced(g, nb, x_shape, axis, keepdims):
    """A cotangent of a reduction, broadcast back to ``B + x_shape``."""
    batch = tuple(g.shape[:nb])
    if not keepdims:
        g = reshape(g, shape=batch + _kept_shape(x_shape, axis))
    return broadcast_to(g, shape=batch + tuple(x_shape))


def _reduction_flops(out, args, params):
    return int(np.size(args[0]))


# ---------------------------------------------------------------- sum


def _sum_impl(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


sum_ = Primitive("sum", _sum_impl, flops=_reduction_flops, saves="none")
sum_.defjvp(lambda t, nb, out, x, axis, keepdims: sum_(t, axis=shift_axes(axis, nb), keepdims=keepdims))
sum_.defvjp(lambda g, nb, out, x, axis, keepdims: expand_reduced(g, nb, x.shape, axis, keepdims))


# ---------------------------------------------------------------- max / min


def _chooser_weights(x, out, axis, keepdims):
    """Where the extremum is attained, each of k ties weighted 1/k (a constant)."""
    xv = concrete(x)
    ov = concrete(out)
    if not keepdims:
        ov = np.reshape(ov, _kept_shape(shape_of(xv), axis))
    hits = (xv == ov).astype(np.result_type(xv))
    return hits / np.sum(hits, axis=axis, keepdims=True)


def _chooser(name, numpy_reduce):
    prim = Primitive(name, lambda x, axis, keepdims: numpy_reduce(x, axis=axis, keepdims=keepdims),
                     flops=_reduction_flops, saves="both")

    def jvp(t, nb, out, x, axis, keepdims):
        from .elementwise import mul

        weights = _chooser_weights(x, out, axis, keepdims)
        return sum_(mul(t, weights), axis=shift_axes(axis, nb), keepdims=keepdims)

    def vjp(g, nb, out, x, axis, keepdims):
        from .elementwise import mul

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
    from .elementwise import select

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


def _prod_partials(x, out, axis, keepdims):
    from .elementwise import div

    if np.any(concrete(x) == 0):
        return _others_product(x, axis)
    kept_out = out if keepdims else reshape(out, shape=_kept_shape(shape_of(x), axis))
    return div(kept_out, x)


def _prod_jvp(t, nb, out, x, axis, keepdims):
    from .elementwise import mul

    return sum_(mul(t, _prod_partials(x, out, axis, keepdims)), axis=shift_axes(axis, nb), keepdims=keepdims)


def _prod_vjp(g, nb, out, x, axis, keepdims):
    from .elementwise import mul

    return mul(expand_reduced(g, nb, shape_of(x), axis, keepdims), _prod_partials(x, out, axis, keepdims))


prod = Primitive("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
                 flops=_reduction_flops, saves="both")
prod.defjvp(_prod_jvp)
prod.defvjp(_prod_vjp)
