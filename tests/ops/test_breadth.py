"""Spec tables for the NumPy breadth: one table per family (ELEMENTWISE, REDUCTIONS, SHAPE,
CONTRACTIONS), each row checked against JAX by ``check_all`` (values, JVP, VJP, both
Jacobians with chunks, finite differences, four second-order nestings, float32).

Conventions at kinks and ties (fmax/fmin, hypot at the origin, sort and argmax
selections at ties, norms at ties) are pinned by value tests at the end.
"""

import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, check_all, check_jacobian_values

S = ((2, 3),)


# ================================================================= elementwise


def _ties_and_nan(rng):
    x = rng.uniform(-2, 2, (2, 3))
    y = rng.uniform(-2, 2, (2, 3))
    y[0, 1] = x[0, 1]  # a tie
    return x, y


ELEMENTWISE = [
    OpSpec("log1p", lambda xp, x: xp.log1p(x), S, domain=(-0.5, 2.0)),
    OpSpec("expm1", lambda xp, x: xp.expm1(x), S),
    OpSpec("log2", lambda xp, x: xp.log2(x), S, domain=(0.2, 3.0)),
    OpSpec("log10", lambda xp, x: xp.log10(x), S, domain=(0.2, 3.0)),
    OpSpec("exp2", lambda xp, x: xp.exp2(x), S),
    OpSpec("sinh", lambda xp, x: xp.sinh(x), S),
    OpSpec("cosh", lambda xp, x: xp.cosh(x), S),
    OpSpec("arcsin", lambda xp, x: xp.arcsin(x), S, domain=(-0.9, 0.9)),
    OpSpec("arccos", lambda xp, x: xp.arccos(x), S, domain=(-0.9, 0.9)),
    OpSpec("arctan", lambda xp, x: xp.arctan(x), S),
    OpSpec("arcsinh", lambda xp, x: xp.arcsinh(x), S),
    OpSpec("arccosh", lambda xp, x: xp.arccosh(x), S, domain=(1.1, 3.0)),
    OpSpec("arctanh", lambda xp, x: xp.arctanh(x), S, domain=(-0.9, 0.9)),
    OpSpec("power array exponent", lambda xp, x, y: xp.power(x, y), ((2, 3), (3,)), domain=(0.3, 2.0)),
    OpSpec("array ** array", lambda xp, x, y: x ** y, ((2, 1), (2, 3)), domain=(0.3, 2.0)),
    OpSpec("arctan2 broadcast", lambda xp, y, x: xp.arctan2(y, x), ((2, 1), (3,))),
    OpSpec("hypot broadcast", lambda xp, x, y: xp.hypot(x, y), ((3,), (2, 3))),
    OpSpec("logaddexp broadcast", lambda xp, x, y: xp.logaddexp(x, y), ((2, 3), (1, 3))),
    OpSpec("fmax", lambda xp, x, y: xp.fmax(x, y), (), draw=_ties_and_nan, fd=False),
    OpSpec("fmin", lambda xp, x, y: xp.fmin(x, y), (), draw=_ties_and_nan, fd=False),
    OpSpec("positive", lambda xp, x: xp.positive(x) * x, S),
    OpSpec("zero-derivative sign/floor/ceil/round",
           lambda xp, x: x * (xp.sign(x) + xp.floor(x) + xp.ceil(x) + xp.round(x)), S),
]


# ================================================================= reductions and scans


