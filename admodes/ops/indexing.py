"""Indexing primitives: ``x[index]`` (gather), its adjoint scatter-add, and concatenate
(whose adjoint is slicing).

Reading ``x[index]`` copies some entries; its adjoint adds the cotangent back into a
zero array at the same places. With advanced (integer array) indexing an entry may
be read several times, so the adjoint must *add* (``np.add.at``), not assign.

The index is a static parameter of the primitive, normalised once by
``normalize_index`` (boolean masks become integer arrays). A leading batch axis of
directions is indexed with a full slice; NumPy moves the advanced-index dimensions
to the front when advanced indices are separated by a slice, so ``batched_index``
also says where the batch axis lands and the rules move it back.
"""

from __future__ import annotations

import numpy as np

from ..core import AdmodesError, Primitive, Tracer, ViewPrimitive, shape_of
from .elementwise import mul
from .shape import batch_shape, reshape, transpose, unbroadcast, zeros_like_batched

__all__ = ["getitem", "scatter_add", "concatenate", "setitem", "winners", "normalize_index", "batched_index"]


def normalize_index(index, ndim):
    """A tuple index with boolean masks replaced by integer arrays; tracers refused."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for item in index:
        if isinstance(item, Tracer):
            raise AdmodesError(
                "An index computed from a traced value cannot be differentiated through. "
                "Use an integer or boolean array computed from plain values, or np.where."
            )
        if isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray) and item.dtype == bool and item.ndim == 0:
            out.append(bool(item))  # a 0-d mask is NumPy's True/False (a new axis); nonzero refuses it
        elif isinstance(item, np.ndarray) and item.dtype == bool:
            out.extend(np.nonzero(item))
        elif isinstance(item, np.ndarray) and not np.issubdtype(item.dtype, np.integer):
            raise IndexError(f"arrays used as indices must be of integer or boolean type, got {item.dtype}")
        elif isinstance(item, np.ndarray) and item.flags.writeable:
            # the index stays in the op's params until a backward sweep or a replay reads it:
            # an index array the caller refills afterwards must not change what was recorded
            out.append(item.copy())
        else:
            out.append(item)
    return tuple(out)


def _advanced_layout(index):
    """(ndim of the advanced-index block, whether NumPy moves that block to the front)."""
    arrays = [i for i, item in enumerate(index) if isinstance(item, np.ndarray)]
    if not arrays:
        return 0, False
    advanced = [
        i for i, item in enumerate(index) if isinstance(item, np.ndarray | int | np.integer)
    ]
    adv_ndim = len(np.broadcast_shapes(*(np.shape(index[i]) for i in advanced)))
    contiguous = advanced == list(range(advanced[0], advanced[-1] + 1))
    return adv_ndim, not contiguous


def batched_index(index, nb):
    """The index for a value with ``nb`` batch axes in front, and where those axes end up.

    Returns ``(index, position)``: after indexing, the batch axes start at ``position``
    (0 unless NumPy moved an advanced-index block in front of them).
    """
    if nb == 0:
        return index, 0
    adv_ndim, moved = _advanced_layout(index)
    return (slice(None),) * nb + index, (adv_ndim if moved else 0)


def _getitem_impl(x, index):
    return x[index]


def _getitem_vjp(g, nb, out, x, index):
    return scatter_add(g, index=index, shape=tuple(g.shape[:nb]) + tuple(x.shape), nb=nb)


def _basic(params):
    """Whether ``x[index]`` is a view in NumPy: no integer-array (advanced) index."""
    return not any(isinstance(item, np.ndarray) for item in params["index"])


getitem = ViewPrimitive("getitem", _getitem_impl, flops=lambda out, args, params: 0, saves="none", is_view=_basic)
getitem.defjvp(lambda t, nb, out, x, index: getitem_batched(t, index, nb))
getitem.defvjp(_getitem_vjp)


def _scatter_add_impl(g, index, shape, nb):
    dtype = getattr(g, "dtype", None) or np.result_type(g)
    out = np.zeros(shape, dtype=dtype)
    bindex, position = batched_index(index, nb)
    if position:
        g = np.moveaxis(g, tuple(range(nb)), tuple(range(position, position + nb)))
    if any(isinstance(item, np.ndarray) for item in index):
        np.add.at(out, bindex, g)
    else:
        out[bindex] = g  # basic indexing reads each entry at most once
    return out


def _scatter_add_jvp(t, nb_outer, out, g, index, shape, nb):
    # linear in g; the outer directions become extra batch axes in front of the inner ones
    return scatter_add(t, index=index, shape=tuple(t.shape[:nb_outer]) + tuple(shape), nb=nb + nb_outer)


def _scatter_add_vjp(c, nb_outer, out, g, index, shape, nb):
    return getitem_batched(c, index, nb + nb_outer)


def getitem_batched(value, index, nb):
    """``value[index]`` on the axes after ``nb`` batch axes, batch axes kept in front."""
    bindex, position = batched_index(index, nb)
    r = getitem(value, index=bindex)
    if position:
        axes = list(range(r.ndim))
        batch = axes[position : position + nb]
        del axes[position : position + nb]
        r = transpose(r, axes=tuple(batch + axes))
    return r


scatter_add = Primitive("scatter_add", _scatter_add_impl, saves="none")
scatter_add.defjvp(_scatter_add_jvp)
scatter_add.defvjp(_scatter_add_vjp)


# ---------------------------------------------------------------- concatenate


def _concatenate_impl(*xs, axis):
    return np.concatenate(xs, axis=axis)


def _concatenate_jvp(tangents, nb, out, *xs, axis):
    batch = None
    for t in tangents:
        if t is not None:
            batch = batch_shape(t, nb)
            break
    if batch is None:
        return None
    parts = [zeros_like_batched(batch, x) if t is None else t for t, x in zip(tangents, xs)]
    return concatenate(*parts, axis=axis + nb)


def _concatenate_vjp(g, nb, out, *xs, axis):
    """Each argument's cotangent is its slice of g along the concatenation axis."""
    cotangents = []
    start = 0
    for x in xs:
        stop = start + x.shape[axis]
        cotangents.append(getitem(g, index=(slice(None),) * (axis + nb) + (slice(start, stop),)))
        start = stop
    return cotangents


