"""custom_jvp / custom_vjp: both engines and nesting honour user rules."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad
from jax_compare import close, tree_close

MODES = ("forward", "reverse")


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
    with pytest.raises(ad.AdmodesError, match="one cotangent per differentiated positional argument"):
        ad.grad(lambda x: np.sum(g(x)))(np.ones(2))


# ---------------------------------------------------------------------- what a rule returns is checked


def _custom_calls(f):
    """The four ways a rule is reached: forward, forward with a batch, reverse, reverse Jacobian."""
    return {
        "jvp": lambda: ad.jvp(f, (X,), (X,)),
        "jacfwd chunk 2": lambda: ad.jacfwd(f, chunk=2)(X),
        "grad": lambda: ad.grad(lambda x: np.sum(f(x) * x))(X),
        "jacrev": lambda: ad.jacrev(f)(X),
    }


@pytest.mark.parametrize("call", ["jvp", "jacfwd chunk 2", "grad", "jacrev"])
def test_custom_jvp_rule_results_are_checked(call):
    # a rule must return a (primal, tangent) pair, the tangent of the output's shape; anything
    # else is an AdmodesError naming the rule's result, on every path that calls the rule
    no_pair = ad.custom_jvp(lambda x: x * 2.0)
    no_pair.defjvp(lambda primals, tangents: tangents[0] * 2.0)
    with pytest.raises(ad.AdmodesError, match="pair"):
        _custom_calls(no_pair)[call]()
    bad_shape = ad.custom_jvp(lambda x: x * 2.0)
    bad_shape.defjvp(lambda primals, tangents: (primals[0] * 2.0, 0.0))
    with pytest.raises(ad.AdmodesError, match=r"shape \(\).*\(3,\)"):
        _custom_calls(bad_shape)[call]()


@pytest.mark.parametrize("call", ["jvp", "jacfwd chunk 2", "grad", "jacrev"])
def test_custom_vjp_cotangent_shapes_are_checked(call):
    # bwd giving a scalar cotangent for a (3,) input is refused, not returned as a 0-d gradient
    f = ad.custom_vjp(lambda x: np.sum(x) * 2.0 * x)
    f.defvjp(lambda x: (np.sum(x) * 2.0 * x, x), lambda x, g: (np.sum(g * x) * 2.0,))
    with pytest.raises(ad.AdmodesError, match=r"shape \(\).*\(3,\)"):
        _custom_calls(f)[call]()


def test_custom_vjp_fwd_must_return_a_pair():
    # fwd returning only the output (a 2-vector) is refused, not unpacked into output = x[0] * 2
    # and residuals = x[1] * 2
    f = ad.custom_vjp(lambda x: x * 2.0)
    f.defvjp(lambda x: x * 2.0, lambda residuals, g: (g * residuals,))
    with pytest.raises(ad.AdmodesError, match="pair"):
        ad.grad(lambda x: np.sum(f(x)))(np.array([1.0, 2.0]))


@ad.custom_vjp
def scaled_square(x, y):
    return x * y ** 2


scaled_square.defvjp(lambda x, y: (x * y ** 2, (x, y)), lambda r, g: (g * r[1] ** 2, g * 2 * r[0] * r[1]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_custom_rules_with_no_direction_to_sweep(mode, chunk):
    # a Jacobian with an empty input or output sends no direction to the rule, and has the
    # empty shape out.shape + in.shape
    sine = ad.custom_jvp(lambda x: np.sin(x))
    sine.defjvp(lambda p, t: (np.sin(p[0]), np.cos(p[0]) * t[0]))
    for f in (lambda x: scaled_square(x, x), sine):
        for x in (np.zeros(0), np.zeros((2, 0))):
            assert ad.jacobian(f, mode=mode, chunk=chunk)(x).shape == x.shape * 2
        close(ad.jacobian(lambda x: f(x[:0]), mode=mode, chunk=chunk)(X), np.zeros((0, 3)))


# ---------------------------------------------------------------------- custom rules under batches, nesting and replay

W3 = np.array([0.5, -1.2, 2.0])


def with_custom(x):
    return np.sin(logsumexp(x * W3)) * x + scaled_square(x, np.cos(x))


def with_custom_jax(x):
    return jnp.sin(jax.scipy.special.logsumexp(x * W3)) * x + x * jnp.cos(x) ** 2


@pytest.mark.parametrize("outer,inner", [(a, b) for a in MODES for b in MODES])
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_custom_rules_under_batches_and_nesting(outer, inner, chunk):
    y = np.array([1.5, 0.5, -0.7])
    close(ad.jacobian(with_custom, mode=inner, chunk=chunk)(y), jax.jacobian(with_custom_jax)(y))
    hess = ad.jacobian(ad.jacobian(with_custom, mode=inner, chunk=chunk), mode=outer, chunk=chunk)(y)
    close(hess, jax.jit(jax.hessian(with_custom_jax))(y))


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_custom_rules_inside_a_recorded_tape(mode):
    y, y1 = np.array([1.5, 0.5, -0.7]), np.array([1.2, 0.1, -0.3])
    tape = ad.record(with_custom, y)
    close(tape(y1), with_custom_jax(y1))
    close(tape.jacobian(y1, mode=mode), jax.jacobian(with_custom_jax)(y1))
    scalar = ad.record(lambda x: np.sum(with_custom(x)), y.astype(np.float32))
    tree_close(scalar.grad(y1.astype(np.float32)), jax.grad(lambda x: jnp.sum(with_custom_jax(x)))(y1.astype(np.float32)), rtol=1e-5)


# ---------------------------------------------------------------------- nondiff_argnums and pytree outputs


def _polar_np(r, theta):
    return {"xy": (r * np.cos(theta), r * np.sin(theta)), "r2": r ** 2}


def _polar_jnp(r, theta):
    return {"xy": (r * jnp.cos(theta), r * jnp.sin(theta)), "r2": r ** 2}


def _polar_jvp_rule(primals, tangents):
    (r, theta), (dr, dtheta) = primals, tangents
    out = _polar_np(r, theta)
    c, s = np.cos(theta), np.sin(theta)
    return out, {"xy": (dr * c - r * s * dtheta, dr * s + r * c * dtheta), "r2": 2 * r * dr}


polar_jvp = ad.custom_jvp(_polar_np)
polar_jvp.defjvp(_polar_jvp_rule)

polar_vjp = ad.custom_vjp(_polar_np)
polar_vjp.defvjp(
    lambda r, theta: (_polar_np(r, theta), (r, theta)),
    lambda res, g: (g["xy"][0] * np.cos(res[1]) + g["xy"][1] * np.sin(res[1]) + 2 * res[0] * g["r2"],
                    -g["xy"][0] * res[0] * np.sin(res[1]) + g["xy"][1] * res[0] * np.cos(res[1])),
)


def _polar_loss(polar, xp):
    return lambda v: xp.sum(xp.tanh(polar(v[0], v[1])["xy"][0]) * polar(v[0], v[1])["xy"][1] + polar(v[0], v[1])["r2"])


@pytest.mark.parametrize("polar", [polar_jvp, polar_vjp], ids=["custom_jvp", "custom_vjp"])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_pytree_outputs_match_jax(polar, mode):
    v = np.array([1.3, 0.4])
    want_jac = jax.jacobian(lambda v: _polar_jnp(v[0], v[1]))(v)
    got_jac = ad.jacobian(lambda v: polar(v[0], v[1]), mode=mode)(v)
    tree_close(got_jac, want_jac)
    tree_close(ad.hessian(_polar_loss(polar, np))(v), jax.hessian(_polar_loss(_polar_jnp, jnp))(v))


def _scaled_power(n, x, scale):  # n (an int) is static: the rule gets it first, as in JAX
    return scale * x ** n


scaled_power = ad.custom_jvp(_scaled_power, nondiff_argnums=(0,))


@scaled_power.defjvp
def _scaled_power_jvp(n, primals, tangents):
    (x, scale), (dx, dscale) = primals, tangents
    return _scaled_power(n, x, scale), scale * n * x ** (n - 1) * dx + x ** n * dscale


clipped = ad.custom_vjp(lambda x, bound: np.clip(x, -bound, bound) * 1.0, nondiff_argnums=(1,))
clipped.defvjp(lambda x, bound: (np.clip(x, -bound, bound) * 1.0, x),
               lambda bound, x, g: (np.where(np.abs(x) <= bound, g, 0.0),))


def test_nondiff_argnums_match_jax():
    fj = jax.custom_jvp(_scaled_power, nondiff_argnums=(0,))

    @fj.defjvp
    def _(n, primals, tangents):
        (x, scale), (dx, dscale) = primals, tangents
        return _scaled_power(n, x, scale), scale * n * x ** (n - 1) * dx + x ** n * dscale

    x = np.array([0.5, -1.5, 2.0])
    for argnums in (1, 2, (1, 2)):
        tree_close(ad.grad(lambda n, x, s: np.sum(scaled_power(n, x, s)), argnums)(3, x, 1.5),
                   jax.grad(lambda n, x, s: jnp.sum(fj(n, x, s)), argnums)(3, x, 1.5))
    tree_close(ad.hessian(lambda x: np.sum(scaled_power(4, x, 2.0)))(x),
               jax.hessian(lambda x: jnp.sum(fj(4, x, 2.0)))(x))
    tree_close(ad.grad(lambda x: np.sum(clipped(x, 1.0) ** 2))(x), np.where(np.abs(x) <= 1.0, 2 * x, 0.0))
    tree_close(ad.jacobian(lambda x: clipped(x, 1.0), mode="forward")(x), np.diag(np.abs(x) <= 1.0) * 1.0)
    with pytest.raises(ad.AdmodesError, match="nondiff_argnums"):
        clipped(x)
