"""NumPy's shape functions on traced values: reshape, transpose, concatenate, stack, flip,
roll, repeat, tile, pad, split ... Each is a ``reshape``/``transpose``/``broadcast_to``/
``concatenate`` or a ``getitem`` with basic slices or a constant index (np.pad is in ``padding``) (its adjoint is the
scatter-add of ``getitem``, so repeated indices accumulate), so none needs rules of its own.
"""

from __future__ import annotations

import builtins

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..core import AdmodesError, Tracer, concrete, shape_of
from ..ops import indexing, reductions
from ..ops import shape as shape_ops
from .dispatch import frozen, implements, ndim_of, on_trace_of, one_axis, plain_operand, refuse_keywords


def permuted(a, axes):
    axes = tuple(int(i) for i in axes)
    if axes == tuple(range(len(axes))):
        return a
    return shape_ops.transpose(a, axes=axes)


def take_axis(a, index, axis):
    """a[..., index, ...] with ``index`` (a slice, an int or an int array) on ``axis``."""
    return indexing.getitem(a, index=(slice(None),) * axis + (index,))


def _astype_plain(a, dtype):
    return np.asarray(a).astype(dtype)

def astype(a, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        raise AdmodesError(
            f"astype({dtype}) of a traced value: admodes differentiates real-valued code only; "
            "keep the computation real (e.g. split real and imaginary parts)."
        )
    if not np.issubdtype(dtype, np.floating):
        # to integers or booleans: no derivative, and a value the replay must re-check
        return frozen(_astype_plain, a, dtype=dtype)
    if isinstance(a, Tracer) and a.dtype == dtype:
        return a._copy()  # astype copies, as in NumPy
    return shape_ops.astype(a, dtype=dtype)

@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise AdmodesError("np.reshape on traced values supports only order='C'.")
    target = shape if shape is not None else newshape
    if isinstance(target, int | np.integer):
        target = (int(target),)
    return reshaped(a, tuple(target))

def reshaped(a, target):
    """Reshape, resolving -1 and checking the size as NumPy does; a no-op when nothing changes."""
    current = shape_of(a)
    target = np.empty(current, dtype=np.bool_).reshape(target).shape
    if tuple(target) == current:
        return a
    return shape_ops.reshape(a, shape=tuple(target))

@implements(np.transpose)
def transpose(a, axes=None):
    ndim = len(shape_of(a))
    if axes is None:
        axes = tuple(range(ndim))[::-1]
    axes = normalize_axis_tuple(axes, ndim) if ndim else tuple(axes)  # NumPy's AxisError, no wrapping around
    if sorted(axes) != list(range(ndim)):
        raise ValueError(f"axes {axes} don't match array of {ndim} dimensions")
    return shape_ops.transpose(a, axes=axes)

@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    target = (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(s) for s in shape)
    np.broadcast_to(np.empty(shape_of(array), dtype=np.bool_), target)  # NumPy's own shape check
    return shape_ops.broadcast_to(array, shape=target)

@implements(np.expand_dims)
def expand_dims(a, axis):
    shp = list(shape_of(a))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    ndim = len(shp) + len(axes)
    for ax in sorted(normalize_axis_tuple(axes, ndim)):
        shp.insert(ax, 1)
    return reshaped(a, tuple(shp))

@implements(np.squeeze)
def squeeze(a, axis=None):
    shp = shape_of(a)
    if axis is None:
        axes = {i for i, s in enumerate(shp) if s == 1}
    else:
        axes = set(reductions.normalize_axis(axis, len(shp)))
        if any(shp[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshaped(a, tuple(s for i, s in enumerate(shp) if i not in axes))

@implements(np.ravel)
def ravel(a, order="C"):
    return reshaped(a, (-1,))

@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    ndim = len(shape_of(a))
    axes = list(range(ndim))
    axis1, axis2 = normalize_axis_index(axis1, ndim), normalize_axis_index(axis2, ndim)
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return shape_ops.transpose(a, axes=tuple(axes))

@implements(np.moveaxis)
def moveaxis(a, source, destination):
    ndim = len(shape_of(a))
    source = normalize_axis_tuple(source, ndim, "source")
    destination = normalize_axis_tuple(destination, ndim, "destination")
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number of elements")
    order = [i for i in range(ndim) if i not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(int(dst), int(src))
    return shape_ops.transpose(a, axes=tuple(order))

@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    refuse_keywords("concatenate", {"out": out})
    arrays = [a if isinstance(a, Tracer) else plain_operand(a, "np.concatenate") for a in arrays]
    if dtype is not None:
        arrays = [astype(a, dtype) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    ndim = len(shape_of(arrays[0]))
    if ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return indexing.concatenate(*arrays, axis=normalize_axis_index(axis, ndim))

@implements(np.stack)
def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    ndim = len(shapes.pop()) + 1
    axis = normalize_axis_index(axis, ndim)
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, out=out)

@implements(np.atleast_1d)
def atleast_1d(*arrays):
    out = [a if len(shape_of(a)) >= 1 else reshaped(a, (1,)) for a in arrays]
    return out[0] if len(out) == 1 else out

@implements(np.atleast_2d)
def atleast_2d(*arrays):
    out = []
    for a in arrays:
        nd = len(shape_of(a))
        out.append(a if nd >= 2 else reshaped(a, (1,) * (2 - nd) + shape_of(a)))
    return out[0] if len(out) == 1 else out

@implements(np.atleast_3d)
def atleast_3d(*arrays):
    out = []
    for a in arrays:
        shape = tuple(shape_of(a))
        if len(shape) == 0:
            a = reshaped(a, (1, 1, 1))
        elif len(shape) == 1:
            a = reshaped(a, (1,) + shape + (1,))
        elif len(shape) == 2:
            a = reshaped(a, shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out

@implements(np.copy)
def copy(a, order="K", subok=False):
    return a._copy() if isinstance(a, Tracer) else np.copy(a)  # a new array: writing into it leaves a

@implements(np.flip)
def flip(m, axis=None):
    ndim = ndim_of(m)
    axes = reductions.normalize_axis(axis, ndim)
    if not axes:
        return m
    return indexing.getitem(m, index=tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(ndim)))

@implements(np.fliplr)
def fliplr(m):
    if ndim_of(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)

@implements(np.flipud)
def flipud(m):
    if ndim_of(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)

@implements(np.roll)
def roll(a, shift, axis=None):
    if axis is None:
        return reshaped(roll(ravel(a), shift, 0), shape_of(a))
    ndim = ndim_of(a)
    shifts = {}
    for s, ax in np.broadcast(np.asarray(concrete(shift)), np.asarray(axis)):
        ax = one_axis(int(ax), ndim)
        shifts[ax] = shifts.get(ax, 0) + int(s)
    for ax, s in shifts.items():
        n = shape_of(a)[ax]
        if n == 0 or s % n == 0:
            continue
        k = n - s % n
        a = indexing.concatenate(take_axis(a, slice(k, None), ax), take_axis(a, slice(0, k), ax), axis=ax)
    return a

@implements(np.repeat)
def repeat(a, repeats, axis=None):
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = one_axis(axis, ndim_of(a))
    shape = tuple(shape_of(a))
    reps = np.asarray(concrete(repeats))
    if reps.ndim == 0 or reps.size == 1:
        r = int(reps.reshape(()))
        if r < 0:
            raise ValueError("repeats may not contain negative values.")
        # a[..., i, ...] -> a[..., i, (r copies), ...]: a reshape, a broadcast, a reshape
        spread = reshaped(a, shape[: axis + 1] + (1,) + shape[axis + 1 :])
        spread = shape_ops.broadcast_to(spread, shape=shape[: axis + 1] + (r,) + shape[axis + 1 :])
        return reshaped(spread, shape[:axis] + (shape[axis] * r,) + shape[axis + 1 :])
    index = np.repeat(np.arange(shape[axis]), reps)
    return take_axis(a, index, axis)

@implements(np.tile)
def tile(A, reps):
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    shape = tuple(shape_of(A))
    ndim = builtins.max(len(reps), len(shape))
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - len(shape)) + shape
    if all(r == 1 for r in reps):
        return reshaped(A, shape)
    spread = reshaped(A, tuple(x for s in shape for x in (1, s)))
    spread = shape_ops.broadcast_to(spread, shape=tuple(x for r, s in zip(reps, shape) for x in (r, s)))
    return reshaped(spread, tuple(r * s for r, s in zip(reps, shape)))

def _split(ary, indices_or_sections, axis, equal):
    axis = one_axis(axis, ndim_of(ary))
    n = shape_of(ary)[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        if equal and n % sections:
            raise ValueError("array split does not result in an equal division")
        each, extras = divmod(n, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    else:
        points = [0] + [int(i) for i in indices_or_sections] + [n]
    return [take_axis(ary, slice(points[i], points[i + 1]), axis) for i in range(len(points) - 1)]

@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, equal=True)

@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, equal=False)

@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    if ndim_of(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ndim_of(ary) > 1 else 0)

@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    if ndim_of(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def _like(a, fill_value, dtype, shape):
    """np.zeros_like(x) and friends: a traced constant for a float result (so that the user may
    write into it: y = np.zeros_like(x); y[i] = ...), a plain array otherwise."""
    dtype = np.result_type(concrete(a)) if dtype is None else np.dtype(dtype)
    shape = shape_of(a) if shape is None else ((int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape))
    if isinstance(fill_value, Tracer):  # np.full_like(x, v): the derivative of v flows
        return shape_ops.broadcast_to(astype(fill_value, dtype), shape=shape)._copy()
    if dtype.kind != "f" or not isinstance(a, Tracer):
        return np.full(shape, fill_value, dtype=dtype)
    return on_trace_of(a, shape_ops.full_like(a, fill_value=fill_value, dtype=dtype, shape=shape))


@implements(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None):
    return _like(a, 0, dtype, shape)


@implements(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None):
    return _like(a, 1, dtype, shape)


@implements(np.empty_like)
def empty_like(prototype, dtype=None, order="K", subok=True, shape=None):
    return _like(prototype, 0, dtype, shape)  # zeros: a traced value has no garbage to show


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    return _like(a, fill_value, dtype, shape)


# ---------------------------------------------------------------- stacking: concatenate after atleast_nd

def _stack_parts(tup, name):
    if isinstance(tup, Tracer) or isinstance(tup, np.ndarray):
        if len(shape_of(tup)) == 0:
            raise TypeError(f"arrays to {name} must be passed as a sequence (a list or a tuple)")
        tup = list(tup)  # NumPy stacks an array's rows (np.hstack(x) for a 2-d x)
    if not isinstance(tup, list | tuple):
        raise TypeError(f"arrays to {name} must be passed as a sequence (a list or a tuple)")
    return [a if isinstance(a, Tracer) else plain_operand(a, f"np.{name}") for a in tup]


def _cast(parts, dtype):
    return parts if dtype is None else [astype(a, dtype) for a in parts]


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    parts = _cast([atleast_1d(a) for a in _stack_parts(tup, "hstack")], dtype)
    return concatenate(parts, axis=0 if ndim_of(parts[0]) == 1 else 1)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate(_cast([atleast_2d(a) for a in _stack_parts(tup, "vstack")], dtype), axis=0)


if hasattr(np, "row_stack"):  # NumPy's deprecated alias of vstack (gone from jax.numpy)
    implements(np.row_stack)(vstack)


@implements(np.dstack)
def dstack(tup):
    return concatenate([atleast_3d(a) for a in _stack_parts(tup, "dstack")], axis=2)


@implements(np.column_stack)
def column_stack(tup):
    # NumPy: a 0-d or 1-D array becomes a column (array(a, ndmin=2).T); 2-D arrays as they are
    parts = [transpose(atleast_2d(a)) if ndim_of(a) < 2 else a for a in _stack_parts(tup, "column_stack")]
    return concatenate(parts, axis=1)


@implements(np.append)
def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def _block_depth(arrays, where="arrays"):
    if isinstance(arrays, tuple):
        raise TypeError(f"{where} is a tuple. Only lists can be used to arrange blocks, and np.block does "
                        "not allow implicit conversion from tuple to ndarray.")
    if not isinstance(arrays, list):
        return 0, ndim_of(arrays)
    if not arrays:
        raise ValueError(f"List at {where} cannot be empty")
    found = {_block_depth(a, f"{where}[{i}]") for i, a in enumerate(arrays)}
    depths = {d for d, _ in found}
    if len(depths) != 1:
        raise ValueError(f"List depths are mismatched at {where}")
    return depths.pop() + 1, builtins.max(n for _, n in found)


def _block_join(arrays, depth, ndim):
    if not isinstance(arrays, list):
        a = arrays if isinstance(arrays, Tracer) else plain_operand(arrays, "np.block")
        shape = tuple(shape_of(a))
        return reshaped(a, (1,) * (ndim - len(shape)) + shape)
    parts = [_block_join(a, depth - 1, ndim) for a in arrays]
    return parts[0] if len(parts) == 1 else indexing.concatenate(*parts, axis=ndim - depth)


@implements(np.block)
def block(arrays):
    """Nested lists of blocks: the innermost lists are joined along the last axis, the next along
    the one before, ...; every block is first given NumPy's leading axes of size one."""
    depth, leaf_ndim = _block_depth(arrays)
    return _block_join(arrays, depth, builtins.max(depth, leaf_ndim))


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    axes = tuple(axes)
    ndim = ndim_of(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == ndim:
        raise ValueError("Axes must be different.")
    if not (-ndim <= axes[0] < ndim and -ndim <= axes[1] < ndim):
        raise ValueError(f"Axes={axes} out of range for array of ndim={ndim}.")
    k = int(k) % 4
    if k == 0:
        return m[...] if isinstance(m, Tracer) else m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    order = list(range(ndim))
    a0, a1 = axes[0] % ndim, axes[1] % ndim
    order[a0], order[a1] = order[a1], order[a0]
    if k == 1:
        return transpose(flip(m, axes[1]), order)
    return flip(transpose(m, order), axes[1])
