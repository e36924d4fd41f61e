"""Helpers for the experiments tests: tiny configs that run in a second or two, a wrong method."""

import numpy as np

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


def tiny(extra_methods=(), **overrides):
    """A validated tiny config (keyword overrides allowed)."""
    from experiments.config import validate

    return validate(tiny_raw(**overrides), extra_methods=extra_methods)


def quiet(*args, **kwargs):
    """A log function that prints nothing."""


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
