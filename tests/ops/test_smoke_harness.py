"""A few rows through the harness, so the harness itself is exercised even before the tables grow."""

import pytest

from .harness import OpSpec, check_all

SPECS = [
    OpSpec("mul broadcast", lambda xp, x, y: x * y, ((3, 1), (4,))),
    OpSpec("tanh matmul", lambda xp, W, x: xp.tanh(W @ x), ((3, 4), (4,))),
    OpSpec("sum axis", lambda xp, x: xp.sum(xp.sin(x), axis=1), ((2, 3),)),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)
