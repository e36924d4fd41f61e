"""Benchmarks of the core paths, beside plain NumPy and JAX (jitted) in the same run.

Not part of the test suite (they measure, they do not check; ``pytest`` alone collects
only ``tests/``). Run them with ``bash scripts/bench.sh`` (JSON into results/benchmarks/)
or ``python -m pytest benchmarks --benchmark-json results/benchmarks/latest.json``, and
compare two runs with ``python -m experiments compare OLD.json NEW.json --threshold 1.10``.

Groups:

- ``chain200``   per-op overhead: a 200-op elementwise chain, NumPy, admodes both modes, autograd
- ``mlp``        gradient of the MLP loss (3 layers of 512, batch 256; float64 and float32):
                 NumPy loss, hand-written backward, admodes reverse, JAX jitted. Forward mode
                 appears as ONE JVP (one direction in weight space): a forward-mode gradient
                 would need 786,432 of them, so timing it whole would measure nothing useful.
- ``mlp_small``  the same loss on 3 layers of 16, batch 32 (768 weights), where a full
                 gradient in both modes is affordable: admodes reverse, forward vectorised
                 (all 768 directions in one sweep), forward chunk=1 (768 sweeps), JAX jitted
                 grad and jacfwd, beside the NumPy loss and the hand-written backward
- ``jacobian``   Jacobian of tanh(W2 tanh(W1 x)) (h = 64) at a few (n, m): admodes auto, each
                 mode forced, a replayed tape, JAX jitted jacfwd and jacrev
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
def test_mlp_jvp_admodes_forward_one_direction(benchmark, mlp):
    """One forward sweep (a directional derivative); the forward gradient is 786,432 of these."""
    weights, x, target = mlp
    rng = np.random.default_rng(1)
    direction = [rng.standard_normal(w.shape).astype(w.dtype) for w in weights]
    benchmark(ad.jvp, lambda ws: mlp_loss(ws, x, target), (weights,), (direction,))


def jax_loss(ws, x, t):
    h = x
    for w in ws:
        h = jnp.tanh(h @ w)
    return jnp.mean((h - t) ** 2)


def jax_args(weights, x, target):
    return [jnp.asarray(w) for w in weights], jnp.asarray(x), jnp.asarray(target)


@pytest.mark.benchmark(group="mlp")
def test_mlp_grad_jax_jit(benchmark, mlp):
    g = jax.jit(jax.grad(jax_loss))
    args = jax_args(*mlp)
    jax.block_until_ready(g(*args))
    benchmark(lambda: jax.block_until_ready(g(*args)))


# ------------------------------------------------------------------ the same loss, small enough for both modes

SMALL = dict(width=16, batch=32, layers=3)  # 3 x 16 x 16 = 768 weights


@pytest.fixture(scope="module")
def mlp_small():
    return mlp_problem(np.dtype("float64"), **SMALL)


@pytest.mark.benchmark(group="mlp_small")
def test_mlp_small_loss_numpy(benchmark, mlp_small):
    benchmark(mlp_loss, *mlp_small)


@pytest.mark.benchmark(group="mlp_small")
def test_mlp_small_grad_by_hand(benchmark, mlp_small):
    benchmark(mlp_grad_by_hand, *mlp_small)


@pytest.mark.benchmark(group="mlp_small")
def test_mlp_small_grad_admodes_reverse(benchmark, mlp_small):
    benchmark(ad.grad(mlp_loss), *mlp_small)


@pytest.mark.benchmark(group="mlp_small")
def test_mlp_small_grad_admodes_forward_vectorised(benchmark, mlp_small):
    benchmark(ad.grad(mlp_loss, mode="forward"), *mlp_small)


@pytest.mark.benchmark(group="mlp_small")
def test_mlp_small_grad_admodes_forward_chunk1(benchmark, mlp_small):
    weights, x, target = mlp_small
    benchmark(ad.jacfwd(lambda ws: mlp_loss(ws, x, target), chunk=1), weights)


@pytest.mark.benchmark(group="mlp_small")
@pytest.mark.parametrize("transform", ["grad", "jacfwd"])
def test_mlp_small_grad_jax_jit(benchmark, mlp_small, transform):
    g = jax.jit(getattr(jax, transform)(jax_loss))
    args = jax_args(*mlp_small)
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
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_admodes_mode(benchmark, network, mode):
    """Each mode forced (vectorised sweeps), to see which one auto should pick at this (n, m)."""
    w1, w2, x = network
    benchmark(ad.jacobian(lambda x: np.tanh(w2 @ np.tanh(w1 @ x)), mode=mode), x)


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