concatenate = Primitive("concatenate", _concatenate_impl, flops=lambda out, args, params: 0, saves="none")
concatenate.jvp = _concatenate_jvp
concatenate.vjp = _concatenate_vjp


# ---------------------------------------------------------------- setitem (x[index] = v, functionally)
#
# ``out = x.copy(); out[index] = v``: what NumPy's in-place assignment computes, as a new value
# (Tracer.__setitem__ and x.at[index].set(v) record it and rebind the traced array to it). It is
# linear in (x, v): the tangent is the same assignment of the tangents, x's cotangent is g with
# the written entries zeroed, and v's is g at the written entries, summed back to v's shape.
# Where an advanced index repeats a position, NumPy keeps the last write; the earlier writes
# get no cotangent (``_winners``). ``nb`` counts the batch axes of directions in front of x and
# v (a 0-d v is broadcast, as a constant 0 is by the rules).


def _target_ndim(shape, index):
    """The number of axes of ``x[index]`` for an ``x`` of ``shape`` (read off a zero-stride array)."""
    return np.broadcast_to(np.False_, shape)[index].ndim


def _placed(v, nb, k, position):
    """``v`` (``nb`` batch axes, then a shape broadcastable to k axes) laid out as ``x[bindex]``."""
    v = np.asarray(v)
    shape = v.shape
    v = v.reshape(shape[:nb] + (1,) * (k - (len(shape) - nb)) + shape[nb:])
    if position:
        v = np.moveaxis(v, tuple(range(nb)), tuple(range(position, position + nb)))
    return v


def _setitem_impl(x, v, index, nb):
    out = np.array(x, copy=True)
    bindex, position = batched_index(index, nb)
    if nb and np.ndim(v):
        v = _placed(v, nb, _target_ndim(out.shape[nb:], index), position)
    out[bindex] = v
    return out


def winners(index, shape):
    """For ``x[index] = v`` on an ``x`` of ``shape``: ``None`` when every written position is
    written once, else a 0/1 mask over ``x[index]``'s shape, 1 where that write is the one
    NumPy keeps (the last to each position)."""
    if not any(isinstance(item, np.ndarray) for item in index):
        return None
    positions = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[index]
    if np.unique(positions).size == positions.size:
        return None
    order = np.arange(positions.size).reshape(positions.shape)
    last = np.full(positions.size and int(np.prod(shape, dtype=np.int64)), -1)
    last[positions] = order
    return (last[positions] == order).astype(np.float64)


def _setitem_jvp(tangents, nb_outer, out, x, v, index, nb):
    tx, tv = tangents
    first = tx if tx is not None else tv
    if first is None:
        return None
    if tx is None:
        tx = zeros_like_batched(batch_shape(first, nb_outer), x)
    return setitem(tx, 0.0 if tv is None else tv, index=index, nb=nb_outer + nb)


def _setitem_vjp_x(g, nb_outer, out, x, v, index, nb):
    return setitem(g, 0.0, index=index, nb=nb_outer + nb)


def _setitem_vjp_v(g, nb_outer, out, x, v, index, nb):
    nb_all = nb_outer + nb
    picked = getitem_batched(g, index, nb_all)  # B_outer + B + x[index].shape
    mask = winners(index, tuple(x.shape[nb:]))
    if mask is not None:
        picked = mul(picked, mask.astype(picked.dtype))
    v_shape = tuple(shape_of(v))
    if nb and not v_shape:
        return None  # a broadcast 0-d constant (the rules' 0): nothing to pull back
    # v's own axes line up with the right end of x[index]'s: sum over what broadcasting added
    k = picked.ndim - nb_all
    aligned = v_shape[:nb] + (1,) * (k - (len(v_shape) - nb)) + v_shape[nb:]
    return reshape(unbroadcast(picked, nb_outer, aligned), shape=tuple(picked.shape[:nb_outer]) + v_shape)


setitem = Primitive("setitem", _setitem_impl, flops=lambda out, args, params: 0, saves="none")
setitem.jvp = _setitem_jvp
setitem.defvjp(_setitem_vjp_x, _setitem_vjp_v)
