"""The worked example of the project's background: every number must come out of admodes.

f(a, b, c) = (a + b)(b + c) at a = -1, b = 3, c = 4, with x = a + b and y = b + c.
"""

import numpy as np
import pytest

import admodes as ad


def f(a, b, c):
    return (a + b) * (b + c)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_gradient_is_7_9_2(mode):
    value, grads = ad.value_and_grad(f, argnums=(0, 1, 2), mode=mode)(-1.0, 3.0, 4.0)
    assert value == 14.0
    assert tuple(float(g) for g in grads) == (7.0, 9.0, 2.0)


def test_forward_sweep_seeded_at_b_gives_9():
    out, tangent = ad.jvp(f, (-1.0, 3.0, 4.0), (0.0, 1.0, 0.0))
    assert (float(out), float(tangent)) == (14.0, 9.0)


def test_intermediate_tangents_seeded_at_b():
    # x = a + b and y = b + c each get tangent 1; f gets 7*1 + 2*1 = 9
    def parts(a, b, c):
        x = a + b
        y = b + c
        return x, y, x * y

    (x, y, fv), (tx, ty, tf) = ad.jvp(parts, (-1.0, 3.0, 4.0), (0.0, 1.0, 0.0))
    assert (float(x), float(y), float(fv)) == (2.0, 7.0, 14.0)
    assert (float(tx), float(ty), float(tf)) == (1.0, 1.0, 9.0)


def test_adjoints_of_intermediates():
    # df/dx = y = 7 and df/dy = x = 2: the local gradients of the product node
    out, vjp_fun = ad.vjp(lambda x, y: x * y, 2.0, 7.0)
    assert float(out) == 14.0
    assert tuple(float(g) for g in vjp_fun(1.0)) == (7.0, 2.0)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_product_sensitivities(mode):
    # f = x*y at x = -2, y = 3: df/dx = 3, df/dy = -2
    grads = ad.grad(lambda x, y: x * y, argnums=(0, 1), mode=mode)(-2.0, 3.0)
    assert tuple(float(g) for g in grads) == (3.0, -2.0)


def test_reverse_needs_one_sweep_forward_needs_three():
    with ad.count_ops() as forward:
        ad.jacobian(f, argnums=(0, 1, 2), mode="forward", chunk=1)(-1.0, 3.0, 4.0)
    with ad.count_ops() as reverse:
        ad.jacobian(f, argnums=(0, 1, 2), mode="reverse", chunk=1)(-1.0, 3.0, 4.0)
    # forward: 3 sweeps, each 3 primal ops plus the tangent ops; reverse: 3 primal ops + 1 sweep
    assert forward.ops == 3 * 8
    assert reverse.ops == 6
    assert reverse.tape_length == 3


def test_perturbation_confusion():
    # d/dx [x * d/dy (x + y) at y = 1] at x = 1 is 1; a confused implementation says 2
    for outer in ("forward", "reverse"):
        for inner in ("forward", "reverse"):
            g = ad.grad(lambda x: x * ad.grad(lambda y: x + y, mode=inner)(1.0), mode=outer)(1.0)
            assert float(g) == 1.0, (outer, inner)


def test_numpy_arrays_keep_working():
    a, b, c = np.array(-1.0), np.array(3.0), np.array(4.0)
    assert tuple(float(g) for g in ad.grad(f, argnums=(0, 1, 2))(a, b, c)) == (7.0, 9.0, 2.0)
