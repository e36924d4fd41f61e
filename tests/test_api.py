"""The API contract: shapes (JAX's), pytrees, argnums, has_aux, chunk, auto mode, dtypes, nesting."""

import functools
from collections import namedtuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad
from jax_compare import close, tree_close

RNG = np.random.default_rng(0)
W1 = RNG.standard_normal((5, 3))
W2 = RNG.standard_normal((4, 5))


def net(xp):
    return lambda x: xp.tanh(W2 @ xp.tanh(W1 @ x))


X = RNG.standard_normal(3)
MODES = ("forward", "reverse")
X3 = np.array([0.5, -1.2, 2.0])
X32 = X3.astype(np.float32)
WEIGHTS = np.array([1.0, 2.0, 3.0])  # float64: the output of X32 * WEIGHTS is float64


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


# ---------------------------------------------------------------------- dtypes: the input's, as in JAX


@pytest.mark.parametrize("mode", MODES)
def test_gradient_has_the_input_dtype_when_the_output_is_promoted(mode):
    # a float64 constant promotes the output to float64; the gradient of a float32 input stays float32
    f = lambda x: np.sum(np.sin(x) * WEIGHTS)
    fj = lambda x: jnp.sum(jnp.sin(x) * WEIGHTS)
    tree_close(ad.grad(f, mode=mode)(X32), jax.grad(fj)(X32), rtol=1e-6)
    tree_close(ad.value_and_grad(f, mode=mode)(X32), jax.value_and_grad(fj)(X32), rtol=1e-6)


