"""Spec table: shape functions (reshape, transpose, broadcast, expand/squeeze, concatenate,
stack, hstack/vstack/dstack/column_stack/row_stack, append, block, atleast_nd, astype, flip,
rot90, roll, repeat, tile, pad (all modes but 'empty'), diag/diagonal/trace, triu/tril, split,
sort ...) against JAX.

These are linear maps (sort is one at each point: a permutation); the checks make sure
each rule moves the tangent/cotangent entries to the right places, with a batch axis of
directions in front (chunk 2) and without one (chunk 1), and that nesting works (the
second-order rows). Sort at ties is pinned by a hand-written Jacobian at the end.
"""

import warnings

import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, check_all, check_jacobian_values

S23 = ((2, 3),)
S234 = ((2, 3, 4),)



def _sort_ties(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[1, 0] = x[1, 2] = 0.25
    return (x,)


def _row_stack(xp, arrays):
    """np.row_stack (NumPy's deprecated alias of vstack, not in jax.numpy)."""
    if xp is not np:
        return xp.vstack(arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.row_stack(arrays)


def _ramp(xp, x, n):
    """0, 1, ..., n-1 in the dtype of x (so float32 stays float32)."""
    return xp.arange(n, dtype=x.dtype)


SPECS = [
    # ---- reshape
    OpSpec("reshape (3,2)", lambda xp, x: xp.reshape(x, (3, 2)), S23),
    OpSpec("reshape -1", lambda xp, x: xp.reshape(x, (-1,)), S234),
    OpSpec("reshape (4,-1)", lambda xp, x: xp.reshape(x, (4, -1)), S234),
    OpSpec("reshape int", lambda xp, x: xp.reshape(x, 6), S23),
    OpSpec("reshape size-1 axes", lambda xp, x: xp.reshape(x, (1, 6, 1)), S23),
    OpSpec("reshape 0-d to (1,1)", lambda xp, x: xp.reshape(x, (1, 1)), ((),)),
    OpSpec("reshape (1,) to ()", lambda xp, x: xp.reshape(x, ()), ((1,),)),
    OpSpec("reshape same shape", lambda xp, x: xp.reshape(x, (2, 3)) * x, S23),
    OpSpec("x.reshape(3, -1)", lambda xp, x: x.reshape(3, -1), S23),
    OpSpec("x.reshape((6,))", lambda xp, x: x.reshape((6,)), S23),
    OpSpec("reshape empty", lambda xp, x: xp.reshape(x, (3, 0)), ((0, 3),)),
    # ---- transpose
    OpSpec("transpose 2-D", lambda xp, x: xp.transpose(x), S23),
    OpSpec("transpose 3-D", lambda xp, x: xp.transpose(x), S234),
    OpSpec("transpose axes (1,0,2)", lambda xp, x: xp.transpose(x, (1, 0, 2)), S234),
    OpSpec("transpose axes (-1,0,1)", lambda xp, x: xp.transpose(x, (-1, 0, 1)), S234),
    OpSpec("x.transpose(2, 0, 1)", lambda xp, x: x.transpose(2, 0, 1), S234),
    OpSpec("x.transpose((1, 2, 0))", lambda xp, x: x.transpose((1, 2, 0)), S234),
    OpSpec("x.transpose()", lambda xp, x: x.transpose(), S23),
    OpSpec(".T 2-D", lambda xp, x: x.T, S23),
    OpSpec(".T 3-D", lambda xp, x: x.T, S234),
    OpSpec(".T 1-D", lambda xp, x: x.T * x, ((3,),)),
    OpSpec(".mT", lambda xp, x: x.mT, S234),
    OpSpec("x @ x.T", lambda xp, x: x @ x.T, S23),
    # ---- broadcast_to
    OpSpec("broadcast_to (3,)->(2,3)", lambda xp, x: xp.broadcast_to(x, (2, 3)), ((3,),)),
    OpSpec("broadcast_to (2,1)->(4,2,3)", lambda xp, x: xp.broadcast_to(x, (4, 2, 3)), ((2, 1),)),
    OpSpec("broadcast_to ()->(2,2)", lambda xp, x: xp.broadcast_to(x, (2, 2)), ((),)),
    OpSpec("broadcast_to (1,)->3", lambda xp, x: xp.broadcast_to(x, 3), ((1,),)),
    OpSpec("broadcast_to same shape", lambda xp, x: xp.broadcast_to(x, (2, 3)), S23),
    OpSpec("broadcast_to (1,3)->(2,0,3)", lambda xp, x: xp.broadcast_to(x, (2, 0, 3)), ((1, 3),)),
    # ---- expand_dims / squeeze / ravel
    OpSpec("expand_dims 0", lambda xp, x: xp.expand_dims(x, 0), S23),
    OpSpec("expand_dims -1", lambda xp, x: xp.expand_dims(x, -1), S23),
    OpSpec("expand_dims (0,2)", lambda xp, x: xp.expand_dims(x, (0, 2)), S23),
    OpSpec("expand_dims (-1,1)", lambda xp, x: xp.expand_dims(x, (-1, 1)), S23),
    OpSpec("expand_dims 0-d", lambda xp, x: xp.expand_dims(x, 0), ((),)),
    OpSpec("squeeze all", lambda xp, x: xp.squeeze(x), ((1, 3, 1),)),
    OpSpec("squeeze axis=2", lambda xp, x: xp.squeeze(x, axis=2), ((1, 3, 1),)),
    OpSpec("squeeze axis=(0,-1)", lambda xp, x: xp.squeeze(x, axis=(0, -1)), ((1, 3, 1),)),
    OpSpec("squeeze to 0-d", lambda xp, x: xp.squeeze(x), ((1, 1),)),
    OpSpec("x.squeeze(0)", lambda xp, x: x.squeeze(0), ((1, 3),)),
    OpSpec("ravel", lambda xp, x: xp.ravel(x), S234),
    OpSpec("ravel 0-d", lambda xp, x: xp.ravel(x), ((),)),
    OpSpec("x.ravel()", lambda xp, x: x.ravel(), S23),
    OpSpec("x.flatten()", lambda xp, x: x.flatten(), S23),
    # ---- swapaxes / moveaxis
    OpSpec("swapaxes 0 2", lambda xp, x: xp.swapaxes(x, 0, 2), S234),
    OpSpec("swapaxes -1 0", lambda xp, x: xp.swapaxes(x, -1, 0), S234),
    OpSpec("swapaxes same", lambda xp, x: xp.swapaxes(x, 1, 1), S23),
    OpSpec("x.swapaxes(0, 1)", lambda xp, x: x.swapaxes(0, 1), S234),
    OpSpec("moveaxis 0 -> -1", lambda xp, x: xp.moveaxis(x, 0, -1), S234),
    OpSpec("moveaxis -1 -> 0", lambda xp, x: xp.moveaxis(x, -1, 0), S234),
    OpSpec("moveaxis (0,1) -> (-1,-2)", lambda xp, x: xp.moveaxis(x, (0, 1), (-1, -2)), S234),
    OpSpec("moveaxis (2,0) -> (0,1)", lambda xp, x: xp.moveaxis(x, (2, 0), (0, 1)), S234),
    # ---- concatenate / stack
    OpSpec("concatenate axis=0", lambda xp, x, y: xp.concatenate([x, y], axis=0), ((2, 3), (4, 3))),
    OpSpec("concatenate axis=1", lambda xp, x, y: xp.concatenate([x, y], axis=1), ((2, 1), (2, 3))),
    OpSpec("concatenate axis=-1 three", lambda xp, x, y, z: xp.concatenate((x, y, z), axis=-1),
           ((2, 2, 1), (2, 2, 3), (2, 2, 2))),
    OpSpec("concatenate axis=None", lambda xp, x, y: xp.concatenate([x, y], axis=None), ((2, 3), (4,))),
    OpSpec("concatenate with a constant", lambda xp, x: xp.concatenate([xp.ones((1, 3), x.dtype), x, 2 * x], axis=0), S23),
    OpSpec("concatenate same value twice", lambda xp, x: xp.concatenate([x, x], axis=1), S23),
    OpSpec("concatenate with an empty part", lambda xp, x, y: xp.concatenate([x, y]), ((0, 3), (2, 3))),
    OpSpec("concatenate single", lambda xp, x: xp.concatenate([x]), S23),
    OpSpec("stack axis=0", lambda xp, x, y: xp.stack([x, y]), ((2, 3), (2, 3))),
    OpSpec("stack axis=1", lambda xp, x, y: xp.stack([x, y], axis=1), ((2, 3), (2, 3))),
    OpSpec("stack axis=-1 three", lambda xp, x, y, z: xp.stack((x, y, z), axis=-1), ((3,), (3,), (3,))),
    OpSpec("stack 0-d", lambda xp, x, y: xp.stack([x, y, x * y]), ((), ())),
    OpSpec("stack entries of x", lambda xp, x: xp.stack([x[1], x[0] * x[2]]), ((3,),)),
    # ---- atleast_1d / atleast_2d
    OpSpec("atleast_1d 0-d", lambda xp, x: xp.atleast_1d(x), ((),)),
    OpSpec("atleast_1d 2-D", lambda xp, x: xp.atleast_1d(x) * 1.0, S23),
    OpSpec("atleast_1d two", lambda xp, x, y: xp.concatenate(xp.atleast_1d(x, y)), ((), (2,))),
    OpSpec("atleast_2d 1-D", lambda xp, x: xp.atleast_2d(x), ((3,),)),
    OpSpec("atleast_2d 0-d", lambda xp, x: xp.atleast_2d(x), ((),)),
    OpSpec("atleast_2d two", lambda xp, x, y: xp.concatenate(xp.atleast_2d(x, y), axis=1), ((2,), (1, 3))),
    # ---- astype between float dtypes, copies
    # rounding to float32 makes central differences with eps = 1e-6 meaningless (steps of ~1e-7);
    # JAX's JVP/VJP/Jacobians of the same rounding are the reference here
    OpSpec("astype float32 and back", lambda xp, x: (x.astype(xp.float32) * 2.0).astype(x.dtype) * x, S23,
           fd=False),
    OpSpec("astype float64 and back", lambda xp, x: xp.sin(x.astype(xp.float64)).astype(x.dtype), S23),
    OpSpec("astype same dtype", lambda xp, x: x.astype(x.dtype) * x, S23),
    OpSpec("np.copy", lambda xp, x: xp.copy(x) * x, S23),
    OpSpec("x.copy()", lambda xp, x: x.copy() + x, S23),
    OpSpec("atleast_3d", lambda xp, x: xp.atleast_3d(x) * 2.0, ((3,),)),
    # ---- flip, roll, repeat, tile
    OpSpec("flip all", lambda xp, x: xp.flip(x), S23),
    OpSpec("flip axis=1, fliplr, flipud", lambda xp, x: xp.flip(x, 1) * xp.fliplr(x) + xp.flipud(x), S23),
    OpSpec("roll flat", lambda xp, x: xp.roll(x, 2), S23),
    OpSpec("roll axes", lambda xp, x: xp.roll(x, (1, -1), axis=(0, 1)) * x, S23),
    OpSpec("repeat scalar axis=1", lambda xp, x: xp.repeat(x, 2, axis=1), S23),
    OpSpec("repeat counts axis=0", lambda xp, x: xp.repeat(x, np.array([2, 0, 1]), axis=0), ((3, 2),)),
    OpSpec("repeat flat", lambda xp, x: xp.repeat(x, 2), ((2, 2),)),
    OpSpec("tile 2d reps 3", lambda xp, x: xp.tile(x, (2, 1, 3)), S23),
    OpSpec("tile 1d", lambda xp, x: xp.tile(x, 2)[1:4] * xp.tile(x, (2, 1)).sum(0), ((3,),)),
    # ---- pad
    OpSpec("pad constant", lambda xp, x: xp.pad(x, ((1, 2), (0, 1)), constant_values=1.5), S23),
    OpSpec("pad traced constant", lambda xp, x, c: xp.pad(x, 1, constant_values=c), ((2, 3), ())),
    OpSpec("pad edge", lambda xp, x: xp.pad(x, ((2, 1), (1, 0)), mode="edge"), S23),
    OpSpec("pad reflect", lambda xp, x: xp.pad(x, 2, mode="reflect"), ((3, 3),)),
    OpSpec("pad symmetric, wrap", lambda xp, x: xp.pad(x, (1, 2), mode="symmetric") + xp.pad(x, (1, 2), mode="wrap"),
           ((4,),)),
    # the statistic modes: distinct entries (no ties for max/min/median), stat_length per side
    OpSpec("pad maximum", lambda xp, x: xp.pad(x, ((1, 2), (2, 1)), mode="maximum"), ((3, 4),)),
    OpSpec("pad minimum stat_length", lambda xp, x: xp.pad(x, 2, mode="minimum", stat_length=2), ((3, 4),)),
    OpSpec("pad mean stat_length pairs", lambda xp, x: xp.pad(x, ((1, 0), (0, 3)), mode="mean",
                                                              stat_length=((1, 2), (3, 1))), ((3, 4),)),
    OpSpec("pad median (odd and even lengths)", lambda xp, x: xp.pad(x, ((2, 1), (1, 2)), mode="median"), ((3, 4),)),
    OpSpec("pad median 1-D stat_length", lambda xp, x: xp.pad(x, (3, 2), mode="median", stat_length=(2, 3)), ((5,),)),
    OpSpec("pad linear_ramp end_values", lambda xp, x: xp.pad(x, ((2, 1), (1, 3)), mode="linear_ramp",
                                                              end_values=((1.0, 2.0), (-1.0, 0.5))), ((3, 4),)),
    OpSpec("pad linear_ramp default", lambda xp, x: xp.pad(x, 3, mode="linear_ramp"), S23),
    # ---- hstack, vstack, dstack, column_stack, row_stack, append, block
    OpSpec("hstack 1-D", lambda xp, x, y: xp.hstack([x, y, 2 * x]), ((3,), (2,))),
    OpSpec("hstack 2-D", lambda xp, x, y: xp.hstack((x, y)), ((2, 3), (2, 1))),
    OpSpec("hstack of an array's rows", lambda xp, x: xp.hstack(x), ((2, 3),)),
    OpSpec("vstack of an array's rows", lambda xp, x: xp.vstack(x), ((2, 3),)),
    OpSpec("column_stack of an array's rows", lambda xp, x: xp.column_stack(x), ((2, 3),)),
    OpSpec("hstack 0-d", lambda xp, x, y: xp.hstack([x, y]), ((), ())),
    OpSpec("vstack 1-D and 2-D", lambda xp, x, y: xp.vstack([x, y]), ((3,), (2, 3))),
    OpSpec("vstack 0-d", lambda xp, x, y: xp.vstack([x, y, x * y]), ((), ())),
    OpSpec("row_stack", lambda xp, x, y: _row_stack(xp, [x, y]), ((3,), (3,))),
    OpSpec("dstack", lambda xp, x, y, z: xp.dstack([x, y, z]), ((3,), (1, 3), (1, 3, 2))),
    OpSpec("column_stack 1-D and 2-D", lambda xp, x, y: xp.column_stack([x, y, x ** 2]), ((3,), (3, 2))),
    OpSpec("append flat", lambda xp, x, y: xp.append(x, y), ((2, 3), (4,))),
    OpSpec("append axis=1", lambda xp, x, y: xp.append(x, y, axis=1), ((2, 3), (2, 2))),
    OpSpec("append a constant", lambda xp, x: xp.append(x, xp.asarray(1.5, x.dtype)), ((3,),)),
    OpSpec("block 2x2", lambda xp, a, b, c, d: xp.block([[a, b], [c, d]]), ((2, 2), (2, 1), (1, 2), (1, 1))),
    OpSpec("block 1-D", lambda xp, x, y: xp.block([x, y, 3 * x]), ((2,), (3,))),
    OpSpec("block mixed depth promotion", lambda xp, x, y: xp.block([[x], [y]]), ((3,), (2, 3))),
    OpSpec("block with a constant and a 0-d", lambda xp, x, s: xp.block([[x, xp.ones((2, 1), x.dtype)],
                                                                        [xp.zeros((1, 3), x.dtype), s]]),
           ((2, 3), ())),
    OpSpec("block 3-D", lambda xp, x, y: xp.block([[[x, y]], [[y, x]]]), ((1, 2, 2), (1, 2, 2))),
    # ---- rot90
    OpSpec("rot90", lambda xp, x: xp.rot90(x), S23),
    OpSpec("rot90 k=2", lambda xp, x: xp.rot90(x, 2), S23),
    OpSpec("rot90 k=-1 axes (2,0)", lambda xp, x: xp.rot90(x, -1, axes=(2, 0)), S234),
    OpSpec("rot90 k=4", lambda xp, x: xp.rot90(x, 4) * x, S23),
    # ---- diag, diagonal, trace, triu / tril
    OpSpec("diag vector k=1", lambda xp, x: xp.diag(x, 1), ((3,),)),
    OpSpec("diag vector k=-2", lambda xp, x: xp.diag(x, -2) * 2.0, ((2,),)),
    OpSpec("diag matrix k=-1", lambda xp, x: xp.diag(x, -1), ((3, 4),)),
    OpSpec("diagonal 3d", lambda xp, x: xp.diagonal(x, offset=1, axis1=2, axis2=0), ((3, 2, 4),)),
    OpSpec("diagonal method", lambda xp, x: x.diagonal() ** 2, ((3, 3),)),
    OpSpec("trace", lambda xp, x: xp.trace(x) * x, ((3, 4),)),
    OpSpec("trace 3d offset", lambda xp, x: xp.trace(x, offset=-1, axis1=1, axis2=2), ((2, 3, 3),)),
    OpSpec("triu k=1", lambda xp, x: xp.triu(x, 1), ((3, 4),)),
    OpSpec("tril stack k=-1", lambda xp, x: xp.tril(x, -1), ((2, 3, 3),)),
    # ---- split
    OpSpec("split", lambda xp, x: xp.concatenate([p * (i + 1.0) for i, p in enumerate(xp.split(x, 3, axis=1))], 0),
           ((2, 6),)),
    OpSpec("split indices", lambda xp, x: xp.concatenate([p * (i + 1.0) for i, p in enumerate(xp.split(x, [1, 4]))]),
           ((5,),)),
    OpSpec("array_split", lambda xp, x: xp.concatenate([xp.sum(p, axis=0) * (i + 1.0) for i, p in
                                                        enumerate(xp.array_split(x, 3))]), ((5, 2),)),
    OpSpec("hsplit vsplit", lambda xp, x: xp.hsplit(x, 2)[1] * xp.vsplit(x, 2)[0].sum(), ((2, 4),)),
    # ---- sort (weighted by a ramp, so that a wrong permutation changes the result)
    OpSpec("sort axis=-1", lambda xp, x: xp.sort(x) * _ramp(xp, x, 4), ((3, 4),)),
    OpSpec("sort axis=0", lambda xp, x: xp.sort(x, axis=0) ** 2, ((3, 2),)),
    OpSpec("sort flat", lambda xp, x: xp.sort(x, axis=None) * _ramp(xp, x, 6), S23),
    OpSpec("sort ties (stable)", lambda xp, x: xp.sort(x) * _ramp(xp, x, 4), (), draw=_sort_ties, fd=False),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


# ---- sort at ties: a hand-written Jacobian, confirmed by JAX (a stable sort keeps tied entries in order).
CONVENTIONS = [
    (OpSpec("sort ties: stable", lambda xp, x: xp.sort(x), ((3,),)),
     ([1.0, 1.0, 0.5],), ([[0, 0, 1], [1, 0, 0], [0, 1, 0]],)),
]


@pytest.mark.parametrize("spec, args, expected", CONVENTIONS, ids=[str(c[0]) for c in CONVENTIONS])
def test_convention(spec, args, expected):
    check_jacobian_values(spec, args, expected)


def test_pad_refusals_name_the_problem():
    x = np.ones((2, 3))
    with pytest.raises(ad.AdmodesError, match="linear_ramp"):
        ad.grad(lambda x: np.sum(np.pad(x, 1, mode="linear_ramp", end_values=x[0, 0])))(x)
    with pytest.raises(ad.AdmodesError, match="mode='empty'"):
        ad.grad(lambda x: np.sum(np.pad(x, 1, mode="empty")))(x)
    with pytest.raises(ValueError, match="stat_length of 0"):
        ad.grad(lambda x: np.sum(np.pad(x, 1, mode="maximum", stat_length=0)))(x)


def test_sort_in_place_is_refused():
    with pytest.raises(ad.AdmodesError, match="np.sort"):
        ad.grad(lambda x: x.sort())(np.ones(3))


# ---- axes NumPy refuses are refused on traced values too, with NumPy's exception type
BAD_AXES = {
    "transpose": lambda x: np.transpose(x, (0, 3)),
    "moveaxis": lambda x: np.moveaxis(x, 3, 0),
    "moveaxis lengths": lambda x: np.moveaxis(x, (0, 1), (1,)),
    "expand_dims": lambda x: np.expand_dims(x, 5),
    "expand_dims repeated": lambda x: np.expand_dims(x, (0, 0)),
    "concatenate": lambda x: np.concatenate([x, x], axis=3),
    "stack": lambda x: np.stack([x, x], axis=4),
    "swapaxes": lambda x: np.swapaxes(x, 0, 5),
    "mT of a vector": lambda x: x[0].mT,
}


@pytest.mark.parametrize("name", list(BAD_AXES))
def test_out_of_range_axes_raise_as_in_numpy(name):
    f = BAD_AXES[name]
    x = np.ones((2, 3))
    with pytest.raises((ValueError, np.exceptions.AxisError)) as plain:
        f(x)
    with pytest.raises(type(plain.value)):
        ad.jacobian(f)(x)
