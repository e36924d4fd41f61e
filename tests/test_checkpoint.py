"""Checkpointing (issue 17): ad.checkpoint, ad.checkpointed_loop and its schedules, memory_profile.

Oracles: JAX's jax.checkpoint and plain loops (x64), the uncheckpointed admodes derivative, the
closed-form recomputation count of binomial checkpointing, a brute-force minimum over all
binomial splits, and the checkpoint_schedules package where it is installed.
"""

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad
from admodes.loop import recomputations
from jax_compare import close, tree_close

MODES = ("forward", "reverse")
RNG = np.random.default_rng(17)
W = RNG.normal(size=(4, 4)) / 2
X = RNG.normal(size=4)


def segment(x, p):
    """A pytree in, a pytree out: dict of two arrays from an array and a dict of weights."""
    h = np.tanh(p["W"] @ x + p["b"])
    return {"h": h, "s": np.sin(h) * x}


def segment_jax(x, p):
    h = jnp.tanh(p["W"] @ x + p["b"])
    return {"h": h, "s": jnp.sin(h) * x}


P = {"W": W, "b": np.array([0.1, -0.2, 0.3, 0.0])}


def loss(seg):
    def f(x, p):
        out = seg(x, p)
        out2 = seg(out["h"] * 0.5, p)  # two calls: the same segment twice on one tape
        return (out["s"] @ out2["h"]) + (out2["s"] ** 2).sum()
    return f


f_ck = loss(ad.checkpoint(segment))
f_plain = loss(segment)
f_jax = loss(jax.checkpoint(segment_jax))


@pytest.mark.parametrize("mode", MODES)
def test_checkpoint_gradient_matches_jax_checkpoint(mode):
    g = ad.grad(f_ck, argnums=(0, 1), mode=mode)(X, P)
    tree_close(g, jax.grad(f_jax, argnums=(0, 1))(X, P))
    tree_close(g, ad.grad(f_plain, argnums=(0, 1))(X, P), rtol=1e-13, atol=1e-14)


def test_checkpoint_value_and_vjp_with_pytree_output():
    ck = ad.checkpoint(segment)
    out, pullback = ad.vjp(ck, X, P)
    out_j, pullback_j = jax.vjp(jax.checkpoint(segment_jax), X, P)
    tree_close(out, out_j)
    cot = {"h": RNG.normal(size=4), "s": RNG.normal(size=4)}
    tree_close(pullback(cot), pullback_j(cot))


def test_forward_mode_runs_the_function_unchanged():
    # no tape to spare: the segment's own operations, no checkpoint primitive
    ck = ad.checkpoint(segment)
    with ad.count_ops() as c:
        out, t = ad.jvp(lambda x: ck(x, P)["s"], (X,), (X,))
    assert not any(name.startswith("checkpoint") for name in c.by_primitive)
    out_j, t_j = jax.jvp(lambda x: jax.checkpoint(segment_jax)(x, P)["s"], (X,), (X,))
    close(out, out_j)
    close(t, t_j)


@pytest.mark.parametrize("outer,inner", [(a, b) for a in MODES for b in MODES])
def test_checkpoint_hessian_in_every_nesting(outer, inner):
    f = lambda x: f_ck(x, P)  # noqa: E731
    hess = ad.jacobian(ad.jacobian(f, mode=inner), mode=outer)(X)
    close(hess, jax.hessian(lambda x: f_jax(x, P))(X))
    close(ad.hessian(f)(X), ad.hessian(lambda x: f_plain(x, P))(X), rtol=1e-12, atol=1e-13)


def test_checkpoint_grad_of_grad_matches_jax():
    gg = ad.grad(lambda x: np.sum(ad.grad(f_ck)(x, P) ** 2))(X)
    close(gg, jax.grad(lambda x: jnp.sum(jax.grad(f_jax)(x, P) ** 2))(X))


