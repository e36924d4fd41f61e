"""Adversarial tests from a review of the engines and the API, against JAX (x64) as the oracle.

Each bug the review found has a test here that failed before its fix; the rest pin down
behaviour that was checked and found right (pytrees, dtypes, hvp/hessian with several
arguments, custom rules under a batch of directions, replay, error messages).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

MODES = ("forward", "reverse")
X3 = np.array([0.5, -1.2, 2.0])


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def tree_close(got, want, rtol=1e-9, atol=1e-10, dtypes=True):
    leaves, treedef = ad.tree_flatten(got)
    want_leaves = jax.tree_util.tree_leaves(want)
    assert len(leaves) == len(want_leaves), (treedef, jax.tree_util.tree_structure(want))
    for a, b in zip(leaves, want_leaves):
        assert np.shape(a) == np.shape(b)
        close(a, b, rtol, atol)
        if dtypes:
            assert np.asarray(a).dtype == np.asarray(b).dtype, (np.asarray(a).dtype, np.asarray(b).dtype)


# ---------------------------------------------------------------------- argnums


@pytest.mark.parametrize("argnums", [(0, 0), (0, -2), (1, 0, 1)])
def test_repeated_argnums_are_refused(argnums):
    # bug: the second copy replaced the first, so grad(x * y, argnums=(0, 0)) was (0, 2)
    with pytest.raises(ad.AdmodesError, match="more than once"):
        ad.grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)
    with pytest.raises(ad.AdmodesError, match="more than once"):
        ad.jacobian(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


# ---------------------------------------------------------------------- dtypes

X32 = X3.astype(np.float32)
WEIGHTS = np.array([1.0, 2.0, 3.0])  # float64: the output of x32 * WEIGHTS is float64


@pytest.mark.parametrize("mode", MODES)
def test_gradient_has_the_input_dtype_when_the_output_is_promoted(mode):
    # bug: a float64 constant made the gradient of a float32 input float64 (JAX: float32)
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


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_recorded_tape_derivatives_have_the_input_dtype(mode):
    f = lambda x: np.sin(x) * WEIGHTS
    fj = lambda x: jnp.sin(x) * WEIGHTS
    tape = ad.record(f, X32)
    tree_close(tape.jacobian(X32, mode=mode), jax.jacobian(fj)(X32), rtol=1e-6)
    tree_close(tape.vjp(X32)[1](WEIGHTS), jax.vjp(fj, X32)[1](WEIGHTS), rtol=1e-6)
    scalar = ad.record(lambda x: np.sum(f(x)), X32)
    tree_close(scalar.grad(X32), jax.grad(lambda x: jnp.sum(fj(x)))(X32), rtol=1e-6)


@pytest.mark.parametrize("other", [2.0, 3])
@pytest.mark.parametrize("x_first", [True, False])
def test_arctan2_with_a_python_number_keeps_float32(other, x_first):
    # bug: square(2.0) in the rule gave a float64 NumPy scalar, which promoted the float32 tangent
    def f(xp):
        return (lambda x: xp.arctan2(x, other)) if x_first else (lambda x: xp.arctan2(other, x))

    tree_close(ad.jvp(f(np), (X32,), (X32,)), jax.jvp(f(jnp), (X32,), (X32,)), rtol=1e-6)


# ---------------------------------------------------------------------- ad.record: checks of what the replay is given


def test_replayed_vjp_checks_the_cotangent_against_the_outputs():
    tape = ad.record(lambda x: (x * 2.0, x), X3)
    _, pullback = tape.vjp(X3)
    close(pullback((np.ones(3), np.ones(3)))[0], np.full(3, 3.0))
    # bug: one cotangent for two outputs was zipped against the first and the second dropped:
    # the answer was (2, 2, 2) with no error (ad.vjp refuses the same call)
    with pytest.raises(ad.AdmodesError, match="structure"):
        pullback((np.ones(3),))
    with pytest.raises(ad.AdmodesError, match="shape"):
        pullback((np.ones(3), np.ones(2)))


def test_replayed_jvp_checks_the_tangents_against_the_inputs():
    tape = ad.record(lambda p: p["a"] * p["b"], {"a": X3, "b": X3 + 1.0})
    p = {"a": X3, "b": X3 + 1.0}
    tree_close(tape.jvp((p,), ({"a": X3, "b": X3},)), jax.jvp(lambda p: p["a"] * p["b"], (p,), ({"a": X3, "b": X3},)))
    with pytest.raises(ad.AdmodesError, match="structure"):
        tape.jvp((p,), ([X3, X3],))  # a list where a dict was recorded
    with pytest.raises(ad.AdmodesError, match="shape"):
        tape.jvp((p,), ({"a": X3, "b": X3[:2]},))  # was a raw broadcasting ValueError
    two = ad.record(lambda x, y: x * y, X3, X3, argnums=(0, 1))
    with pytest.raises(ad.AdmodesError, match="structure"):
        two.jvp((X3, X3), (X3,))  # was an IndexError from inside the sweep
    with pytest.raises(ad.AdmodesError, match="structure"):
        two.jvp((X3, X3), (X3, X3, X3))  # the extra tangent was ignored
    with pytest.raises(ad.AdmodesError, match="tuples"):
        two.jvp((X3, X3), X3)
    pair = ad.record(lambda p: p[0] * p[1], (X3, X3))
    close(pair.jvp(((X3, X3),), ((X3, X3),))[1], 2 * X3 * X3)
    with pytest.raises(ad.AdmodesError, match="structure"):
        pair.jvp(((X3, X3),), (X3, X3))  # the tangent of the one argument, unwrapped


# ---------------------------------------------------------------------- ad.record: the branch check


FROZEN = {
    "sign": (lambda x: np.sum(x * np.sign(x)), np.array([1.0, -2.0]), np.array([-1.0, 2.0])),
    "floor": (lambda x: np.sum(x * np.floor(x)), np.array([1.5, -2.5]), np.array([2.5, -2.5])),
    "argmax": (lambda x: x[np.argmax(x)] * 2.0, np.array([1.0, -2.0]), np.array([-1.0, 2.0])),
    "argmax method": (lambda x: x[x.argmax()] * 2.0, np.array([1.0, -2.0]), np.array([-1.0, 2.0])),
    "round": (lambda x: np.sum(x * np.round(x, 1)), np.array([0.14, 0.2]), np.array([0.16, 0.2])),
    "sort": (lambda x: np.sort(x) * np.array([1.0, 10.0]), np.array([1.0, 2.0]), np.array([2.0, 1.0])),
    "slogdet sign": (lambda x: np.linalg.slogdet(np.diag(x))[0] * np.exp(np.linalg.slogdet(np.diag(x))[1]),
                     np.array([2.0, 1.0]), np.array([-2.0, 1.0])),
    "norm ord 0": (lambda x: np.linalg.norm(x, ord=0) * x, np.array([1.0, 0.0]), np.array([1.0, 1.0])),
}


@pytest.mark.parametrize("name", list(FROZEN))
def test_branch_check_sees_every_value_the_tape_froze(name):
    # bug: only comparisons (x > 0) were logged; a tape that froze sign(x), floor(x), argmax(x)
    # or the order of a sort replayed a wrong value and gradient at a point where they change,
    # and check_branches=True let it through
    f, x0, x1 = FROZEN[name]
    tape = ad.record(f, x0)
    assert tape.same_branches(x0)
    assert not tape.same_branches(x1)
    close(tape.jacobian(x0 * 1.0), ad.jacobian(f)(x0))  # the recorded point itself replays exactly
    assert tape.retapes == 0
    # at x1 the replay re-records itself and is right there
    close(tape.jacobian(x1), ad.jacobian(f)(x1))
    close(tape(x1), f(x1))
    assert tape.retapes == 1
    with pytest.raises(ad.AdmodesError, match="branch"):
        ad.record(f, x0, retape=False).jacobian(x1)


def test_branch_check_ignores_values_that_only_depend_on_shapes():
    def f(x):
        np.empty_like(x)  # its contents are arbitrary: re-checking them would fail at random
        return np.sum(x * np.ones_like(x) + np.zeros_like(x)) * np.size(x) * np.ndim(x)

    tape = ad.record(f, X3)
    assert tape.same_branches(X3[::-1] * 3.0)


# ---------------------------------------------------------------------- mode="auto" and choose_mode


def _spy_on_modes(monkeypatch):
    from admodes import api

    ran = []
    for name in ("_forward_jacobian", "_reverse_jacobian"):
        real = getattr(api, name)
        monkeypatch.setattr(api, name, lambda *a, real=real, name=name, **k: ran.append(name[1:8]) or real(*a, **k))
    return ran


def test_auto_mode_follows_the_output_size_of_each_call(monkeypatch):
    # bug: the pick was cached by the shapes of the differentiated inputs only, so a call whose
    # other arguments changed the output size reused the first call's mode
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


# ---------------------------------------------------------------------- custom rules


def _custom_calls(f):
    return {
        "jvp": lambda: ad.jvp(f, (X3,), (X3,)),
        "jacfwd chunk 2": lambda: ad.jacfwd(f, chunk=2)(X3),
        "grad": lambda: ad.grad(lambda x: np.sum(f(x) * x))(X3),
        "jacrev": lambda: ad.jacrev(f)(X3),
    }


@pytest.mark.parametrize("call", ["jvp", "jacfwd chunk 2", "grad", "jacrev"])
def test_custom_jvp_rule_results_are_checked(call):
    # bug: a rule returning only the tangent was an IndexError or "iteration over a 0-d array";
    # a tangent of the wrong shape was returned as is by jvp (0.0 for a (3,) output), or
    # blamed on "vjp_fun: cotangent 0" that the user never called
    no_pair = ad.custom_jvp(lambda x: x * 2.0)
    no_pair.defjvp(lambda primals, tangents: tangents[0] * 2.0)
    with pytest.raises(ad.AdmodesError, match="pair"):
        _custom_calls(no_pair)[call]()
    bad_shape = ad.custom_jvp(lambda x: x * 2.0)
    bad_shape.defjvp(lambda primals, tangents: (primals[0] * 2.0, 0.0))
    with pytest.raises(ad.AdmodesError, match=r"shape \(\).*\(3,\)"):
        _custom_calls(bad_shape)[call]()


@pytest.mark.parametrize("call", ["jvp", "jacfwd chunk 2", "grad", "jacrev"])
def test_custom_vjp_cotangent_shapes_are_checked(call):
    # bug: grad returned a 0-d gradient for a (3,) input when bwd gave a scalar cotangent
    f = ad.custom_vjp(lambda x: np.sum(x) * 2.0 * x)
    f.defvjp(lambda x: (np.sum(x) * 2.0 * x, x), lambda x, g: (np.sum(g * x) * 2.0,))
    with pytest.raises(ad.AdmodesError, match=r"shape \(\).*\(3,\)"):
        _custom_calls(f)[call]()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_custom_rules_with_no_direction_to_sweep(mode, chunk):
    # bug: a Jacobian with an empty input or output sent an empty batch of directions to the
    # custom rule, and stacking the per-direction results raised IndexError
    sq = ad.custom_vjp(lambda x, y: x * y ** 2)
    sq.defvjp(lambda x, y: (x * y ** 2, (x, y)), lambda r, g: (g * r[1] ** 2, g * 2 * r[0] * r[1]))
    sine = ad.custom_jvp(lambda x: np.sin(x))
    sine.defjvp(lambda p, t: (np.sin(p[0]), np.cos(p[0]) * t[0]))
    for f in (lambda x: sq(x, x), sine):
        for x in (np.zeros(0), np.zeros((2, 0))):
            assert ad.jacobian(f, mode=mode, chunk=chunk)(x).shape == x.shape * 2
        close(ad.jacobian(lambda x: f(x[:0]), mode=mode, chunk=chunk)(X3), np.zeros((0, 3)))


# ---------------------------------------------------------------------- check_grads


def test_check_grads_accepts_correct_float32_functions():
    # bug: finite differences ran in float32, where a step of 1e-6 is mostly rounding, so
    # correct derivatives of float32 inputs were reported wrong (forward 0.955 vs FD 0.969)
    ad.check_grads(lambda x: np.sin(x) * np.exp(x), (X32,), order=2)
    wrong = ad.custom_jvp(lambda x: np.sin(x))
    wrong.defjvp(lambda p, t: (np.sin(p[0]), np.sin(p[0]) * t[0]))
    with pytest.raises(AssertionError, match="disagrees"):
        ad.check_grads(wrong, (X32,))


def test_check_grads_names_arguments_it_cannot_take():
    # was "TypeError: float() argument must be a string or a real number, not 'dict'"
    with pytest.raises(ad.AdmodesError, match="array"):
        ad.check_grads(lambda p: p["a"] * 2.0, ({"a": X3},))


# ---------------------------------------------------------------------- indexing


BOOL_INDEXES = {  # a 0-d mask adds an axis of length 1 (True) or 0 (False), as NumPy does
    "0-d True": ((np.array(True),), lambda x: x[None]),
    "0-d False": ((np.array(False),), lambda x: x[None][:0]),
    "after Ellipsis": ((Ellipsis, np.array(True)), lambda x: x[..., None]),
    "np.True_": ((np.True_,), lambda x: x[None]),
}


@pytest.mark.parametrize("name", list(BOOL_INDEXES))
@pytest.mark.parametrize("mode", MODES)
def test_zero_dimensional_boolean_index(name, mode):
    # bug: np.nonzero of a 0-d mask raised "Calling nonzero on 0d arrays is not allowed"
    index, same = BOOL_INDEXES[name]
    x = np.arange(6.0).reshape(2, 3) / 5
    close(np.asarray(x)[index], same(x))
    got = ad.jacobian(lambda x: np.sin(x[index]), mode=mode, chunk=2)(x)
    close(got, jax.jacobian(lambda x: jnp.sin(same(x)))(x))


def test_choose_mode_leaves_aux_out_as_jacobian_does(monkeypatch):
    # bug: choose_mode counted the aux output, so it could not say what
    # jacobian(has_aux=True, mode="auto") picks (here: reverse, m = 1, not forward, m = 101)
    ran = _spy_on_modes(monkeypatch)
    f = lambda x: (np.sum(x ** 2), np.ones(100) * x[0])
    choice = ad.choose_mode(f, X3, has_aux=True)
    assert (choice.mode, choice.n, choice.m) == ("reverse", 3, 1)
    close(ad.jacobian(f, has_aux=True)(X3)[0], 2 * X3)
    assert ran == ["reverse"]
    assert ad.choose_mode(f, X3).m == 101


# ---------------------------------------------------------------------- checked and right: pytrees, shapes, several arguments

RNG = np.random.default_rng(11)
PARAMS = {"w": RNG.normal(size=(2, 3)), "b": (RNG.normal(size=3), None), "s": np.array(0.7)}
X2 = RNG.normal(size=2)


def net(xp):
    def f(p, x):
        h = xp.tanh(p["w"].T @ x + p["b"][0]) * p["s"]
        return {"h": h, "l": [xp.sum(h ** 2), None]}

    return f


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("chunk", [None, 1, 2])
@pytest.mark.parametrize("argnums", [0, (0, 1), (1, 0)])
def test_jacobian_of_pytrees_with_none_and_argnums(mode, chunk, argnums):
    got = ad.jacobian(net(np), argnums=argnums, mode=mode, chunk=chunk)(PARAMS, X2)
    tree_close(got, jax.jacobian(net(jnp), argnums=argnums)(PARAMS, X2))


@pytest.mark.parametrize("mode", MODES)
def test_grad_and_vjp_of_pytrees_with_aux(mode):
    def loss(xp):
        return lambda p, x: (xp.sum(net(xp)(p, x)["h"] ** 3), {"x": x * 2.0})

    tree_close(ad.value_and_grad(loss(np), argnums=(1, 0), has_aux=True, mode=mode)(PARAMS, X2),
               jax.value_and_grad(loss(jnp), argnums=(1, 0), has_aux=True)(PARAMS, X2))
    cot = {"h": np.ones(3), "l": [np.array(2.0), None]}
    tree_close(ad.vjp(net(np), PARAMS, X2)[1](cot), jax.vjp(net(jnp), PARAMS, X2)[1](cot))
    tree_close(ad.jvp(net(np), (PARAMS, X2), (PARAMS, X2)), jax.jvp(net(jnp), (PARAMS, X2), (PARAMS, X2)))


def test_hessian_and_hvp_with_several_arguments():
    def f(xp):
        return lambda x, y, z: xp.sum(xp.sin(x) * y[:, None] ** 2) * z + xp.sum(y @ x) ** 2

    x, y, z = RNG.normal(size=(2, 3)), RNG.normal(size=2), 1.3
    for argnums in (0, 1, (0, 1), (2, 0, 1)):
        tree_close(ad.hessian(f(np), argnums=argnums)(x, y, z), jax.jit(jax.hessian(f(jnp), argnums=argnums))(x, y, z))
    tangents = (RNG.normal(size=(2, 3)), RNG.normal(size=2), 0.5)
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


# ---------------------------------------------------------------------- checked and right: custom rules, replay


from test_custom_rules import logsumexp  # noqa: E402  (the stable log-sum-exp with its own JVP rule)


@ad.custom_vjp
def scaled_square(x, y):
    return x * y ** 2


scaled_square.defvjp(lambda x, y: (x * y ** 2, (x, y)), lambda r, g: (g * r[1] ** 2, g * 2 * r[0] * r[1]))


def with_custom(x):
    return np.sin(logsumexp(x * X3)) * x + scaled_square(x, np.cos(x))


def with_custom_jax(x):
    return jnp.sin(jax.scipy.special.logsumexp(x * X3)) * x + x * jnp.cos(x) ** 2


@pytest.mark.parametrize("outer,inner", [(a, b) for a in MODES for b in MODES])
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_custom_rules_under_batches_and_nesting(outer, inner, chunk):
    y = np.array([1.5, 0.5, -0.7])
    close(ad.jacobian(with_custom, mode=inner, chunk=chunk)(y), jax.jacobian(with_custom_jax)(y))
    hess = ad.jacobian(ad.jacobian(with_custom, mode=inner, chunk=chunk), mode=outer, chunk=chunk)(y)
    close(hess, jax.jit(jax.hessian(with_custom_jax))(y))


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_custom_rules_inside_a_recorded_tape(mode):
    y, y1 = np.array([1.5, 0.5, -0.7]), np.array([1.2, 0.1, -0.3])
    tape = ad.record(with_custom, y)
    close(tape(y1), with_custom_jax(y1))
    close(tape.jacobian(y1, mode=mode), jax.jacobian(with_custom_jax)(y1))
    scalar = ad.record(lambda x: np.sum(with_custom(x)), y.astype(np.float32))
    tree_close(scalar.grad(y1.astype(np.float32)), jax.grad(lambda x: jnp.sum(with_custom_jax(x)))(y1.astype(np.float32)), rtol=1e-5)


REPLAY_A = RNG.normal(size=(3, 4))


def replayed(xp):
    def f(p, s):
        x, y = p["x"], p["y"]
        z = xp.concatenate([REPLAY_A @ x, x[np.array([0, 2, 2, 1])] * y[1]])
        return {"a": xp.sum(xp.maximum(z, 0.3) ** 2, axis=0) * s, "b": (x[:, None] * y[None, :2]).mean(axis=1),
                "c": xp.max(x) + xp.prod(y)}

    return f


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_replay_matches_fresh_derivatives(dtype):
    p0 = {"x": RNG.normal(size=4).astype(dtype), "y": RNG.normal(size=3).astype(dtype)}
    p1 = {"x": p0["x"] * dtype(1.01), "y": p0["y"] * dtype(0.99)}
    tol = {"rtol": 1e-9} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    s = dtype(0.7)
    tape = ad.record(replayed(np), p0, s, argnums=(0, 1))
    assert tape.same_branches(p1, s)
    want = jax.jit(jax.jacobian(replayed(jnp), argnums=(0, 1)))(p1, s)
    for mode in ("forward", "reverse", "auto"):
        tree_close(tape.jacobian(p1, s, mode=mode, check_branches=True), want, **tol)
    cot = {k: np.full_like(v, 2.0) for k, v in tape(p1, s).items()}  # "a" is float64: REPLAY_A @ x
    tree_close(tape.vjp(p1, s)[1](cot), jax.jit(lambda p, s: jax.vjp(replayed(jnp), p, s)[1](cot))(p1, s), **tol)
    tree_close(tape.jvp((p1, s), (p0, dtype(1.0))), jax.jit(lambda *a: jax.jvp(replayed(jnp), a, (p0, dtype(1.0))))(p1, s), **tol)
    tree_close(tape(p1, s), replayed(jnp)(p1, s), **tol)


# ---------------------------------------------------------------------- NumPy's axis errors on traced values

BAD_AXES = {  # NumPy refuses each of these; on traced values they ran with the axis wrapped around
    "transpose": lambda x: np.transpose(x, (0, 3)),
    "moveaxis": lambda x: np.moveaxis(x, 3, 0),
    "moveaxis lengths": lambda x: np.moveaxis(x, (0, 1), (1,)),
    "expand_dims": lambda x: np.expand_dims(x, 5),
    "expand_dims repeated": lambda x: np.expand_dims(x, (0, 0)),
    "concatenate": lambda x: np.concatenate([x, x], axis=3),
    "stack": lambda x: np.stack([x, x], axis=4),
    "swapaxes": lambda x: np.swapaxes(x, 0, 5),  # was IndexError: list index out of range
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


# ---------------------------------------------------------------------- x ** y at y = 0


@pytest.mark.parametrize("outer,inner", [(a, b) for a in MODES for b in MODES])
def test_power_mixed_second_derivative_at_a_zero_exponent(outer, inner):
    # bug: d(x**y)/dx was a constant 0 wherever y == 0, even for a traced y, so
    # d/dy d/dx x**y = x**(y-1) (1 + y log x) came out 0 instead of 1/x: an asymmetric Hessian
    scalar = lambda v: v[0] ** v[1]
    arrays = lambda v: np.sum(v[:2] ** v[2:])
    arrays_j = lambda v: jnp.sum(v[:2] ** v[2:])
    for f, fj, v in [(scalar, scalar, np.array([2.0, 0.0])), (arrays, arrays_j, np.array([2.0, 3.0, 0.0, 1.0]))]:
        hess = ad.jacobian(ad.jacobian(f, mode=inner), mode=outer)(v)
        close(hess, jax.hessian(fj)(v))
    # the convention at 0 ** 0 stays: slope 0 for x (JAX's rule for an integer exponent), no warning
    with np.errstate(all="raise"):
        close(ad.grad(scalar)(np.array([0.0, 0.0])), [0.0, 0.0])
        close(ad.grad(arrays)(np.array([0.0, 3.0, 0.0, 1.0])), [0.0, 1.0, 0.0, np.log(3.0) * 3.0])


# ---------------------------------------------------------------------- known limitation


def test_a_leaked_tracer_is_reported():
    leaked = []

    def f(x):
        leaked.append(x)
        return np.sum(x ** 2)

    ad.grad(f)(X3)
    with pytest.raises(ad.AdmodesError, match="already returned"):
        ad.grad(lambda y: np.sum(leaked[0] * y))(X3)
    with pytest.raises(ad.AdmodesError, match="already returned"):
        np.sin(leaked[0])
    with pytest.raises(ad.AdmodesError, match="already returned"):
        ad.jvp(lambda y: leaked[0] * y, (X3,), (X3,))


@pytest.mark.parametrize("record", [ad.trace, ad.record])
def test_a_value_leaked_from_a_recording_is_reported(record):
    leaked = []

    def f(x):
        leaked.append(x)
        return np.sum(x ** 2)

    record(f, X3)
    with pytest.raises(ad.AdmodesError, match="already returned"):
        np.sin(leaked[0])


def test_complex_conversion_is_refused_not_a_zero_derivative():
    # bug: astype(complex) took the integer path, so this gradient came back [0, 0] silently
    with pytest.raises(ad.AdmodesError, match="real-valued"):
        ad.grad(lambda x: np.sum(x.astype(np.complex128).real))(np.ones(2))


# ---------------------------------------------------------------------- namedtuples are pytrees (as in JAX)

from collections import namedtuple  # noqa: E402

Params = namedtuple("Params", "w b")


@pytest.mark.parametrize("mode", MODES)
def test_namedtuples_are_pytrees(mode):
    # bug: a namedtuple was a leaf, so grad stacked its fields into one array and the function
    # failed with "AttributeError: 'Node' object has no attribute 'w'" (or "not an array")
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


def test_custom_vjp_fwd_must_return_a_pair():
    # bug: fwd returning only the output (a 2-vector) was unpacked into output = x[0] * 2 and
    # residuals = x[1] * 2, silently; bwd then computed with the wrong residuals
    f = ad.custom_vjp(lambda x: x * 2.0)
    f.defvjp(lambda x: x * 2.0, lambda residuals, g: (g * residuals,))
    with pytest.raises(ad.AdmodesError, match="pair"):
        ad.grad(lambda x: np.sum(f(x)))(np.array([1.0, 2.0]))


def test_auto_mode_cache_stays_small_when_an_int_argument_changes_every_call():
    jac = ad.jacobian(lambda x, step: x * (1.0 + step))
    for step in range(300):
        jac(X3, step)
    cache = next(c.cell_contents for c in jac.__closure__ if isinstance(c.cell_contents, dict))
    assert len(cache) <= 256


@pytest.mark.parametrize("mode", MODES)
def test_branch_check_sees_comparisons_inside_a_recorded_derivative(mode):
    # bug: recording a gradient function (ad.record(lambda x: ad.grad(f)(x), x0)) logged no
    # comparison, because inside grad they compare the grad's tracers, not the recording's:
    # the replay at a point with other signs gave wrong values with same_branches True
    f = lambda y: np.sum(np.where(y > 0, y ** 2, -y) * np.sign(y))
    grad_f = lambda x: ad.grad(f, mode=mode)(x)
    x0, x1 = np.array([1.0, -1.0]), np.array([-1.0, 1.0])
    tape = ad.record(grad_f, x0)
    assert tape.same_branches(x0 * 2.0)
    assert not tape.same_branches(x1)
    close(tape(x0 * 2.0), grad_f(x0 * 2.0))
