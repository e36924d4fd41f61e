"""Benchmarks of the core paths, beside plain NumPy and JAX (jitted) in the same run.

Not part of the test suite (they measure, they do not check). Run them with

    python -m pytest benchmarks --benchmark-json results/benchmarks/latest.json

and compare two runs with ``python -m experiments compare OLD.json NEW.json``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

from overhead import chain, loss
from targets import mlp_grad_by_hand, mlp_loss, mlp_problem, two_layer



# ------------------------------------------------------------------ per-op overhead (200-op chain)


X10 = np.linspace(-1.0, 1.0, 10)


@pytest.mark.benchmark(group="chain200")
def test_chain_numpy(benchmark):
    benchmark(loss(np), X10)


@pytest.mark.benchmark(group="chain200")
def test_chain_admodes_reverse_grad(benchmark):
    benchmark(ad.grad(loss(np)), X10)


@pytest.mark.benchmark(group="chain200")
def test_chain_admodes_forward_jvp(benchmark):
    benchmark(ad.jvp, chain(np), (X10,), (np.ones(10),))


@pytest.mark.benchmark(group="chain200")
def test_chain_autograd_grad(benchmark):
    ag = pytest.importorskip("autograd")
    import autograd.numpy as anp

    benchmark(ag.grad(loss(anp)), X10)


# ------------------------------------------------------------------ MLP loss gradient


@pytest.fixture(scope="module", params=["float64", "float32"])
def mlp(request):
    return mlp_problem(np.dtype(request.param))


@pytest.mark.benchmark(group="mlp")
def test_mlp_loss_numpy(benchmark, mlp):
    benchmark(mlp_loss, *mlp)


@pytest.mark.benchmark(group="mlp")
def test_mlp_grad_by_hand(benchmark, mlp):
    benchmark(mlp_grad_by_hand, *mlp)


@pytest.mark.benchmark(group="mlp")
def test_mlp_grad_admodes_reverse(benchmark, mlp):
    benchmark(ad.grad(mlp_loss), *mlp)


@pytest.mark.benchmark(group="mlp")
def test_mlp_grad_jax_jit(benchmark, mlp):
    weights, x, target = mlp

    def jloss(ws, x, t):
        h = x
        for w in ws:
            h = jnp.tanh(h @ w)
        return jnp.mean((h - t) ** 2)

    g = jax.jit(jax.grad(jloss))
    args = ([jnp.asarray(w) for w in weights], jnp.asarray(x), jnp.asarray(target))
    jax.block_until_ready(g(*args))
    benchmark(lambda: jax.block_until_ready(g(*args)))


# ------------------------------------------------------------------ Jacobian sweep of a two-layer network

POINTS = [(4, 4), (64, 4), (256, 4), (4, 64), (4, 256)]


@pytest.fixture(scope="module", params=POINTS, ids=lambda p: f"n{p[0]}-m{p[1]}")
def network(request):
    n, m = request.param
    w1, w2, x = two_layer(n, m)
    return w1, w2, x


@pytest.mark.benchmark(group="jacobian")
def test_jacobian_admodes_auto(benchmark, network):
    w1, w2, x = network
    benchmark(ad.jacobian(lambda x: np.tanh(w2 @ np.tanh(w1 @ x))), x)


@pytest.mark.benchmark(group="jacobian")
def test_jacobian_admodes_replay(benchmark, network):
    w1, w2, x = network
    tape = ad.record(lambda x: np.tanh(w2 @ np.tanh(w1 @ x)), x)
    benchmark(tape.jacobian, x)


@pytest.mark.benchmark(group="jacobian")
@pytest.mark.parametrize("transform", ["jacfwd", "jacrev"])
def test_jacobian_jax_jit(benchmark, network, transform):
    w1, w2, x = network
    jac = jax.jit(getattr(jax, transform)(lambda x: jnp.tanh(w2 @ jnp.tanh(w1 @ x))))
    xj = jnp.asarray(x)
    jac(xj).block_until_ready()
    benchmark(lambda: jac(xj).block_until_ready())
