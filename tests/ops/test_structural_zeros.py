"""Structural zeros meet infinite slopes: one table of outputs with exact zeros, fed to sqrt.

Many outputs hold zeros that do not depend on the input: the upper triangle of a Cholesky
factor, the lower one of QR's ``R``, ``tril``/``triu``, ``where`` with a constant mask,
constant padding, ``diag`` (a scatter into zeros), a concatenated block of zeros. A loss
``sum(sqrt(out))`` (or ``sum(out ** 0.5)``) sends an infinite cotangent onto each of those
zeros. The entries are constant, so the true gradient ignores it, and so does JAX's: a
rule must drop the cotangent of a structural zero with a select *before* any arithmetic,
since ``inf * 0`` is NaN and a matrix product spreads it to every entry.

Each row is checked in reverse mode against ``jax.grad`` (x64) and, where JAX's gradient
is finite, against central finite differences and ``jax.hessian``; ``ad.record``'s replay
must agree too.
JAX's own QR rule does not drop them (its gradient is all NaN); for those rows the oracle
is JAX on ``triu(R)``, and each row states what JAX itself gives.
Forward mode cannot tell a structural zero from a tangent that is 0 by arithmetic
(``sqrt(v * v)`` at ``v = 0``), so there the tangent is ``0 * inf = NaN``, as in JAX: each
row also states JAX's forward result and asserts admodes gives the same.

The last rows are zeros made by arithmetic (a product with a constant 0, a product of
triangular matrices): no rule can know they are constant, JAX's gradient is NaN there
too, and admodes matches it. docs/conventions.md states both rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

from .harness import numpy_reads  # also switches JAX to x64

# sqrt at 0 divides by zero and multiplies inf by 0 on purpose: the rows are about where that lands
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                                        "ignore:invalid value:RuntimeWarning")


@dataclass(frozen=True)
class Row:
    """An output with exact zeros: ``fun(xp, x)``, its input and what JAX gives."""

    name: str
    fun: Callable
    draw: Callable  # rng -> x (float64); outputs must be >= 0 near x
    jax_grad_finite: bool = True  # is jax.grad of the sqrt loss finite (asserted)
    jax_jvp_finite: bool = False  # is jax.jvp of the sqrt loss finite (asserted)
    # the oracle, where JAX's own rule gives NaN: the same function with its zeros made
    # explicit for JAX (triu of R); default ``fun``
    oracle: Callable | None = None

    def __str__(self):
        return self.name


def _positive(shape):
    return lambda rng: rng.uniform(0.5, 1.5, shape)


def _spd_positive_factor(n, batch=()):
    """L0 L0^T with L0 lower triangular and positive, so the Cholesky factor is L0 (> 0)."""

    def draw(rng):
        lower = np.tril(rng.uniform(0.5, 1.5, batch + (n, n)))
        return lower @ np.swapaxes(lower, -1, -2)

    return draw


def _cholesky(upper=False):
    return lambda xp, a: xp.linalg.cholesky(numpy_reads(xp, a, upper), upper=upper)


def _concat_zeros(xp, x):
    return xp.concatenate([x, xp.zeros(2, dtype=x.dtype)])


def _stack_zeros(xp, x):
    return xp.stack([x, xp.zeros_like(x)])


_MASK = np.array([[True, False, True], [False, True, False]])

ROWS = [
    Row("cholesky", _cholesky(), _spd_positive_factor(3)),
    Row("cholesky upper=True", _cholesky(upper=True), _spd_positive_factor(3)),
    Row("cholesky stacked", _cholesky(), _spd_positive_factor(2, (2,))),
    # JAX's QR rule multiplies the cotangent of R's zeros (its gradient is all NaN): the
    # oracle is JAX on triu(R), which finite differences confirm
    Row("qr R (mode='r')", lambda xp, a: xp.abs(xp.linalg.qr(a, mode="r")), _positive((4, 3)),
        jax_grad_finite=False, oracle=lambda xp, a: xp.abs(xp.triu(xp.linalg.qr(a, mode="r")))),
    Row("qr R of (Q, R)", lambda xp, a: xp.abs(xp.linalg.qr(a)[1]), _positive((3, 3)),
        jax_grad_finite=False, oracle=lambda xp, a: xp.abs(xp.triu(xp.linalg.qr(a)[1]))),
    Row("tril", lambda xp, x: xp.tril(x), _positive((3, 3))),
    Row("tril k=-1", lambda xp, x: xp.tril(x, -1), _positive((3, 4))),
    Row("triu k=1", lambda xp, x: xp.triu(x, 1), _positive((2, 3, 3))),
    Row("triu of cholesky^T", lambda xp, a: xp.triu(xp.linalg.cholesky(numpy_reads(xp, a)).T),
        _spd_positive_factor(3)),
    Row("where, constant mask", lambda xp, x: xp.where(_MASK, x, 0.0), _positive((2, 3))),
    Row("pad constant", lambda xp, x: xp.pad(x, ((1, 0), (0, 2))), _positive((2, 2))),
    Row("diag builds a matrix (scatter)", lambda xp, v: xp.diag(v), _positive((3,))),
    Row("diag k=-1", lambda xp, v: xp.diag(v, -1), _positive((2,))),
    Row("diagflat", lambda xp, v: xp.diagflat(v), _positive((2, 2))),
    Row("concatenate zeros", _concat_zeros, _positive((3,))),
    Row("stack zeros_like", _stack_zeros, _positive((2,))),
    # zeros made by arithmetic: not structural to any rule, NaN in JAX and in admodes
    Row("kron with eye (products with 0)", lambda xp, x: xp.kron(x, xp.eye(2)), _positive((2,)),
        jax_grad_finite=False),
    Row("x * constant 0/1 mask", lambda xp, x: x * _MASK.astype(np.float64), _positive((2, 3)),
        jax_grad_finite=False),
    Row("matmul of lower triangles", lambda xp, x: xp.tril(x) @ xp.tril(x), _positive((3, 3)),
        jax_grad_finite=False),
]

LOSSES = {
    "sqrt": lambda xp, y: xp.sum(xp.sqrt(y)),
    "power 0.5": lambda xp, y: xp.sum(y**0.5),
}


def _losses(row, loss):
    """The loss on admodes, on JAX (``fun``) and on the oracle (``oracle``, else ``fun``)."""
    oracle = row.oracle or row.fun
    return (
        lambda x: LOSSES[loss](np, row.fun(np, x)),
        lambda x: LOSSES[loss](jnp, row.fun(jnp, x)),
        lambda x: LOSSES[loss](jnp, oracle(jnp, x)),
    )


def _assert_same(got, expected, what):
    """Equal values, NaN exactly where JAX has NaN."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"{what}: NaN pattern")
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("row", ROWS, ids=str)
def test_reverse_mode_drops_cotangents_of_structural_zeros(row, loss):
    rng = np.random.default_rng(0)
    x = row.draw(rng)
    f_np, f_jax, f_oracle = _losses(row, loss)
    assert np.isfinite(f_np(x)), f"{row}: the loss itself is not finite at the drawn point"
    jax_own = np.asarray(jax.grad(f_jax)(x))
    assert np.all(np.isfinite(jax_own)) == row.jax_grad_finite, f"{row}: JAX's gradient is not as the row says"
    expected = np.asarray(jax.grad(f_oracle)(x))
    _assert_same(ad.grad(f_np)(x), expected, f"{row}: reverse grad")
    _assert_same(ad.record(f_np, x).grad(x), expected, f"{row}: replayed grad")
    if np.all(np.isfinite(expected)):
        t = rng.standard_normal(x.shape)
        eps = 1e-6
        fd = (f_np(x + eps * t) - f_np(x - eps * t)) / (2 * eps)
        np.testing.assert_allclose(np.sum(expected * t), fd, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{row}: the oracle's gradient against finite differences")
        # second order: forward over reverse, where the dropped cotangents are traced values
        hessian = np.asarray(jax.hessian(f_oracle)(x))
        np.testing.assert_allclose(ad.hessian(f_np)(x), hessian, rtol=1e-8, atol=1e-10,
                                   err_msg=f"{row}: hessian")


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("row", ROWS, ids=str)
def test_forward_mode_matches_jax(row, loss):
    rng = np.random.default_rng(1)
    x = row.draw(rng)
    t = rng.standard_normal(x.shape)
    f_np, f_jax, f_oracle = _losses(row, loss)
    _, jax_own = jax.jvp(f_jax, (x,), (t,))
    assert bool(np.isfinite(jax_own)) == row.jax_jvp_finite, f"{row}: JAX's JVP is not as the row says"
    _, expected = jax.jvp(f_oracle, (x,), (t,))
    _, got = ad.jvp(f_np, (x,), (t,))
    _assert_same(got, expected, f"{row}: forward jvp")


# ----------------------------------------------------------------- where JAX's modes disagree
# Each row: a function of a scalar, the point, JAX's (and admodes') forward and reverse slope.
# docs/conventions.md lists them.

MODE_DISAGREEMENTS = [
    ("sum(sqrt(diag([v, 1]))): structural zeros", lambda xp, v: xp.sum(xp.sqrt(xp.diag(xp.stack([v, v * 0 + 1])))),
     1.0, np.nan, 0.5),
    ("where(v > 0, sqrt(v), 0) at v = 0", lambda xp, v: xp.where(v > 0, xp.sqrt(v), 0.0), 0.0, 0.0, np.nan),
    ("sqrt(v * v) at v = 0", lambda xp, v: xp.sqrt(v * v), 0.0, np.nan, np.nan),
    ("sqrt(v) at v = 0", lambda xp, v: xp.sqrt(v), 0.0, np.inf, np.inf),
]


@pytest.mark.parametrize("name, fun, point, forward, reverse", MODE_DISAGREEMENTS,
                         ids=[r[0] for r in MODE_DISAGREEMENTS])
def test_convention_where_jax_modes_disagree(name, fun, point, forward, reverse):
    f_np, f_jax = (lambda v: fun(np, v)), (lambda v: fun(jnp, v))
    jax_forward = float(jax.jvp(f_jax, (point,), (1.0,))[1])
    jax_reverse = float(jax.grad(f_jax)(point))
    np.testing.assert_array_equal([jax_forward, jax_reverse], [forward, reverse], err_msg=f"{name}: JAX")
    ad_forward = float(ad.jvp(f_np, (point,), (1.0,))[1])
    ad_reverse = float(ad.grad(f_np)(point))
    ad_forward_grad = float(ad.grad(f_np, mode="forward")(point))
    np.testing.assert_array_equal([ad_forward, ad_forward_grad, ad_reverse], [forward, forward, reverse],
                                  err_msg=f"{name}: admodes (jvp, grad(mode='forward'), grad)")
