"""Shape primitives: reshape, transpose, broadcast_to, astype (concatenate, whose adjoint is
slicing, is in ``ops.indexing`` beside ``getitem``).

These are linear maps, so each rule applies the same kind of map to the tangent
(forward) or its adjoint map to the cotangent (reverse). They are also the tools the
other families use to keep a batch of directions in front (``align``, ``fit``,
``unbroadcast``).
"""

from __future__ import annotations

import numpy as np

from ..core import Primitive, ViewPrimitive, shape_of

__all__ = [
    "reshape",
    "transpose",
    "broadcast_to",
    "astype",
    "full_like",
    "align",
    "fit",
    "unbroadcast",
    "shift_axes",
    "batch_shape",
    "zeros_like_batched",
]


def _zero_flops(out, args, params):
    return 0


# ---------------------------------------------------------------- batch helpers


def batch_shape(value, nb):
    """The leading ``nb`` axes of a tangent or cotangent: the directions it carries."""
    return tuple(value.shape[:nb])


def shift_axes(axes, nb):
    """Axis numbers of a primal, as seen in a (co)tangent with ``nb`` batch axes in front."""
    return tuple(a + nb for a in axes)


def align(t, nb, ndim):
    """Insert size-1 axes after the batch axes so ``t`` broadcasts like a primal of ``ndim`` axes.

    NumPy aligns shapes from the right; a tangent of a primal with fewer axes than the
    result would otherwise line its batch axis up against a primal axis.
    """
    missing = ndim - (len(shape_of(t)) - nb)
    if nb == 0 or missing <= 0:
        return t
    shape = t.shape
    return reshape(t, shape=shape[:nb] + (1,) * missing + shape[nb:])


def fit(t, nb, out):
    """Broadcast a tangent contribution to the full ``B + out.shape``."""
    target = tuple(t.shape[:nb]) + shape_of(out)
    if tuple(t.shape) == target:
        return t
    return broadcast_to(align(t, nb, len(target) - nb), shape=target)


def unbroadcast(g, nb, shape):
    """Sum a cotangent of a broadcast result back to ``B + shape`` (the adjoint of broadcasting)."""
    gshape = g.shape
    if (gshape if nb == 0 else gshape[nb:]) == shape:
        return g
    gshape = tuple(gshape)
    shape = tuple(shape)
    target = gshape[:nb] + shape
    if gshape == target:
        return g
    lead = len(gshape) - nb - len(shape)
    axes = list(range(nb, nb + lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[nb + lead + i] != 1:
            axes.append(nb + lead + i)
    if axes:
        g = sum_(g, axis=tuple(axes), keepdims=True)
    return reshape(g, shape=target)


def zeros_like_batched(batch, value):
    """A zero (co)tangent with batch axes ``batch`` for a primal like ``value``."""
    dtype = getattr(value, "dtype", None) or np.result_type(value)
    return np.zeros(tuple(batch) + shape_of(value), dtype=dtype)


# ---------------------------------------------------------------- reshape


def _reshape_impl(x, shape):
    # an array's own method: np.reshape's dispatch layer would cost more than the reshape
    return x.reshape(shape) if type(x) is np.ndarray else np.reshape(x, shape)


reshape = ViewPrimitive("reshape", _reshape_impl, flops=_zero_flops, saves="none")
reshape.defjvp(lambda t, nb, out, x, shape: reshape(t, shape=t.shape[:nb] + tuple(shape)))
reshape.defvjp(lambda g, nb, out, x, shape: reshape(g, shape=g.shape[:nb] + tuple(x.shape)))


# ---------------------------------------------------------------- transpose


def _batched_axes(axes, nb):
    return tuple(range(nb)) + shift_axes(axes, nb)


def _transpose_impl(x, axes):
    return x.transpose(axes) if type(x) is np.ndarray else np.transpose(x, axes)  # as _reshape_impl


transpose = ViewPrimitive("transpose", _transpose_impl, flops=_zero_flops, saves="none")
transpose.defjvp(lambda t, nb, out, x, axes: transpose(t, axes=_batched_axes(axes, nb)))
transpose.defvjp(
    lambda g, nb, out, x, axes: transpose(g, axes=_batched_axes(tuple(np.argsort(axes)), nb))
)


# ---------------------------------------------------------------- broadcast_to


broadcast_to = ViewPrimitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape), flops=_zero_flops, saves="none"
)
broadcast_to.defjvp(
    lambda t, nb, out, x, shape: broadcast_to(align(t, nb, len(shape)), shape=t.shape[:nb] + tuple(shape))
)
broadcast_to.defvjp(lambda g, nb, out, x, shape: unbroadcast(g, nb, x.shape))


# ---------------------------------------------------------------- astype (between float dtypes)


astype = Primitive("astype", lambda x, dtype: np.asarray(x).astype(dtype), saves="none")
astype.deflinear(lambda g, x, dtype: astype(g, dtype=x.dtype))


# ---------------------------------------------------------------- full_like (a constant of x's shape)


# np.zeros_like(x) and friends on a traced x: a traced constant, so that the user can write
# into it (y = np.zeros_like(x); y[i] = ...); its derivative is zero
full_like = Primitive("full_like", lambda x, fill_value, dtype, shape: np.full_like(x, fill_value, dtype=dtype, shape=shape),
                      flops=_zero_flops, saves="none").defzero()


# ---------------------------------------------------------------- sum (the adjoint of broadcast_to)
#
# Part of the reductions family (admodes.ops.reductions exports it), defined here because
# unbroadcast, and so nearly every rule, needs it; shape.py needs no other op module.


def kept_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def expand_reduced(g, nb, x_shape, axis, keepdims):
    """A cotangent of a reduction, broadcast back to ``B + x_shape``."""
    batch = tuple(g.shape[:nb])
    if not keepdims:
        g = reshape(g, shape=batch + kept_shape(x_shape, axis))
    return broadcast_to(g, shape=batch + tuple(x_shape))


def reduction_flops(out, args, params):
    return int(np.size(args[0]))


def _sum_impl(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


sum_ = Primitive("sum", _sum_impl, flops=reduction_flops, saves="none")
sum_.defjvp(lambda t, nb, out, x, axis, keepdims: sum_(t, axis=shift_axes(axis, nb), keepdims=keepdims))
sum_.defvjp(lambda g, nb, out, x, axis, keepdims: expand_reduced(g, nb, x.shape, axis, keepdims))