def _cumprod_zeros(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = 0.0
    x[1, 0] = x[1, 2] = 0.0
    return (x,)


def _with_nan(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = x[2, 3] = np.nan
    return (x,)


def _argmax_ties(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = x[0, 3] = 3.0
    return (x,)


REDUCTIONS = [
    OpSpec("cumsum axis=None", lambda xp, x: xp.cumsum(x), ((2, 3),)),
    OpSpec("cumsum axis=-1 3d", lambda xp, x: xp.cumsum(x, axis=-1) ** 2, ((2, 3, 2),)),
    OpSpec("cumsum method axis=0", lambda xp, x: x.cumsum(axis=0) * x, ((3, 2),)),
    OpSpec("cumprod axis=1", lambda xp, x: xp.cumprod(x, axis=1), ((2, 4),)),
    OpSpec("cumprod with zeros", lambda xp, x: xp.cumprod(x, axis=1), (), draw=_cumprod_zeros),
    OpSpec("cumprod axis=None", lambda xp, x: xp.cumprod(x), ((2, 3),), domain=(0.5, 1.5)),
    OpSpec("max via argmax gather (ties: first)",
           lambda xp, x: xp.take_along_axis(x, xp.argmax(x, axis=1, keepdims=True), axis=1),
           (), draw=_argmax_ties, fd=False),
    OpSpec("min via argmin index", lambda xp, x: x.reshape(-1)[xp.argmin(x)] * x, ((2, 3),)),
    OpSpec("norm vector", lambda xp, x: xp.linalg.norm(x), ((4,),)),
    OpSpec("norm vector ord=1", lambda xp, x: xp.linalg.norm(x, 1), ((4,),)),
    OpSpec("norm vector ord=inf", lambda xp, x: xp.linalg.norm(x, xp.inf), ((4,),)),
    OpSpec("norm vector ord=-inf", lambda xp, x: xp.linalg.norm(x, -xp.inf), ((4,),)),
    OpSpec("norm vector ord=3", lambda xp, x: xp.linalg.norm(x, 3), ((4,),)),
    OpSpec("norm axis=1 keepdims", lambda xp, x: xp.linalg.norm(x, axis=1, keepdims=True), ((3, 4),)),
    OpSpec("norm matrix fro", lambda xp, x: xp.linalg.norm(x, "fro"), ((3, 4),)),
    OpSpec("norm matrix ord=1", lambda xp, x: xp.linalg.norm(x, 1), ((3, 4),)),
    OpSpec("norm matrix ord=inf", lambda xp, x: xp.linalg.norm(x, xp.inf), ((3, 4),)),
    OpSpec("norm matrix ord=-1 axes (2,0)", lambda xp, x: xp.linalg.norm(x, -1, axis=(2, 0)), ((3, 2, 4),)),
    OpSpec("norm matrix ord=2", lambda xp, x: xp.linalg.norm(x, 2), ((3, 4),)),
    OpSpec("norm matrix ord=-2 keepdims", lambda xp, x: xp.linalg.norm(x, -2, axis=(0, 1), keepdims=True),
           ((3, 4, 2),)),
    OpSpec("norm matrix nuc", lambda xp, x: xp.linalg.norm(x, "nuc"), ((4, 3),)),
    OpSpec("norm 3d default", lambda xp, x: xp.linalg.norm(x), ((2, 3, 2),)),
    OpSpec("nansum", lambda xp, x: xp.nansum(x, axis=0), (), draw=_with_nan),
    OpSpec("nanmean", lambda xp, x: xp.nanmean(x, axis=1), (), draw=_with_nan),
    OpSpec("average weights axis", lambda xp, x, w: xp.average(x, axis=1, weights=w), ((3, 4), (4,)),
           domain=(0.5, 2.0)),
    OpSpec("average weights full", lambda xp, x, w: xp.average(x, weights=w), ((3, 4), (3, 4)),
           domain=(0.5, 2.0)),
    OpSpec("average returned", lambda xp, x: xp.stack(xp.average(x, axis=0, returned=True)), ((3, 2),)),
    OpSpec("var ddof=1", lambda xp, x: xp.var(x, axis=0, ddof=1), ((4, 3),)),
    OpSpec("std ddof=1", lambda xp, x: xp.std(x, ddof=1), ((4, 3),)),
    OpSpec("ptp", lambda xp, x: xp.ptp(x, axis=1), ((3, 4),)),
    OpSpec("diff n=2 prepend", lambda xp, x: xp.diff(x, n=2, axis=0, prepend=1.0), ((4, 3),)),
]


# ================================================================= shape and indexing


def _sort_ties(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[1, 0] = x[1, 2] = 0.25
    return (x,)


def _ramp(xp, x, n):
    """0, 1, ..., n-1 in the dtype of x (so float32 stays float32)."""
    return xp.arange(n, dtype=x.dtype)


SHAPE = [
    OpSpec("take axis=None", lambda xp, x: xp.take(x, np.array([0, 5, 5, -1])), ((2, 3),)),
    OpSpec("take axis=1 repeated 2d index", lambda xp, x: xp.take(x, np.array([[0, 2], [2, 2]]), axis=1),
           ((2, 3),)),
    OpSpec("take mode=wrap", lambda xp, x: xp.take(x, np.array([4, -4]), axis=0, mode="wrap"), ((3, 2),)),
    OpSpec("take mode=clip", lambda xp, x: xp.take(x, np.array([7, 0]), axis=0, mode="clip"), ((3, 2),)),
    OpSpec("take_along_axis repeated", lambda xp, x: xp.take_along_axis(x, np.array([[0, 0, 2], [1, 1, 1]]), axis=1),
           ((2, 3),)),
    OpSpec("take_along_axis broadcast", lambda xp, x: xp.take_along_axis(x, np.array([[2], [0]]), axis=0),
           ((3, 4),)),
    OpSpec("flip all", lambda xp, x: xp.flip(x), ((2, 3),)),
    OpSpec("flip axis=1, fliplr, flipud", lambda xp, x: xp.flip(x, 1) * xp.fliplr(x) + xp.flipud(x), ((2, 3),)),
    OpSpec("roll flat", lambda xp, x: xp.roll(x, 2), ((2, 3),)),
    OpSpec("roll axes", lambda xp, x: xp.roll(x, (1, -1), axis=(0, 1)) * x, ((2, 3),)),
    OpSpec("repeat scalar axis=1", lambda xp, x: xp.repeat(x, 2, axis=1), ((2, 3),)),
    OpSpec("repeat counts axis=0", lambda xp, x: xp.repeat(x, np.array([2, 0, 1]), axis=0), ((3, 2),)),
    OpSpec("repeat flat", lambda xp, x: xp.repeat(x, 2), ((2, 2),)),
    OpSpec("tile 2d reps 3", lambda xp, x: xp.tile(x, (2, 1, 3)), ((2, 3),)),
    OpSpec("tile 1d", lambda xp, x: xp.tile(x, 2)[1:4] * xp.tile(x, (2, 1)).sum(0), ((3,),)),
    OpSpec("pad constant", lambda xp, x: xp.pad(x, ((1, 2), (0, 1)), constant_values=1.5), ((2, 3),)),
    OpSpec("pad traced constant", lambda xp, x, c: xp.pad(x, 1, constant_values=c), ((2, 3), ())),
    OpSpec("pad edge", lambda xp, x: xp.pad(x, ((2, 1), (1, 0)), mode="edge"), ((2, 3),)),
    OpSpec("pad reflect", lambda xp, x: xp.pad(x, 2, mode="reflect"), ((3, 3),)),
    OpSpec("pad symmetric, wrap", lambda xp, x: xp.pad(x, (1, 2), mode="symmetric") + xp.pad(x, (1, 2), mode="wrap"),
           ((4,),)),
    OpSpec("diag vector k=1", lambda xp, x: xp.diag(x, 1), ((3,),)),
    OpSpec("diag vector k=-2", lambda xp, x: xp.diag(x, -2) * 2.0, ((2,),)),
    OpSpec("diag matrix k=-1", lambda xp, x: xp.diag(x, -1), ((3, 4),)),
    OpSpec("diagonal 3d", lambda xp, x: xp.diagonal(x, offset=1, axis1=2, axis2=0), ((3, 2, 4),)),
    OpSpec("diagonal method", lambda xp, x: x.diagonal() ** 2, ((3, 3),)),
    OpSpec("trace", lambda xp, x: xp.trace(x) * x, ((3, 4),)),
    OpSpec("trace 3d offset", lambda xp, x: xp.trace(x, offset=-1, axis1=1, axis2=2), ((2, 3, 3),)),
    OpSpec("triu k=1", lambda xp, x: xp.triu(x, 1), ((3, 4),)),
    OpSpec("tril stack k=-1", lambda xp, x: xp.tril(x, -1), ((2, 3, 3),)),
    OpSpec("split", lambda xp, x: xp.concatenate([p * (i + 1.0) for i, p in enumerate(xp.split(x, 3, axis=1))], 0),
           ((2, 6),)),
    OpSpec("split indices", lambda xp, x: xp.concatenate([p * (i + 1.0) for i, p in enumerate(xp.split(x, [1, 4]))]),
           ((5,),)),
    OpSpec("array_split", lambda xp, x: xp.concatenate([xp.sum(p, axis=0) * (i + 1.0) for i, p in
                                                        enumerate(xp.array_split(x, 3))]), ((5, 2),)),
    OpSpec("hsplit vsplit", lambda xp, x: xp.hsplit(x, 2)[1] * xp.vsplit(x, 2)[0].sum(), ((2, 4),)),
    OpSpec("sort axis=-1", lambda xp, x: xp.sort(x) * _ramp(xp, x, 4), ((3, 4),)),
    OpSpec("sort axis=0", lambda xp, x: xp.sort(x, axis=0) ** 2, ((3, 2),)),
    OpSpec("sort flat", lambda xp, x: xp.sort(x, axis=None) * _ramp(xp, x, 6), ((2, 3),)),
    OpSpec("sort ties (stable)", lambda xp, x: xp.sort(x) * _ramp(xp, x, 4), (), draw=_sort_ties, fd=False),
    OpSpec("outer", lambda xp, a, b: xp.outer(a, b), ((3,), (2, 2))),
    OpSpec("kron 2d", lambda xp, a, b: xp.kron(a, b), ((2, 3), (2, 2))),
    OpSpec("kron 1d x 2d", lambda xp, a, b: xp.kron(a, b), ((2,), (3, 2))),
    OpSpec("atleast_3d", lambda xp, x: xp.atleast_3d(x) * 2.0, ((3,),)),
]


# ================================================================= contractions


def _einsum(subscripts):
    return lambda xp, *ops: xp.einsum(subscripts, *ops)


CONTRACTIONS = [
    OpSpec("einsum matmul", _einsum("ij,jk->ik"), ((2, 3), (3, 4))),
    OpSpec("einsum implicit", _einsum("ij,jk"), ((2, 3), (3, 2))),
    OpSpec("einsum implicit order", _einsum("bA"), ((2, 3),)),
    OpSpec("einsum dot", _einsum("i,i"), ((3,), (3,))),
    OpSpec("einsum diagonal", _einsum("ii->i"), ((3, 3),)),
    OpSpec("einsum trace", _einsum("ii"), ((3, 3),)),
    OpSpec("einsum 3d diagonal", _einsum("iji->j"), ((2, 3, 2),)),
    OpSpec("einsum sum", _einsum("ij->"), ((2, 3),)),
    OpSpec("einsum outer", _einsum("i,jk->ijk"), ((2,), (3, 2))),
    OpSpec("einsum batched", _einsum("bij,bjk->bik"), ((2, 2, 3), (2, 3, 2))),
    OpSpec("einsum ellipsis broadcast", _einsum("...ij,...jk->...ik"), ((2, 1, 2, 3), (3, 3, 2))),
    OpSpec("einsum ellipsis implicit", _einsum("...i,...i"), ((2, 1, 3), (4, 3))),
    OpSpec("einsum ellipsis middle", _einsum("i...j,j->...i"), ((2, 3, 4), (4,))),
    OpSpec("einsum three operands", _einsum("ij,jk,kl->il"), ((2, 3), (3, 2), (2, 2))),
    OpSpec("einsum repeated in two operands", _einsum("ij,ij,ij->i"), ((2, 3), (2, 3), (2, 3))),
    OpSpec("einsum squared", lambda xp, x: xp.einsum("ij,ij->j", x, x), ((3, 2),)),
    OpSpec("einsum sublist", lambda xp, a, b: xp.einsum(a, [0, 1], b, [1, 2], [0, 2]), ((2, 3), (3, 2))),
    OpSpec("tensordot axes=1", lambda xp, a, b: xp.tensordot(a, b, axes=1), ((2, 3), (3, 2))),
    OpSpec("tensordot axes=2", lambda xp, a, b: xp.tensordot(a, b), ((2, 3, 2), (3, 2, 2))),
    OpSpec("tensordot axes lists", lambda xp, a, b: xp.tensordot(a, b, axes=([1, 0], [2, 0])), ((3, 2, 2), (3, 2, 2))),
    OpSpec("inner 1d", lambda xp, a, b: xp.inner(a, b), ((3,), (3,))),
    OpSpec("inner nd", lambda xp, a, b: xp.inner(a, b), ((2, 3), (2, 2, 3))),
    OpSpec("vdot", lambda xp, a, b: xp.vdot(a, b), ((2, 3), (3, 2))),
]


TABLES = {"elementwise": ELEMENTWISE, "reductions": REDUCTIONS, "shape": SHAPE, "contractions": CONTRACTIONS}
ROWS = [pytest.param(spec, id=f"{family}: {spec}") for family, table in TABLES.items() for spec in table]


@pytest.mark.parametrize("spec", ROWS)
def test_spec(spec):
    check_all(spec)


# ================================================================= conventions at kinks and ties
# Hand-written Jacobians; check_jacobian_values confirms JAX agrees, then checks both modes.

CONVENTIONS = [
    ("fmax tie: the second argument", OpSpec("fmax", lambda xp, x, y: xp.fmax(x, y), ((), ())),
     (1.0, 1.0), (0.0, 1.0)),
    ("fmin tie: the second argument", OpSpec("fmin", lambda xp, x, y: xp.fmin(x, y), ((), ())),
     (1.0, 1.0), (0.0, 1.0)),
    ("fmax ignores NaN", OpSpec("fmax", lambda xp, x, y: xp.fmax(x, y), ((), ())),
     (1.0, np.nan), (1.0, 0.0)),
    ("hypot at the origin: 0.5 each", OpSpec("hypot", lambda xp, x, y: xp.hypot(x, y), ((), ())),
     (0.0, 0.0), (0.5, 0.5)),
    ("sort ties: stable", OpSpec("sort", lambda xp, x: xp.sort(x), ((3,),)),
     ([1.0, 1.0, 0.5],), ([[0, 0, 1], [1, 0, 0], [0, 1, 0]],)),
    ("argmax gather ties: the first", OpSpec("argmax gather", lambda xp, x: x[xp.argmax(x)], ((3,),)),
     ([3.0, 1.0, 3.0],), ([1.0, 0.0, 0.0],)),
    ("norm inf ties: split", OpSpec("norm inf", lambda xp, x: xp.linalg.norm(x, xp.inf), ((3,),)),
     ([1.0, -1.0, 0.5],), ([0.5, -0.5, 0.0],)),
    ("norm inf at zero: ties with JAX's initial 0", OpSpec("norm inf", lambda xp, x: xp.linalg.norm(x, xp.inf),
                                                            ((2,),)), ([0.0, 0.0],), ([0.25, 0.25],)),
    ("matrix norm 1 at zero", OpSpec("norm 1", lambda xp, x: xp.linalg.norm(x, 1), ((1, 2),)),
     ([[0.0, 0.0]],), ([[0.25, 0.25]],)),
    ("norm 1 at zero: slope 1", OpSpec("norm 1", lambda xp, x: xp.linalg.norm(x, 1), ((2,),)),
     ([0.0, -2.0],), ([1.0, -1.0],)),
    ("cumprod at a zero: exact", OpSpec("cumprod", lambda xp, x: xp.cumprod(x), ((3,),)),
     ([2.0, 0.0, 3.0],), ([[1, 0, 0], [0, 2, 0], [0, 6, 0]],)),
    ("clip at the bounds: 0.5", OpSpec("clip", lambda xp, x: xp.clip(x, 0.0, 1.0), ((2,),)),
     ([0.0, 1.0],), ([[0.5, 0], [0, 0.5]],)),
]


@pytest.mark.parametrize("label, spec, args, expected", CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_convention(label, spec, args, expected):
    check_jacobian_values(spec, args, expected)


# ================================================================= errors


def test_hypot_hessian_at_equal_legs_is_the_continuous_value():
    """JAX returns a zero Hessian at |x| == |y| (its max/min tie split); the function is smooth
    there, and admodes gives the limit of the neighbouring values (here 1/(2 sqrt 2))."""
    h = ad.hessian(np.hypot, (0, 1))(1.0, 1.0)
    c = 1 / (2 * np.sqrt(2))
    np.testing.assert_allclose(np.array(h, dtype=float), [[c, -c], [-c, c]])


def test_qr_m_less_than_n_and_refused_modes_name_the_fix():
    with pytest.raises(ad.AdmodesError, match="mode='reduced'"):
        ad.grad(lambda x: np.sum(np.linalg.qr(x)[0]))(np.ones((2, 3)))


def test_sort_in_place_is_refused():
    with pytest.raises(ad.AdmodesError, match="np.sort"):
        ad.grad(lambda x: x.sort())(np.ones(3))


def test_einsum_bad_subscripts_raise_like_numpy():
    with pytest.raises(ValueError):
        ad.grad(lambda x: np.einsum("ij,jk->ik", x, np.ones((2, 2))).sum())(np.ones((2, 3)))
    with pytest.raises(ValueError, match="ellipsis"):
        ad.grad(lambda x: np.einsum("...i->i", x).sum())(np.ones((2, 3)))
