"""The transformations a JAX user reaches for beyond grad/jvp/vjp/jacobian: has_aux on jvp and
hessian, argnums on hvp, stop_gradient, linearize, linear_transpose, pytree registration and
tree utilities, and memory-bounded seeding (chunk), each against JAX (x64)."""

import dataclasses
import tracemalloc

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad
from admodes import sweeps

from jax_compare import tree_close

jax.config.update("jax_enable_x64", True)

X = np.array([0.3, -0.7, 1.1])
W = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])


def _with_aux(xp):
    return lambda x: (xp.sum(xp.sin(x) ** 3 * x), {"mean": xp.mean(x), "sq": x ** 2})


def test_jvp_has_aux():
    got = ad.jvp(_with_aux(np), (X,), (np.ones(3),), has_aux=True)
    want = jax.jvp(_with_aux(jnp), (X,), (jnp.ones(3),), has_aux=True)
    tree_close(got, want)


def test_hessian_has_aux_and_chunk():
    want = jax.hessian(_with_aux(jnp), has_aux=True)(X)
    tree_close(ad.hessian(_with_aux(np), has_aux=True)(X), want)
    tree_close(ad.hessian(_with_aux(np), has_aux=True, chunk=1)(X), want)


def test_hvp_argnums():
    f = lambda x, w: np.sum(np.tanh(w @ x) ** 2)  # noqa: E731
    fj = lambda x, w: jnp.sum(jnp.tanh(w @ x) ** 2)  # noqa: E731
    v = np.array([1.0, 0.5, -2.0])
    want = jax.jvp(lambda x: jax.grad(fj, 0)(x, W), (X,), (v,))[1]
    tree_close(ad.hvp(lambda x, w=W: f(x, w), (X,), (v,)), want)
    tree_close(ad.hvp(f, (X, W), (v,), argnums=0), jax.jvp(lambda x: jax.grad(fj, 0)(x, W), (X,), (v,))[1])
    vw = np.ones_like(W)
    both = ad.hvp(f, (X, W), (v, vw))
    want_both = jax.jvp(jax.grad(fj, (0, 1)), (X, W), (v, vw))[1]
    tree_close(both, want_both)
    with pytest.raises(ad.AdmodesError, match="one tangent per"):
        ad.hvp(f, (X, W), (v, vw), argnums=0)


def _sg_case(xp, sg):
    return lambda x: xp.sum(xp.sin(x) * sg(x ** 2) + sg(xp.exp(x)) * x ** 3)


@pytest.mark.parametrize("transform", ["grad", "grad-forward", "hessian", "grad-of-grad-sum", "jvp", "replay"])
def test_stop_gradient_is_zero_in_every_mode_and_order(transform):
    f, fj = _sg_case(np, ad.stop_gradient), _sg_case(jnp, jax.lax.stop_gradient)
    if transform == "grad":
        tree_close(ad.grad(f)(X), jax.grad(fj)(X))
    elif transform == "grad-forward":
        tree_close(ad.grad(f, mode="forward")(X), jax.grad(fj)(X))
    elif transform == "hessian":
        tree_close(ad.hessian(f)(X), jax.hessian(fj)(X))
    elif transform == "grad-of-grad-sum":
        tree_close(ad.grad(lambda x: np.sum(ad.grad(f)(x)))(X), jax.grad(lambda x: jnp.sum(jax.grad(fj)(x)))(X))
    elif transform == "jvp":
        tree_close(ad.jvp(f, (X,), (np.ones(3),)), jax.jvp(fj, (X,), (jnp.ones(3),)))
    else:
        tree_close(ad.record(f, X).grad(X * 0.5), jax.grad(fj)(X * 0.5))


def test_stop_gradient_on_a_pytree():
    tree = {"a": 2.0, "b": (X,)}
    assert ad.tree_structure(ad.stop_gradient(tree)) == ad.tree_structure(tree)
    tree_close(ad.grad(lambda t: t["a"] * ad.stop_gradient(t)["a"])(tree)["a"], 2.0)


def test_linearize_matches_jax():
    f = lambda a, b: a * np.sin(b) + np.tanh(a * b)  # noqa: E731
    fj = lambda a, b: a * jnp.sin(b) + jnp.tanh(a * b)  # noqa: E731
    out, f_jvp = ad.linearize(f, X, X[::-1].copy())
    out_j, f_jvp_j = jax.linearize(fj, X, X[::-1].copy())
    tree_close(out, out_j)
    for t in (np.ones(3), np.array([1.0, -2.0, 0.5])):
        tree_close(f_jvp(t, 2 * t), f_jvp_j(t, 2 * t))
    with pytest.raises(ad.AdmodesError, match="one tangent per primal"):
        f_jvp(np.ones(3))


def test_linear_transpose_matches_jax():
    f = lambda x, y: (W @ x + 2.0 * y[:2], np.sum(x))  # noqa: E731
    fj = lambda x, y: (W @ x + 2.0 * y[:2], jnp.sum(x))  # noqa: E731
    ct = (np.array([1.0, -1.0]), 3.0)
    got = ad.linear_transpose(f, X, np.zeros(4))(ct)
    want = jax.linear_transpose(fj, X, np.zeros(4))(ct)
    tree_close(got, want)


