"""ad.record: a tape recorded once and replayed at new points, without running the function again."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad
from jax_compare import close, tree_close

RNG = np.random.default_rng(1)
W1 = RNG.standard_normal((6, 4))
W2 = RNG.standard_normal((3, 6))


X3 = np.array([0.5, -1.2, 2.0])
X32 = X3.astype(np.float32)
WEIGHTS = np.array([1.0, 2.0, 3.0])  # float64: the output of X32 * WEIGHTS is float64


def net(xp):
    return lambda x: xp.tanh(W2 @ xp.tanh(W1 @ x))


class Counting:
    """A function that counts how often its Python body runs."""

    def __init__(self, fun):
        self.fun, self.calls = fun, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fun(*args)


def test_replay_matches_fresh_derivatives_at_new_points():
    f = Counting(net(np))
    tape = ad.record(f, np.zeros(4))
    assert f.calls == 1
    for _ in range(3):
        x = RNG.standard_normal(4)
        expected = jax.jacrev(net(jnp))(x)
        np.testing.assert_allclose(tape(x), net(np)(x), rtol=1e-14)
        for mode in ("auto", "forward", "reverse"):
            np.testing.assert_allclose(tape.jacobian(x, mode=mode), expected, rtol=1e-12)
        v = RNG.standard_normal(4)
        out, t = tape.jvp((x,), (v,))
        np.testing.assert_allclose(t, expected @ v, rtol=1e-12)
        out, pullback = tape.vjp(x)
        c = RNG.standard_normal(3)
        np.testing.assert_allclose(pullback(c)[0], c @ expected, rtol=1e-12)
    assert f.calls == 1  # never traced again


def test_replay_grad_of_a_loss_with_several_arguments():
    def loss(w, b, x):
        return np.mean((np.tanh(x @ w + b) - 1.0) ** 2)

    w, b, x = RNG.standard_normal((4, 2)), RNG.standard_normal(2), RNG.standard_normal((5, 4))
    tape = ad.record(loss, w, b, x, argnums=(0, 1))
    w1, b1 = RNG.standard_normal((4, 2)), RNG.standard_normal(2)
    gw, gb = tape.grad(w1, b1)
    ew, eb = ad.grad(loss, argnums=(0, 1))(w1, b1, x)
    np.testing.assert_allclose(gw, ew, rtol=1e-12)
    np.testing.assert_allclose(gb, eb, rtol=1e-12)


def test_value_dependent_rules_are_reevaluated():
    tape = ad.record(lambda x: np.abs(x) + np.maximum(x, 0.5), np.ones(3))
    x = np.array([-2.0, 0.2, 3.0])
    np.testing.assert_allclose(tape.jacobian(x), np.diag([-1.0, 1.0, 2.0]))


def test_shapes_and_dtypes_are_checked():
    tape = ad.record(net(np), np.zeros(4))
    with pytest.raises(ad.AdmodesError, match=r"shape \(5,\).*recorded for shape \(4,\)"):
        tape.jacobian(np.zeros(5))
    with pytest.raises(ad.AdmodesError, match="dtype float32"):
        tape.jacobian(np.zeros(4, np.float32))
    with pytest.raises(ad.AdmodesError, match="1 argument"):
        tape.jacobian(np.zeros(4), np.zeros(4))


def test_branches_are_frozen_and_the_check_says_so():
    def f(x):
        if np.sum(x) > 0:
            return x ** 2
        return -x

    tape = ad.record(f, np.ones(2))
    assert tape.same_branches(np.array([1.0, 2.0]))
    assert not tape.same_branches(np.array([-1.0, -2.0]))
    # every replay checks the branches: at a point that takes the other one the tape
    # re-records itself there (as ADOL-C re-tapes) and gives that branch's derivative
    np.testing.assert_allclose(tape.jacobian(np.array([-1.0, -2.0])), -np.eye(2))
    assert tape.retapes == 1
    np.testing.assert_allclose(tape(np.array([-3.0, 1.0])), [3.0, -1.0])
    assert tape.retapes == 1  # the new recording holds there too
    # or refuses, when asked not to re-record
    strict = ad.record(f, np.ones(2), retape=False)
    with pytest.raises(ad.AdmodesError, match="different branch"):
        strict.jacobian(np.array([-1.0, -2.0]))
    # check_branches=False opts out: the recorded branch's numbers, as the user asked
    np.testing.assert_allclose(strict.jacobian(np.array([-1.0, -2.0]), check_branches=False), np.diag([-2.0, -4.0]))


def test_grad_needs_a_scalar():
    tape = ad.record(net(np), np.zeros(4))
    with pytest.raises(ad.AdmodesError, match="scalar output"):
        tape.grad(np.zeros(4))


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_recorded_tape_derivatives_have_the_input_dtype(mode):
    f = lambda x: np.sin(x) * WEIGHTS
    fj = lambda x: jnp.sin(x) * WEIGHTS
    tape = ad.record(f, X32)
    tree_close(tape.jacobian(X32, mode=mode), jax.jacobian(fj)(X32), rtol=1e-6)
    tree_close(tape.vjp(X32)[1](WEIGHTS), jax.vjp(fj, X32)[1](WEIGHTS), rtol=1e-6)
    scalar = ad.record(lambda x: np.sum(f(x)), X32)
    tree_close(scalar.grad(X32), jax.grad(lambda x: jnp.sum(fj(x)))(X32), rtol=1e-6)


# ---------------------------------------------------------------------- what a replay is given is checked


def test_replayed_vjp_checks_the_cotangent_against_the_outputs():
    tape = ad.record(lambda x: (x * 2.0, x), X3)
    _, pullback = tape.vjp(X3)
    close(pullback((np.ones(3), np.ones(3)))[0], np.full(3, 3.0))
    # one cotangent for two outputs is refused (as ad.vjp refuses it), not zipped against the
    # first output with the second dropped
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
        tape.jvp((p,), ({"a": X3, "b": X3[:2]},))  # a tangent of the wrong shape, named as such
    two = ad.record(lambda x, y: x * y, X3, X3, argnums=(0, 1))
    with pytest.raises(ad.AdmodesError, match="structure"):
        two.jvp((X3, X3), (X3,))  # too few tangents
    with pytest.raises(ad.AdmodesError, match="structure"):
        two.jvp((X3, X3), (X3, X3, X3))  # too many: the extra one is not ignored
    with pytest.raises(ad.AdmodesError, match="tuples"):
        two.jvp((X3, X3), X3)
    pair = ad.record(lambda p: p[0] * p[1], (X3, X3))
    close(pair.jvp(((X3, X3),), ((X3, X3),))[1], 2 * X3 * X3)
    with pytest.raises(ad.AdmodesError, match="structure"):
        pair.jvp(((X3, X3),), (X3, X3))  # the tangent of the one argument, unwrapped


# ---------------------------------------------------------------------- pytrees and float32 against JAX

REPLAY_RNG = np.random.default_rng(11)
REPLAY_A = REPLAY_RNG.normal(size=(3, 4))


def replayed(xp):
    """A function of a dict and a scalar, returning a dict: a gather, maximum, max and prod inside."""
    def f(p, s):
        x, y = p["x"], p["y"]
        z = xp.concatenate([REPLAY_A @ x, x[np.array([0, 2, 2, 1])] * y[1]])
        return {"a": xp.sum(xp.maximum(z, 0.3) ** 2, axis=0) * s, "b": (x[:, None] * y[None, :2]).mean(axis=1),
                "c": xp.max(x) + xp.prod(y)}

    return f


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_replay_of_pytrees_matches_jax(dtype):
    rng = np.random.default_rng(12)
    p0 = {"x": rng.normal(size=4).astype(dtype), "y": rng.normal(size=3).astype(dtype)}
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
