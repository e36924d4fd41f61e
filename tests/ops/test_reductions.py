"""Spec table: reductions (sum, mean, prod, max, min, var, std, logaddexp.reduce, the nan-skipping
nansum/nanmean/nanmax/nanmin/nanprod/nanvar/nanstd, average, ptp, diff) and scans (cumsum, cumprod)
against JAX.

Axes: None, an int, a negative int, tuples (unsorted, with negatives), keepdims; the
function, method and ufunc-reduce spellings. ``prod`` and ``cumprod`` are checked at zero
entries (no division by zero in their rules) and ``max``/``min`` at ties, where JAX splits the
derivative equally (finite differences are off there: the function has a kink).
"""

import jax
import jax.scipy.special  # noqa: F401  (logsumexp, the oracle of np.logaddexp.reduce)
import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, check_all, check_jacobian_values

S3 = ((2, 3, 4),)
S2 = ((3, 4),)


def _with_zero(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[1, 2] = 0.0
    return (x,)


def _with_two_zeros(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = x[0, 3] = 0.0  # two zeros in one row: every partial of that row's product is 0
    x[2, 0] = 0.0
    return (x,)


def _ties(rng):
    """Rows with a tied maximum, a tied minimum, and all entries equal."""
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = x[0, 3] = 3.0   # max of row 0, twice
    x[1, 0] = x[1, 2] = -3.0  # min of row 1, twice
    x[2, :] = 0.5             # all tied
    return (x,)


def _column_ties(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 0] = x[2, 0] = 2.5
    x[1, 1] = x[2, 1] = -2.5
    return (x,)


def _cumprod_zeros(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = 0.0
    x[1, 0] = x[1, 2] = 0.0  # two zeros in one row
    return (x,)


def _with_nan(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = x[2, 3] = np.nan
    return (x,)


SPECS = [
    # ---- sum
    OpSpec("sum", lambda xp, x: xp.sum(x), S3),
    OpSpec("sum axis=0", lambda xp, x: xp.sum(x, axis=0), S3),
    OpSpec("sum axis=1", lambda xp, x: xp.sum(x, axis=1), S3),
    OpSpec("sum axis=-1", lambda xp, x: xp.sum(x, axis=-1), S3),
    OpSpec("sum axis=(0,2)", lambda xp, x: xp.sum(x, axis=(0, 2)), S3),
    OpSpec("sum axis=(-1,0)", lambda xp, x: xp.sum(x, axis=(-1, 0)), S3),
    OpSpec("sum axis=1 keepdims", lambda xp, x: xp.sum(x, axis=1, keepdims=True), S3),
    OpSpec("sum keepdims", lambda xp, x: xp.sum(x, keepdims=True), S2),
    OpSpec("sum axis=() (identity)", lambda xp, x: xp.sum(x, axis=()), S2),
    OpSpec("sum 0-d", lambda xp, x: xp.sum(x), ((),)),
    OpSpec("sum over empty axis", lambda xp, x: xp.sum(x, axis=0), ((0, 3),)),
    OpSpec("sum of empty", lambda xp, x: xp.sum(x, axis=1), ((0, 3),)),
    OpSpec("x.sum method", lambda xp, x: x.sum(axis=0) * x.sum(), S2),
    OpSpec("np.add.reduce", lambda xp, x: np.add.reduce(x, axis=1) if xp is np else xp.sum(x, axis=1), S2),
    # ---- mean
    OpSpec("mean", lambda xp, x: xp.mean(x), S3),
    OpSpec("mean axis=0", lambda xp, x: xp.mean(x, axis=0), S3),
    OpSpec("mean axis=-2", lambda xp, x: xp.mean(x, axis=-2), S3),
    OpSpec("mean axis=(0,1) keepdims", lambda xp, x: xp.mean(x, axis=(0, 1), keepdims=True), S3),
    OpSpec("x.mean method", lambda xp, x: x.mean(axis=1), S2),
    # ---- prod (the partials must be exact at zeros: no division)
    OpSpec("prod", lambda xp, x: xp.prod(x), S2),
    OpSpec("prod axis=1", lambda xp, x: xp.prod(x, axis=1), S2),
    OpSpec("prod axis=-1", lambda xp, x: xp.prod(x, axis=-1), S3),
    OpSpec("prod axis=(0,2) keepdims", lambda xp, x: xp.prod(x, axis=(0, 2), keepdims=True), S3),
    OpSpec("prod with a zero", lambda xp, x: xp.prod(x, axis=1), S2, draw=_with_zero),
    OpSpec("prod with a zero, all", lambda xp, x: xp.prod(x), S2, draw=_with_zero),
    OpSpec("prod with a zero, axis=0", lambda xp, x: xp.prod(x, axis=0, keepdims=True), S2, draw=_with_zero),
    OpSpec("prod with two zeros", lambda xp, x: xp.prod(x, axis=1), S2, draw=_with_two_zeros),
    OpSpec("x.prod method", lambda xp, x: x.prod(axis=0), S2),
    OpSpec("np.multiply.reduce", lambda xp, x: np.multiply.reduce(x, axis=0) if xp is np else xp.prod(x, axis=0), S2),
    # ---- max / min
    OpSpec("max", lambda xp, x: xp.max(x), S3),
    OpSpec("max axis=0", lambda xp, x: xp.max(x, axis=0), S3),
    OpSpec("max axis=-1 keepdims", lambda xp, x: xp.max(x, axis=-1, keepdims=True), S3),
    OpSpec("max axis=(0,2)", lambda xp, x: xp.max(x, axis=(0, 2)), S3),
    OpSpec("min", lambda xp, x: xp.min(x), S3),
    OpSpec("min axis=1", lambda xp, x: xp.min(x, axis=1), S3),
    OpSpec("min axis=(-1,-3) keepdims", lambda xp, x: xp.min(x, axis=(-1, -3), keepdims=True), S3),
    OpSpec("np.amax / np.amin", lambda xp, x: xp.amax(x, axis=1) - xp.amin(x, axis=0)[:3], S2),
    OpSpec("x.max / x.min methods", lambda xp, x: x.max(axis=0) * x.min(), S2),
    OpSpec("np.maximum.reduce", lambda xp, x: np.maximum.reduce(x, axis=1) if xp is np else xp.max(x, axis=1), S2),
    OpSpec("np.minimum.reduce", lambda xp, x: np.minimum.reduce(x) if xp is np else xp.min(x, axis=0), S2),
    OpSpec("max 0-d", lambda xp, x: xp.max(x), ((),)),
    OpSpec("max ties axis=1", lambda xp, x: xp.max(x, axis=1), S2, draw=_ties, fd=False),
    OpSpec("min ties axis=1", lambda xp, x: xp.min(x, axis=1), S2, draw=_ties, fd=False),
    OpSpec("max ties all", lambda xp, x: xp.max(x), S2, draw=_ties, fd=False),
    OpSpec("max ties axis=0 keepdims", lambda xp, x: xp.max(x, axis=0, keepdims=True), S2, draw=_column_ties, fd=False),
    OpSpec("min ties axis=0", lambda xp, x: xp.min(x, axis=0), S2, draw=_column_ties, fd=False),
    # ---- var / std
    OpSpec("var", lambda xp, x: xp.var(x), S3),
    OpSpec("var axis=0", lambda xp, x: xp.var(x, axis=0), S3),
    OpSpec("var axis=-1 keepdims", lambda xp, x: xp.var(x, axis=-1, keepdims=True), S3),
    OpSpec("var axis=(0,2) ddof=1", lambda xp, x: xp.var(x, axis=(0, 2), ddof=1), S3),
    OpSpec("std", lambda xp, x: xp.std(x), S3),
    OpSpec("std axis=1", lambda xp, x: xp.std(x, axis=1), S3),
    OpSpec("std axis=(1,-1) keepdims ddof=1", lambda xp, x: xp.std(x, axis=(1, -1), keepdims=True, ddof=1), S3),
    OpSpec("x.var / x.std methods", lambda xp, x: x.var(axis=0) + x.std(axis=0, ddof=1), S2),
    OpSpec("var axis=0 ddof=1", lambda xp, x: xp.var(x, axis=0, ddof=1), ((4, 3),)),
    OpSpec("std ddof=1", lambda xp, x: xp.std(x, ddof=1), ((4, 3),)),
    # ---- nan-skipping, weighted and range reductions, differences
    OpSpec("nansum", lambda xp, x: xp.nansum(x, axis=0), (), draw=_with_nan),
    OpSpec("nanmean", lambda xp, x: xp.nanmean(x, axis=1), (), draw=_with_nan),
    OpSpec("nanmax axis=1", lambda xp, x: xp.nanmax(x, axis=1), (), draw=_with_nan),
    OpSpec("nanmax all keepdims", lambda xp, x: xp.nanmax(x, keepdims=True), (), draw=_with_nan),
    OpSpec("nanmin axis=0", lambda xp, x: xp.nanmin(x, axis=0), (), draw=_with_nan),
    OpSpec("nanmin without NaN", lambda xp, x: xp.nanmin(x, axis=-1), S3),
    OpSpec("nanprod axis=1", lambda xp, x: xp.nanprod(x, axis=1), (), draw=_with_nan),
    OpSpec("nanprod all", lambda xp, x: xp.nanprod(x), (), draw=_with_nan),
    OpSpec("nanvar axis=0", lambda xp, x: xp.nanvar(x, axis=0), (), draw=_with_nan),
    OpSpec("nanvar ddof=1 keepdims", lambda xp, x: xp.nanvar(x, axis=1, ddof=1, keepdims=True), (), draw=_with_nan),
    OpSpec("nanstd all", lambda xp, x: xp.nanstd(x), (), draw=_with_nan),
    OpSpec("nanstd axis=(0,2)", lambda xp, x: xp.nanstd(x, axis=(0, 2)), S3),
    # ---- logaddexp.reduce (JAX: logsumexp), shifted by the max: large entries do not overflow
    OpSpec("np.logaddexp.reduce", lambda xp, x: np.logaddexp.reduce(x, axis=1) if xp is np
           else jax.scipy.special.logsumexp(x, axis=1), S3),
    OpSpec("np.logaddexp.reduce default axis", lambda xp, x: np.logaddexp.reduce(x) if xp is np
           else jax.scipy.special.logsumexp(x, axis=0), S2),
    OpSpec("np.logaddexp.reduce axis=None large", lambda xp, x: np.logaddexp.reduce(x * 400, axis=None) if xp is np
           else jax.scipy.special.logsumexp(x * 400), S2),
    OpSpec("np.logaddexp.reduce axes keepdims", lambda xp, x: np.logaddexp.reduce(x, axis=(0, 2), keepdims=True)
           if xp is np else jax.scipy.special.logsumexp(x, axis=(0, 2), keepdims=True), S3),
    OpSpec("average weights axis", lambda xp, x, w: xp.average(x, axis=1, weights=w), ((3, 4), (4,)),
           domain=(0.5, 2.0)),
    OpSpec("average weights full", lambda xp, x, w: xp.average(x, weights=w), ((3, 4), (3, 4)),
           domain=(0.5, 2.0)),
    OpSpec("average returned", lambda xp, x: xp.stack(xp.average(x, axis=0, returned=True)), ((3, 2),)),
    OpSpec("ptp", lambda xp, x: xp.ptp(x, axis=1), ((3, 4),)),
    OpSpec("diff n=2 prepend", lambda xp, x: xp.diff(x, n=2, axis=0, prepend=1.0), ((4, 3),)),
    # ---- scans: cumsum, cumprod (exact at zeros, like prod)
    OpSpec("cumsum axis=None", lambda xp, x: xp.cumsum(x), ((2, 3),)),
    OpSpec("cumsum axis=-1 3d", lambda xp, x: xp.cumsum(x, axis=-1) ** 2, ((2, 3, 2),)),
    OpSpec("cumsum method axis=0", lambda xp, x: x.cumsum(axis=0) * x, ((3, 2),)),
    OpSpec("cumprod axis=1", lambda xp, x: xp.cumprod(x, axis=1), ((2, 4),)),
    OpSpec("cumprod with zeros", lambda xp, x: xp.cumprod(x, axis=1), (), draw=_cumprod_zeros),
    OpSpec("cumprod axis=None", lambda xp, x: xp.cumprod(x), ((2, 3),), domain=(0.5, 1.5)),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


# ---- ties: hand-computed Jacobians (JAX splits the derivative equally among ties).
CONVENTIONS = [
    (OpSpec("max [1,3,3]", lambda xp, x: xp.max(x), ((3,),)), ([1.0, 3.0, 3.0],), ([0.0, 0.5, 0.5],)),
    (OpSpec("min all equal", lambda xp, x: xp.min(x), ((3,),)), ([2.0, 2.0, 2.0],), ([1 / 3, 1 / 3, 1 / 3],)),
    (OpSpec("max axis=1 ties", lambda xp, x: xp.max(x, axis=1), ((2, 3),)),
     ([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]],),
     ([[[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]],)),
    (OpSpec("min axis=0 keepdims ties", lambda xp, x: xp.min(x, axis=0, keepdims=True), ((2, 2),)),
     ([[1.0, -1.0], [1.0, 0.0]],),
     ([[[[0.5, 0.0], [0.5, 0.0]], [[0.0, 1.0], [0.0, 0.0]]]],)),
    (OpSpec("prod [2,0,3]", lambda xp, x: xp.prod(x), ((3,),)), ([2.0, 0.0, 3.0],), ([0.0, 6.0, 0.0],)),
    (OpSpec("prod [0,0,3]", lambda xp, x: xp.prod(x), ((3,),)), ([0.0, 0.0, 3.0],), ([0.0, 0.0, 0.0],)),
    (OpSpec("cumprod at a zero: exact", lambda xp, x: xp.cumprod(x), ((3,),)),
     ([2.0, 0.0, 3.0],), ([[1, 0, 0], [0, 2, 0], [0, 6, 0]],)),
]


@pytest.mark.parametrize("spec, args, expected", CONVENTIONS, ids=[str(c[0]) for c in CONVENTIONS])
def test_convention(spec, args, expected):
    check_jacobian_values(spec, args, expected)


def test_logaddexp_reduce_handles_infinities_and_large_values():
    """The max shift: no overflow at 1000, -inf entries get a zero derivative, all -inf gives -inf."""
    x = np.array([1000.0, 999.0, -np.inf])
    g = ad.grad(lambda x: np.logaddexp.reduce(x))(x)
    e = np.exp([0.0, -1.0])
    np.testing.assert_allclose(g, [*(e / e.sum()), 0.0], rtol=1e-14)
    out, _ = ad.jvp(lambda x: np.logaddexp.reduce(x), (np.full(2, -np.inf),), (np.ones(2),))
    assert out == -np.inf


def test_nanmax_of_an_all_nan_slice_is_nan():
    """NumPy's NaN for a slice of NaN only; its tangent is 0 there, as in JAX."""
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanmax(x, axis=1)
    for name in ("nanmax", "nanmin"):
        out, t = ad.jvp(lambda x: getattr(np, name)(x, axis=1), (x,), (np.ones_like(x),))
        _, jt = jax.jvp(lambda x: getattr(jax.numpy, name)(x, axis=1), (x,), (np.ones_like(x),))
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(t, jt)
        np.testing.assert_array_equal(t, [0.0, 1.0])
