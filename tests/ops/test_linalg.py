"""Spec table: np.linalg (solve, inv, det, slogdet, cholesky, eigh, eigvalsh, qr, svd,
svdvals, multi_dot, matrix_power, norm) against JAX, plus the refused cases.

``norm`` covers the vector orders (2, 1, inf, -inf, 3) and the matrix ones (fro, 1, inf,
-1, 2, -2, nuc); its conventions at ties and at zero are hand-written Jacobians at the end.

Inputs are drawn well conditioned: square matrices as ``I * n + noise``, symmetric
positive definite ones as ``B B^T + n I``. Eigen- and singular vectors are compared
up to their sign (``v * sign(v[0])``, a zero-derivative normalisation applied in both
NumPy and JAX), since the sign is a convention of the LAPACK routine.

``cholesky``, ``eigh`` and ``eigvalsh`` read one triangle of their input, as NumPy does
(the lower one; the upper one with ``UPLO='U'`` or ``upper=True``). Their rows feed a
matrix whose other triangle is garbage, so the finite differences (along random, not
symmetric, directions) check that the derivative is that of the function NumPy computes.
JAX's ``eigh``/``cholesky`` symmetrize their input (``(A + A^T) / 2``) instead, a
different function, so the JAX side of those rows hands JAX the
symmetric matrix NumPy reads (``harness.numpy_reads``).
"""

import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, check_all, check_jacobian_values, numpy_reads


def _well(n, batch=()):
    def draw(rng):
        return (np.eye(n) * n + rng.uniform(-1, 1, batch + (n, n)),)

    return draw


def _well_rhs(n, rhs_shape, batch=()):
    def draw(rng):
        return np.eye(n) * n + rng.uniform(-1, 1, batch + (n, n)), rng.uniform(-1, 1, rhs_shape)

    return draw


def _spd(n, batch=()):
    def draw(rng):
        b = rng.uniform(-1, 1, batch + (n, n))
        return (b @ np.swapaxes(b, -1, -2) + n * np.eye(n),)

    return draw


def _distinct_spectrum(n):
    """A symmetric matrix with well separated eigenvalues."""

    def draw(rng):
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        w = np.arange(1.0, n + 1) * 1.5 + rng.uniform(-0.3, 0.3, n)
        return ((q * w) @ q.T,)

    return draw


def _separated(m, n):
    """A matrix with well separated singular values."""

    def draw(rng):
        k = min(m, n)
        u, _ = np.linalg.qr(rng.standard_normal((m, k)))
        v, _ = np.linalg.qr(rng.standard_normal((n, k)))
        s = np.arange(k, 0, -1) * 1.5 + rng.uniform(-0.3, 0.3, k)
        return ((u * s) @ v.T,)

    return draw


def _garbage_above(draw, upper=False):
    """``draw``'s symmetric matrix with noise added to the triangle NumPy does not read."""

    def noisy(rng):
        (a,) = draw(rng)
        noise = rng.uniform(-1, 1, a.shape)
        n = a.shape[-1]
        unread = np.tri(n, k=-1, dtype=bool) if upper else ~np.tri(n, dtype=bool)
        return (a + np.where(unread, noise, 0.0),)

    return noisy


def _signed(xp, v):
    """Eigen/singular vectors in columns with a fixed sign (first row positive)."""
    return v * xp.sign(v[..., :1, :])


def _eigh_all(xp, a, uplo="L"):
    w, v = xp.linalg.eigh(numpy_reads(xp, a, uplo == "U"), UPLO=uplo)
    return xp.concatenate([w[None, :], _signed(xp, v)], axis=0)


def _eigh_gauge_free(xp, a):
    """Functions of the eigenvectors that no sign convention changes: V diag(exp(w)) V^T, V o V."""
    w, v = xp.linalg.eigh(numpy_reads(xp, a))
    return xp.concatenate([(v * xp.exp(w)) @ v.T, v * v], axis=0)


def _cholesky(xp, a, upper=False):
    return xp.linalg.cholesky(numpy_reads(xp, a, upper), upper=upper)


def _eigh_built(xp, b):
    w, v = xp.linalg.eigh(b + b.T + xp.diag(xp.arange(b.shape[0], dtype=b.dtype) * 3.0))
    return xp.concatenate([w[None, :], _signed(xp, v)], axis=0)


def _qr_all(xp, a):
    q, r = xp.linalg.qr(a)
    return xp.concatenate([q, r], axis=0)


def _svd_all(xp, a):
    u, s, vt = xp.linalg.svd(a, full_matrices=False)
    u2 = _signed(xp, u)
    vt2 = vt * xp.sign(u[..., :1, :]).T  # the same flips keep A = U S Vt
    return xp.concatenate([u2.ravel(), s, vt2.ravel()])


