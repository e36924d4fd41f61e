"""Nested derivatives against JAX (x64): every pairing of forward and reverse, 2 and 3 deep,
with chunk None / 1 / 2 at each level, closures over outer tracers, perturbation-confusion
variants (Siskind & Pearlmutter 2005), and inner results that escape to the outer level.

The test function mixes the operations whose rules must keep a batch of directions in
front: matmul, broadcasting, reductions over axes, integer-array indexing (with repeats,
and with the advanced block moved to the front), concatenate, where and maximum.
"""

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

MODES = ("forward", "reverse")
CHUNKS = (None, 1, 2)

RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 4))
IDX = np.array([0, 2, 2, 1])  # a repeated entry: the adjoint must add, not assign
ROWS = np.array([2, 0])
X0 = RNG.normal(size=4)
M0 = RNG.normal(size=(3, 2))


def mixed(xp):
    def f(x):
        y = A @ x  # (3,)
        z = xp.concatenate([y, x[IDX] * 2.0])  # (7,)
        w = xp.where(z > 0, z, 0.1 * z)
        m = xp.maximum(w, 0.3)
        outer = x[:, None] * y[None, :]  # broadcasting (4, 3)
        return (xp.sum(m ** 2 * xp.sin(z)) + xp.sum(xp.max(outer, axis=1) * x)
                + xp.sum(xp.mean(outer, axis=0) ** 2))

    return f


def matrix(xp):
    """A matrix input: indexing with the advanced block moved in front (x[ROWS, :, None][..., 0])."""

    def f(x):  # x: (3, 2)
        picked = x[ROWS][:, ROWS % 2]  # (2, 2), rows and columns with a repeat
        split = xp.moveaxis(x[None], 0, 2)[ROWS, :, ROWS * 0]  # advanced indices separated by a slice
        return (xp.sum(xp.tanh(x @ picked) * x[:, ::-1]) + xp.sum(split ** 3)
                + xp.sum(xp.maximum(x, x[::-1]) * xp.sum(x, axis=1, keepdims=True)))

    return f


f_np, f_jax = mixed(np), mixed(jnp)
g_np, g_jax = matrix(np), matrix(jnp)


@functools.cache
def oracle(name):
    """JAX's answers, compiled once (op-by-op JAX would dominate the runtime)."""
    if name == "hessian f":
        return jax.jit(jax.hessian(f_jax))(X0)
    return jax.jit(jax.hessian(g_jax))(M0)


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


@pytest.mark.parametrize("outer,inner", itertools.product(MODES, MODES))
@pytest.mark.parametrize("c_in,c_out", [(None, None), (1, 1), (2, 2), (None, 2), (1, None), (2, 1)])
def test_second_order_every_pairing_and_chunk(outer, inner, c_in, c_out):
    hess = ad.jacobian(ad.jacobian(f_np, mode=inner, chunk=c_in), mode=outer, chunk=c_out)(X0)
    close(hess, oracle("hessian f"))


@pytest.mark.parametrize("outer,inner", itertools.product(MODES, MODES))
@pytest.mark.parametrize("chunk", CHUNKS)
def test_second_order_matrix_input(outer, inner, chunk):
    hess = ad.jacobian(ad.jacobian(g_np, mode=inner, chunk=chunk), mode=outer, chunk=chunk)(M0)
    assert hess.shape == (3, 2, 3, 2)
    close(hess, oracle("hessian g"))


@pytest.mark.parametrize("modes", list(itertools.product(MODES, MODES, MODES)))
def test_third_order_every_combination(modes):
    m1, m2, m3 = modes
    x = X0[:3]
    h = lambda x: np.sum(np.sin(A[:, :3] @ x) * x[IDX[:3]] ** 2) + np.max(np.concatenate([x, x ** 2]))
    hj = lambda x: jnp.sum(jnp.sin(A[:, :3] @ x) * x[IDX[:3]] ** 2) + jnp.max(jnp.concatenate([x, x ** 2]))
    d3 = ad.jacobian(ad.jacobian(ad.jacobian(h, mode=m1, chunk=2), mode=m2, chunk=1), mode=m3)(x)
    close(d3, jax.jit(jax.jacfwd(jax.jacrev(jax.grad(hj))))(x))


@pytest.mark.parametrize("outer,inner", itertools.product(MODES, MODES))
def test_closure_over_an_outer_tracer(outer, inner):
    # the inner grad differentiates y only; x is the outer call's tracer, a constant inside
    f = lambda x: np.sum(ad.grad(lambda y: np.sum(x * y ** 2), mode=inner)(x))
    fj = lambda x: jnp.sum(jax.grad(lambda y: jnp.sum(x * y ** 2))(x))
    close(ad.grad(f, mode=outer)(X0), jax.grad(fj)(X0))
    jac = ad.jacobian(lambda x: ad.grad(lambda y: np.sum(np.sin(x * y) * y), mode=inner)(x), mode=outer)(X0)
    close(jac, jax.jacobian(lambda x: jax.grad(lambda y: jnp.sum(jnp.sin(x * y) * y))(x))(X0))


