"""Sparse Jacobians (admodes.sparse): the detected pattern against the nonzeros of the dense
Jacobian (ad.jacobian) at random points, the colourings' counts against their bounds and
the known values, and the decompressed Jacobian against the dense one in both modes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import admodes as ad
from admodes.core import PRIMITIVES, AdmodesError
from admodes.sparse import (
    ORDERINGS, SparseJacobian, SparsityPattern, SparsityWarning, color_columns, color_rows, is_valid, rule_for,
)
from admodes.sparse import detect as detect_module

scipy_sparse = pytest.importorskip("scipy.sparse")

RNG = np.random.default_rng(16)


def banded(n, lower, upper, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.5, (n, n))
    i, j = np.indices((n, n))
    return np.where((j - i <= upper) & (i - j <= lower), a, 0.0)


A_BAND = banded(9, 1, 2)
A_SQUARE = banded(6, 1, 1, seed=1)


def pde_1d(u):
    """A 1-D reaction-diffusion residual: second differences by slicing, Dirichlet ends."""
    interior = u[:-2] - 2 * u[1:-1] + u[2:] + u[1:-1] ** 3
    return np.concatenate([u[:1] - 1.0, interior, u[-1:] * 2.0])


def laplace_2d(x):
    u = x.reshape(5, 5)
    lap = u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1]
    return (lap + np.sin(u[1:-1, 1:-1])).ravel()


def arrow(x):
    """Dense in the first row and the first column, diagonal elsewhere."""
    return np.concatenate([np.sum(x ** 2, keepdims=True), x[0] * x[1:] + np.sin(x[1:])])


def dense_row(x):
    """Diagonal plus one dense row: n colours forward, 2 reverse."""
    return np.concatenate([x ** 2, np.sum(np.sin(x), keepdims=True)])


CAM = np.array([0, 0, 1, 2, 2, 3, 1, 3])
PT = np.array([0, 1, 1, 2, 3, 4, 4, 0])
OBS = np.random.default_rng(3).normal(size=(8, 2))


def bundle(x):
    """Bundle-adjustment-like residuals: observation k reads camera CAM[k] (6 parameters) and
    point PT[k] (3), picked by advanced indexing."""
    cams = x[: 4 * 6].reshape(4, 6)
    pts = x[4 * 6 :].reshape(5, 3)
    c, p = cams[CAM], pts[PT]
    q = p * c[:, :3] + c[:, 3:]
    proj = q[:, :2] / (1.0 + np.sum(q ** 2, axis=1, keepdims=True))
    return (proj - OBS).ravel()


def scatter_write(x):
    y = np.zeros_like(x)
    y[1:] = x[:-1] ** 2
    y[0] = x[-1]
    return y * 3.0


# name -> (function, input shape); all branch-free: the pattern equals the dense Jacobian's nonzeros
EXACT = {
    "elementwise": (lambda x: np.sin(x) * x ** 2 + np.exp(-x) / (1 + x ** 2), (3, 4)),
    "outer": (lambda x: (x[:, None] * np.cos(x)[None, :]).ravel(), (5,)),
    "pde_1d": (pde_1d, (8,)),
    "laplace_2d": (laplace_2d, (25,)),
    "arrow": (arrow, (7,)),
    "dense_row": (dense_row, (7,)),
    "banded_matvec": (lambda x: A_BAND @ np.tanh(x), (9,)),
    "banded_matmul": (lambda x: (A_SQUARE @ np.cos(x.reshape(6, 3))).ravel(), (18,)),
    "banded_vecmat": (lambda x: np.exp(x) @ A_BAND, (9,)),
    "banded_einsum": (lambda x: np.einsum("ij,j->i", A_BAND, x ** 2), (9,)),
    "einsum_diagonal": (lambda x: np.einsum("ii->i", x.reshape(3, 3)) * np.sum(x[:2]), (9,)),
    "bundle": (bundle, (4 * 6 + 5 * 3,)),
    "reductions": (lambda x: np.concatenate([np.sum(x.reshape(4, 5) ** 2, axis=1),
                                             np.prod(x.reshape(4, 5)[:, 1:3], axis=0)]), (20,)),
    "cumsum": (lambda x: np.cumsum(np.sin(x.reshape(2, 4)), axis=1).ravel(), (8,)),
    "transpose": (lambda x: (x.reshape(3, 4).T * np.arange(1.0, 13.0).reshape(4, 3)).ravel(), (12,)),
    "broadcast_to": (lambda x: (np.broadcast_to(x[:3], (2, 3)) * x[3:]).ravel(), (6,)),
    "setitem": (scatter_write, (6,)),
    "zeros_in_constant": (lambda x: x * np.array([1.0, 0.0, 2.0, 0.0]) + np.exp(x[::-1]) * np.array([0.0, 1.0, 1.0, 0.0]), (4,)),
    "stacked_inv": (lambda x: np.linalg.inv(x.reshape(3, 2, 2) + 2 * np.eye(2)).ravel(), (12,)),
    "dot_product": (lambda x: np.concatenate([np.atleast_1d(x[:3] @ x[3:]), x[:2] ** 2]), (6,)),
}

# value-dependent choices: the pattern is the union over branches, a superset at each point
BRANCHY = {
    "where": (lambda x: np.where(x > 0, x ** 2, x[::-1]), (6,)),
    "max": (lambda x: np.max(x.reshape(3, 4), axis=1), (12,)),
    "maximum_abs": (lambda x: np.maximum(np.abs(x), x[::-1]), (5,)),
}


def dense_nonzeros(f, x):
    jac = np.asarray(ad.jacobian(f)(x))
    return jac.reshape(-1, x.size) != 0


@pytest.mark.parametrize("name", sorted(EXACT))
def test_pattern_equals_the_dense_nonzeros(name):
    f, shape = EXACT[name]
    x0 = RNG.uniform(0.3, 1.2, shape)
    pattern = ad.jacobian_sparsity(f)(x0)
    assert pattern.exact, pattern.fallbacks
    for _ in range(2):  # a global pattern: the same at other points
        x = RNG.uniform(0.3, 1.2, shape)
        np.testing.assert_array_equal(pattern.toarray(), dense_nonzeros(f, x))


def test_known_patterns():
    eye = np.eye(8, dtype=bool)
    tri = eye | np.eye(8, k=1, dtype=bool) | np.eye(8, k=-1, dtype=bool)
    tri[0, 1] = tri[-1, -2] = False  # the ends are Dirichlet conditions
    np.testing.assert_array_equal(ad.jacobian_sparsity(pde_1d)(np.ones(8)).toarray(), tri)
    expected = np.eye(7, dtype=bool)
    expected[0, :] = expected[:, 0] = True
    np.testing.assert_array_equal(ad.jacobian_sparsity(arrow)(np.ones(7)).toarray(), expected)
    band = ad.jacobian_sparsity(EXACT["banded_matvec"][0])(np.ones(9)).toarray()
    np.testing.assert_array_equal(band, A_BAND != 0)
    rows = ad.jacobian_sparsity(bundle)(np.ones(39)).row_counts()
    assert rows.tolist() == [9] * 16  # 6 camera + 3 point parameters per residual


@pytest.mark.parametrize("name", sorted(BRANCHY))
def test_pattern_is_the_union_over_branches(name):
    f, shape = BRANCHY[name]
    rng = np.random.default_rng(sorted(BRANCHY).index(name))  # its own draws, whatever ran before (xdist)
    pattern = ad.jacobian_sparsity(f)(rng.normal(size=shape)).toarray()
    seen = np.zeros_like(pattern)
    for _ in range(40):  # enough points that every branch is taken somewhere
        x = rng.normal(size=shape)
        nonzeros = dense_nonzeros(f, x)
        assert not (nonzeros & ~pattern).any(), "the pattern misses a nonzero"
        seen |= nonzeros
    np.testing.assert_array_equal(seen, pattern)  # and every pattern entry is taken somewhere


def test_where_takes_both_branches():
    pattern = ad.jacobian_sparsity(BRANCHY["where"][0])(np.ones(6)).toarray()  # every x > 0 here
    np.testing.assert_array_equal(pattern, np.eye(6, dtype=bool) | np.eye(6, dtype=bool)[::-1])


def test_a_primitive_without_a_rule_falls_back_to_dense_and_says_so():
    @ad.custom_jvp
    def head_sum(x):
        return x[:2] * np.sum(x[2:4])

    @head_sum.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return head_sum(x), t[:2] * np.sum(x[2:4]) + x[:2] * np.sum(t[2:4])

    f = lambda x: np.concatenate([head_sum(x[:4]), x[4:] ** 2])  # noqa: E731
    x = RNG.uniform(0.5, 1.0, 6)
    with pytest.warns(SparsityWarning, match="no sparsity rule"):
        pattern = ad.jacobian_sparsity(f)(x)
    assert not pattern.exact and len(pattern.fallbacks) == 1
    dense = pattern.toarray()
    truth = dense_nonzeros(f, x)
    assert not (truth & ~dense).any()  # never sparser than the truth
    np.testing.assert_array_equal(dense[:2, :4], True)  # the opaque block: dense in its inputs
    np.testing.assert_array_equal(dense[2:], truth[2:])  # the rest stays exact
    with pytest.warns(SparsityWarning):
        J = ad.sparse_jacobian(f, format="dense", mode="reverse")(x)
    np.testing.assert_allclose(J, ad.jacobian(f)(x), rtol=0, atol=1e-12)


def test_every_primitive_has_a_sparsity_rule():
    missing = sorted(name for name, prim in PRIMITIVES.items() if rule_for(prim) is None)
    assert not missing, f"no sparsity rule (admodes.sparse.rules.RULES) for {missing}"


def test_pattern_object():
    p = ad.jacobian_sparsity(dense_row)(np.ones(4))
    assert p.shape == (5, 4) and p.nnz == 8
    assert p.row_counts().tolist() == [1, 1, 1, 1, 4] and p.col_counts().tolist() == [2] * 4
    csr = p.tocsr()
    np.testing.assert_array_equal(csr.toarray(), p.toarray())
    np.testing.assert_array_equal(p.T.toarray(), p.toarray().T)
    assert SparsityPattern.from_dense(p.toarray()) == p
    assert "5 x 4, 8 nonzeros" in repr(p)


def test_pattern_of_several_inputs_and_outputs():
    f = lambda x, y: {"a": x * y[::-1], "b": np.sum(y ** 2, keepdims=True)}  # noqa: E731
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    p = ad.jacobian_sparsity(f, argnums=(0, 1))(x, y).toarray()
    expected = np.zeros((4, 6), bool)
    expected[np.arange(3), np.arange(3)] = True
    expected[np.arange(3), 3 + np.arange(3)[::-1]] = True
    expected[3, 3:] = True
    np.testing.assert_array_equal(p, expected)


# ---------------------------------------------------------------- colourings


def pattern_of(dense):
    return SparsityPattern.from_dense(np.asarray(dense))


@pytest.mark.parametrize("ordering", ORDERINGS + ("best",))
def test_colour_counts_on_simple_patterns(ordering):
    n = 12
    diagonal = pattern_of(np.eye(n))
    assert color_columns(diagonal, ordering).ncolors == 1 and color_rows(diagonal, ordering).ncolors == 1
    arrowhead = np.eye(n)
    arrowhead[0] = arrowhead[:, 0] = 1
    assert color_columns(pattern_of(arrowhead), ordering).ncolors == n
    assert color_rows(pattern_of(arrowhead), ordering).ncolors == n
    one_dense_row = np.vstack([np.eye(n), np.ones((1, n))])
    assert color_columns(pattern_of(one_dense_row), ordering).ncolors == n
    assert color_rows(pattern_of(one_dense_row), ordering).ncolors == 2
    tri = pattern_of(np.eye(n) + np.eye(n, k=1) + np.eye(n, k=-1))
    for coloring in (color_columns(tri, ordering), color_rows(tri, ordering)):
        assert coloring.lower_bound == 3 and is_valid(tri, coloring)
        if ordering in ("natural", "largest_first", "best"):
            assert coloring.ncolors == 3


def test_five_point_laplacian_colours():
    pattern = ad.jacobian_sparsity(laplace_2d)(np.ones(25))
    assert pattern.row_counts().max() == 5
    coloring = color_columns(pattern, "best")
    assert is_valid(pattern, coloring) and coloring.lower_bound == 5
    # the optimum is 5 ((i + 2j) mod 5); greedy in the standard orderings finds 6
    assert coloring.ncolors == 6
    optimum = type(coloring)((np.indices((5, 5)).T @ [1, 2]).T.ravel() % 5, "column", "hand", 5, 0)
    assert optimum.ncolors == 5 and is_valid(pattern, optimum)


def test_columns_without_nonzeros_get_no_colour():
    p = pattern_of(np.array([[1, 0, 1, 0], [0, 0, 1, 0]]))
    c = color_columns(p)
    assert c.colors[[1, 3]].tolist() == [-1, -1] and c.ncolors == 2 and is_valid(p, c)
    assert c.seeds().sum(axis=0).tolist() == [1, 0, 1, 0]
    assert [g.tolist() for g in c.groups()] in ([[0], [2]], [[2], [0]])


@pytest.mark.parametrize("seed", range(6))
def test_colourings_are_valid_and_within_their_bounds(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(5, 40, size=2)
    dense = rng.random((m, n)) < rng.uniform(0.03, 0.4)
    p = pattern_of(dense)
    for ordering in ORDERINGS:
        for coloring in (color_columns(p, ordering), color_rows(p, ordering)):
            assert is_valid(p, coloring)
            assert coloring.lower_bound <= max(coloring.ncolors, 1) <= max(coloring.upper_bound, 1)
    c = color_columns(p)
    assert c.lower_bound == dense.sum(axis=1).max()
    bad = type(c)(np.zeros(n, np.int64), "column", "natural", 0, 0)  # everything one colour
    assert is_valid(p, bad) == (dense.sum(axis=1).max() <= 1)


# ---------------------------------------------------------------- the sparse Jacobian


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("name", sorted(EXACT) + sorted(BRANCHY))
def test_sparse_jacobian_equals_the_dense_one(name, mode):
    f, shape = {**EXACT, **BRANCHY}[name]
    sj = ad.sparse_jacobian(f, mode=mode)
    for _ in range(2):  # prepared at the first point, reused at the second
        x = RNG.uniform(0.3, 1.2, shape) * RNG.choice([-1.0, 1.0], shape)
        J = sj(x)
        assert isinstance(J, scipy_sparse.csr_matrix)
        dense = np.asarray(ad.jacobian(f)(x)).reshape(J.shape)
        np.testing.assert_allclose(J.toarray(), dense, rtol=0, atol=1e-12)
    assert sj.detections == 1 or name in BRANCHY  # a branchy tape may re-record at a new point


def test_colour_counts_and_the_mode_choice():
    sj = ad.sparse_jacobian(dense_row, np.ones(10))
    assert sj.colors == {"forward": 10, "reverse": 2} and sj.mode == "reverse" and sj.sweeps == 2
    sj = ad.sparse_jacobian(pde_1d, np.ones(10))
    assert sj.colors == {"forward": 3, "reverse": 3} and sj.mode == "forward"
    sj = ad.sparse_jacobian(lambda x: np.sin(x), np.ones(10))
    assert sj.colors == {"forward": 1, "reverse": 1}
    assert "10 x 10" in repr(sj) and "forward 1" in repr(sj)


def test_a_python_branch_re_detects_the_pattern():
    def f(x):
        if x[0] > 0:
            return x ** 2
        return x[::-1] * x[0]

    sj = ad.sparse_jacobian(f, mode="forward")
    for sign in (1.0, -1.0, 1.0):
        x = sign * RNG.uniform(0.5, 1.0, 5)
        np.testing.assert_allclose(sj(x).toarray(), ad.jacobian(f)(x), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(sj.pattern.toarray(), dense_nonzeros(f, x))
    assert sj.detections == 3


def test_several_arguments_and_a_changed_frozen_one():
    f = lambda x, a, y: a @ np.sin(x) + y[::-1] ** 2  # noqa: E731
    x, y = RNG.normal(size=9), RNG.normal(size=9)
    sj = ad.sparse_jacobian(f, argnums=(0, 2), mode="reverse")
    J = sj(x, A_BAND, y)
    jx, jy = ad.jacobian(f, argnums=(0, 2))(x, A_BAND, y)
    np.testing.assert_allclose(J.toarray(), np.hstack([jx, jy]), rtol=0, atol=1e-12)
    other = banded(9, 0, 0)  # another constant matrix: the tape records again
    J = sj(x, other, y)
    np.testing.assert_allclose(J.toarray()[:, :9], np.diag(np.diag(other) * np.cos(x)), rtol=0, atol=1e-12)
    assert sj.detections == 2


def test_formats_and_a_missing_scipy(monkeypatch):
    x = RNG.normal(size=8)
    dense = ad.jacobian(pde_1d)(x)
    assert isinstance(ad.sparse_jacobian(pde_1d, format="csc")(x), scipy_sparse.csc_matrix)
    np.testing.assert_allclose(ad.sparse_jacobian(pde_1d, format="dense")(x), dense, rtol=0, atol=1e-12)
    monkeypatch.setattr("admodes.sparse.jacobian.scipy_sparse", lambda: None)
    with pytest.warns(UserWarning, match="SciPy is not installed"):
        J = ad.sparse_jacobian(pde_1d)(x)
    assert type(J) is np.ndarray
    np.testing.assert_allclose(J, dense, rtol=0, atol=1e-12)
    monkeypatch.setattr(detect_module, "scipy_sparse", lambda: None)
    with pytest.raises(AdmodesError, match="needs SciPy"):
        ad.jacobian_sparsity(pde_1d)(x).tocsr()


def test_a_constant_function_has_an_empty_jacobian():
    sj = ad.sparse_jacobian(lambda x: np.zeros(3) + 1.0, format="dense")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        J = sj(np.ones(4))
    assert J.shape == (3, 4) and not J.any() and sj.colors == {"forward": 0, "reverse": 0}


def test_bad_arguments_are_refused():
    with pytest.raises(AdmodesError, match="mode='sideways'"):
        ad.sparse_jacobian(np.sin, mode="sideways")
    with pytest.raises(AdmodesError, match="ordering='random'"):
        ad.sparse_jacobian(np.sin, ordering="random")
    with pytest.raises(AdmodesError, match="format='coo'"):
        ad.sparse_jacobian(np.sin, format="coo")
    with pytest.raises(AdmodesError, match="expected a function"):
        ad.sparse_jacobian(3)
    with pytest.raises(AdmodesError, match="call it at a point first"):
        SparseJacobian(np.sin).colors
    with pytest.raises(AdmodesError, match="ordering='random'"):
        color_columns(pattern_of(np.eye(3)), "random")


def test_a_larger_stencil_is_quick_and_exact():
    n = 2000
    x = RNG.normal(size=n)
    sj = ad.sparse_jacobian(pde_1d, x)
    assert sj.sweeps == 3
    J = sj(x)
    main = -2 + 3 * x[1:-1] ** 2
    np.testing.assert_allclose(J.diagonal()[1:-1], main, rtol=0, atol=1e-12)
    np.testing.assert_allclose(J.diagonal(1)[1:], 1.0)
    np.testing.assert_allclose(J.diagonal(-1)[:-1], 1.0)
    assert J.nnz == 3 * n - 4


HESSIAN_CASES = {
    "chain": lambda x: np.sum(x[:-1] * x[1:] ** 2) + np.sum(np.sin(x)),
    "arrow": lambda x: np.sum(x ** 2) * x[0] + np.sum(np.exp(x)),
    "banded_form": lambda x: np.tanh(x) @ (np.eye(6) + np.eye(6, k=2)) @ np.cos(x),
    "gathered_pairs": lambda x: np.sum((x.reshape(3, 2)[[0, 1, 1, 2]] ** 2).prod(axis=1)),
}


@pytest.mark.parametrize("name", sorted(HESSIAN_CASES))
def test_hessian_pattern_from_the_gradient_tape(name):
    """The tape of ad.grad(f) holds the backward sweep's primitives (scatter_add, batched
    rules): its Jacobian pattern is the Hessian's, and its sparse Jacobian the Hessian (no
    symmetry used yet: star colouring is left for later)."""
    f = HESSIAN_CASES[name]
    x = RNG.uniform(0.3, 1.0, 6)
    pattern = ad.jacobian_sparsity(ad.grad(f))(x)
    hessian = ad.hessian(f)(x)
    assert pattern.exact
    np.testing.assert_array_equal(pattern.toarray(), hessian != 0)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(ad.sparse_jacobian(ad.grad(f), mode=mode)(x).toarray(), hessian, rtol=0, atol=1e-12)