SPECS = [
    OpSpec("solve vector", lambda xp, a, b: xp.linalg.solve(a, b), (), draw=_well_rhs(3, (3,))),
    OpSpec("solve matrix", lambda xp, a, b: xp.linalg.solve(a, b), (), draw=_well_rhs(3, (3, 2))),
    OpSpec("solve stacked a, broadcast b", lambda xp, a, b: xp.linalg.solve(a, b), (),
           draw=_well_rhs(2, (2, 3), batch=(2,))),
    OpSpec("inv", lambda xp, a: xp.linalg.inv(a), (), draw=_well(3)),
    OpSpec("inv stacked", lambda xp, a: xp.linalg.inv(a), (), draw=_well(2, (2,))),
    OpSpec("det", lambda xp, a: xp.linalg.det(a), (), draw=_well(3)),
    OpSpec("det stacked", lambda xp, a: xp.linalg.det(a), (), draw=_well(2, (3,))),
    OpSpec("slogdet", lambda xp, a: xp.linalg.slogdet(a)[1] * xp.linalg.slogdet(a).sign, (), draw=_well(3)),
    OpSpec("slogdet negative det", lambda xp, a: xp.linalg.slogdet(-a).logabsdet, (), draw=_well(3)),
    OpSpec("cholesky reads the lower triangle", _cholesky, (), draw=_garbage_above(_spd(3))),
    OpSpec("cholesky upper=True reads the upper triangle", lambda xp, a: _cholesky(xp, a, upper=True), (),
           draw=_garbage_above(_spd(3), upper=True)),
    OpSpec("cholesky built", lambda xp, b: xp.linalg.cholesky(b @ b.T + 3.0 * xp.eye(3, dtype=b.dtype)), ((3, 3),)),
    OpSpec("cholesky stacked", _cholesky, (), draw=_garbage_above(_spd(2, (2,)))),
    OpSpec("eigh", _eigh_all, (), draw=_garbage_above(_distinct_spectrum(3))),
    OpSpec("eigh UPLO=U", lambda xp, a: _eigh_all(xp, a, "U"), (), draw=_garbage_above(_distinct_spectrum(3), True)),
    OpSpec("eigh gauge-free vectors", _eigh_gauge_free, (), draw=_garbage_above(_distinct_spectrum(3))),
    OpSpec("eigh built", _eigh_built, ((3, 3),), domain=(-0.5, 0.5)),
    OpSpec("eigvalsh", lambda xp, a: xp.linalg.eigvalsh(numpy_reads(xp, a)), (),
           draw=_garbage_above(_distinct_spectrum(3))),
    OpSpec("eigvalsh UPLO=U", lambda xp, a: xp.linalg.eigvalsh(numpy_reads(xp, a, True), UPLO="U"), (),
           draw=_garbage_above(_distinct_spectrum(3), True)),
    OpSpec("qr tall", _qr_all, ((4, 3),)),
    OpSpec("qr square", _qr_all, ((3, 3),)),
    OpSpec("qr mode=r", lambda xp, a: xp.linalg.qr(a, mode="r"), ((4, 2),)),
    OpSpec("svd tall", _svd_all, (), draw=_separated(4, 3)),
    OpSpec("svd wide", _svd_all, (), draw=_separated(2, 4)),
    OpSpec("svd square", _svd_all, (), draw=_separated(3, 3)),
    OpSpec("svd compute_uv=False", lambda xp, a: xp.linalg.svd(a, compute_uv=False), (), draw=_separated(3, 2)),
    OpSpec("multi_dot", lambda xp, a, b, c: xp.linalg.multi_dot([a, b, c]), ((3,), (3, 2), (2, 2))),
    OpSpec("matrix_power 3", lambda xp, a: xp.linalg.matrix_power(a, 3), ((2, 2),)),
    OpSpec("matrix_power -2", lambda xp, a: xp.linalg.matrix_power(a, -2), (), draw=_well(2)),
    # ---- norm: vector orders, then matrix orders (over two axes)
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
]

if hasattr(np.linalg, "svdvals"):
    SPECS.append(OpSpec("svdvals", lambda xp, a: xp.linalg.svdvals(a), (), draw=_separated(2, 3)))


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


# ---- norm at ties and at zero: hand-written Jacobians, confirmed by JAX.
CONVENTIONS = [
    (OpSpec("norm inf ties: split", lambda xp, x: xp.linalg.norm(x, xp.inf), ((3,),)),
     ([1.0, -1.0, 0.5],), ([0.5, -0.5, 0.0],)),
    (OpSpec("norm inf at zero: ties with JAX's initial 0", lambda xp, x: xp.linalg.norm(x, xp.inf), ((2,),)),
     ([0.0, 0.0],), ([0.25, 0.25],)),
    (OpSpec("matrix norm 1 at zero", lambda xp, x: xp.linalg.norm(x, 1), ((1, 2),)),
     ([[0.0, 0.0]],), ([[0.25, 0.25]],)),
    (OpSpec("norm 1 at zero: slope 1", lambda xp, x: xp.linalg.norm(x, 1), ((2,),)),
     ([0.0, -2.0],), ([1.0, -1.0],)),
]


@pytest.mark.parametrize("spec, args, expected", CONVENTIONS, ids=[str(c[0]) for c in CONVENTIONS])
def test_convention(spec, args, expected):
    check_jacobian_values(spec, args, expected)


# ----------------------------------------------------------------- refused cases


@pytest.mark.parametrize("factor", [0, 1], ids=["Q", "R"])
def test_qr_wide_is_refused_and_names_the_fix(factor):
    a = np.ones((2, 3))
    with pytest.raises(ad.AdmodesError, match=r"m >= n.*Use mode='reduced'"):
        ad.grad(lambda x: np.sum(np.linalg.qr(x)[factor]))(a)


def test_svd_full_matrices_is_refused():
    a = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ad.AdmodesError, match="full_matrices=False"):
        ad.grad(lambda x: np.sum(np.linalg.svd(x)[0]))(a)


def test_repeated_eigenvalues_give_finite_value_derivatives():
    """eigh of the identity: the vectors are not unique, but the values are differentiable."""
    grad = ad.grad(lambda a: np.sum(np.linalg.eigh(a)[0] ** 2))(np.eye(3))
    np.testing.assert_allclose(grad, 2 * np.eye(3))
    grad = ad.grad(lambda a: np.linalg.norm(a, 2))(np.eye(3))
    assert np.all(np.isfinite(grad))
