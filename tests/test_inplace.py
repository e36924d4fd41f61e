"""In-place updates on traced arrays (x[i] = v, x[mask] += v, x += v, x.at[i].set/add) in every
mode and at second order, against JAX's functional updates (x.at[...]) as the oracle; and the
refusals where NumPy's in-place semantics cannot be followed (views, plain arrays)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

from jax_compare import tree_close

jax.config.update("jax_enable_x64", True)

X = np.array([0.3, -1.2, 0.8, 2.0, -0.5])
M = np.arange(1.0, 7.0).reshape(2, 3) / 4


def _adbench_q(x):  # ADBench's GMM style: a matrix filled entry by entry from a parameter vector
    Q = np.zeros_like(x, shape=(3, 3))
    k = 0
    for i in range(3):
        Q[i, i] = np.exp(x[k])
        k += 1
    for j in range(3):
        for i in range(j + 1, 3):
            Q[i, j] = x[k % x.size]
            k += 1
    return Q @ Q.T


def _adbench_q_jax(x):
    Q = jnp.zeros((3, 3), dtype=x.dtype)
    k = 0
    for i in range(3):
        Q = Q.at[i, i].set(jnp.exp(x[k]))
        k += 1
    for j in range(3):
        for i in range(j + 1, 3):
            Q = Q.at[i, j].set(x[k % x.size])
            k += 1
    return Q @ Q.T


def _set_slice(x):
    y = np.zeros_like(x)
    y[1:4] = np.sin(x[:3]) * x[4]
    return y * x


def _set_slice_jax(x):
    return jnp.zeros_like(x).at[1:4].set(jnp.sin(x[:3]) * x[4]) * x


def _mask_add(x):
    y = x * 1.0
    y[x > 0] += x[x > 0] ** 2
    return np.tanh(y)


def _mask_add_jax(x):
    mask = np.nonzero(X > 0)  # the mask at the point of the test, a constant as in admodes
    return jnp.tanh((x * 1.0).at[mask].add(x[mask] ** 2))


def _augmented(x):
    y = x.copy()
    y *= x
    y += 1.0
    y /= 2.0 + x ** 2
    y[0] = x[3] ** 3  # into y, written after its own in-place ops
    return y


def _augmented_jax(x):
    y = (x * x + 1.0) / (2.0 + x ** 2)
    return y.at[0].set(x[3] ** 3)


def _into_input(x):
    x[2] = np.cos(x[0])  # the caller's array is not changed; the derivative is that of the update
    return x ** 2


def _into_input_jax(x):
    return x.at[2].set(jnp.cos(x[0])) ** 2


def _repeated_set(x):
    y = np.zeros_like(x)
    y[np.array([0, 1, 0])] = x[2:5] * x[0]  # position 0 written twice: the last write wins
    return y


def _repeated_set_jax(x):
    return jnp.zeros_like(x).at[0].set(x[2] * x[0]).at[1].set(x[3] * x[0]).at[0].set(x[4] * x[0])


def _at_add_repeated(x):
    return x.at[np.array([1, 1, 3])].add(x[:3] ** 2)


def _at_add_repeated_jax(x):
    return x.at[np.array([1, 1, 3])].add(x[:3] ** 2)


def _two_dim(m):
    y = np.ones_like(m)
    y[:, 1] = m[:, 0] * m[:, 2]
    y[1] = np.exp(y[0])
    return y


def _two_dim_jax(m):
    y = jnp.ones_like(m).at[:, 1].set(m[:, 0] * m[:, 2])
    return y.at[1].set(jnp.exp(y[0]))


CASES = {
    "adbench Q": (_adbench_q, _adbench_q_jax, X),
    "slice set": (_set_slice, _set_slice_jax, X),
    "mask +=": (_mask_add, _mask_add_jax, X),
    "augmented ops": (_augmented, _augmented_jax, X),
    "into the input": (_into_input, _into_input_jax, X),
    "repeated set": (_repeated_set, _repeated_set_jax, X),
    "at add repeated": (_at_add_repeated, _at_add_repeated_jax, X),
    "2-d rows and columns": (_two_dim, _two_dim_jax, M),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_matches_jax(case, mode):
    f, fj, x = CASES[case]
    x = x.copy()
    before = x.copy()
    tree_close(ad.jacobian(f, mode=mode)(x), jax.jacobian(fj)(jnp.asarray(x)))
    assert np.array_equal(x, before), "the caller's array must not change"


@pytest.mark.parametrize("case", list(CASES))
def test_second_order_and_replay_match_jax(case):
    f, fj, x = CASES[case]
    loss = lambda v: np.sum(np.sin(f(v)))  # noqa: E731
    loss_j = lambda v: jnp.sum(jnp.sin(fj(v)))  # noqa: E731
    tree_close(ad.hessian(loss)(x.copy()), jax.hessian(loss_j)(jnp.asarray(x)))
    tree_close(ad.grad(loss, mode="forward")(x.copy()), jax.grad(loss_j)(jnp.asarray(x)))
    recorded = ad.record(loss, x.copy())
    tree_close(recorded.grad(x * 1.1), jax.grad(loss_j)(jnp.asarray(x * 1.1)))


def test_aliases_see_the_update_as_in_numpy():
    def f(x):
        y = x * 2.0
        alias = y
        y[0] = 0.0
        return alias  # the same array: the update shows
    tree_close(ad.jacobian(f)(X), np.diag([0.0, 2, 2, 2, 2]))


def test_copy_and_at_leave_the_original():
    def f(x):
        y = x.copy()
        y[0] = 5.0
        z = x.at[1].set(7.0)
        return x + 0 * y + 0 * z
    tree_close(ad.jacobian(f)(X), np.eye(5))


@pytest.mark.parametrize("write", [
    lambda x: x[0:2].__setitem__(0, 1.0),
    lambda x: x.reshape(5, 1).__setitem__((0, 0), 1.0),
    lambda x: x[None].__setitem__((0, 0), 1.0),
])
def test_writing_into_a_view_is_refused(write):
    def f(x):
        write(x)
        return x
    with pytest.raises(ad.AdmodesError, match="view"):
        ad.jacobian(f)(X)


def test_in_place_op_on_a_view_is_refused():
    def f(m):
        r = m[0]
        r += 1.0  # NumPy would change m
        return m
    with pytest.raises(ad.AdmodesError, match="view"):
        ad.jacobian(f)(M)


def test_writing_a_tracer_into_a_plain_array_names_the_fix():
    def f(x):
        g = np.zeros(3)
        g[0] = x[0]
        return g
    with pytest.raises(ad.AdmodesError, match="zeros_like"):
        ad.grad(lambda x: np.sum(f(x)))(X)


def test_zeros_like_of_an_integer_dtype_stays_plain():
    def f(x):
        counts = np.zeros_like(x, dtype=int)
        counts[0] = 3
        return x * counts.sum()
    tree_close(ad.jacobian(f)(X), 3 * np.eye(5))
