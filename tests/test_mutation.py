"""Arrays written between recording and the backward sweep: reverse mode keeps values, not references.

Table-driven: each pattern writes to an array that a reverse-mode tape (or a graph) has
already read (a scratch buffer refilled between two uses, an input or a closed-over constant
changed between ``vjp`` and ``vjp_fun``, an index array refilled) and compares the derivative
with forward mode, which reads every value as it goes and so is right by construction.
"""

import numpy as np
import pytest

import admodes as ad

X = np.array([0.7, -1.3, 2.1])


def _buffer_pattern(op):
    """f(x) using one scratch buffer twice, refilled in between, in operation ``op``."""
    def f(x):
        buf = np.empty(3)
        buf[:] = [1.5, -2.0, 0.5]
        first = op(x, buf)
        buf[:] = [3.0, 0.25, -1.0]
        second = op(x, buf)
        return np.sum(np.sin(first) * second)
    return f


BUFFER_OPS = {
    "x * buf": lambda x, b: x * b,
    "buf * x": lambda x, b: b * x,
    "x / buf": lambda x, b: x / b,
    "buf / x": lambda x, b: b / (x + 3.0),
    "x ** buf": lambda x, b: (x * x + 1.0) ** b,
    "np.maximum(x, buf)": lambda x, b: np.maximum(x, b),
    "np.where(buf > 0, x, 2x)": lambda x, b: np.where(b > 0, x, 2.0 * x) * b,
    "buf2d @ x": lambda x, b: np.outer(b, b) @ x,
    "x @ buf2d": lambda x, b: x @ np.outer(b, [1.0, 2.0]) if False else x @ np.reshape(np.concatenate([b, b]), (3, 2)),
    "np.dot(x, buf)": lambda x, b: np.dot(x, b) * x,
    "np.einsum": lambda x, b: np.einsum("i,i->i", x, b),
    "np.hypot": lambda x, b: np.hypot(x, b),
}


@pytest.mark.parametrize("name", list(BUFFER_OPS))
def test_a_refilled_scratch_buffer(name):
    f = _buffer_pattern(BUFFER_OPS[name])
    expected = ad.grad(f, mode="forward")(X)
    np.testing.assert_allclose(ad.grad(f)(X), expected, rtol=1e-12)
    np.testing.assert_allclose(ad.jacrev(f)(X), expected, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(f)(X), ad.jacfwd(ad.jacfwd(f))(X), rtol=1e-10, atol=1e-12)


def test_a_refilled_index_array():
    idx = np.array([0, 1])

    def f(x):
        first = x[idx]
        idx[:] = [2, 2]
        return np.sum(first * first) + np.sum(x[idx])

    got = ad.grad(f)(X)
    idx[:] = [0, 1]
    np.testing.assert_allclose(got, [2 * X[0], 2 * X[1], 2.0])


def test_an_input_changed_between_vjp_and_vjp_fun():
    x = X.copy()
    _, vjp_fun = ad.vjp(lambda v: np.sum(v * v * v), x)
    x[:] = 100.0
    (g,) = vjp_fun(1.0)
    np.testing.assert_allclose(g, 3 * X**2)


def test_a_constant_changed_between_vjp_and_vjp_fun():
    W = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])
    W0 = W.copy()
    b = np.array([0.1, 0.2])
    _, vjp_fun = ad.vjp(lambda v: np.tanh(W @ v + b), X)
    W *= 10.0
    b[:] = 5.0
    (g,) = vjp_fun(np.ones(2))
    expected = ad.jacfwd(lambda v: np.tanh(W0 @ v + np.array([0.1, 0.2])))(X).sum(axis=0)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_a_constant_used_many_times_is_kept_once():
    A = np.random.default_rng(0).normal(size=(50, 50)) / 50

    def loop(x):
        for _ in range(20):
            x = np.tanh(A @ x)
        return np.sum(x)

    with ad.count_ops() as c:
        g = ad.grad(loop)(np.ones(50))
    np.testing.assert_allclose(g, ad.grad(loop, mode="forward")(np.ones(50)), rtol=1e-12)
    # 20 products with A: the tape holds one copy of A, not twenty
    assert c.tape_bytes < 2 * A.nbytes + 20 * 3 * 50 * 8


def test_a_read_only_constant_is_not_copied():
    A = np.eye(3)
    A.setflags(write=False)
    trace = ad.reverse.ReverseTrace()
    assert trace._own(A) is A
    B = np.eye(3)
    own = trace._own(B)
    assert own is not B and trace._own(B) is own  # one copy per contents
    B[0, 0] = 2.0
    assert trace._own(B) is not own


def test_a_graph_keeps_constants_as_they_were():
    c = np.array([2.0, 3.0])
    g = ad.trace(lambda x: np.sum(x * c), np.array([1.0, 1.0]))
    c[:] = 0.0
    g.backward()
    np.testing.assert_allclose(g.inputs[0].adjoint, [2.0, 3.0])
