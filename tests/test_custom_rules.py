"""custom_jvp / custom_vjp: both engines and nesting honour user rules."""

import jax
import numpy as np
import pytest

import admodes as ad


@ad.custom_jvp
def logsumexp(x):
    top = np.max(x)
    return top + np.log(np.sum(np.exp(x - top)))


@logsumexp.defjvp
def _logsumexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = logsumexp(x)
    return out, np.sum(np.exp(x - out) * t)


X = np.array([0.3, -1.2, 2.0])


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_custom_jvp_gradient_matches_jax(mode):
    expected = jax.grad(jax.nn.logsumexp)(X)
    np.testing.assert_allclose(ad.grad(logsumexp, mode=mode)(X), expected, rtol=1e-12)


def test_custom_jvp_is_stable_where_naive_code_overflows():
    big = np.array([1000.0, 1000.0])
    np.testing.assert_allclose(ad.grad(logsumexp)(big), [0.5, 0.5])


@pytest.mark.parametrize("chunk", [None, 1])
def test_custom_jvp_jacobians_and_batches(chunk):
    f = lambda x: logsumexp(x) * x
    expected = jax.jacrev(lambda x: jax.nn.logsumexp(x) * x)(X)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(ad.jacobian(f, mode=mode, chunk=chunk)(X), expected, rtol=1e-12)


def test_custom_jvp_hessian_all_nestings():
    expected = jax.hessian(jax.nn.logsumexp)(X)
    for outer in (ad.jacfwd, ad.jacrev):
        for inner in (ad.jacfwd, ad.jacrev):
            np.testing.assert_allclose(outer(inner(logsumexp))(X), expected, rtol=1e-10, atol=1e-12)


def test_rule_is_really_used():
    # a deliberately different rule shows that admodes calls it instead of tracing the body
    @ad.custom_jvp
    def f(x):
        return np.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        return f(primals[0]), 10.0 * tangents[0]

    assert float(ad.grad(f)(0.3)) == 10.0
    assert float(ad.grad(f, mode="forward")(0.3)) == 10.0


@ad.custom_vjp
def clip_gradient(x):
    return x


def _clip_fwd(x):
    return x, None


def _clip_bwd(residuals, g):
    return (np.clip(g, -1.0, 1.0),)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_custom_vjp_reverse():
    assert float(ad.grad(lambda x: 5.0 * clip_gradient(x))(2.0)) == 1.0
    assert float(ad.grad(lambda x: 0.5 * clip_gradient(x))(2.0)) == 0.5


@ad.custom_vjp
def cube(x):
    return x ** 3


def _cube_fwd(x):
    return x ** 3, x


def _cube_bwd(x, g):
    return (3.0 * x ** 2 * g,)


cube.defvjp(_cube_fwd, _cube_bwd)


def test_custom_vjp_both_modes_and_second_order():
    x = np.array([0.5, -2.0])
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(ad.jacobian(cube, mode=mode)(x), np.diag(3 * x ** 2))
    # second order: the rule is differentiated again
    np.testing.assert_allclose(ad.hessian(lambda x: np.sum(cube(x)))(x), np.diag(6 * x))


def test_custom_rule_errors_are_clear():
    @ad.custom_jvp
    def f(x):
        return x

    with pytest.raises(ad.AdmodesError, match="no rule yet"):
        f(1.0)

    @ad.custom_vjp
    def g(x):
        return x

    g.defvjp(lambda x: (x, None), lambda r, ct: ct)  # bwd forgets the tuple
    with pytest.raises(ad.AdmodesError, match="one cotangent per positional argument"):
        ad.grad(lambda x: np.sum(g(x)))(np.ones(2))