def test_nested_checkpoints():
    inner = ad.checkpoint(lambda x: np.sin(x) * x)
    outer = ad.checkpoint(lambda x: inner(np.cos(x)) + inner(x))
    g = ad.grad(lambda x: np.sum(outer(x) ** 2))(X)
    jin = jax.checkpoint(lambda x: jnp.sin(x) * x)
    jout = jax.checkpoint(lambda x: jin(jnp.cos(x)) + jin(x))
    close(g, jax.grad(lambda x: jnp.sum(jout(x) ** 2))(X))
    close(ad.hessian(lambda x: np.sum(outer(x) ** 2))(X), jax.hessian(lambda x: jnp.sum(jout(x) ** 2))(X))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_checkpoint_jacobians_in_batches(mode, chunk):
    f = lambda x: ad.checkpoint(segment)(x, P)["s"]  # noqa: E731
    close(ad.jacobian(f, mode=mode, chunk=chunk)(X), jax.jacobian(lambda x: segment_jax(x, P)["s"])(X))


def test_checkpoint_keeps_the_inputs_not_the_intermediates():
    x = RNG.normal(size=1000)

    def chain(x):
        for _ in range(20):
            x = np.sin(x) * 1.01
        return x

    with ad.count_ops() as plain:
        g0 = ad.grad(lambda x: np.sum(chain(x)))(x)
    with ad.count_ops() as ck:
        g1 = ad.grad(lambda x: np.sum(ad.checkpoint(chain)(x)))(x)
    close(g1, g0, rtol=1e-14, atol=0)
    assert plain.tape_bytes >= 20 * x.nbytes  # each sin keeps its argument
    # the outer tape keeps x (the checkpoint's input) and the sum's argument; the recomputed
    # segment's tape (made and dropped in the backward sweep) is the largest
    outer = ck.tapes[0][1]
    assert outer <= 2 * x.nbytes
    # recomputation really runs and is counted: the segment's 40 operations, again
    assert ck.recomputed == 40
    assert ck.ops > plain.ops


def test_checkpoint_under_record_and_replay():
    f = lambda x: f_ck(x, P)  # noqa: E731
    tape = ad.record(f, X)
    y = X + 0.3
    fj = lambda x: f_jax(x, P)  # noqa: E731
    close(tape(y), fj(y))
    close(tape.grad(y), jax.grad(fj)(y))
    close(tape.jacobian(y), jax.grad(fj)(y))
    close(tape.jvp((y,), (X,))[1], jax.jvp(fj, (y,), (X,))[1])


def test_checkpoint_keeps_dtypes_and_mixed_outputs():
    def mixed(x):
        return {"a": np.sin(x), "b": np.cos(x).astype(np.float32)}

    ck = ad.checkpoint(mixed)
    x32 = X.astype(np.float32)
    g = ad.grad(lambda x: np.sum(ck(x)["a"]) + np.sum(ck(x)["b"]))(x32)
    assert g.dtype == np.float32
    close(g, np.cos(x32) - np.sin(x32), rtol=1e-6, atol=1e-6)
    out = ad.vjp(ck, X)[0]
    assert out["a"].dtype == np.float64 and out["b"].dtype == np.float32


def test_checkpoint_constants_and_non_float_arguments():
    # an int and a string pass through as constants of the call
    def scaled(x, n, how):
        return x ** n if how == "power" else x * n

    ck = ad.checkpoint(scaled)
    close(ad.grad(lambda x: np.sum(ck(x, 3, "power")))(X), 3 * X ** 2)
    close(ad.grad(lambda x: np.sum(ck(x, 3, "times")))(X), np.full(4, 3.0))


def test_checkpoint_errors():
    with pytest.raises(ad.AdmodesError, match="function to checkpoint"):
        ad.checkpoint(3)
    counts = ad.checkpoint(lambda x: (np.sin(x), np.argmax(x)))
    with pytest.raises(ad.AdmodesError, match="output leaf 1.*float"):
        ad.grad(lambda x: np.sum(counts(x)[0]))(X)


# ---------------------------------------------------------------------- the checkpointed loop


def oscillator(state, p):
    """One explicit (symplectic Euler) step of a chain of pendulums: pytree state and params."""
    q, v = state["q"], state["v"]
    v = v - p["h"] * (p["k"] * np.sin(q) + 0.1 * v)
    return {"q": q + p["h"] * v, "v": v}


