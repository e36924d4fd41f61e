"""Staged replay: a recorded tape's sweeps written out as straight-line NumPy programs.

The spec tables (tests/ops) replay every op family staged and interpreted at a second
point; these tests cover what is particular to staging: constant folding, rules that
read values, the fallback to the interpreter, and what a program may share with its caller.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad
from admodes.core import Primitive, concrete
from admodes.tree import tree_flatten

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(7)
W1 = RNG.standard_normal((5, 3))
W2 = RNG.standard_normal((2, 5))


def net(xp, w1=W1, w2=W2):
    return lambda x: xp.tanh(w2 @ xp.tanh(w1 @ x))


def test_forward_jacobian_program_folds_the_seeds_into_the_weights():
    tape = ad.record(net(np), np.zeros(3))
    program = tape.program("jacobian", mode="forward")
    # two products with x's values, two tanh, their slopes, two tangent products, the final
    # transpose; seeds @ W1.T was computed once, while staging
    names = [label for _, _, _, label in program.instructions]
    assert names == ["matvec", "tanh", "tanh_slope", "multiply", "matvec", "matmul",
                     "tanh", "tanh_slope", "multiply", "transpose"]
    assert "def program(v0):" in program.source and "tanh(v1)" in program.source
    x = RNG.standard_normal(3)
    np.testing.assert_allclose(program(x)[0], jax.jacfwd(net(jnp))(x), rtol=1e-13)


def test_linear_function_jacobian_is_a_constant_the_caller_may_write_into():
    tape = ad.record(lambda x: W1 @ x, np.zeros(3))
    assert len(tape.program("jacobian", mode="forward")) == 0
    J = tape.jacobian(np.ones(3), mode="forward")
    J[:] = 0.0
    np.testing.assert_array_equal(tape.jacobian(np.ones(3), mode="forward"), W1)


def test_weights_changed_in_place_after_recording_do_not_reach_the_replay():
    w1 = W1.copy()
    tape = ad.record(net(np, w1=w1), np.zeros(3))
    x = RNG.standard_normal(3)
    before = tape.jacobian(x, mode="reverse")
    w1 *= 2.0
    for staged in (True, False):
        tape.compile = staged
        np.testing.assert_array_equal(tape.jacobian(x, mode="reverse"), before)
        np.testing.assert_allclose(before, jax.jacrev(net(jnp))(x), rtol=1e-13)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_slope_of_power_is_not_frozen_where_staged(mode):
    # x ** y reads its values to apply 0 ** 0's convention: staged at a point with
    # x = y = 0, the program must still give y * x ** (y - 1) elsewhere, and the other way round
    f = lambda x, y: x ** y
    at_zero = (np.array([0.0, 1.5]), np.array([0.0, 2.0]))
    elsewhere = (np.array([0.5, 1.5]), np.array([1.5, 2.0]))
    for first, second in ((at_zero, elsewhere), (elsewhere, at_zero)):
        tape = ad.record(f, *first, argnums=(0, 1))
        tape.jacobian(*first, mode=mode)
        got = tape.jacobian(*second, mode=mode)
        expected = ad.jacobian(f, argnums=(0, 1), mode=mode)(*second)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-14)
        assert "rule_" in tape.program("jacobian", mode=mode).source  # the rule runs at run time


def test_ties_of_max_follow_the_point_replayed():
    f = lambda x: np.max(x) * x
    tape = ad.record(f, np.array([1.0, 1.0, 0.0]))
    for x in (np.array([1.0, 1.0, 0.0]), np.array([0.0, 2.0, 1.0]), np.array([3.0, 3.0, 3.0])):
        expected = jax.jacrev(lambda x: jnp.max(x) * x)(x)
        np.testing.assert_allclose(tape.jacobian(x, mode="reverse"), expected, rtol=1e-14)
        np.testing.assert_allclose(tape.jacobian(x, mode="forward"), expected, rtol=1e-14)


def _sometimes_silent():
    """A primitive whose slope rule reads values and gives no contribution (None) for x > 0."""
    prim = Primitive("relu_test", lambda x: np.maximum(x, 0.0), register=False)
    prim.defjvp(lambda t, nb, out, x: None if np.all(concrete(x) > 0) else t * 0.0 + t)
    prim.defvjp(lambda g, nb, out, x: None if np.all(concrete(x) > 0) else g)
    return prim


def test_a_rule_that_reads_values_and_returns_nothing_is_interpreted():
    prim = _sometimes_silent()
    tape = ad.record(lambda x: prim(x) + x, np.ones(2))
    np.testing.assert_array_equal(tape.jacobian(np.ones(2), mode="reverse"), np.eye(2))
    assert tape.program("jacobian", mode="reverse") is None  # tried at x = 1, where the rule gave None
    np.testing.assert_array_equal(tape.jacobian(-np.ones(2), mode="reverse"), 2 * np.eye(2))


def test_grad_and_jvp_programs_agree_with_the_interpreter():
    f = lambda x: np.sum(np.sin(x) * np.exp(x[::-1]) / (1.0 + x ** 2))
    tape = ad.record(f, np.zeros(4))
    x, t = RNG.standard_normal(4), RNG.standard_normal(4)
    staged = tape.grad(x), tape.jvp((x,), (t,)), tape(x)
    tape.compile = False
    interpreted = tape.grad(x), tape.jvp((x,), (t,)), tape(x)
    np.testing.assert_allclose(staged[0], interpreted[0], rtol=1e-14)
    np.testing.assert_allclose(staged[1][1], interpreted[1][1], rtol=1e-14)
    np.testing.assert_allclose(staged[2], interpreted[2], rtol=1e-14)
    np.testing.assert_allclose(staged[0], jax.grad(lambda x: jnp.sum(jnp.sin(x) * jnp.exp(x[::-1]) / (1.0 + x ** 2)))(x), rtol=1e-13)


def test_counting_ops_runs_the_interpreter():
    tape = ad.record(net(np), np.zeros(3))
    x = RNG.standard_normal(3)
    tape.jacobian(x, mode="forward")  # staged
    with ad.count_ops() as counter:
        tape.jacobian(x, mode="forward")
    assert counter.by_primitive["tanh"] == 2 and counter.by_primitive["matvec"] == 2


def test_program_names_an_unknown_method():
    tape = ad.record(net(np), np.zeros(3))
    with pytest.raises(ad.AdmodesError, match="method='hessian'"):
        tape.program("hessian")


@ad.custom_vjp
def _soft_clip(x):
    return np.tanh(x)


def _soft_clip_fwd(x):
    return np.tanh(x), np.tanh(x)


def _soft_clip_bwd(out, g):
    # written for plain arrays only: np.asarray refuses a traced value
    return (np.asarray(g) * (1.0 - np.asarray(out) ** 2),)


_soft_clip.defvjp(_soft_clip_fwd, _soft_clip_bwd)


def test_a_rule_for_plain_arrays_only_runs_at_replay_time():
    f = lambda x: np.sum(_soft_clip(x) * x)
    tape = ad.record(f, np.zeros(3))
    x = RNG.standard_normal(3)
    tape.grad(np.zeros(3))  # staged here
    expected = jax.grad(lambda x: jnp.sum(jnp.tanh(x) * x))(x)
    np.testing.assert_allclose(tape.grad(x), expected, rtol=1e-13)
    assert "rule_" in tape.program("grad").source


def test_vjp_program_is_cut_where_the_cotangent_arrives():
    tape = ad.record(net(np), np.zeros(3))
    forward, backward = tape.program("vjp")
    # the forward part does every operation that does not need the cotangent (the slopes
    # of both tanh included); the backward part only multiplies and contracts
    assert [label for _, _, _, label in backward.instructions] == ["multiply", "vecmat", "multiply", "vecmat"]
    assert len(forward.inputs) == 1 and len(backward.inputs) == 3  # two residuals and the cotangent
    x, c = RNG.standard_normal(3), RNG.standard_normal(2)
    out, vjp_fun = tape.vjp(x)
    expected_out, jax_vjp = jax.vjp(net(jnp), x)
    np.testing.assert_allclose(out, expected_out, rtol=1e-14)
    for _ in range(2):  # the residuals serve every call
        np.testing.assert_allclose(vjp_fun(c)[0], jax_vjp(c)[0], rtol=1e-13)


def test_primitives_named_like_program_values_keep_their_own_names():
    from admodes.ops.elementwise import cos, mul

    v1 = Primitive("v1", np.sin, register=False)  # the generated code names values v1 and constants c0
    v1.defjvp(lambda t, nb, out, x: mul(t, cos(x)))
    c0 = Primitive("c0", lambda x: x * 3.0, register=False)
    c0.defjvp(lambda t, nb, out, x: mul(t, 3.0))
    tape = ad.record(lambda x: c0(v1(x)) * x, np.zeros(3))
    x = RNG.standard_normal(3)
    tape.jacobian(np.zeros(3), mode="forward")
    expected = jax.jacfwd(lambda x: 3.0 * jnp.sin(x) * x)(x)
    np.testing.assert_allclose(tape.jacobian(x, mode="forward"), expected, rtol=1e-13)
    source = tape.program("jacobian", mode="forward").source
    assert "op_v1(" in source and "op_c0(" in source


def test_a_recorded_gradient_replays_its_jacobian_as_the_hessian():
    h = lambda x: np.sum(np.sin(x) * x ** 2)
    tape = ad.record(ad.grad(h), RNG.standard_normal(4))
    x = RNG.standard_normal(4)
    expected = jax.hessian(lambda x: jnp.sum(jnp.sin(x) * x ** 2))(x)
    for mode in ("forward", "reverse"):
        tape.jacobian(np.zeros(4), mode=mode)  # staged elsewhere
        np.testing.assert_allclose(tape.jacobian(x, mode=mode), expected, rtol=1e-12)


def test_pytrees_and_float32_through_staged_programs():
    f = lambda d: {"s": np.sum(d["a"] * d["b"][0]), "v": np.sin(d["a"]) * d["b"][1]}
    point = lambda: {"a": RNG.standard_normal(3).astype(np.float32),
                     "b": (RNG.standard_normal(3).astype(np.float32), np.float32(RNG.standard_normal()))}
    tape = ad.record(f, point())
    x = point()
    staged = tape.jacobian(x, mode="reverse"), tape.jacobian(x, mode="forward"), tape(x)
    tape.compile = False
    interpreted = tape.jacobian(x, mode="reverse"), tape.jacobian(x, mode="forward"), tape(x)
    a, da = tree_flatten(staged)
    b, db = tree_flatten(interpreted)
    assert da == db and len(a) == 3 * 2 + 3 * 2 + 2
    for u, v in zip(a, b):
        assert np.asarray(u).dtype == np.float32 and np.asarray(u).shape == np.asarray(v).shape
        np.testing.assert_allclose(u, v, rtol=1e-6)


# ---- what a recorded derivative computation freezes, and what the tape owns


def test_a_recorded_gradient_logs_the_decisions_of_its_rules():
    # abs's slope inside ad.grad is a decision on x's sign: frozen into the tape, and logged,
    # so the branch check sees a point where a sign differs
    f = lambda x: np.sum(np.abs(x) ** 3)
    tape = ad.record(ad.grad(f), np.array([1.0, 2.0]))
    same_signs, flipped = np.array([0.5, 3.0]), np.array([-1.0, 2.0])
    assert tape.same_branches(same_signs) and not tape.same_branches(flipped)
    np.testing.assert_allclose(tape(same_signs), ad.grad(f)(same_signs), rtol=1e-14)
    np.testing.assert_allclose(tape.jacobian(same_signs), ad.hessian(f)(same_signs), rtol=1e-14)
    np.testing.assert_allclose(tape(flipped), ad.grad(f)(flipped), rtol=1e-14)  # re-recorded there
    assert tape.retapes == 1
    with pytest.raises(ad.AdmodesError, match="different branch"):
        ad.record(ad.grad(f), np.array([1.0, 2.0]), retape=False)(flipped)


@pytest.mark.parametrize("fun", [
    lambda x: np.max(x) * x,
    lambda x: np.maximum(x, 0.5) ** 2,
    lambda x: np.clip(x, -0.5, 0.5) * x,
    lambda x: np.abs(x) ** x,
], ids=["max", "maximum", "clip", "abs**x"])
def test_branch_check_of_recorded_gradients_never_vouches_for_a_wrong_replay(fun):
    g = lambda x: np.sum(fun(x))
    tape = ad.record(ad.grad(g), np.array([0.3, 0.9, -0.2]))
    for _ in range(20):
        x = RNG.uniform(-1, 1, 3)
        if tape.same_branches(x):
            np.testing.assert_allclose(tape(x), ad.grad(g)(x), rtol=1e-13, atol=1e-15)


def test_index_arrays_and_constants_are_the_tapes_own():
    idx = np.array([2, 0, 1])
    w = np.array([1.0, 2.0, 3.0])
    tape = ad.record(lambda x: x[idx] * w, np.array([10.0, 20.0, 30.0]))
    x = np.array([1.0, 2.0, 3.0])
    before = tape(x), tape.jacobian(x, mode="reverse"), tape.jacobian(x, mode="forward")
    idx[:] = 0
    w *= 10
    for staged in (True, False):
        tape.compile = staged
        after = tape(x), tape.jacobian(x, mode="reverse"), tape.jacobian(x, mode="forward")
        for a, b in zip(before, after):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(before[0], [3.0, 2.0, 6.0])


def test_a_tape_inside_a_derivative_call_of_its_constants():
    x0 = np.array([1.0, 2.0])

    def g(w):
        tape = ad.record(lambda x: x + w * 2.0, x0)  # w is traced by the enclosing grad
        return np.sum(tape(x0)) + np.sum(ad.record(lambda x: w * 3.0, x0)(x0))

    np.testing.assert_allclose(ad.grad(g)(np.array([0.5, -1.0])), [5.0, 5.0])


def test_program_stages_at_the_recording_point():
    # zeros would make the matrix singular: the recording point does not
    tape = ad.record(lambda x: np.linalg.inv(x.reshape(2, 2)).ravel(), np.array([1.0, 2.0, 0.5, 3.0]))
    assert tape.program("jacobian") is not None


def test_a_traced_input_to_a_tape_is_refused_with_what_to_do():
    tape = ad.record(lambda x: np.sin(x), np.zeros(2))
    with pytest.raises(ad.AdmodesError, match="Ask the tape for the derivative"):
        ad.grad(lambda x: np.sum(tape(x)))(np.ones(2))


def test_a_constant_output_is_a_fresh_array_each_call_interpreted_too():
    tape = ad.record(lambda x: (x * 2.0, np.ones(2)), np.zeros(2))
    tape.compile = False
    tape(np.zeros(2))[1][:] = 7.0
    np.testing.assert_array_equal(tape(np.zeros(2))[1], np.ones(2))


def test_a_tape_holding_an_enclosing_calls_value_is_differentiated_through_its_rules():
    x0 = np.array([1.0, -2.0])

    def g(w):
        tape = ad.record(lambda x: np.sum(np.abs(x) * w), x0)  # w: traced by the enclosing grad
        return np.sum(tape.grad(x0) * np.array([1.0, 2.0]))

    np.testing.assert_allclose(ad.grad(g)(np.array([0.5, 3.0])), np.sign(x0) * [1.0, 2.0])


# ---- staging at scale: linear, about a kilobyte per operation, no compiler above a size


def _long_chain(n):
    def f(x):
        for _ in range(n // 2):
            x = np.sin(x) * 1.0001
        return np.sum(x)
    return f


def test_a_long_program_runs_as_steps_and_agrees_with_the_compiled_one(monkeypatch):
    from admodes.tape import staging

    f = _long_chain(600)
    x = np.linspace(0.0, 1.0, 4)
    compiled = ad.record(f, x)
    want_grad, want_jac = compiled.grad(x), compiled.jacobian(x)
    assert compiled.program("grad").compiled
    monkeypatch.setattr(staging, "COMPILE_LIMIT", 100)
    steps = ad.record(f, x)
    assert not steps.program("grad").compiled
    x1 = x + 0.3
    np.testing.assert_array_equal(steps.grad(x1), compiled.grad(x1))
    np.testing.assert_array_equal(steps.jacobian(x1), compiled.jacobian(x1))
    np.testing.assert_array_equal(steps.vjp(x1)[1](1.0)[0], compiled.vjp(x1)[1](1.0)[0])
    np.testing.assert_allclose(steps.grad(x), want_grad, rtol=1e-15)
    np.testing.assert_allclose(steps.jacobian(x), want_jac, rtol=1e-15)
    assert "def program(v0):" in steps.program("grad").source  # the source is still there to read


def test_staging_memory_per_operation_is_bounded():
    import tracemalloc

    f = _long_chain(3000)
    x = np.linspace(0.0, 1.0, 4)
    tape = ad.record(f, x)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tape.grad(x)  # stages the gradient's program (above COMPILE_LIMIT: a list of steps)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    ops = len(tape)
    assert (peak - before) / ops < 2048
    assert (kept - before) / ops < 2048
