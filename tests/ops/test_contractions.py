"""Spec table: matrix products (np.matmul, np.dot, ``@``, ndarray.dot) against JAX.

Every combination of vector and matrix operands, stacked matrices, and stacks that
broadcast (the VJP must sum the cotangent over the broadcast stack axes).
"""

import pytest

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
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)