def oscillator_jax(state, p):
    q, v = state["q"], state["v"]
    v = v - p["h"] * (p["k"] * jnp.sin(q) + 0.1 * v)
    return {"q": q + p["h"] * v, "v": v}


S0 = {"q": np.array([0.3, 1.0, -0.5]), "v": np.array([0.0, 0.2, 0.1])}
PL = {"h": 0.1, "k": np.array([1.0, 2.0, 0.5])}
T = 30


def loop_loss(schedule, steps=T, **kw):
    def f(s0, p):
        out = ad.checkpointed_loop(oscillator, s0, steps, p, schedule=schedule, **kw)
        return np.sum(out["q"] ** 2) + out["v"] @ p["k"]
    return f


def loop_loss_jax(s0, p):
    s = s0
    for _ in range(T):
        s = oscillator_jax(s, p)
    return jnp.sum(s["q"] ** 2) + s["v"] @ p["k"]


SCHEDULES = [("store_all", {}), ("recompute_all", {}), ("revolve", {"checkpoints": 1}), ("revolve", {"checkpoints": 3}),
             ("revolve", {"checkpoints": 7}), ("revolve", {"checkpoints": 100}), ("revolve", {})]


@pytest.mark.parametrize("schedule,kw", SCHEDULES, ids=lambda v: str(v))
def test_loop_gradient_equals_store_all_and_jax(schedule, kw):
    g = ad.grad(loop_loss(schedule, **kw), argnums=(0, 1))(S0, PL)
    ref = ad.grad(loop_loss("store_all"), argnums=(0, 1))(S0, PL)
    for a, b in zip(ad.tree_leaves(g), ad.tree_leaves(ref)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    tree_close(g, jax.grad(loop_loss_jax, argnums=(0, 1))(S0, PL))
    tree_close(ad.grad(loop_loss(schedule, **kw), argnums=(0, 1), mode="forward")(S0, PL), g)


def test_loop_forward_mode_runs_the_plain_loop():
    with ad.count_ops() as c:
        out, t = ad.jvp(lambda q: ad.checkpointed_loop(oscillator, {"q": q, "v": S0["v"]}, T, PL, checkpoints=3)["q"],
                        (S0["q"],), (np.ones(3),))
    assert not any(name.startswith("checkpoint") for name in c.by_primitive)
    out_j, t_j = jax.jvp(lambda q: _jax_loop({"q": q, "v": S0["v"]})["q"], (S0["q"],), (jnp.ones(3),))
    close(out, out_j)
    close(t, t_j)


def _jax_loop(s):
    for _ in range(T):
        s = oscillator_jax(s, PL)
    return s


@pytest.mark.parametrize("outer,inner", [(a, b) for a in MODES for b in MODES])
def test_loop_hessian_in_every_nesting(outer, inner):
    def f(q, schedule="revolve"):
        return loop_loss(schedule, checkpoints=4)({"q": q, "v": S0["v"]}, PL) if schedule == "revolve" else \
            loop_loss(schedule)({"q": q, "v": S0["v"]}, PL)

    hess = ad.jacobian(ad.jacobian(f, mode=inner), mode=outer)(S0["q"])
    np.testing.assert_allclose(hess, ad.hessian(lambda q: f(q, "store_all"))(S0["q"]), rtol=0, atol=1e-12)
    close(hess, jax.hessian(lambda q: loop_loss_jax({"q": q, "v": S0["v"]}, PL))(S0["q"]))


def test_loop_grad_of_grad_and_batched_jacobian():
    f = lambda q: loop_loss("revolve", checkpoints=3)({"q": q, "v": S0["v"]}, PL)  # noqa: E731
    f0 = lambda q: loop_loss("store_all")({"q": q, "v": S0["v"]}, PL)  # noqa: E731
    np.testing.assert_allclose(ad.grad(lambda q: np.sum(ad.grad(f)(q) ** 2))(S0["q"]),
                               ad.grad(lambda q: np.sum(ad.grad(f0)(q) ** 2))(S0["q"]), rtol=0, atol=1e-12)
    final_v = lambda sched, **kw: (lambda q: ad.checkpointed_loop(  # noqa: E731
        oscillator, {"q": q, "v": S0["v"]}, T, PL, schedule=sched, **kw)["v"])
    for chunk in (None, 1, 2):
        np.testing.assert_allclose(ad.jacrev(final_v("revolve", checkpoints=3), chunk=chunk)(S0["q"]),
                                   ad.jacrev(final_v("store_all"))(S0["q"]), rtol=0, atol=1e-12)


def test_loop_under_record_and_replay():
    f = lambda q: loop_loss("revolve", checkpoints=3)({"q": q, "v": S0["v"]}, PL)  # noqa: E731
    tape = ad.record(f, S0["q"])
    y = S0["q"] + 0.2
    fj = lambda q: loop_loss_jax({"q": q, "v": S0["v"]}, PL)  # noqa: E731
    close(tape(y), fj(y))
    close(tape.grad(y), jax.grad(fj)(y))
    close(tape.jvp((y,), (np.ones(3),))[1], jax.jvp(fj, (y,), (jnp.ones(3),))[1])


def test_loop_without_params_and_with_constant_state():
    step = lambda x, p: np.sin(x) + 0.5 * x  # noqa: E731
    g = ad.grad(lambda x: np.sum(ad.checkpointed_loop(step, x, 12, checkpoints=2)))(X)
    g0 = ad.grad(lambda x: np.sum(ad.checkpointed_loop(step, x, 12, schedule="store_all")))(X)
    np.testing.assert_allclose(g, g0, rtol=0, atol=1e-12)
    # only the parameters traced: the state starts as a constant
    step_p = lambda x, a: np.sin(a * x)  # noqa: E731
    ga = ad.grad(lambda a: np.sum(ad.checkpointed_loop(step_p, X, 9, a, checkpoints=3)))(0.7)
    ga0 = ad.grad(lambda a: np.sum(ad.checkpointed_loop(step_p, X, 9, a, schedule="store_all")))(0.7)
    np.testing.assert_allclose(ga, ga0, rtol=0, atol=1e-12)
    assert ad.checkpointed_loop(step, X, 0) is X


def _counting(step):
    calls = [0]

    def counted(x, p):
        calls[0] += 1
        return step(x, p)

    return counted, calls


@pytest.mark.parametrize("steps,snapshots", [(1, 1), (2, 1), (10, 1), (10, 2), (10, 3), (30, 4), (64, 5), (100, 10),
                                             (100, 99), (100, 200), (257, 6)])
def test_revolve_recomputations_equal_the_closed_form(steps, snapshots):
    step, calls = _counting(lambda x, p: np.sin(x) * p)
    f = lambda x: np.sum(ad.checkpointed_loop(step, x, steps, 1.1, checkpoints=snapshots))  # noqa: E731
    out, pullback = ad.vjp(f, X)
    assert calls[0] == steps  # the forward pass: the plain loop
    calls[0] = 0
    pullback(1.0)
    # the backward sweep: the binomial schedule's recomputations, then one recorded step per step
    assert calls[0] == recomputations(steps, snapshots) + steps


def test_recompute_all_calls():
    step, calls = _counting(lambda x, p: np.sin(x) * p)
    ad.grad(lambda x: np.sum(ad.checkpointed_loop(step, x, 20, 1.1, schedule="recompute_all")))(X)
    assert calls[0] == 20 + 20 * 19 // 2 + 20


@lru_cache(maxsize=None)
def _fewest(length, snapshots):
    """The fewest recomputations over every schedule of binomial form (brute force)."""
    if length <= 1:
        return 0
    if snapshots == 1:
        return length * (length - 1) // 2
    return min(m + _fewest(length - m, snapshots - 1) + _fewest(m, snapshots) for m in range(1, length))


def test_closed_form_is_the_minimum():
    for s in range(1, 7):
        for length in range(0, 60):
            assert recomputations(length, s) == _fewest(length, s), (length, s)
    assert recomputations(10_000, 20) == 37_976  # C(23, 3) < 10^4 <= C(24, 4): r = 4, 4 * 10^4 - C(24, 3)


def test_recomputations_agree_with_checkpoint_schedules():
    multistage = pytest.importorskip("checkpoint_schedules.multistage")
    for steps, s in [(10, 1), (10, 3), (64, 4), (200, 5)]:  # (its own count is a slow search beyond these)
        # the package counts every forward step: the T the reverse steps record, and the rest
        assert multistage.optimal_steps_binomial(steps, s) == steps + recomputations(steps, s)


def test_count_ops_counts_the_loops_recomputation():
    step = lambda x, p: np.sin(x) * p  # noqa: E731  two operations a step
    with ad.count_ops() as plain:
        ad.grad(lambda x: np.sum(ad.checkpointed_loop(step, x, 40, 1.1, schedule="store_all")))(X)
    with ad.count_ops() as ck:
        ad.grad(lambda x: np.sum(ad.checkpointed_loop(step, x, 40, 1.1, checkpoints=4)))(X)
    assert plain.recomputed == 0
    assert ck.recomputed == 2 * (recomputations(40, 4) + 40)
    assert ck.ops > plain.ops


def test_loop_errors():
    step = lambda x, p: x * 2.0  # noqa: E731
    with pytest.raises(ad.AdmodesError, match="schedule='binomial'"):
        ad.checkpointed_loop(step, X, 3, schedule="binomial")
    with pytest.raises(ad.AdmodesError, match="steps=-1"):
        ad.checkpointed_loop(step, X, -1)
    with pytest.raises(ad.AdmodesError, match="checkpoints=0"):
        ad.checkpointed_loop(step, X, 3, checkpoints=0)
    with pytest.raises(ad.AdmodesError, match="checkpoints= is for schedule='revolve'"):
        ad.checkpointed_loop(step, X, 3, schedule="store_all", checkpoints=2)
    with pytest.raises(ad.AdmodesError, match="shaped like x"):
        ad.grad(lambda x: np.sum(ad.checkpointed_loop(lambda x, p: x[:2], x, 3)))(X)
    with pytest.raises(ad.AdmodesError, match="step must be a function"):
        ad.checkpointed_loop(None, X, 3)


# ---------------------------------------------------------------------- memory made visible


def _long_loop(schedule, steps, **kw):
    k = np.linspace(0.5, 1.5, 1000)
    step = lambda x, k: x + 0.01 * np.sin(k * x) * np.cos(x)  # noqa: E731
    return lambda x: np.sum(ad.checkpointed_loop(step, x, steps, k, schedule=schedule, **kw) ** 2)


def test_memory_store_all_grows_with_steps_revolve_with_snapshots():
    d = 1000
    x = np.linspace(-1.0, 1.0, d)
    store = {steps: ad.memory_profile(_long_loop("store_all", steps), x) for steps in (100, 200)}
    state = d * 8
    # store_all: the tape keeps a few arrays of the state's size per step, so twice the steps
    # keep twice the bytes
    assert store[200].tape_bytes >= 200 * state
    assert 1.9 < store[200].tape_bytes / store[100].tape_bytes < 2.1
    revolve = {s: ad.memory_profile(_long_loop("revolve", 200, checkpoints=s), x) for s in (2, 20)}
    for s, p in revolve.items():
        np.testing.assert_allclose(p.gradient, store[200].gradient, rtol=0, atol=1e-12)
        assert p.tape_bytes < 10 * state  # the outer tape: x0, the parameters, the final sum
        assert p.peak_bytes < store[200].peak_bytes / 10
        # the snapshots, one step's tape, the cotangents and the temporaries of a step (about 25
        # states at s = 2, measured), and count_ops' note of each recorded step
        assert p.peak_bytes < (s + 40) * state
    # the snapshots held: about one state per snapshot
    extra = revolve[20].peak_bytes - revolve[2].peak_bytes
    assert 0.5 * 18 * state < extra < 2 * 18 * state
    assert revolve[2].recomputed > revolve[20].recomputed > 0 == store[200].recomputed
