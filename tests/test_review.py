"""Adversarial tests from a review of the engines and the API, against JAX (x64) as the oracle.

Each bug the review found has a test here that failed before its fix; the rest pin down
behaviour that was checked and found right (pytrees, dtypes, hvp/hessian with several
arguments, custom rules under a batch of directions, replay, error messages).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

MODES = ("forward", "reverse")
X3 = np.array([0.5, -1.2, 2.0])


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def tree_close(got, want, rtol=1e-9, atol=1e-10, dtypes=True):
    leaves, treedef = ad.tree_flatten(got)
    want_leaves = jax.tree_util.tree_leaves(want)
    assert len(leaves) == len(want_leaves), (treedef, jax.tree_util.tree_structure(want))
    for a, b in zip(leaves, want_leaves):
        assert np.shape(a) == np.shape(b)
        close(a, b, rtol, atol)
        if dtypes:
            assert np.result_type(a) == np.result_type(b), (np.result_type(a), np.result_type(b))


# ---------------------------------------------------------------------- argnums


@pytest.mark.parametrize("argnums", [(0, 0), (0, -2), (1, 0, 1)])
def test_repeated_argnums_are_refused(argnums):
    # bug: the second copy replaced the first, so grad(x * y, argnums=(0, 0)) was (0, 2)
    with pytest.raises(ad.AdmodesError, match="more than once"):
        ad.grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)
    with pytest.raises(ad.AdmodesError, match="more than once"):
        ad.jacobian(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)