# ---------------------------------------------------------------------- pytrees


@dataclasses.dataclass
class Params:
    w: np.ndarray
    b: np.ndarray
    name: str = "layer"


ad.register_dataclass(Params, meta_fields=("name",))


class Pair:
    def __init__(self, first, second):
        self.first, self.second = first, second

    def tree_flatten(self):
        return (self.first, self.second), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


ad.register_pytree_node_class(Pair)


def test_gradient_of_a_registered_dataclass_matches_jax():
    p = Params(W, np.array([0.1, -0.2]))
    loss = lambda p, x: np.sum(np.tanh(p.w @ x + p.b) ** 2)  # noqa: E731
    g = ad.grad(loss)(p, X)
    assert isinstance(g, Params) and g.name == "layer"
    want = jax.grad(lambda w, b: jnp.sum(jnp.tanh(w @ X + b) ** 2), (0, 1))(W, p.b)
    tree_close((g.w, g.b), want)


def test_custom_node_class_and_tree_utilities():
    pair = Pair(X, {"s": 2.0})
    leaves = ad.tree_leaves(pair)
    assert len(leaves) == 2 and leaves[1] == 2.0
    g = ad.grad(lambda p: np.sum(p.first ** 2) * p.second["s"])(pair)
    tree_close((g.first, g.second["s"]), (4 * X, np.sum(X ** 2)))
    assert str(ad.tree_structure(pair)) == "Pair(*, {'s': *})"
    rebuilt = ad.tree_unflatten(ad.tree_structure(pair), [1, 2])
    assert rebuilt.first == 1 and rebuilt.second == {"s": 2}


@pytest.mark.parametrize("a, b, where", [
    ({"a": 11, "b": 22}, [1, 2], "at tree it is a dict with keys ['a', 'b'], there a list of 2"),
    ({"a": (1, 2)}, {"a": (1, 2, 3)}, "at tree['a'] it is a tuple of 2, there a tuple of 3"),
    ([1, {"w": 1}], [1, {"v": 1}], "at tree[1] it is a dict with keys ['w']"),
])
def test_tree_map_refuses_mismatched_structures_naming_the_path(a, b, where):
    with pytest.raises(ValueError, match=f"argument 1 does not have the structure of the first: {where}".replace("[", r"\[")
                       .replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")):
        ad.tree_map(lambda u, v: u + v, a, b)


# ---------------------------------------------------------------------- memory-bounded seeding


def test_forward_gradient_of_many_inputs_in_bounded_memory(monkeypatch):
    """A forward-mode gradient seeds n directions; all at once, n = 20,000 would need 3.2 GB of
    seeds alone. With the seed budget at 16 MiB, the chunk is chosen for it, and the peak stays
    a small multiple of the budget (each intermediate carries the same directions)."""
    monkeypatch.setattr(sweeps, "SEED_BYTES", 16 * 2**20)
    n = 20_000
    x = np.linspace(-1.0, 1.0, n)
    f = lambda x: np.sum(np.sin(x) * x)  # noqa: E731
    tracemalloc.start()
    try:
        g = ad.grad(f, mode="forward")(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tree_close(g, np.cos(x) * x + np.sin(x))
    assert peak < 12 * sweeps.SEED_BYTES, f"peak {peak / 2**20:.0f} MiB"


def test_explicit_chunk_and_the_jacobian_shortcut_are_bounded(monkeypatch):
    monkeypatch.setattr(sweeps, "SEED_BYTES", 2**16)  # 8,192 float64 entries
    x = np.linspace(0.1, 1.0, 300)  # 300 x 300 seeds = 90,000 entries: over the budget
    for mode in ("forward", "reverse"):
        tree_close(ad.jacobian(lambda v: np.sin(v) * 2.0, mode=mode)(x), np.diag(2 * np.cos(x)))
    tree_close(ad.grad(lambda v: np.sum(v ** 3), mode="forward", chunk=7)(x), 3 * x ** 2)
    with pytest.raises(ad.AdmodesError, match="chunk"):
        ad.grad(lambda v: np.sum(v), mode="forward", chunk=0)(x)


@pytest.mark.slow
def test_forward_gradient_of_100000_inputs_in_bounded_memory(monkeypatch):
    """The issue's size: n = 100,000 (80 GB of seeds at once); with a 16 MiB budget, 5,000 sweeps."""
    monkeypatch.setattr(sweeps, "SEED_BYTES", 16 * 2**20)
    x = np.linspace(-1.0, 1.0, 100_000)
    tracemalloc.start()
    try:
        g = ad.grad(lambda v: np.sum(np.sin(v) * v), mode="forward")(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tree_close(g, np.cos(x) * x + np.sin(x))
    assert peak < 12 * sweeps.SEED_BYTES, f"peak {peak / 2**20:.0f} MiB"
