"""The API contract: shapes (JAX's), pytrees, argnums, has_aux, chunk, auto mode, dtypes, nesting."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

RNG = np.random.default_rng(0)
W1 = RNG.standard_normal((5, 3))
W2 = RNG.standard_normal((4, 5))


def net(xp):
    return lambda x: xp.tanh(W2 @ xp.tanh(W1 @ x))


X = RNG.standard_normal(3)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("chunk", [None, 1, 2, 100])
def test_jacobian_matches_jax_in_every_mode_and_chunk(mode, chunk):
    got = ad.jacobian(net(np), mode=mode, chunk=chunk)(X)
    np.testing.assert_allclose(got, jax.jacrev(net(jnp))(X), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("case", ["vector", "scalar", "matrix", "tuple", "constant", "float32 out", "2-d in"])
def test_one_array_calls_match_the_general_path(mode, case):
    # jacobian(f)(x) on one float array has a fast path (from the second call on in auto
    # mode); has_aux=True takes the general one. Both must give the same arrays.
    f = {
        "vector": net(np),
        "scalar": lambda x: np.sum(np.tanh(x) ** 2),
        "matrix": lambda x: np.sin(x)[:, None] * np.ones((1, 2)),
        "tuple": lambda x: (np.tanh(W1 @ x), np.sum(x)),
        "constant": lambda x: np.ones(4),
        "float32 out": lambda x: np.tanh(W1 @ x).astype(np.float32),
        "2-d in": lambda x: np.sin(x) @ W1,
    }[case]
    x = RNG.standard_normal((2, 5)) if case == "2-d in" else X
    jac = ad.jacobian(f, mode=mode)
    first, second = jac(x), jac(x)
    general = ad.jacobian(lambda x: (f(x), None), mode=mode, has_aux=True)(x)[0]
    leaves, treedef = ad.tree_flatten(second)
    assert treedef == ad.tree_flatten(general)[1] == ad.tree_flatten(first)[1]
    for got, again, want in zip(leaves, ad.tree_flatten(first)[0], ad.tree_flatten(general)[0]):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(again, want)


def test_jacobian_shape_is_out_shape_plus_in_shape():
    f = lambda x: np.sin(x)[:, None, :] * np.ones((3, 1))  # (2, 4) -> (2, 3, 4)
    x = RNG.standard_normal((2, 4))
    out_shape = f(x).shape
    for mode in ("forward", "reverse"):
        assert ad.jacobian(f, mode=mode)(x).shape == out_shape + x.shape


def test_pytrees_in_and_out():
    params = {"w": RNG.standard_normal((2, 3)), "b": RNG.standard_normal(2)}
    x = RNG.standard_normal(3)

    def f(p, x):
        h = p["w"] @ x + p["b"]
        return {"sum": np.sum(h ** 2), "h": (h, np.tanh(h))}

    def fj(p, x):
        h = p["w"] @ x + p["b"]
        return {"sum": jnp.sum(h ** 2), "h": (h, jnp.tanh(h))}

    expected = jax.jacrev(fj)(params, x)
    for mode in ("forward", "reverse"):
        got = ad.jacobian(f, mode=mode)(params, x)
        for path in (("sum",), ("h", 0), ("h", 1)):
            g, e = got, expected
            for key in path:
                g, e = g[key], e[key]
            for name in ("w", "b"):
                np.testing.assert_allclose(g[name], e[name], rtol=1e-12)
    grads = ad.grad(lambda p, x: f(p, x)["sum"])(params, x)
    assert set(grads) == {"w", "b"} and grads["w"].shape == (2, 3)


def test_argnums_tuple_and_negative():
    f = lambda x, y, z: np.sum(x * y ** 2 + z)
    gx, gy = ad.grad(f, argnums=(0, 1))(1.0, 2.0, 3.0)
    assert (float(gx), float(gy)) == (4.0, 4.0)
    assert float(ad.grad(f, argnums=-1)(1.0, 2.0, 3.0)) == 1.0


def test_has_aux():
    f = lambda x: (np.sum(x ** 2), {"norm": np.sqrt(np.sum(x ** 2))})
    for mode in ("forward", "reverse"):
        g, aux = ad.grad(f, has_aux=True, mode=mode)(np.array([3.0, 4.0]))
        np.testing.assert_allclose(g, [6.0, 8.0])
        assert float(aux["norm"]) == 5.0 and not isinstance(aux["norm"], ad.Node | ad.Dual)
    (value, aux), g = ad.value_and_grad(f, has_aux=True)(np.array([3.0, 4.0]))
    assert float(value) == 25.0


def test_vjp_pulls_back_any_cotangent_and_can_be_called_twice():
    out, pullback = ad.vjp(net(np), X)
    _, jpullback = jax.vjp(net(jnp), X)
    for _ in range(2):
        c = RNG.standard_normal(out.shape)
        np.testing.assert_allclose(pullback(c)[0], jpullback(c)[0], rtol=1e-12)


def test_hvp_and_hessian():
    f = lambda x: np.sum(np.sin(x) * x ** 3)
    fj = lambda x: jnp.sum(jnp.sin(x) * x ** 3)
    v = RNG.standard_normal(3)
    np.testing.assert_allclose(ad.hvp(f, (X,), (v,)), jax.hessian(fj)(X) @ v, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(f)(X), jax.hessian(fj)(X), rtol=1e-12)


def test_nested_grads_third_order():
    f = lambda x: np.sin(x) * x
    fj = lambda x: jnp.sin(x) * x
    d3 = ad.grad(ad.grad(ad.grad(f), mode="forward"))(0.7)
    np.testing.assert_allclose(d3, jax.grad(jax.grad(jax.grad(fj)))(0.7), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_kept(dtype):
    x = X.astype(dtype)
    assert ad.grad(lambda x: np.sum(np.tanh(x) ** 2))(x).dtype == dtype
    w = W1.astype(dtype)
    for mode in ("forward", "reverse"):
        assert ad.jacobian(lambda x: np.tanh(w @ x), mode=mode)(x).dtype == dtype
    _, t = ad.jvp(lambda x: np.sin(x) * 2.0, (x,), (np.ones_like(x),))
    assert t.dtype == dtype


def test_choose_mode_reports_the_numbers():
    wide = ad.choose_mode(lambda p: p[0] * np.linspace(0.0, 1.0, 50) + p[1], np.array([1.0, 2.0]))
    assert (wide.mode, wide.n, wide.m) == ("forward", 2, 50)
    tall = ad.choose_mode(lambda x: np.sum(x ** 2), np.ones(1000))
    assert (tall.mode, tall.n, tall.m) == ("reverse", 1000, 1)
    assert "n = 1000" in str(tall)


def test_auto_mode_runs_the_mode_it_chooses():
    f = lambda p: p[0] * np.linspace(0.0, 1.0, 50) + p[1]
    p = np.array([1.0, 2.0])
    with ad.count_ops() as auto:
        ad.jacobian(f, mode="auto")(p)
        ad.jacobian(f, mode="auto")(p)
    assert auto.tapes  # the first call records to learn m
    np.testing.assert_allclose(ad.jacobian(f)(p), ad.jacfwd(f)(p))


def test_op_counts_follow_the_sweep_counts():
    # forward chunk=1 runs n sweeps, reverse chunk=1 runs m backward sweeps over one tape
    f = lambda x: np.tanh(W1 @ x)  # n = 3, m = 5
    with ad.count_ops() as one:
        ad.jvp(f, (X,), (np.ones(3),))
    with ad.count_ops() as fwd:
        ad.jacfwd(f, chunk=1)(X)
    assert fwd.ops == 3 * one.ops
    with ad.count_ops() as tape_only:
        ad.vjp(f, X)
    with ad.count_ops() as rev:
        ad.jacrev(f, chunk=1)(X)
    sweep = (rev.ops - tape_only.ops) / 5
    assert sweep == int(sweep) and sweep > 0
