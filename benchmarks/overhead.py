"""Per-operation overhead: a 200-op elementwise chain on a size-10 array.

    python benchmarks/overhead.py [--repeat 7]

Prints microseconds per op for plain NumPy, admodes reverse (gradient: forward pass onto
the tape plus the backward sweep), admodes forward (one JVP), and the peers that are
installed (HIPS autograd grad and make_jvp, torch forward+backward, JAX eager grad),
all measured in this run, with the ratios that issue targets are stated in.
"""

from __future__ import annotations

import argparse
import os
import timeit

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

import admodes as ad  # noqa: E402

N_OPS = 200
SIZE = 10


def chain(xp):
    """50 rounds of sin, scale, shift, tanh: 200 elementwise ops."""

    def f(x):
        for _ in range(N_OPS // 4):
            x = xp.sin(x)
            x = x * 1.01
            x = x + 0.1
            x = xp.tanh(x)
        return x

    return f


def loss(xp):
    f = chain(xp)
    return lambda x: xp.sum(f(x))


def best_time(fun, repeat):
    timer = timeit.Timer(fun)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def measure(repeat: int = 7) -> dict[str, float]:
    """Seconds per op of each method, keyed by method name."""
    x = np.linspace(-1.0, 1.0, SIZE)
    t = np.ones(SIZE)
    results = {}
    results["numpy forward pass"] = best_time(lambda: loss(np)(x), repeat)
    g = ad.grad(loss(np))
    results["admodes reverse grad"] = best_time(lambda: g(x), repeat)
    results["admodes forward jvp"] = best_time(lambda: ad.jvp(chain(np), (x,), (t,)), repeat)
    try:
        import autograd
        import autograd.numpy as anp

        ag = autograd.grad(loss(anp))
        results["autograd grad"] = best_time(lambda: ag(x), repeat)
        ajvp = autograd.make_jvp(chain(anp))
        results["autograd make_jvp"] = best_time(lambda: ajvp(x)(t), repeat)
    except ImportError:
        print("note: autograd not installed; pip install autograd to compare")
    try:
        import torch

        torch.set_num_threads(1)
        tx = torch.tensor(x)

        def torch_grad():
            v = tx.clone().requires_grad_(True)
            loss(torch)(v).backward()
            return v.grad

        results["torch fwd+bwd"] = best_time(torch_grad, repeat)
    except ImportError:
        print("note: torch not installed; skipped")
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        jg = jax.grad(loss(jnp))
        xj = jnp.asarray(x)
        results["jax eager grad"] = best_time(lambda: jg(xj).block_until_ready(), max(2, repeat // 3))
    except ImportError:
        print("note: jax not installed; skipped")
    return {name: seconds / N_OPS for name, seconds in results.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    per_op = measure(args.repeat)
    print(f"{N_OPS}-op elementwise chain, size {SIZE}, float64, OMP/OPENBLAS threads = "
          f"{os.environ['OMP_NUM_THREADS']}")
    print(f"{'method':<24}{'us/op':>10}")
    for name, seconds in per_op.items():
        print(f"{name:<24}{seconds * 1e6:>10.2f}")
    if "autograd grad" in per_op:
        print(f"\nadmodes reverse / autograd grad     = {per_op['admodes reverse grad'] / per_op['autograd grad']:.2f}")
        print(f"admodes forward / autograd make_jvp = {per_op['admodes forward jvp'] / per_op['autograd make_jvp']:.2f}")


if __name__ == "__main__":
    main()
