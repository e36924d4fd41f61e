"""The speed and memory targets of admodes, each a ratio against a peer measured in this run.

    python benchmarks/targets.py [--quick] [--json results/targets.json]

1. per-op overhead of a 200-op elementwise chain (size 10): admodes reverse gradient
   <= 0.5x autograd's grad, admodes forward JVP <= 0.5x autograd's make_jvp;
2. MLP loss gradient (3 layers of 512, batch 256, tanh, MSE): admodes reverse <= 1.1x a
   hand-written NumPy backward pass, in float64 and float32;
3. Jacobian of tanh(W2 tanh(W1 x)), h = 64, n in 4..1024 at m = 4 and m in 4..1024 at
   n = 4: jacobian(mode="auto") <= 0.5x the faster of autograd.jacobian and torch.func
   jacfwd/jacrev, and <= 3x the faster of jitted JAX jacfwd/jacrev (compile excluded);
4. the same with a recorded tape (ad.record) replayed: <= 1.5x jitted JAX;
5. memory: the reverse tape keeps only what the VJP rules need, reported in bytes.

Timings are medians over interleaved rounds (each round times every method once with
timeit's autorange), one BLAS/XLA thread. Prints one table per target and a summary
with PASS/FAIL; ``--json`` also writes every number.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import timeit

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import admodes as ad  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import overhead  # noqa: E402


def _autorange(fun, min_time=0.05):
    """Loops per timing so that one timing lasts at least ``min_time`` seconds."""
    number = 1
    while True:
        elapsed = timeit.timeit(fun, number=number)
        if elapsed >= min_time:
            return number
        number = max(2 * number, int(1.2 * number * min_time / max(elapsed, 1e-9)))


def interleaved(funs: dict, rounds: int = 7, min_time: float = 0.05) -> dict:
    """Median seconds per call of each function, timed round-robin so drift hits all alike."""
    numbers = {name: _autorange(f, min_time) for name, f in funs.items()}
    samples = {name: [] for name in funs}
    for _ in range(rounds):
        for name, f in funs.items():
            samples[name].append(timeit.timeit(f, number=numbers[name]) / numbers[name])
    return {name: float(np.median(s)) for name, s in samples.items()}


def optional(name):
    try:
        return __import__(name)
    except ImportError:
        print(f"note: {name} is not installed; its comparisons are skipped")
        return None


# ------------------------------------------------------------------ 1. per-op overhead


def target_overhead(rounds):
    per_op = overhead.measure(repeat=rounds)
    rows = []
    if "autograd grad" in per_op:
        rows.append(("1a per-op reverse vs autograd grad", per_op["admodes reverse grad"] / per_op["autograd grad"], 0.5))
        rows.append(("1b per-op forward vs autograd make_jvp", per_op["admodes forward jvp"] / per_op["autograd make_jvp"], 0.5))
    table = {name: f"{s * 1e6:.2f} us/op" for name, s in per_op.items()}
    return rows, table


# ------------------------------------------------------------------ 2. MLP gradient


def mlp_problem(dtype, width=512, batch=256, layers=3, seed=0):
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal((width, width)) / np.sqrt(width)).astype(dtype) for _ in range(layers)]
    x = rng.standard_normal((batch, width)).astype(dtype)
    target = rng.standard_normal((batch, width)).astype(dtype)
    return weights, x, target


def mlp_loss(weights, x, target):
    h = x
    for w in weights:
        h = np.tanh(h @ w)
    return np.mean((h - target) ** 2)


def mlp_grad_by_hand(weights, x, target):
    """The backward pass written out: what a careful NumPy programmer would do."""
    hs = [x]
    for w in weights:
        hs.append(np.tanh(hs[-1] @ w))
    g = (2.0 / hs[-1].size) * (hs[-1] - target)
    grads = [None] * len(weights)
    for k in range(len(weights) - 1, -1, -1):
        g = g * (1.0 - hs[k + 1] ** 2)
        grads[k] = hs[k].T @ g
        if k:
            g = g @ weights[k].T
    return grads


def target_mlp(rounds):
    rows, table = [], {}
    for dtype in (np.float64, np.float32):
        weights, x, target = mlp_problem(dtype)
        grad = ad.grad(mlp_loss)
        ours = grad(weights, x, target)
        theirs = mlp_grad_by_hand(weights, x, target)
        for a, b in zip(ours, theirs):
            assert a.dtype == dtype, f"admodes gradient is {a.dtype}, not {np.dtype(dtype)}"
            np.testing.assert_allclose(a, b, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-6)
        times = interleaved({
            "loss (NumPy)": lambda: mlp_loss(weights, x, target),
            "hand-written backward": lambda: mlp_grad_by_hand(weights, x, target),
            "admodes reverse grad": lambda: grad(weights, x, target),
        }, rounds)
        name = np.dtype(dtype).name
        table[name] = {k: f"{v * 1e3:.2f} ms ({v / times['loss (NumPy)']:.2f}x loss)" for k, v in times.items()}
        rows.append((f"2 MLP grad vs hand-written ({name})", times["admodes reverse grad"] / times["hand-written backward"], 1.1))
    return rows, table


# ------------------------------------------------------------------ 3./4. Jacobian sweep


def two_layer(n, m, h=64, seed=0):
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((h, n)) / np.sqrt(n)
    w2 = rng.standard_normal((m, h)) / np.sqrt(h)
    x = rng.standard_normal(n)
    return w1, w2, x


def target_jacobian(rounds, points):
    import jax
    import jax.numpy as jnp

    configure_jax()  # (main did it already, before any JAX call; a no-op then)
    autograd = optional("autograd")
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        import torch.func
    rows, table = [], {}
    worst_peer, worst_jax, worst_replay = 0.0, 0.0, 0.0
    for n, m in points:
        w1, w2, x = two_layer(n, m)
        f = lambda x: np.tanh(w2 @ np.tanh(w1 @ x))
        fj = lambda x: jnp.tanh(w2 @ jnp.tanh(w1 @ x))
        jac = ad.jacobian(f)
        tape = ad.record(f, x)
        expected = np.asarray(jax.jacrev(fj)(x))
        np.testing.assert_allclose(jac(x), expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(tape.jacobian(x), expected, rtol=1e-10, atol=1e-12)
        xj = jnp.asarray(x)
        jf, jr = jax.jit(jax.jacfwd(fj)), jax.jit(jax.jacrev(fj))
        jf(xj).block_until_ready()
        jr(xj).block_until_ready()
        funs = {
            "admodes auto": lambda: jac(x),
            "admodes replay": lambda: tape.jacobian(x),
            "jax jit jacfwd": lambda: jf(xj).block_until_ready(),
            "jax jit jacrev": lambda: jr(xj).block_until_ready(),
        }
        peers = []
        if autograd is not None:
            import autograd.numpy as anp

            aj = autograd.jacobian(lambda x: anp.tanh(w2 @ anp.tanh(w1 @ x)))
            funs["autograd jacobian"] = lambda: aj(x)
            peers.append("autograd jacobian")
        if torch is not None:
            tw1, tw2, tx = torch.tensor(w1), torch.tensor(w2), torch.tensor(x)
            ft = lambda x: torch.tanh(tw2 @ torch.tanh(tw1 @ x))
            tf, tr = torch.func.jacfwd(ft), torch.func.jacrev(ft)
            funs["torch jacfwd"] = lambda: tf(tx)
            funs["torch jacrev"] = lambda: tr(tx)
            peers += ["torch jacfwd", "torch jacrev"]
        times = interleaved(funs, rounds, min_time=0.02)
        best_jax = min(times["jax jit jacfwd"], times["jax jit jacrev"])
        ratio_jax = times["admodes auto"] / best_jax
        ratio_replay = times["admodes replay"] / best_jax
        worst_jax = max(worst_jax, ratio_jax)
        worst_replay = max(worst_replay, ratio_replay)
        row = {k: round(v * 1e6, 1) for k, v in times.items()}
        row["auto/JAX"] = round(ratio_jax, 2)
        row["replay/JAX"] = round(ratio_replay, 2)
        if peers:
            best_peer = min(times[p] for p in peers)
            row["auto/peer"] = round(times["admodes auto"] / best_peer, 2)
            worst_peer = max(worst_peer, times["admodes auto"] / best_peer)
        table[f"n={n} m={m}"] = row
    if autograd is not None or torch is not None:
        rows.append(("3a jacobian auto vs best of autograd/torch (worst point)", worst_peer, 0.5))
    rows.append(("3b jacobian auto vs jitted JAX (worst point)", worst_jax, 3.0))
    rows.append(("4 replayed tape vs jitted JAX (worst point)", worst_replay, 1.5))
    return rows, table


# ------------------------------------------------------------------ 5. memory


def target_memory():
    weights, x, target = mlp_problem(np.float64)
    with ad.count_ops() as counter:
        ad.grad(mlp_loss)(weights, x, target)
    needed = sum(w.nbytes for w in weights) + x.nbytes + 3 * x.nbytes  # weights, input, 3 tanh outputs
    needed += x.nbytes  # the residual h - target kept by the square's rule
    table = {
        "tape operations": counter.tape_length,
        "tape bytes": counter.tape_bytes,
        "bytes a hand-written backward keeps": needed,
    }
    table["difference (bytes)"] = counter.tape_bytes - needed
    # the bound leaves room for a few scalars (the mean's count, the seed), not for an array
    return [("5 tape bytes / hand-written backward's", counter.tape_bytes / needed, 1.001)], table


# ------------------------------------------------------------------ main


def print_table(title, table):
    print(f"\n## {title}")
    if table and all(isinstance(v, dict) for v in table.values()):
        columns = list(dict.fromkeys(k for row in table.values() for k in row))
        width = max(len(c) for c in columns) + 2
        print(f"{'':<14}" + "".join(f"{c:>{width}}" for c in columns))
        for name, row in table.items():
            print(f"{name:<14}" + "".join(f"{str(row.get(c, '')):>{width}}" for c in columns))
    else:
        for k, v in table.items():
            print(f"  {k:<40} {v}")


def configure_jax():
    """64-bit JAX with synchronous CPU dispatch, JAX's fastest for these timings, for every
    target. It must be set before JAX first runs anything (target 1 times JAX eager): once its
    CPU client exists, changing the flag no longer takes effect, and the Jacobian targets
    would be measured against JAX's slower default (asynchronous) dispatch."""
    try:
        import jax
    except ImportError:
        return "not installed"
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_cpu_enable_async_dispatch", False)
    return f"jax {jax.__version__}, x64, async CPU dispatch {jax.config.read('jax_cpu_enable_async_dispatch')}"


