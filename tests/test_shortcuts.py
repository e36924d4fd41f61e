"""The speed shortcuts change no number and no count.

Each shortcut (``core.SHORTCUTS``: a unary or one-constant binary op recorded without the
general loop, ``W @ x`` dispatched straight to its trace, tanh's and matvec's rules on
plain arrays, the one-sweep Jacobian of one array) computes what the general path
computes, with the same NumPy calls. Here every derivative is taken both ways and compared
exactly, and ``count_ops`` must count the same program both ways. CI also runs the op spec
tables with ``ADMODES_SHORTCUTS=0`` (scripts/test.sh), so the general path stays tested.
"""

import numpy as np
import pytest

import admodes as ad
from admodes import core

RNG = np.random.default_rng(3)
W1 = RNG.normal(size=(6, 4))
W2 = RNG.normal(size=(3, 6))


def mlp(x):
    return np.tanh(W2 @ np.tanh(W1 @ x + 0.5))


def loss(x):
    return np.sum(mlp(x) ** 2) + np.sum(np.sin(x) * 2.0) - np.sum(3.0 / (1.0 + x * x))


X = RNG.normal(size=4)

TRANSFORMS = {
    "grad": lambda: ad.grad(loss)(X),
    "forward grad": lambda: ad.grad(loss, mode="forward")(X),
    "jacfwd": lambda: ad.jacfwd(mlp)(X),
    "jacrev": lambda: ad.jacrev(mlp)(X),
    "jacobian auto": lambda: ad.jacobian(mlp)(X),
    "hessian": lambda: ad.hessian(loss)(X),
    "vjp": lambda: ad.vjp(mlp, X)[1](np.ones(3))[0],
    "jvp": lambda: ad.jvp(mlp, (X,), (np.ones(4),))[1],
    "replay grad": lambda: ad.record(loss, X).grad(X + 0.1),
    "graph backward": lambda: ad.trace(loss, X).backward()["x"].adjoint,
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_shortcuts_change_no_number_and_no_count(name, monkeypatch):
    run = TRANSFORMS[name]
    monkeypatch.setattr(core, "SHORTCUTS", True)
    fast = run()
    with ad.count_ops() as fast_count:
        run()
    monkeypatch.setattr(core, "SHORTCUTS", False)
    general = run()
    with ad.count_ops() as general_count:
        run()
    np.testing.assert_array_equal(fast, general)
    assert fast_count.by_primitive == general_count.by_primitive
    assert fast_count.flops == general_count.flops
