"""Replay never returns a stale branch: a standing table of value-dependent choices.

Each row is a function that makes a choice from the values of its input (a Python ``if``,
``astype(int)``, a sign, an argmax, a sort order, a mask, a rule's decision inside a
recorded gradient), a recording point ``x0`` and a point ``x1`` where the choice differs.
Replayed at ``x1`` by every method, the tape must give what the function itself gives
there: it checks its logged branches on every call and re-records itself where one
differs. With ``retape=False`` it raises instead; only ``check_branches=False`` (the
explicit opt-out) replays the recorded branch.
"""

import numpy as np
import pytest

import admodes as ad
from jax_compare import close

RNG = np.random.default_rng(11)


def _if_sum(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return np.sum(np.sin(x))


def _astype_int(x):
    k = (x * 2.0).astype(int)  # a value-dependent integer, frozen into the tape as a constant
    return np.sum(x * k)


def _astype_bool(x):
    mask = (x - 0.5).astype(bool)  # exactly 0.5 is False
    return np.sum(np.where(mask, x ** 2, 3.0 * x))


def _index_from_astype(x):
    i = np.clip((x[0] * 3.0).astype(int), 0, 2)
    return x[i] * x[1] + x[2]


def _builtin_round(x):
    return np.sum(x * round(x[0]))  # round() of a 0-d traced value: a step, slope 0


def _sign(x):
    return np.sum(x * np.sign(x) * x)


def _sort(x):
    return np.sum(np.sort(x) * np.array([1.0, 10.0, 100.0]))


def _where_mask(x):
    return np.sum(np.where(x > 0.2, np.exp(x), x ** 3))


def _while_loop(x):
    y = x
    while np.max(np.abs(y)) > 0.5:  # the number of iterations depends on x
        y = y * 0.5
    return np.sum(y * y * x)


def _bool_of_traced(x):
    return np.sum(x) * 2.0 if x[0] else np.sum(x) * 3.0  # __bool__ of a 0-d traced value


def _recorded_gradient_of_abs(x):
    return ad.grad(lambda v: np.sum(np.abs(v) ** 3))(x)


def _recorded_gradient_of_max(x):
    return ad.grad(lambda v: np.max(v) * np.sum(v * v))(x)


X0 = np.array([0.9, 0.2, 0.4])

ROWS = {
    "python if": (_if_sum, X0, -X0),
    "astype(int)": (_astype_int, X0, np.array([0.3, 0.7, 1.2])),
    "astype(bool)": (_astype_bool, X0, np.array([0.5, 0.2, 0.4])),
    "index from astype(int)": (_index_from_astype, X0, np.array([0.1, 0.2, 0.4])),
    "round()": (_builtin_round, X0, np.array([0.3, 0.2, 0.4])),
    "sign": (_sign, X0, np.array([0.9, -0.2, 0.4])),
    "sort order": (_sort, X0, np.array([0.1, 0.2, 0.4])),
    "where mask": (_where_mask, X0, np.array([0.1, 0.3, 0.4])),
    "while loop length": (_while_loop, X0, np.array([0.3, 0.2, 0.4])),
    "bool of a traced value": (_bool_of_traced, X0, np.array([0.0, 0.2, 0.4])),
    "recorded grad of abs": (_recorded_gradient_of_abs, X0, np.array([0.9, -0.2, 0.4])),
    "recorded grad of max": (_recorded_gradient_of_max, X0, np.array([0.1, 0.2, 0.4])),
}


def _scalar(f, x):
    return np.ndim(f(x)) == 0


def _methods(f, x):
    """Each replay method beside the live computation it must equal at ``x``."""
    methods = {
        "value": (lambda tape: tape(x), lambda: f(x)),
        "jacobian forward": (lambda tape: tape.jacobian(x, mode="forward"), lambda: ad.jacfwd(f)(x)),
        "jacobian reverse": (lambda tape: tape.jacobian(x, mode="reverse"), lambda: ad.jacrev(f)(x)),
        "jvp": (lambda tape: tape.jvp((x,), (np.ones(3),))[1], lambda: ad.jvp(f, (x,), (np.ones(3),))[1]),
        "vjp": (lambda tape: tape.vjp(x)[1](np.ones_like(f(x)))[0], lambda: ad.vjp(f, x)[1](np.ones_like(f(x)))[0]),
    }
    if _scalar(f, x):
        methods["grad"] = (lambda tape: tape.grad(x), lambda: ad.grad(f)(x))
    return methods


METHODS = ["value", "jacobian forward", "jacobian reverse", "jvp", "vjp", "grad"]


def test_every_row_really_changes_branch():
    for name, (f, x0, x1) in ROWS.items():
        tape = ad.record(f, x0)
        assert tape.same_branches(x0), name
        assert not tape.same_branches(x1), name
        # and the recorded branch's numbers really are wrong at x1: the check matters
        stale = tape.jacobian(x1, check_branches=False)
        assert not np.allclose(stale, ad.jacfwd(f)(x1)) or not np.allclose(tape(x1, check_branches=False), f(x1)), name


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(ROWS))
def test_a_replay_at_another_branch_is_right(name, method):
    f, x0, x1 = ROWS[name]
    methods = _methods(f, x1)
    if method not in methods:
        pytest.skip("grad needs a scalar output")
    replay, live = methods[method]
    tape = ad.record(f, x0)
    np.testing.assert_allclose(replay(tape), live(), rtol=1e-12, atol=1e-14)
    assert tape.retapes == 1
    # back at the recording point's branch, again right (one more re-recording)
    replay0, live0 = _methods(f, x0)[method]
    np.testing.assert_allclose(replay0(tape), live0(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(ROWS))
def test_retape_false_raises_instead(name):
    f, x0, x1 = ROWS[name]
    tape = ad.record(f, x0, retape=False)
    for method, (replay, _) in _methods(f, x1).items():
        with pytest.raises(ad.AdmodesError, match="different branch"):
            replay(tape)
    np.testing.assert_allclose(tape(x0 + 0.0), f(x0), rtol=1e-13)  # the recorded branch still replays


@pytest.mark.parametrize("name", list(ROWS))
def test_interpreted_replay_checks_too(name):
    f, x0, x1 = ROWS[name]
    tape = ad.record(f, x0)
    tape.compile = False
    np.testing.assert_allclose(tape.jacobian(x1), ad.jacfwd(f)(x1), rtol=1e-12, atol=1e-14)
    with ad.count_ops():  # counting interprets as well
        np.testing.assert_allclose(tape(x0 + 0.0), f(x0), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(ROWS))
def test_random_points_never_stale(name):
    """Property: at random points (many of them on other branches) every replay is right."""
    f, x0, _ = ROWS[name]
    tape = ad.record(f, x0)
    for _ in range(15):
        x = np.round(RNG.uniform(-1.0, 1.0, 3), 1)  # rounding lands on ties and exact values too
        np.testing.assert_allclose(tape(x), f(x), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(tape.jacobian(x), ad.jacfwd(f)(x), rtol=1e-12, atol=1e-14)


def test_a_branch_that_changes_the_output_shape_is_refused():
    def f(x):
        return x[x > 0] * 2.0

    tape = ad.record(f, np.array([1.0, -1.0, 2.0]))
    with pytest.raises(ad.AdmodesError, match="another structure, shape or dtype"):
        tape(np.array([1.0, 1.0, 2.0]))


def test_frozen_arguments_are_kept_as_recorded():
    w = np.array([1.0, -1.0])

    def f(x, w):
        return np.sum(x * w) if np.sum(x) > 0 else np.sum(x * x * w)

    tape = ad.record(f, np.ones(2), w, argnums=0)
    w[:] = 100.0  # the caller changes the frozen argument: re-recording still uses the recorded w
    x1 = np.array([-1.0, -2.0])
    np.testing.assert_allclose(tape(x1), np.sum(x1 * x1 * np.array([1.0, -1.0])))
    assert tape.retapes == 1


def test_check_branches_and_retape_are_validated():
    tape = ad.record(_if_sum, X0)
    with pytest.raises(ad.AdmodesError, match="check_branches must be True or False"):
        tape(X0, check_branches="no")
    with pytest.raises(ad.AdmodesError, match="retape must be True or False"):
        ad.record(_if_sum, X0, retape=None)


# ---- values a tape freezes besides comparisons: each is logged and checked on replay

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
    """A tape that froze sign(x), floor(x), argmax(x), a sort order (not only a comparison
    x > 0) knows it is on another branch at x1, where that value changes: it re-records
    there, or raises with retape=False."""
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

    tape = ad.record(f, X0)
    assert tape.same_branches(X0[::-1] * 3.0)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_branch_check_sees_comparisons_inside_a_recorded_derivative(mode):
    """Recording a gradient function: the comparisons inside grad compare grad's tracers, and
    the recording still logs them, so a point with other signs is on another branch."""
    f = lambda y: np.sum(np.where(y > 0, y ** 2, -y) * np.sign(y))
    grad_f = lambda x: ad.grad(f, mode=mode)(x)
    x0, x1 = np.array([1.0, -1.0]), np.array([-1.0, 1.0])
    tape = ad.record(grad_f, x0)
    assert tape.same_branches(x0 * 2.0)
    assert not tape.same_branches(x1)
    close(tape(x0 * 2.0), grad_f(x0 * 2.0))
