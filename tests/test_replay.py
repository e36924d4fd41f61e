"""ad.record: a tape recorded once and replayed at new points, without running the function again."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

RNG = np.random.default_rng(1)
W1 = RNG.standard_normal((6, 4))
W2 = RNG.standard_normal((3, 6))


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