def test_vjp_and_hessian_have_the_input_dtype():
    f = lambda x: np.sin(x) * WEIGHTS
    fj = lambda x: jnp.sin(x) * WEIGHTS
    tree_close(ad.vjp(f, X32)[1](WEIGHTS), jax.vjp(fj, X32)[1](WEIGHTS), rtol=1e-6)
    s, sj = (lambda x: np.sum(f(x) ** 2)), (lambda x: jnp.sum(fj(x) ** 2))
    tree_close(ad.hessian(s)(X32), jax.jit(jax.hessian(sj))(X32), rtol=1e-6)
    tree_close(ad.hvp(s, (X32,), (X32,)), jax.jvp(jax.grad(sj), (X32,), (X32,))[1], rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_jacobian_blocks_have_their_input_dtype(mode, chunk):
    # mixed float32/float64 leaves: each block takes its input leaf's dtype in both modes, as
    # jax.jacobian (jacrev) does; jax.jacfwd would give the output's dtype instead, so its
    # dtype would depend on the mode that mode="auto" picks
    p = {"a": X32, "b": np.array([1.0, 2.0])}
    f = lambda p: {"u": p["a"] * 2.0, "v": p["b"] * p["a"][0]}
    got = ad.jacobian(f, mode=mode, chunk=chunk)(p)
    tree_close(got, jax.jacobian(f)(p), rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_float32_stays_float32_through_every_api_function(mode):
    w = np.arange(6.0, dtype=np.float32).reshape(2, 3) / 6
    f = lambda x: np.sum(np.tanh(w @ x) * 2.0) + np.sum(x[np.array([0, 0, 2])] ** 3) + np.max(x) * 0.5 + np.mean(x ** 2)
    fj = lambda x: jnp.sum(jnp.tanh(w @ x) * 2.0) + jnp.sum(x[jnp.array([0, 0, 2])] ** 3) + jnp.max(x) * 0.5 + jnp.mean(x ** 2)
    t = np.ones(3, np.float32)
    tree_close(ad.value_and_grad(f, mode=mode)(X32), jax.value_and_grad(fj)(X32), rtol=1e-5)
    tree_close(ad.jacobian(lambda x: np.sin(x) * x[::-1], mode=mode, chunk=2)(X32), jax.jacobian(lambda x: jnp.sin(x) * x[::-1])(X32), rtol=1e-5)
    tree_close(ad.jvp(f, (X32,), (t,)), jax.jvp(fj, (X32,), (t,)), rtol=1e-5)
    tree_close(ad.vjp(f, X32)[1](np.float32(1.0)), jax.vjp(fj, X32)[1](np.float32(1.0)), rtol=1e-5)
    tree_close(ad.hessian(f)(X32), jax.jit(jax.hessian(fj))(X32), rtol=1e-4, atol=1e-5)
    tree_close(ad.hvp(f, (X32,), (t.astype(np.float64),)), jax.jvp(jax.grad(fj), (X32,), (t,))[1], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------- mode="auto" and choose_mode


def _spy_on_modes(monkeypatch):
    """The list of modes ("forward"/"reverse") of the Jacobian sweeps run from now on."""
    from admodes import jacobians

    ran = []
    for name in ("forward_jacobian", "reverse_jacobian"):
        real = getattr(jacobians, name)
        monkeypatch.setattr(jacobians, name, lambda *a, real=real, name=name, **k: ran.append(name[:7]) or real(*a, **k))
    return ran


def test_auto_mode_follows_the_output_size_of_each_call(monkeypatch):
    # the pick is made per call: an argument that is not differentiated (here v and k) can
    # change the output size, and with it the cheaper mode
    ran = _spy_on_modes(monkeypatch)
    f = lambda x, v, k=1: np.sum(x) * np.tile(v, k)
    jac = ad.jacobian(f)
    calls = [((np.ones(1),), {}), ((np.ones(10),), {}), ((np.ones(1),), {}), ((np.ones(1),), {"k": 5})]
    for extra, kwargs in calls:
        got = jac(X3, *extra, **kwargs)
        close(got, jax.jacobian(lambda x: jnp.sum(x) * jnp.tile(extra[0], kwargs.get("k", 1)))(X3))
    assert [ad.choose_mode(f, X3, *extra).mode for extra, _ in calls[:3]] == ["reverse", "forward", "reverse"]
    assert ran == ["reverse", "forward", "reverse", "forward"]


@pytest.mark.parametrize("n,m,mode", [(3, 1, "reverse"), (3, 3, "forward"), (3, 4, "forward"), (0, 2, "forward"), (2, 0, "reverse")])
def test_choose_mode_numbers_and_auto_agree(monkeypatch, n, m, mode):
    ran = _spy_on_modes(monkeypatch)
    f = lambda x: np.sum(x) * np.ones(m)
    choice = ad.choose_mode(f, np.ones(n))
    assert (choice.mode, choice.n, choice.m, choice.forward_sweeps, choice.reverse_sweeps) == (mode, n, m, n, m)
    close(ad.jacobian(f)(np.ones(n)), np.ones((m, n)))
    assert ran == [mode]


def test_choose_mode_leaves_aux_out_as_jacobian_does(monkeypatch):
    # with has_aux=True, m counts the differentiated output only, so choose_mode says what
    # jacobian(has_aux=True, mode="auto") picks (here: reverse, m = 1, not forward, m = 101)
    ran = _spy_on_modes(monkeypatch)
    f = lambda x: (np.sum(x ** 2), np.ones(100) * x[0])
    choice = ad.choose_mode(f, X3, has_aux=True)
    assert (choice.mode, choice.n, choice.m) == ("reverse", 3, 1)
    close(ad.jacobian(f, has_aux=True)(X3)[0], 2 * X3)
    assert ran == ["reverse"]
    assert ad.choose_mode(f, X3).m == 101


def test_auto_mode_cache_stays_small_when_an_int_argument_changes_every_call():
    jac = ad.jacobian(lambda x, step: x * (1.0 + step))
    for step in range(300):
        jac(X3, step)
    inner = jac.__wrapped__  # the transformation inside its traceback boundary
    cache = next(c.cell_contents for c in inner.__closure__ if isinstance(c.cell_contents, dict))
    assert len(cache) <= 256


# ---------------------------------------------------------------------- pytrees, shapes, several arguments

PYTREE_RNG = np.random.default_rng(11)
PARAMS = {"w": PYTREE_RNG.normal(size=(2, 3)), "b": (PYTREE_RNG.normal(size=3), None), "s": np.array(0.7)}
X2 = PYTREE_RNG.normal(size=2)


def pytree_net(xp):
    """A function of a dict (with a None leaf) and an array, returning a dict holding a list with a None."""
    def f(p, x):
        h = xp.tanh(p["w"].T @ x + p["b"][0]) * p["s"]
        return {"h": h, "l": [xp.sum(h ** 2), None]}

    return f


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("chunk", [None, 1, 2])
@pytest.mark.parametrize("argnums", [0, (0, 1), (1, 0)])
def test_jacobian_of_pytrees_with_none_and_argnums(mode, chunk, argnums):
    got = ad.jacobian(pytree_net(np), argnums=argnums, mode=mode, chunk=chunk)(PARAMS, X2)
    tree_close(got, jax.jacobian(pytree_net(jnp), argnums=argnums)(PARAMS, X2))


@pytest.mark.parametrize("mode", MODES)
def test_grad_and_vjp_of_pytrees_with_aux(mode):
    def loss(xp):
        return lambda p, x: (xp.sum(pytree_net(xp)(p, x)["h"] ** 3), {"x": x * 2.0})

    tree_close(ad.value_and_grad(loss(np), argnums=(1, 0), has_aux=True, mode=mode)(PARAMS, X2),
               jax.value_and_grad(loss(jnp), argnums=(1, 0), has_aux=True)(PARAMS, X2))
    cot = {"h": np.ones(3), "l": [np.array(2.0), None]}
    tree_close(ad.vjp(pytree_net(np), PARAMS, X2)[1](cot), jax.vjp(pytree_net(jnp), PARAMS, X2)[1](cot))
    tree_close(ad.jvp(pytree_net(np), (PARAMS, X2), (PARAMS, X2)),
               jax.jvp(pytree_net(jnp), (PARAMS, X2), (PARAMS, X2)))


def test_hessian_and_hvp_with_several_arguments():
    def f(xp):
        return lambda x, y, z: xp.sum(xp.sin(x) * y[:, None] ** 2) * z + xp.sum(y @ x) ** 2

    rng = np.random.default_rng(12)
    x, y, z = rng.normal(size=(2, 3)), rng.normal(size=2), 1.3
    for argnums in (0, 1, (0, 1), (2, 0, 1)):
        tree_close(ad.hessian(f(np), argnums=argnums)(x, y, z), jax.jit(jax.hessian(f(jnp), argnums=argnums))(x, y, z))
    tangents = (rng.normal(size=(2, 3)), rng.normal(size=2), 0.5)
    want = jax.jit(lambda *a: jax.jvp(jax.grad(f(jnp), argnums=(0, 1, 2)), a, tangents)[1])(x, y, z)
    tree_close(ad.hvp(f(np), (x, y, z), tangents), want)
    # one argument that is itself a pytree
    g = lambda xp: (lambda p: p["a"] ** 2 * xp.sum(p["b"] ** 3))
    p, v = {"a": 2.0, "b": X3}, {"a": 1.0, "b": X3[::-1]}
    tree_close(ad.hvp(g(np), (p,), (v,)), jax.jvp(jax.grad(g(jnp)), (p,), (v,))[1])
    tree_close(ad.hessian(g(np))(p), jax.jit(jax.hessian(g(jnp)))(p))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_scalar_empty_and_size_one_shapes(mode, chunk):
    jac = functools.partial(ad.jacobian, mode=mode, chunk=chunk)
    cases = [
        (lambda s: (s * 2.0, np.stack([s, s ** 2])), lambda s: (s * 2.0, jnp.stack([s, s ** 2])), (1.5,)),
        (lambda x: x * 2.0, lambda x: x * 2.0, (np.zeros((0, 2)),)),
        (lambda x: x[:0] * 2.0, lambda x: x[:0] * 2.0, (X3,)),
        (lambda x, y: np.sum(x) * y, lambda x, y: jnp.sum(x) * y, (np.zeros((0, 3)), X2)),
        (lambda x: np.sum(x * x.T, axis=0, keepdims=True), lambda x: jnp.sum(x * x.T, axis=0, keepdims=True), (np.full((1, 3), 2.0),)),
        (lambda x: (np.ones(2), x), lambda x: (jnp.ones(2), x), (X3,)),
    ]
    for f, fj, args in cases:
        argnums = tuple(range(len(args))) if len(args) > 1 else 0
        tree_close(jac(f, argnums=argnums)(*args), jax.jacobian(fj, argnums=argnums)(*args))
    tree_close(ad.hessian(lambda x: np.sum(x ** 3))(np.array([[2.0]])), jax.hessian(lambda x: jnp.sum(x ** 3))(np.array([[2.0]])))
    tree_close(ad.hessian(lambda x: x ** 3)(np.array(2.0)), jax.hessian(lambda x: x ** 3)(np.array(2.0)))


Params = namedtuple("Params", "w b")


@pytest.mark.parametrize("mode", MODES)
def test_namedtuples_are_pytrees(mode):
    # a namedtuple is a node, as in JAX: the gradient is a Params whose fields are the
    # fields' gradients (not one array stacked from the fields)
    p = Params(w=X3, b=2.0)
    f = lambda p: np.sum(np.sin(p.w) * p.b)
    fj = lambda p: jnp.sum(jnp.sin(p.w) * p.b)
    got = ad.grad(f, mode=mode)(p)
    assert isinstance(got, Params)
    tree_close(got, jax.grad(fj)(p))
    tree_close(ad.jacobian(lambda p: Params(w=p.w * p.b, b=p.b ** 2), mode=mode)(p),
               jax.jacobian(lambda p: Params(w=p.w * p.b, b=p.b ** 2))(p))
    # NumPy's own namedtuple results (slogdet) are outputs like any other pytree
    a = np.array([[2.0, 0.5], [0.3, -1.0]])
    sign, logdet = ad.jacobian(np.linalg.slogdet, mode=mode)(a)
    close(sign, np.zeros((2, 2)))
    close(logdet, jax.jacobian(lambda a: jnp.linalg.slogdet(a)[1])(a))
