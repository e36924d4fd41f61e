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