def main(argv=None):
    parser = argparse.ArgumentParser(description="admodes speed and memory targets")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and Jacobian points")
    parser.add_argument("--json", help="write all numbers to this file")
    parser.add_argument("--only", help="comma-separated subset of: overhead,mlp,jacobian,memory")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 7
    sizes = [4, 64, 1024] if args.quick else [4, 16, 64, 256, 1024]
    points = [(n, 4) for n in sizes] + [(4, m) for m in sizes if m != 4]
    chosen = set((args.only or "overhead,mlp,jacobian,memory").split(","))
    jax_note = configure_jax()
    print(f"admodes {ad.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}, OMP/OPENBLAS threads = {os.environ['OMP_NUM_THREADS']}; {jax_note}")
    results, tables = [], {}
    for key, title, run in (
        ("overhead", "1. per-op overhead (200-op chain, size 10)", lambda: target_overhead(rounds)),
        ("mlp", "2. MLP loss gradient (3 x 512, batch 256)", lambda: target_mlp(rounds)),
        ("jacobian", "3./4. Jacobian of tanh(W2 tanh(W1 x)), h = 64 (microseconds)", lambda: target_jacobian(rounds, points)),
        ("memory", "5. reverse-tape memory (MLP gradient)", target_memory),
    ):
        if key not in chosen:
            continue
        rows, table = run()
        print_table(title, table)
        results += rows
        tables[key] = table
    print("\n## Targets")
    print(f"{'target':<58}{'ratio':>8}{'bound':>8}  result")
    for name, ratio, bound in results:
        print(f"{name:<58}{ratio:>8.2f}{bound:>8.2f}  {'PASS' if ratio <= bound else 'FAIL'}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"targets": [dict(name=n, ratio=r, bound=b, passed=r <= b) for n, r, b in results],
                       "tables": tables}, fh, indent=2, default=str)


if __name__ == "__main__":
    main()
