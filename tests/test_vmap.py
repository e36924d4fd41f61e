"""ad.vmap against jax.vmap: in_axes and out_axes (ints, None, negative, pytree prefixes) and
composition with grad, jvp, vjp, jacobian, hessian and vmap itself, in both orders, two deep."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

from jax_compare import tree_close

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(7)
XB = RNG.normal(size=(4, 3))  # a batch of 4 inputs of 3
W = RNG.normal(size=(2, 3))


def loss(xp):
    return lambda w, x: xp.sum(xp.tanh(w @ x) ** 2) + 0.1 * xp.sum(w ** 2)


def f(xp):
    return lambda x: xp.sin(x) * xp.sum(x ** 2)


def test_in_and_out_axes():
    g, gj = f(np), f(jnp)
    tree_close(ad.vmap(g)(XB), jax.vmap(gj)(XB))
    tree_close(ad.vmap(g, in_axes=1)(XB), jax.vmap(gj, in_axes=1)(XB))
    tree_close(ad.vmap(g, in_axes=-1, out_axes=1)(XB), jax.vmap(gj, in_axes=-1, out_axes=1)(XB))
    h = lambda d, s: {"y": d["a"] * s, "z": d["b"] + s}  # noqa: E731
    d = {"a": XB, "b": XB[:, 0]}
    tree_close(ad.vmap(h, in_axes=({"a": 0, "b": 0}, None), out_axes={"y": 1, "z": 0})(d, 2.0),
               jax.vmap(h, in_axes=({"a": 0, "b": 0}, None), out_axes={"y": 1, "z": 0})(d, 2.0))


def test_per_example_gradients():
    per = ad.vmap(ad.grad(loss(np)), in_axes=(None, 0))(W, XB)
    tree_close(per, jax.vmap(jax.grad(loss(jnp)), in_axes=(None, 0))(W, XB))


@pytest.mark.parametrize("order", ["grad(vmap)", "jacfwd(vmap)", "jacrev(vmap)", "vmap(jvp)", "vmap(vjp)",
                                   "vmap(hessian)", "hessian(vmap)", "vmap(vmap)", "vmap(grad(grad))",
                                   "grad(vmap(grad))"])
def test_compositions_match_jax(order):
    lo, lj = loss(np), loss(jnp)
    if order == "grad(vmap)":
        got = ad.grad(lambda w: np.sum(ad.vmap(lo, in_axes=(None, 0))(w, XB)))(W)
        want = jax.grad(lambda w: jnp.sum(jax.vmap(lj, in_axes=(None, 0))(w, XB)))(W)
    elif order in ("jacfwd(vmap)", "jacrev(vmap)"):
        jac, jjac = (ad.jacfwd, jax.jacfwd) if order == "jacfwd(vmap)" else (ad.jacrev, jax.jacrev)
        got = jac(ad.vmap(f(np)))(XB)
        want = jjac(jax.vmap(f(jnp)))(XB)
    elif order == "vmap(jvp)":  # a batch of directions: the columns of a Jacobian
        got = ad.vmap(lambda v: ad.jvp(f(np), (XB[0],), (v,))[1])(np.eye(3))
        want = jax.vmap(lambda v: jax.jvp(f(jnp), (XB[0],), (v,))[1])(jnp.eye(3))
    elif order == "vmap(vjp)":
        got = ad.vmap(lambda u: ad.vjp(f(np), XB[0])[1](u)[0])(np.eye(3))
        want = jax.vmap(lambda u: jax.vjp(f(jnp), XB[0])[1](u)[0])(jnp.eye(3))
    elif order == "vmap(hessian)":
        got = ad.vmap(ad.hessian(lambda x: np.sum(f(np)(x))))(XB)
        want = jax.vmap(jax.hessian(lambda x: jnp.sum(f(jnp)(x))))(XB)
    elif order == "hessian(vmap)":
        got = ad.hessian(lambda x: np.sum(ad.vmap(f(np))(x)))(XB[:2])
        want = jax.hessian(lambda x: jnp.sum(jax.vmap(f(jnp))(x)))(XB[:2])
    elif order == "vmap(vmap)":
        got = ad.vmap(ad.vmap(lambda a, b: a * b + np.sin(a), in_axes=(0, None)), in_axes=(None, 0))(XB[0], XB[:, 1])
        want = jax.vmap(jax.vmap(lambda a, b: a * b + jnp.sin(a), in_axes=(0, None)), in_axes=(None, 0))(XB[0], XB[:, 1])
    elif order == "vmap(grad(grad))":
        got = ad.vmap(ad.grad(ad.grad(lambda s: np.sin(s) * s ** 3)))(XB[:, 0])
        want = jax.vmap(jax.grad(jax.grad(lambda s: jnp.sin(s) * s ** 3)))(XB[:, 0])
    else:
        got = ad.grad(lambda w: np.sum(ad.vmap(ad.grad(lo), in_axes=(None, 0))(w, XB) ** 2))(W)
        want = jax.grad(lambda w: jnp.sum(jax.vmap(jax.grad(lj), in_axes=(None, 0))(w, XB) ** 2))(W)
    tree_close(got, want)


@pytest.mark.parametrize("call, message", [
    (lambda: ad.vmap(np.sin, in_axes=(0, 0))(XB), "one per argument"),
    (lambda: ad.vmap(lambda a, b: a + b)(XB, XB[:2]), "different sizes"),
    (lambda: ad.vmap(np.sin, in_axes=2)(XB), "in_axes=2"),
    (lambda: ad.vmap(np.sin, in_axes=None)(XB), "maps no argument"),
    (lambda: ad.vmap(np.sin, in_axes=0.5), "ints or None"),
    (lambda: ad.vmap(np.sin)(np.zeros((0, 3))), "size 0"),
])
def test_bad_axes_are_refused(call, message):
    with pytest.raises(ad.AdmodesError, match=message):
        call()