@pytest.mark.parametrize("outer,inner", itertools.product(MODES, MODES))
def test_perturbation_confusion(outer, inner):
    # Siskind & Pearlmutter: d/dx [x * d/dy (x + y)] = 1, not 2
    d = ad.grad(lambda x: x * ad.grad(lambda y: x + y, mode=inner)(1.0), mode=outer)(1.0)
    close(d, 1.0)
    # d/dx [x * d/dy (x * y)|_{y=x}] = d/dx x^2 = 2x
    d = ad.grad(lambda x: x * ad.grad(lambda y: x * y, mode=inner)(x), mode=outer)(3.0)
    close(d, 6.0)
    # the same with jvp: the inner tangent must not leak into the outer one
    inner_jvp = lambda x: x * ad.jvp(lambda y: x * y ** 2, (x,), (1.0,))[1]
    close(ad.grad(inner_jvp, mode=outer)(2.0), jax.grad(lambda x: x * jax.jvp(lambda y: x * y ** 2, (x,), (1.0,))[1])(2.0))


@pytest.mark.parametrize("mode", MODES)
def test_inner_results_escape_to_the_outer_level(mode):
    def f(x):
        out, pullback = ad.vjp(lambda y: np.sin(x * y), x)
        return pullback(x ** 2)[0] * out  # a cotangent that depends on x, and the primal

    def fj(x):
        out, pullback = jax.vjp(lambda y: jnp.sin(x * y), x)
        return pullback(x ** 2)[0] * out

    close(ad.jacobian(f, mode=mode)(X0), jax.jacobian(fj)(X0))
    # a tangent that depends on the outer input, and aux carrying outer tracers
    g = lambda x: ad.jvp(lambda y: np.exp(y) * y, (x,), (x * 2,))[1]
    close(ad.jacobian(g, mode=mode)(X0), jax.jacobian(lambda x: jax.jvp(lambda y: jnp.exp(y) * y, (x,), (x * 2,))[1])(X0))
    aux = lambda x: ad.grad(lambda y: (np.sum(y * x), x * y), has_aux=True)(x)[1]
    close(ad.jacobian(aux, mode=mode)(X0), jax.jacobian(lambda x: jax.grad(lambda y: (jnp.sum(y * x), x * y), has_aux=True)(x)[1])(X0))
    # an inner derivative that does not depend on the outer input at all
    const = lambda x: ad.jacobian(lambda y: y * 2.0 + x)(x)
    close(ad.jacobian(const, mode=mode)(X0), np.zeros((4, 4, 4)))


@pytest.mark.parametrize("mode", MODES)
def test_pullback_made_outside_differentiated_inside(mode):
    _, pullback = ad.vjp(lambda x: np.sin(x) * x[::-1], X0)
    _, pullback_j = jax.vjp(lambda x: jnp.sin(x) * x[::-1], X0)
    close(ad.jacobian(lambda c: pullback(c)[0], mode=mode)(X0), jax.jacobian(lambda c: pullback_j(c)[0])(X0))


@pytest.mark.parametrize("mode", MODES)
def test_hvp_with_traced_point_and_direction(mode):
    f = lambda y: np.sum(np.sin(y) ** 2 * y)
    fj = lambda y: jnp.sum(jnp.sin(y) ** 2 * y)
    by_v = ad.jacobian(lambda v: ad.hvp(f, (X0,), (v,)), mode=mode)(X0[::-1])
    close(by_v, jax.jacobian(lambda v: jax.jvp(jax.grad(fj), (X0,), (v,))[1])(X0[::-1]))
    by_x = ad.jacobian(lambda x: ad.hvp(f, (x,), (X0[::-1],)), mode=mode)(X0)
    close(by_x, jax.jacobian(lambda x: jax.jvp(jax.grad(fj), (x,), (X0[::-1],))[1])(X0))


@pytest.mark.parametrize("outer,inner", itertools.product(MODES, MODES))
def test_nested_with_pytrees_and_argnums(outer, inner):
    p = {"w": A[:, :3], "b": (X0[:3], None)}

    def loss(p, x):
        return np.sum(np.tanh(p["w"] @ x[:3] + p["b"][0]) ** 2) * x[3]

    def loss_j(p, x):
        return jnp.sum(jnp.tanh(p["w"] @ x[:3] + p["b"][0]) ** 2) * x[3]

    inner_grad = lambda p, x: ad.jacobian(loss, argnums=(0, 1), mode=inner, chunk=2)(p, x)
    got = ad.jacobian(inner_grad, argnums=1, mode=outer, chunk=3)(p, X0)
    want = jax.jit(jax.jacobian(jax.grad(loss_j, argnums=(0, 1)), argnums=1))(p, X0)
    assert ad.tree_flatten(got)[1] == ad.tree_flatten(({"w": 0, "b": (0, None)}, 0))[1]
    for a, b in zip(ad.tree_flatten(got)[0], jax.tree_util.tree_leaves(want)):
        close(a, b)
