"""Spec table: products (np.matmul, np.dot, ``@``, ndarray.dot, np.einsum, np.tensordot,
np.inner, np.vdot, np.outer, np.kron, np.cross) against JAX.

Every combination of vector and matrix operands, stacked matrices, and stacks that
broadcast (the VJP must sum the cotangent over the broadcast stack axes); for einsum,
implicit and explicit outputs, diagonals and traces (a letter repeated in one operand),
ellipses, several operands and the sublist form.
"""

import warnings

import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, check_all

CASES = [
    ("1-D x 1-D", ((4,), (4,))),
    ("1-D x 2-D", ((3,), (3, 4))),
    ("2-D x 1-D", ((3, 4), (4,))),
    ("2-D x 2-D", ((2, 3), (3, 4))),
]
STACKED = [
    ("(2,3,4)@(4,5)", ((2, 3, 4), (4, 5))),
    ("(3,4)@(2,4,5)", ((3, 4), (2, 4, 5))),
    ("(2,1,2,3)@(3,3,2)", ((2, 1, 2, 3), (3, 3, 2))),
    ("(2,3,4)@(4,)", ((2, 3, 4), (4,))),
    ("(3,)@(2,3,4)", ((3,), (2, 3, 4))),
    ("(2,3,4)@(2,4,2)", ((2, 3, 4), (2, 4, 2))),
]


def _quiet_cross(xp, a, b):
    """np.cross of 2-vectors (deprecated in NumPy 2, still computed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return xp.cross(a, b)


def _einsum(subscripts):
    return lambda xp, *ops: xp.einsum(subscripts, *ops)


SPECS = [
    *[OpSpec(f"@ {name}", lambda xp, a, b: a @ b, shapes) for name, shapes in CASES + STACKED],
    *[OpSpec(f"np.matmul {name}", lambda xp, a, b: xp.matmul(a, b), shapes) for name, shapes in CASES + STACKED[:2]],
    *[OpSpec(f"np.dot {name}", lambda xp, a, b: xp.dot(a, b), shapes) for name, shapes in CASES],
    OpSpec("np.dot with a 0-d operand", lambda xp, a, b: xp.dot(a, b), ((), (2, 3))),
    OpSpec("a.dot(b)", lambda xp, a, b: a.dot(b), ((2, 3), (3,))),
    OpSpec("np.linalg.matmul", lambda xp, a, b: xp.linalg.matmul(a, b), ((2, 3, 4), (4, 2))),
    OpSpec("constant @ x (ndarray.__matmul__ -> np.matmul ufunc)", lambda xp, x: xp.ones((2, 3), x.dtype) @ x, ((3, 4),)),
    OpSpec("x @ constant", lambda xp, x: x @ xp.arange(6.0).reshape(3, 2).astype(x.dtype), ((2, 3),)),
    OpSpec("constant stack @ x", lambda xp, x: xp.ones((2, 3, 4), x.dtype) @ x, ((4, 5),)),
    OpSpec("x @ x", lambda xp, x: x @ x, ((3, 3),)),
    OpSpec("x @ x.T @ x (2nd order cross terms)", lambda xp, x: x @ x.T @ x, ((2, 3),)),
    OpSpec("empty inner dimension", lambda xp, a, b: a @ b, ((2, 0), (0, 3))),
    OpSpec("quadratic form v @ A @ v", lambda xp, A, v: v @ A @ v, ((3, 3), (3,))),
    # ---- einsum
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
    # ---- tensordot, inner, vdot, outer, kron
    OpSpec("tensordot axes=1", lambda xp, a, b: xp.tensordot(a, b, axes=1), ((2, 3), (3, 2))),
    OpSpec("tensordot axes=2", lambda xp, a, b: xp.tensordot(a, b), ((2, 3, 2), (3, 2, 2))),
    OpSpec("tensordot axes lists", lambda xp, a, b: xp.tensordot(a, b, axes=([1, 0], [2, 0])), ((3, 2, 2), (3, 2, 2))),
    OpSpec("inner 1d", lambda xp, a, b: xp.inner(a, b), ((3,), (3,))),
    OpSpec("inner nd", lambda xp, a, b: xp.inner(a, b), ((2, 3), (2, 2, 3))),
    OpSpec("vdot", lambda xp, a, b: xp.vdot(a, b), ((2, 3), (3, 2))),
    OpSpec("outer", lambda xp, a, b: xp.outer(a, b), ((3,), (2, 2))),
    OpSpec("kron 2d", lambda xp, a, b: xp.kron(a, b), ((2, 3), (2, 2))),
    OpSpec("kron 1d x 2d", lambda xp, a, b: xp.kron(a, b), ((2,), (3, 2))),
    # ---- cross products
    OpSpec("cross 3-vectors", lambda xp, a, b: xp.cross(a, b), ((3,), (3,))),
    OpSpec("cross broadcast stacks", lambda xp, a, b: xp.cross(a, b), ((4, 3), (3,))),
    OpSpec("cross axisa axisb axisc", lambda xp, a, b: xp.cross(a, b, axisa=0, axisb=1, axisc=0), ((3, 2), (2, 3))),
    OpSpec("cross axis=0", lambda xp, a, b: xp.cross(a, b, axis=0), ((3, 2), (3, 2))),
    OpSpec("cross with a constant", lambda xp, a: xp.cross(a, xp.asarray([1.0, -2.0, 0.5], a.dtype)), ((2, 3),)),
    OpSpec("cross of x with itself", lambda xp, a: xp.cross(a, a[::-1]), ((3, 3),)),
    OpSpec("cross 2-vectors (the z component)", lambda xp, a, b: _quiet_cross(xp, a, b), ((4, 2), (2,))),
    OpSpec("cross 2-vector x 3-vector", lambda xp, a, b: _quiet_cross(xp, a, b) + _quiet_cross(xp, b, a), ((2,), (3, 3))),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


def test_einsum_bad_subscripts_raise_like_numpy():
    with pytest.raises(ValueError):
        ad.grad(lambda x: np.einsum("ij,jk->ik", x, np.ones((2, 2))).sum())(np.ones((2, 3)))
    with pytest.raises(ValueError, match="ellipsis"):
        ad.grad(lambda x: np.einsum("...i->i", x).sum())(np.ones((2, 3)))
