"""Spec table: x[index] (gather) and its adjoint scatter-add, against JAX.

Basic indexing (slices, negative steps, integers, Ellipsis, None), integer arrays
(repeated indices: the VJP must add, not assign), boolean masks, and advanced indices
separated by a slice, None or Ellipsis, where NumPy moves the advanced block to the
front: the batch axis of directions (chunk 2) must be put back in front. ``np.take`` and
``np.take_along_axis`` are gathers too, and an index from ``argmax`` picks the first of
tied entries (pinned by a hand-written Jacobian at the end).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, assert_close, check_all, check_jacobian_values

A = np.array
S4 = ((4,),)
S34 = ((3, 4),)
S234 = ((2, 3, 4),)
MASK4 = A([True, False, True, True])
MASK34 = A([[True, False, False, True], [False, False, False, False], [True, True, False, True]])


def seq(xp, items):
    """A Python list for NumPy (admodes' list path); JAX refuses list indices, so an array there."""
    return list(items) if xp is np else A(items)


def _set(xp, x, index, v):
    """``x`` with ``x[index]`` replaced by ``v``: NumPy's in-place assignment into a copy (admodes
    records it as ``setitem``), JAX's ``x.at[index].set(v)``."""
    if xp is jnp:
        return x.at[index].set(v)
    y = x.copy()
    y[index] = v
    return y


def _argmax_ties(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = x[0, 3] = 3.0
    return (x,)


SPECS = [
    # ---- basic: slices, steps, integers
    OpSpec("x[1:3]", lambda xp, x: x[1:3], S4),
    OpSpec("x[:, 1:]", lambda xp, x: x[:, 1:], S34),
    OpSpec("x[::-1]", lambda xp, x: x[::-1], S4),
    OpSpec("x[::-2]", lambda xp, x: x[::-2], S34),
    OpSpec("x[3:0:-2, ::-1]", lambda xp, x: x[3:0:-2, ::-1], ((4, 3),)),
    OpSpec("x[1:1] empty", lambda xp, x: x[1:1], S4),
    OpSpec("x[1]", lambda xp, x: x[1], S34),
    OpSpec("x[-1]", lambda xp, x: x[-1], S234),
    OpSpec("x[1, -2] scalar", lambda xp, x: x[1, -2], S34),
    OpSpec("x[0, 1:, -1]", lambda xp, x: x[0, 1:, -1], S234),
    OpSpec("x[1:] - x[:-1]", lambda xp, x: x[1:] - x[:-1], S4),
    OpSpec("x[0] * x[0] * x[2]", lambda xp, x: x[0] * x[0] * x[2], S34),
    # ---- Ellipsis and None
    OpSpec("x[..., 1]", lambda xp, x: x[..., 1], S234),
    OpSpec("x[0, ..., 1:]", lambda xp, x: x[0, ..., 1:], S234),
    OpSpec("x[...]", lambda xp, x: x[...], S34),
    OpSpec("x[None]", lambda xp, x: x[None], S34),
    OpSpec("x[:, np.newaxis]", lambda xp, x: x[:, np.newaxis], S34),
    OpSpec("x[None, ..., None, 1]", lambda xp, x: x[None, ..., None, 1], S234),
    OpSpec("x[()] 0-d", lambda xp, x: x[()], ((),)),
    OpSpec("x[()] array", lambda xp, x: x[()], S34),
    OpSpec("x[None] 0-d", lambda xp, x: x[None], ((),)),
    # ---- integer arrays (repeated indices add up in the VJP)
    OpSpec("x[[0, 2, 0]] list", lambda xp, x: x[seq(xp, [0, 2, 0])], S4),
    OpSpec("x[[-1, 0, -1]] negative", lambda xp, x: x[A([-1, 0, -1])], S34),
    OpSpec("x[2-D index array]", lambda xp, x: x[A([[0, 1], [1, 0], [3, 3]])], S4),
    OpSpec("x[:, [1, 1, 3]]", lambda xp, x: x[:, A([1, 1, 3])], S34),
    OpSpec("x[[0, 2], [1, 3]] paired", lambda xp, x: x[A([0, 2]), A([1, 3])], S34),
    OpSpec("x[[[0], [2]], [1, 3]] broadcast", lambda xp, x: x[A([[0], [2]]), A([1, 3])], S34),
    OpSpec("x[[0, 1], [[0], [1]]] 2x2", lambda xp, x: x[A([0, 1]), A([[0], [1]])], S34),
    OpSpec("x[1, [0, 0, 2]] int and array", lambda xp, x: x[1, A([0, 0, 2])], S34),
    OpSpec("x[:, [0, 2], [1, 3]] contiguous", lambda xp, x: x[:, A([0, 2]), A([1, 3])], S234),
    OpSpec("x[[1, 0]][:, [2, 2]] twice", lambda xp, x: x[A([1, 0])][:, A([2, 2])], S34),
    OpSpec("x[empty index array]", lambda xp, x: x[A([], dtype=int)], S4),
    # ---- boolean masks
    OpSpec("x[mask]", lambda xp, x: x[MASK4], S4),
    OpSpec("x[mask 2-D]", lambda xp, x: x[MASK34], S34),
    OpSpec("x[:, mask]", lambda xp, x: x[:, MASK4], S34),
    OpSpec("x[[True, False, True]] list", lambda xp, x: x[seq(xp, [True, False, True])], ((3,),)),
    OpSpec("x[mask, 1:]", lambda xp, x: x[A([True, False, True]), 1:], S34),
    OpSpec("x[x > 0]", lambda xp, x: x[x > 0], S34),
    OpSpec("x[all-false mask]", lambda xp, x: x[A([False] * 4)], S4),
    # ---- advanced indices separated by a slice / None / Ellipsis: block moved to the front
    OpSpec("x[[0, 1], :, [1, 2]]", lambda xp, x: x[A([0, 1]), :, A([1, 2])], S234),
    OpSpec("x[[0, 1], :, [1, 2]] list", lambda xp, x: x[seq(xp, [0, 1]), :, seq(xp, [1, 2])], S234),
    OpSpec("x[0, :, [1, 2]] int separated", lambda xp, x: x[0, :, A([1, 2])], S234),
    OpSpec("x[[1, 0], 1:, 2]", lambda xp, x: x[A([1, 0]), 1:, 2], S234),
    OpSpec("x[[[0], [1]], :, [1, 2, 2]] 2-D block", lambda xp, x: x[A([[0], [1]]), :, A([1, 2, 2])], S234),
    OpSpec("x[[0, 1], None, [1, 2]]", lambda xp, x: x[A([0, 1]), None, A([1, 2])], S234),
    OpSpec("x[[0, 1], ..., [1, 3]]", lambda xp, x: x[A([0, 1]), ..., A([1, 3])], S234),
    OpSpec("x[mask, :, [1]] bool separated", lambda xp, x: x[A([False, True]), :, A([1])], S234),
    OpSpec("x[0-d array, :, [1, 2]]", lambda xp, x: x[A(0), :, A([1, 2])], S234),
    OpSpec("x[None, [0, 1], None, [1, 2]]", lambda xp, x: x[None, A([0, 1]), None, A([1, 2])], S34),
    OpSpec("x[:, 0, ::2, [1, 0]] 4-D", lambda xp, x: x[:, 0, ::2, A([1, 0])], ((2, 2, 3, 2),)),
    # ---- np.take and np.take_along_axis (repeated, wrapped and clipped indices)
    OpSpec("take axis=None", lambda xp, x: xp.take(x, A([0, 5, 5, -1])), ((2, 3),)),
    OpSpec("take axis=1 repeated 2d index", lambda xp, x: xp.take(x, A([[0, 2], [2, 2]]), axis=1), ((2, 3),)),
    OpSpec("take mode=wrap", lambda xp, x: xp.take(x, A([4, -4]), axis=0, mode="wrap"), ((3, 2),)),
    OpSpec("take mode=clip", lambda xp, x: xp.take(x, A([7, 0]), axis=0, mode="clip"), ((3, 2),)),
    OpSpec("take_along_axis repeated", lambda xp, x: xp.take_along_axis(x, A([[0, 0, 2], [1, 1, 1]]), axis=1),
           ((2, 3),)),
    OpSpec("take_along_axis broadcast", lambda xp, x: xp.take_along_axis(x, A([[2], [0]]), axis=0), S34),
    # ---- composites
    OpSpec("x[argmax(x)]", lambda xp, x: x[xp.argmax(x)] * x, S4),
    OpSpec("x[x.argmin(axis=0), [0, 1, 2, 3]]", lambda xp, x: x[x.argmin(axis=0), A([0, 1, 2, 3])], S34),
    OpSpec("x.reshape(-1)[argmin(x)]", lambda xp, x: x.reshape(-1)[xp.argmin(x)] * x, ((2, 3),)),
    OpSpec("max via argmax gather (ties: first)",
           lambda xp, x: xp.take_along_axis(x, xp.argmax(x, axis=1, keepdims=True), axis=1),
           (), draw=_argmax_ties, fd=False),
    OpSpec("iteration over rows", lambda xp, x: xp.stack([r * i for i, r in enumerate(x)]), S34),
    OpSpec("sum of gathered", lambda xp, x: xp.sum(x[A([0, 0, 1])] ** 2, axis=0), S34),
    OpSpec("gather of a product", lambda xp, x, y: (x * y)[A([1, 0]), :, A([3, 3])], ((2, 3, 4), (3, 4))),
    # ---- setitem: x[index] = v (a copy of x with the entries replaced), v broadcast as NumPy does
    OpSpec("x[1:3] = v", lambda xp, x, v: _set(xp, x, slice(1, 3), v), ((4,), (2,))),
    OpSpec("x[1] = v row", lambda xp, x, v: _set(xp, x, 1, v), (S34[0], (4,))),
    OpSpec("x[:, 2] = scalar v", lambda xp, x, v: _set(xp, x, (slice(None), 2), v), (S34[0], ())),
    OpSpec("x[[2, 0]] = v broadcast", lambda xp, x, v: _set(xp, x, (A([2, 0]),), v), (S34[0], (1, 4))),
    OpSpec("x[mask] = v", lambda xp, x, v: _set(xp, x, A([True, False, True, True]), v), ((4,), (3,))),
    OpSpec("x[[0, 1], :, [3, 3]] = v (moved block)", lambda xp, x, v: _set(xp, x, (A([0, 1]), slice(None), A([3, 3])), v),
           ((2, 3, 4), (2, 3))),
    OpSpec("x[...] = v * x", lambda xp, x, v: _set(xp, x, Ellipsis, v * x), ((2, 3), (3,))),
    OpSpec("setitem then product", lambda xp, x, v: xp.sin(_set(xp, x, slice(0, 2), v ** 2)) * x, ((3,), (2,))),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


# ---- an argmax index at ties: the first entry, as in NumPy and JAX (hand-written, confirmed by JAX).
CONVENTIONS = [
    (OpSpec("argmax gather ties: the first", lambda xp, x: x[xp.argmax(x)], ((3,),)),
     ([3.0, 1.0, 3.0],), ([1.0, 0.0, 0.0],)),
]


@pytest.mark.parametrize("spec, args, expected", CONVENTIONS, ids=[str(c[0]) for c in CONVENTIONS])
def test_convention(spec, args, expected):
    check_jacobian_values(spec, args, expected)


# ---- 0-d boolean indices: a new axis of length 1 (True) or 0 (False), as NumPy does.
# JAX has no such index; its side is the same selection written with None and a slice.
BOOL_INDEXES = {
    "0-d True": ((np.array(True),), lambda x: x[None]),
    "0-d False": ((np.array(False),), lambda x: x[None][:0]),
    "after Ellipsis": ((Ellipsis, np.array(True)), lambda x: x[..., None]),
    "np.True_": ((np.True_,), lambda x: x[None]),
}


@pytest.mark.parametrize("name", list(BOOL_INDEXES))
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_zero_dimensional_boolean_index(name, mode):
    index, same = BOOL_INDEXES[name]
    x = np.arange(6.0).reshape(2, 3) / 5
    assert_close(np.asarray(x)[index], same(x), 0, 0, f"{name}: NumPy's selection")
    got = ad.jacobian(lambda x: np.sin(x[index]), mode=mode, chunk=2)(x)
    assert_close(got, jax.jacobian(lambda x: jnp.sin(same(x)))(x), 1e-9, 1e-10, f"{name}: {mode} jacobian")
