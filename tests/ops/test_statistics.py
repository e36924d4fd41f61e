"""Spec table: order statistics (median, percentile, quantile) against JAX.

Each is a sort (a gather by a constant, stable permutation) and an interpolation between two
order statistics with constant weights, so the derivative goes to the entries at those ranks.
The draws are uniform (no ties, almost surely, and no entry within 1e-6 of another, so central
differences do not cross a change of order); ties follow the stable sort, as in JAX (pinned by
a hand-written Jacobian).
"""

import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, check_all, check_jacobian_values

S3 = ((3, 4, 5),)


def _with_nan(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[1, 2] = np.nan
    return (x,)


SPECS = [
    OpSpec("median all", lambda xp, x: xp.median(x), S3),
    OpSpec("median axis=1 (even count)", lambda xp, x: xp.median(x, axis=1), S3),
    OpSpec("median axis=-1 (odd count) keepdims", lambda xp, x: xp.median(x, axis=-1, keepdims=True), S3),
    OpSpec("median axis=(0,2)", lambda xp, x: xp.median(x, axis=(0, 2)), S3),
    OpSpec("median 0-d", lambda xp, x: xp.median(x) * x, ((),)),
    # NumPy's NaN for the slice with a NaN, with a zero tangent (JAX); central differences are NaN there
    OpSpec("median with a NaN slice", lambda xp, x: xp.median(x, axis=1), (), draw=_with_nan, fd=False),
    OpSpec("percentile scalar q", lambda xp, x: xp.percentile(x, 30.0), S3),
    OpSpec("percentile q vector axis=1", lambda xp, x: xp.percentile(x, np.array([0.0, 12.5, 50.0, 95.0, 100.0]),
                                                                     axis=1), S3),
    OpSpec("percentile q vector axes keepdims", lambda xp, x: xp.percentile(x, np.array([10.0, 75.0]),
                                                                            axis=(0, 2), keepdims=True), S3),
    OpSpec("quantile", lambda xp, x: xp.quantile(x, 0.37, axis=0), S3),
    OpSpec("quantile q list", lambda xp, x: xp.quantile(x, [0.25, 0.5, 0.9] if xp is np else xp.asarray([0.25, 0.5, 0.9]),
                                                        axis=-1), ((4, 6),)),
    *[OpSpec(f"quantile method={m}", (lambda m: lambda xp, x: xp.quantile(x, np.array([0.1, 0.37, 0.5, 0.8]),
                                                                         axis=1, method=m))(m), ((3, 6),))
      for m in ("lower", "higher", "midpoint", "nearest")],
    OpSpec("percentile of a product", lambda xp, x, y: xp.percentile(x * y, 60.0, axis=0), ((5, 3), (3,))),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


# ---- ties: the stable sort sends the derivative of the k-th order statistic to the k-th tied entry
CONVENTIONS = [
    (OpSpec("median of [1, 1, 0]", lambda xp, x: xp.median(x), ((3,),)), ([1.0, 1.0, 0.0],), ([1.0, 0.0, 0.0],)),
    (OpSpec("median of [2, 2, 2, 2]", lambda xp, x: xp.median(x), ((4,),)),
     ([2.0, 2.0, 2.0, 2.0],), ([0.0, 0.5, 0.5, 0.0],)),
    (OpSpec("percentile 25 of [3, 1, 1, 2, 0]", lambda xp, x: xp.percentile(x, 25.0), ((5,),)),
     ([3.0, 1.0, 1.0, 2.0, 0.0],), ([0.0, 1.0, 0.0, 0.0, 0.0],)),
]


@pytest.mark.parametrize("spec, args, expected", CONVENTIONS, ids=[str(c[0]) for c in CONVENTIONS])
def test_convention(spec, args, expected):
    check_jacobian_values(spec, args, expected)


REFUSED = {
    "traced q": (lambda x: np.percentile(x, x[0] * 0 + 50.0), "traced q"),
    "weights": (lambda x: np.quantile(x, 0.5, weights=np.ones(3), method="inverted_cdf"), "weights"),
    "method": (lambda x: np.quantile(x, 0.5, method="weibull"), "weibull"),
    "out": (lambda x: np.median(x, out=np.zeros(())), "out"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_arguments_are_named(name):
    f, words = REFUSED[name]
    with pytest.raises(ad.AdmodesError, match=words):
        ad.grad(f)(np.array([0.3, 0.1, 0.2]))


def test_q_out_of_range_raises_as_numpy():
    with pytest.raises(ValueError, match="Percentiles"):
        ad.grad(lambda x: np.percentile(x, 120.0))(np.ones(3))
    with pytest.raises(ValueError, match="Quantiles"):
        ad.grad(lambda x: np.quantile(x, -0.1))(np.ones(3))


def test_q_of_two_axes_has_numpy_layout():
    """NumPy allows q of any rank (jax.numpy only up to 1): q's axes come first."""
    x = np.random.default_rng(1).uniform(-1, 1, (3, 4, 5))
    q = np.array([[10.0], [75.0]])
    f = lambda x: np.percentile(x, q, axis=(0, 2), keepdims=True)
    jac = ad.jacobian(f)(x)
    np.testing.assert_array_equal(ad.jvp(f, (x,), (x,))[0], f(x))
    np.testing.assert_allclose(jac.reshape(2, -1, x.size).sum(-1), np.ones((2, 4)), rtol=1e-12)
