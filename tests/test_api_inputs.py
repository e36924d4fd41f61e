"""Adversarial inputs at the API boundary: every one gets a right number or a clear AdmodesError.

Table-driven: each row is a hostile or unusual input a new user might pass (complex constants,
Python sequences, strings, malformed arguments, writes into plain arrays, % and //), checked in
both modes. A row that returns a number is compared with JAX (x64) or with the same function on
plain arrays; a row that must be refused checks the error type and that the message names the
problem.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad
from admodes import AdmodesError

X = np.array([0.3, -1.2, 2.0])
C = np.array([1.0 + 2.0j, 0.5j, -1.0])
W_COMPLEX = np.ones((2, 3)) * (1 + 1j)

# ---------------------------------------------------------------- complex values are refused

COMPLEX_FUNCTIONS = {
    "x * 1j then abs": lambda x: np.abs(x * (1 + 2j)),
    "x + complex array": lambda x: np.real(x + C) if False else np.abs(x + C),
    "complex out": lambda x: x + 1j,
    "1j * x reflected": lambda x: np.abs(1j * x),
    "np.multiply(x, complex)": lambda x: np.abs(np.multiply(x, C)),
    "np.complex128 scalar": lambda x: np.abs(x * np.complex128(2j)),
    "np.where complex branch": lambda x: np.abs(np.where(x > 0, x, C)),
    "np.concatenate with complex": lambda x: np.abs(np.concatenate([x, C])),
    "np.dot(complex W, x)": lambda x: np.abs(np.dot(W_COMPLEX, x)),
    "complex W @ x": lambda x: np.abs(W_COMPLEX @ x),
    "np.maximum(x, complex)": lambda x: np.abs(np.maximum(x, C)),
    "x.dot(complex)": lambda x: np.abs(x.dot(C)),
    "np.einsum with complex": lambda x: np.abs(np.einsum("i,i->", x, C)),
}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name", list(COMPLEX_FUNCTIONS))
def test_a_complex_intermediate_is_refused(name, mode):
    fun = COMPLEX_FUNCTIONS[name]
    with pytest.raises(AdmodesError, match="complex"):
        ad.jacobian(fun, mode=mode)(X)


def test_complex_tangents_and_cotangents_are_refused():
    with pytest.raises(AdmodesError, match="cotangent 0 is a complex"):
        ad.vjp(lambda x: x * 2.0, X)[1](np.array([1 + 1j, 2.0, 0.0]))
    with pytest.raises(AdmodesError, match="tangent 0 is a complex"):
        ad.jvp(lambda x: x * 2.0, (X,), (C,))
    with pytest.raises(AdmodesError, match="complex"):
        ad.grad(lambda x: np.sum(x))(C)


def test_complex_conversion_is_refused_not_a_zero_derivative():
    # astype(complex) is refused, not taken for an integer cast with a zero derivative
    with pytest.raises(AdmodesError, match="real-valued"):
        ad.grad(lambda x: np.sum(x.astype(np.complex128).real))(np.ones(2))


# ---------------------------------------------------------------- strings and other non-numbers

@pytest.mark.parametrize("bad", ["1.0", "ab", b"1", None, object(), np.array(["a", "b", "c"])],
                         ids=["str", "letters", "bytes", "None", "object", "str array"])
def test_non_numeric_tangents_are_refused(bad):
    with pytest.raises(AdmodesError, match="tangent"):  # None: a pytree of no leaves, so a structure error
        ad.jvp(lambda x: x * 2.0, (X,), (bad,))
    with pytest.raises(AdmodesError, match="cotangent"):
        ad.vjp(lambda x: x * 2.0, X)[1](bad)


@pytest.mark.parametrize("bad", ["1.0", b"1"])
def test_string_inputs_are_refused(bad):
    with pytest.raises(AdmodesError, match="string"):
        ad.grad(lambda x: x * 2.0)(bad)


def test_integer_and_bool_tangents_are_numbers():
    _, t = ad.jvp(lambda x: x * 2.0, (X,), (np.array([1, 0, 2]),))
    np.testing.assert_array_equal(t, [2.0, 0.0, 4.0])
    assert t.dtype == np.float64


# ---------------------------------------------------------------- Python sequences as operands

SEQUENCE_FUNCTIONS = {
    "x - list": (lambda x: x - [1.0, 2.0, 3.0], lambda x: x - np.array([1.0, 2.0, 3.0])),
    "list + x": (lambda x: [1.0, 2.0, 3.0] + x, lambda x: np.array([1.0, 2.0, 3.0]) + x),
    "x * tuple": (lambda x: x * (0.5, 1.5, 2.5), lambda x: x * np.array([0.5, 1.5, 2.5])),
    "nested list / x": (lambda x: [[1.0], [2.0]] / x, lambda x: np.array([[1.0], [2.0]]) / x),
    "np.maximum(x, list)": (lambda x: np.maximum(x, [0.0, 0.0, 0.0]), lambda x: np.maximum(x, np.zeros(3))),
    "x ** list": (lambda x: np.abs(x) ** [1.0, 2.0, 3.0], lambda x: np.abs(x) ** np.array([1.0, 2.0, 3.0])),
    "int list": (lambda x: x * [1, 2, 3], lambda x: x * np.array([1, 2, 3])),
    "np.float64 scalar": (lambda x: x * np.float64(3.0), lambda x: x * 3.0),
    "np.concatenate([x, list])": (lambda x: np.concatenate([x, [1.0, 2.0]]), lambda x: np.concatenate([x, np.array([1.0, 2.0])])),
    "np.clip(x, list, list)": (lambda x: np.clip(x, [0.0, -2.0, 0.0], [1.0, 1.0, 1.5]),
                               lambda x: np.clip(x, np.array([0.0, -2.0, 0.0]), np.array([1.0, 1.0, 1.5]))),
    "np.dot(list, x)": (lambda x: np.dot([[1.0, 2.0, 3.0]], x), lambda x: np.dot(np.array([[1.0, 2.0, 3.0]]), x)),
    "np.where(c, x, list)": (lambda x: np.where(x > 0, x, [5.0, 6.0, 7.0]), lambda x: np.where(x > 0, x, np.array([5.0, 6.0, 7.0]))),
    "np.einsum(x, list)": (lambda x: np.einsum("i,i->", x, [1.0, 2.0, 3.0]), lambda x: np.einsum("i,i->", x, np.array([1.0, 2.0, 3.0]))),
    "list @ x": (lambda x: [[1.0, 2.0, 3.0]] @ x, lambda x: np.array([[1.0, 2.0, 3.0]]) @ x),
    "np.stack([x, list])": (lambda x: np.stack([x, [1.0, 2.0, 3.0]]), lambda x: np.stack([x, np.array([1.0, 2.0, 3.0])])),
}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name", list(SEQUENCE_FUNCTIONS))
def test_python_sequences_behave_as_numpy_reads_them(name, mode):
    with_sequence, with_array = SEQUENCE_FUNCTIONS[name]
    np.testing.assert_allclose(with_sequence(X), with_array(X))
    np.testing.assert_allclose(ad.jacobian(with_sequence, mode=mode)(X), ad.jacobian(with_array, mode=mode)(X))


# ---------------------------------------------------------------- writing traced values into plain arrays

def _write_one(x):
    g = np.zeros(3)
    g[0] = x[1]
    return g


def _write_all(x):
    g = np.zeros(3)
    g[:] = x
    return g


def _write_row(x):
    g = np.zeros((2, 3))
    g[1] = x
    return g


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("fun", [_write_one, _write_all, _write_row], ids=lambda f: f.__name__)
def test_writing_into_a_plain_array_names_the_fix(fun, mode):
    with pytest.raises(Exception) as info:
        ad.jacobian(fun, mode=mode)(X)
    error = info.value if isinstance(info.value, AdmodesError) else info.value.__cause__
    # NumPy raises its own ValueError for g[i] = x, chained from admodes' message: a traceback
    # prints admodes' message first
    assert isinstance(error, AdmodesError), repr(info.value)
    assert "np.stack" in str(error) and "plain array" in str(error)


# ---------------------------------------------------------------- %, //, divmod, round

@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_remainder_and_floor_division_match_jax(mode):
    x = np.array([2.7, -1.3, 5.2])
    y = np.array([1.1, 0.7, -2.3])

    def f(xp, a, b):
        return a % b + xp.fmod(a, b) * 2.0 + (a // b) * a + divmod(a, b)[1] * 3.0

    ours = ad.jacobian(lambda a, b: f(np, a, b), argnums=(0, 1), mode=mode)(x, y)
    theirs = jax.jacrev(lambda a, b: f(jnp, a, b), argnums=(0, 1))(x, y)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(f(np, x, y), f(jnp, x, y), rtol=1e-12)


def test_round_builtin_is_numpys_round_with_zero_derivative():
    value, slope = ad.value_and_grad(lambda x: round(x * 3.0) * x)(0.45)
    assert value == np.round(1.35) * 0.45  # half to even, as np.round
    np.testing.assert_allclose(slope, np.round(1.35))
    np.testing.assert_allclose(ad.grad(lambda x: round(x, 1) + x)(1.23), 1.0)


# ---------------------------------------------------------------- malformed arguments

BAD_ARGNUMS = [1.0, True, "a", (0, 1.0), [], (), None, (0, "b"), np.float64(0.0)]


@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad, ad.jacobian, ad.jacfwd, ad.jacrev])
@pytest.mark.parametrize("argnums", BAD_ARGNUMS, ids=repr)
def test_malformed_argnums_are_refused_by_name(transform, argnums):
    with pytest.raises(AdmodesError, match="argnums"):
        transform(lambda x, y: np.sum(x * y), argnums=argnums)(X, X)


@pytest.mark.parametrize("argnums", [5, -3, (0, 7)])
def test_argnums_out_of_range_are_refused(argnums):
    with pytest.raises(AdmodesError, match="argnums"):
        ad.grad(lambda x, y: np.sum(x * y), argnums=argnums)(X, X)


@pytest.mark.parametrize("argnums", [(0, 0), (0, -2), (1, 0, 1)])
def test_repeated_argnums_are_refused(argnums):
    # an argument named twice (also as a negative index) is refused: the second copy would
    # otherwise replace the first (grad(x * y, argnums=(0, 0)) would be (0, 2))
    with pytest.raises(AdmodesError, match="more than once"):
        ad.grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)
    with pytest.raises(AdmodesError, match="more than once"):
        ad.jacobian(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


@pytest.mark.parametrize("transform", [ad.grad, ad.jacobian, ad.vjp, ad.jvp])
def test_a_non_function_is_refused(transform):
    with pytest.raises(AdmodesError, match="function"):
        if transform is ad.vjp:
            transform(3.0, X)
        elif transform is ad.jvp:
            transform(3.0, (X,), (X,))
        else:
            transform(3.0)


@pytest.mark.parametrize("has_aux", ["yes", 1, None])
def test_has_aux_must_be_a_bool(has_aux):
    with pytest.raises(AdmodesError, match="has_aux"):
        ad.grad(lambda x: np.sum(x), has_aux=has_aux)
    with pytest.raises(AdmodesError, match="has_aux"):
        ad.jacobian(lambda x: x, has_aux=has_aux)


# ---------------------------------------------------------------- check_grads

@ad.custom_jvp
def _wrong_sin(x):
    return np.sin(x)


@_wrong_sin.defjvp
def _wrong_sin_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return np.sin(x), 2.0 * t  # deliberately wrong


@pytest.mark.parametrize("arg", [np.array([1, 2]), 1, [1, 2], np.array([1.0, 2.0])], ids=repr)
def test_check_grads_checks_integer_inputs_as_floats(arg):
    with pytest.raises(AssertionError, match="disagrees"):
        ad.check_grads(_wrong_sin, (arg,))
    ad.check_grads(np.sin, (arg,))


@pytest.mark.parametrize("modes", [(), [], "forward"])
def test_check_grads_refuses_a_check_of_nothing(modes):
    with pytest.raises(AdmodesError, match="modes"):
        ad.check_grads(np.sin, (X,), modes=modes)


# ---------------------------------------------------------------- the standard deviation

def test_std_of_one_entry_is_constant_with_zero_derivative():
    for mode in ("forward", "reverse"):
        np.testing.assert_array_equal(ad.grad(lambda x: np.std(x), mode=mode)(np.array([3.0])), [0.0])
        np.testing.assert_array_equal(ad.jacobian(lambda x: np.std(x, axis=1), mode=mode)(np.ones((2, 1))),
                                      np.zeros((2, 2, 1)))


def test_std_elsewhere_matches_jax():
    x = np.array([[0.3, -1.0, 2.0], [1.0, 1.5, -0.5]])
    for axis in (None, 0, 1):
        ours = ad.jacobian(lambda v: np.std(v, axis=axis), mode="reverse")(x)
        theirs = jax.jacrev(lambda v: jnp.std(v, axis=axis))(x)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_std_at_equal_entries_is_nan_as_in_jax():
    # several equal entries: std has a kink (a cone) there, no derivative
    g = ad.grad(lambda x: np.std(x))(np.array([2.0, 2.0]))
    assert np.all(np.isnan(g))
    assert np.all(np.isnan(np.asarray(jax.grad(jnp.std)(jnp.array([2.0, 2.0])))))
