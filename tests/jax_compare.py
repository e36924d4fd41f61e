"""Comparisons of admodes results with JAX's (x64): arrays, and pytrees leaf by leaf with dtypes.

The op spec tables have their own checks (tests/ops/harness.py); these serve the tests of the
API, replay and custom rules, whose results are pytrees.
"""

import jax
import numpy as np

import admodes as ad


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def tree_close(got, want, rtol=1e-9, atol=1e-10):
    """``got`` (an admodes pytree) has ``want``'s (a JAX pytree's) leaves: count, shapes, values, dtypes."""
    leaves, treedef = ad.tree_flatten(got)
    want_leaves = jax.tree_util.tree_leaves(want)
    assert len(leaves) == len(want_leaves), (treedef, jax.tree_util.tree_structure(want))
    for a, b in zip(leaves, want_leaves):
        assert np.shape(a) == np.shape(b)
        close(a, b, rtol, atol)
        assert np.asarray(a).dtype == np.asarray(b).dtype, (np.asarray(a).dtype, np.asarray(b).dtype)
