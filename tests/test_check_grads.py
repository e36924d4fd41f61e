"""ad.check_grads: passes on correct rules, names the argument, entry and values on wrong ones."""

import numpy as np
import pytest

import admodes as ad


def test_passes_on_a_correct_function():
    ad.check_grads(lambda x, y: np.tanh(x) * np.sum(y ** 2), (np.array([0.1, -0.4]), np.array([1.0, 2.0, 3.0])), order=2)


def test_reports_a_wrong_rule():
    @ad.custom_jvp
    def wrong_sin(x):
        return np.sin(x)

    @wrong_sin.defjvp
    def _jvp(primals, tangents):
        return wrong_sin(primals[0]), np.sin(primals[0]) * tangents[0]  # should be cos

    x = np.array([0.2, 0.7])
    with pytest.raises(AssertionError) as info:
        ad.check_grads(lambda a, b: a + wrong_sin(b), (x, x))
    message = str(info.value)
    assert "argument 1" in message
    assert "finite differences" in message
    # the worst entry is the first one: the rule gives sin(0.2) = 0.1987, the truth is cos(0.2) = 0.9801
    assert "output entry 0, input entry 0" in message
    assert "0.1986" in message and "0.9800" in message


def test_rejects_bad_arguments():
    with pytest.raises(ad.AdmodesError, match="order"):
        ad.check_grads(np.sin, (1.0,), order=3)
    with pytest.raises(ad.AdmodesError, match="sideways"):
        ad.check_grads(np.sin, (1.0,), modes=("sideways",))


# an integer argument is checked as a float64 one, not skipped: a wrong rule is still caught

@ad.custom_vjp
def _wrong_square(x):
    return x * x


_wrong_square.defvjp(lambda x: (x * x, x), lambda x, g: (3.0 * x * g,))  # the slope is 2x


@pytest.mark.parametrize("arg", [np.array([1, 2, 3]), 2, np.array([True, False])], ids=["int array", "int", "bool array"])
def test_check_grads_checks_integer_arguments(arg):
    with pytest.raises(AssertionError):
        ad.check_grads(lambda x: np.sum(_wrong_square(x) + x), (arg,), modes=("reverse",))
    ad.check_grads(lambda x: np.sum(x * x * x), (arg,))  # and passes a right one


def test_check_grads_accepts_correct_float32_functions():
    # the finite differences of a float32 input run in float64, where a step of 1e-6 is not
    # mostly rounding: a right float32 function passes, a wrong rule still fails
    x32 = np.array([0.5, -1.2, 2.0], np.float32)
    ad.check_grads(lambda x: np.sin(x) * np.exp(x), (x32,), order=2)
    wrong = ad.custom_jvp(lambda x: np.sin(x))
    wrong.defjvp(lambda p, t: (np.sin(p[0]), np.sin(p[0]) * t[0]))
    with pytest.raises(AssertionError, match="disagrees"):
        ad.check_grads(wrong, (x32,))


def test_check_grads_names_arguments_it_cannot_take():
    # a dict argument is an AdmodesError saying arrays are expected, not a TypeError from float()
    with pytest.raises(ad.AdmodesError, match="array"):
        ad.check_grads(lambda p: p["a"] * 2.0, ({"a": np.array([0.5, -1.2, 2.0])},))
