"""Bad input gets a clear error naming what was wrong and how to fix it."""

import numpy as np
import pytest

import admodes as ad

X = np.array([0.5, -1.0, 2.0])


def raises(match):
    return pytest.raises(ad.AdmodesError, match=match)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_asarray_escape(mode):
    with raises(r"np\.asarray/np\.array.*np\.stack"):
        ad.grad(lambda x: np.sum(np.asarray(x)), mode=mode)(X)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_float_escape(mode):
    with raises(r"float\(\) of a traced value"):
        ad.grad(lambda x: float(x) * 2.0, mode=mode)(1.0)


def test_item_escape():
    with raises(r"item\(\)"):
        ad.grad(lambda x: x.item())(1.0)


def test_unsupported_function_names_itself_and_the_way_out():
    with raises(r"np\.fft.*custom_jvp"):
        ad.grad(lambda x: np.sum(np.fft.fft(x).real))(X)
    with raises(r"np\.frexp"):
        ad.grad(lambda x: np.sum(np.frexp(x)[0]))(X)


def test_ufunc_keywords_are_refused_not_ignored():
    with raises(r"out="):
        ad.grad(lambda x: np.sum(np.sin(x, out=np.empty(3))))(X)
    with raises(r"where="):
        ad.grad(lambda x: np.sum(np.sin(x, where=x > 0)))(X)


@pytest.mark.parametrize("bad, kind", [(np.array([1, 2]), "int64"), (3, "int64"), (np.array([True]), "bool")])
def test_integer_and_boolean_inputs(bad, kind):
    with raises(rf"dtype {kind}.*floating-point"):
        ad.grad(lambda x: np.sum(x * 2.0))(bad)
    with raises(rf"dtype {kind}"):
        ad.jacobian(lambda x: x * 2.0)(bad)


def test_complex_inputs():
    with raises("complex"):
        ad.grad(lambda x: np.sum(x))(np.array([1j]))


def test_grad_of_a_vector_function():
    with raises(r"scalar output.*shape \(3,\).*jacobian"):
        ad.grad(lambda x: x * 2.0)(X)
    with raises(r"scalar output"):
        ad.grad(lambda x: x * 2.0, mode="forward")(X)


def test_argnums_out_of_range():
    with raises(r"argnums=2.*2 positional"):
        ad.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with raises("argnums is empty"):
        ad.grad(lambda x: x, argnums=())(1.0)


def test_bad_mode_and_chunk():
    with raises("mode='sideways'"):
        ad.grad(np.sin, mode="sideways")
    with raises("mode='backward'"):
        ad.jacobian(np.sin, mode="backward")
    for chunk in (0, -1, 1.5, True):
        with raises("chunk="):
            ad.jacobian(np.sin, chunk=chunk)


def test_jvp_tangent_mismatch():
    with raises(r"tangent 0 has shape \(2,\).*shape \(3,\)"):
        ad.jvp(np.sin, (X,), (np.ones(2),))
    with raises("2 primals but 1 tangents"):
        ad.jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,))
    with raises("must be tuples"):
        ad.jvp(np.sin, X, X)


def test_vjp_cotangent_mismatch():
    _, pullback = ad.vjp(np.sin, X)
    with raises(r"cotangent 0 has shape \(2,\).*shape \(3,\)"):
        pullback(np.ones(2))
    _, pullback = ad.vjp(lambda x: (x, x), X)
    with raises("structure"):
        pullback(np.ones(3))


def test_traced_index():
    with raises("index computed from a traced value"):
        ad.grad(lambda x: np.sum(x[x]))(X)


def test_non_array_output():
    with raises("returned a str"):
        ad.jacobian(lambda x: "hello")(X)


def test_has_aux_needs_a_pair():
    with raises(r"has_aux=True.*pair"):
        ad.grad(lambda x: np.sum(x), has_aux=True)(X)


def test_missing_rule_message_follows_jax():
    from admodes.core import Primitive

    p = Primitive("no_rules_here", np.sin, register=False)
    with pytest.raises(NotImplementedError, match="Differentiation rule for 'no_rules_here' not implemented"):
        ad.grad(lambda x: p(x))(1.0)


# ---- a traced value used after its transformation returned


def test_a_leaked_tracer_is_reported():
    leaked = []

    def f(x):
        leaked.append(x)
        return np.sum(x ** 2)

    ad.grad(f)(X)
    with raises("already returned"):
        ad.grad(lambda y: np.sum(leaked[0] * y))(X)
    with raises("already returned"):
        np.sin(leaked[0])
    with raises("already returned"):
        ad.jvp(lambda y: leaked[0] * y, (X,), (X,))


@pytest.mark.parametrize("record", [ad.trace, ad.record])
def test_a_value_leaked_from_a_recording_is_reported(record):
    leaked = []

    def f(x):
        leaked.append(x)
        return np.sum(x ** 2)

    record(f, X)
    with raises("already returned"):
        np.sin(leaked[0])
