"""A short demo of both modes on the worked example f(a, b, c) = (a + b)(b + c).

    python -m admodes.demo
"""

from __future__ import annotations

import numpy as np

import admodes as ad


def worked_example(a, b, c):
    x = a + b
    y = b + c
    return x * y


def main() -> None:
    a, b, c = -1.0, 3.0, 4.0
    print("f(a, b, c) = (a + b)(b + c) at a = -1, b = 3, c = 4")
    print(f"  value f = {worked_example(a, b, c):g}")

    grads = ad.grad(worked_example, argnums=(0, 1, 2))(a, b, c)
    print("reverse mode: one backward sweep gives every input's adjoint")
    print("  (df/da, df/db, df/dc) = ({:g}, {:g}, {:g})   [df/db = 7 + 2: two paths, summed]".format(*grads))

    print("forward mode: one sweep per input direction")
    for name, seed in zip("abc", np.eye(3)):
        _, tangent = ad.jvp(worked_example, (a, b, c), tuple(seed))
        print(f"  seeded at {name}: df/d{name} = {tangent:g}")

    with ad.count_ops() as fwd:
        ad.jacobian(worked_example, argnums=(0, 1, 2), mode="forward", chunk=1)(a, b, c)
    with ad.count_ops() as rev:
        ad.jacobian(worked_example, argnums=(0, 1, 2), mode="reverse", chunk=1)(a, b, c)
    print("cost of the gradient, counted by the engine (primitive operations):")
    print(f"  forward, 3 sweeps: {fwd.ops} ops    reverse, 1 tape + 1 sweep: {rev.ops} ops")
    print(f"  auto picks: {ad.choose_mode(worked_example, a, b, c, argnums=(0, 1, 2))}")


if __name__ == "__main__":
    main()
