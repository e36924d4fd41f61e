"""Fixtures for the experiments tests: tiny configs that run in a second or two."""

import numpy as np
import pytest

TINY_METHODS = ["admodes_fwd_chunk1", "admodes_fwd_vec", "admodes_rev_chunk1", "admodes_rev_vec", "admodes_auto"]


def tiny_raw(**overrides):
    raw = {
        "name": "tinytest",
        "repeats": 1,
        "min_time": 1e-4,
        "memory": True,
        "methods": list(TINY_METHODS),
        "sweeps": [
            {"family": "mlp", "n": [2, 3], "m": 2, "size": 3},
            {"family": "worked"},
        ],
    }
    raw.update(overrides)
    return raw


@pytest.fixture
def tiny():
    """A function making a validated tiny config (keyword overrides allowed)."""
    from experiments.config import validate

    def make(extra_methods=(), **overrides):
        return validate(tiny_raw(**overrides), extra_methods=extra_methods)

    return make


@pytest.fixture
def quiet():
    return lambda *a, **k: None


def wrong_method(delta=1e-3, name="wrong_jacobian"):
    """A method whose Jacobian is deliberately off by ``delta`` in one entry."""
    import admodes as ad
    from experiments.methods import Method, Prepared

    def prepare(method, problem):
        jac = ad.jacobian(problem.fun("numpy"), mode="reverse")
        x = problem.x0

        def call():
            J = np.array(jac(x), dtype=float)
            J.flat[0] += delta
            return J

        return Prepared(call=call)

    return Method(name, "test", "reverse", "all", False, "admodes reverse, perturbed on purpose", prepare)
