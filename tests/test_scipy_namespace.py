"""admodes.scipy: SciPy's Python-level functions as differentiable NumPy code.

Each case is checked three ways: on plain arrays its values equal SciPy's own (1e-12); its
gradients in every differentiable argument, in both modes, and its Hessian equal
``jax.scipy``'s (x64); parameters broadcast against each other as in SciPy.
"""

from __future__ import annotations

import subprocess
import sys

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import jax.scipy.stats as jst
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import admodes as ad
from admodes.core import AdmodesError
from admodes.scipy import special, stats

rng = np.random.default_rng(13)
X = rng.normal(size=(4, 3))
LOC = rng.normal(size=(1, 3))
SCALE = rng.uniform(0.5, 2.0, size=(4, 1))
POS = rng.uniform(0.5, 3.0, size=(4, 3))
SHAPE = rng.uniform(1.2, 3.0, size=(1, 3))
SHAPE2 = rng.uniform(1.2, 3.0, size=(4, 1))
Q = rng.uniform(0.05, 0.95, size=(4, 3))
U = rng.uniform(0.1, 0.9, size=(4, 3))
K = np.round(rng.uniform(0, 6, size=(4, 3)))
MU = rng.uniform(0.5, 4.0, size=(4, 1))
DF = rng.uniform(2.0, 6.0, size=(1, 3))
ALPHA = rng.uniform(1.2, 3.0, size=3)
SIMPLEX = rng.dirichlet(ALPHA, size=5).T  # components along the first axis, as in SciPy
A = rng.normal(size=(3, 4))
B = rng.uniform(0.5, 2.0, size=(3, 4))
_M = rng.normal(size=(3, 3))
COV = _M @ _M.T + np.eye(3)
MEAN = rng.normal(size=3)
PTS = rng.normal(size=(5, 3))


def case(name, args, argnums, **kw):
    dist, fn = name.rsplit(".", 1)
    mod = ad_mod = jmod = None
    if dist == "special":
        ours, theirs, ref = getattr(special, fn), getattr(sc, fn), getattr(jsp, fn)
    else:
        mod, ad_mod, jmod = getattr(st, dist), getattr(stats, dist), getattr(jst, dist, None)
        ours, theirs = getattr(ad_mod, fn), getattr(mod, fn)
        ref = getattr(jmod, fn, None)
    label = name + ("(" + ",".join(f"{k}={v}" for k, v in kw.items()) + ")" if kw else "")
    return pytest.param(ours, theirs, ref, args, argnums, kw, id=label)


CASES = [
    *[case(f"norm.{f}", (X, LOC, SCALE), (0, 1, 2)) for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")],
    *[case(f"norm.{f}", (Q, LOC, SCALE), (0, 1, 2)) for f in ("ppf", "isf")],
    *[case(f"t.{f}", (X, DF, LOC, SCALE), (0, 1, 2, 3)) for f in ("logpdf", "pdf")],
    *[case(f"gamma.{f}", (POS, SHAPE, -0.3, SCALE), (0, 1, 2, 3)) for f in ("logpdf", "pdf")],
    *[case(f"gamma.{f}", (POS, SHAPE, -0.3, SCALE), (0, 2, 3)) for f in ("cdf", "sf")],
    *[case(f"chi2.{f}", (POS, DF), (0, 1)) for f in ("logpdf", "pdf")],
    *[case(f"chi2.{f}", (POS, DF), (0,)) for f in ("cdf", "sf")],
    *[case(f"beta.{f}", (U, SHAPE, SHAPE2), (0, 1, 2)) for f in ("logpdf", "pdf")],
    case("beta.logpdf", (U * 2 - 0.5, SHAPE, SHAPE2, -0.5, 2.0), (0, 1, 2, 3, 4)),
    *[case(f"poisson.{f}", (K, MU), (1,)) for f in ("logpmf", "pmf", "cdf")],
    case("poisson.sf", (K, MU), (1,)),
    *[case(f"dirichlet.{f}", (SIMPLEX, ALPHA), (0, 1)) for f in ("logpdf", "pdf")],
    *[case(f"dirichlet.{f}", (SIMPLEX[:, 0], ALPHA), (0, 1)) for f in ("logpdf", "pdf")],
    *[case(f"multivariate_normal.{f}", (PTS, MEAN, COV), (0, 1, 2)) for f in ("logpdf", "pdf")],
    case("multivariate_normal.logpdf", (PTS[0], MEAN, COV), (0, 1, 2)),
    *[case(f"expon.{f}", (POS, -0.2, SCALE), (0, 1, 2)) for f in ("logpdf", "pdf", "cdf", "sf", "logsf")],
    case("expon.ppf", (Q, LOC, SCALE), (0, 1, 2)),
    *[case(f"laplace.{f}", (X, LOC, SCALE), (0, 1, 2)) for f in ("logpdf", "pdf", "cdf", "sf")],
    *[case(f"logistic.{f}", (X, LOC, SCALE), (0, 1, 2))
      for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")],
    case("logistic.ppf", (Q, LOC, SCALE), (0, 1, 2)),
    *[case(f"cauchy.{f}", (X, LOC, SCALE), (0, 1, 2)) for f in ("logpdf", "pdf", "cdf", "sf")],
    case("cauchy.ppf", (Q, LOC, SCALE), (0, 1, 2)),
    case("special.logsumexp", (A,), (0,)),
    case("special.logsumexp", (A,), (0,), axis=0),
    case("special.logsumexp", (A,), (0,), axis=-1, keepdims=True),
    case("special.logsumexp", (A.reshape(3, 2, 2),), (0,), axis=(0, 2)),
    case("special.logsumexp", (A,), (0,), axis=1, b=B),
    case("special.softmax", (A,), (0,), axis=1),
    case("special.softmax", (A,), (0,)),
    case("special.log_softmax", (A,), (0,), axis=0),
    case("special.multigammaln", (POS + 1.5,), (0,), d=3),
]


def _total(fn, kw, lib):
    return lambda *a: lib.sum(fn(*a, **kw))


@pytest.mark.parametrize("ours, theirs, ref, args, argnums, kw", CASES)
def test_values_equal_scipy(ours, theirs, ref, args, argnums, kw):
    got, want = ours(*args, **kw), theirs(*args, **kw)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ours, theirs, ref, args, argnums, kw", CASES)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradients_equal_jax(ours, theirs, ref, args, argnums, kw, mode):
    if ref is None:
        pytest.skip("jax.scipy has no such function (finite differences check it below)")
    got = ad.grad(_total(ours, kw, np), argnums=argnums, mode=mode)(*args)
    want = jax.grad(_total(ref, kw, jnp), argnums=argnums)(*[jnp.asarray(a, dtype=float) for a in args])
    for i, g, w in zip(argnums, got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11, err_msg=f"argument {i}")


@pytest.mark.parametrize("ours, theirs, ref, args, argnums, kw", CASES)
def test_hessians_equal_jax(ours, theirs, ref, args, argnums, kw):
    if ref is None:
        pytest.skip("jax.scipy has no such function (finite differences check it below)")
    for i in argnums:
        def restrict(lib, fn):
            return lambda v: lib.sum(fn(*args[:i], v, *args[i + 1:], **kw))

        got = ad.hessian(restrict(np, ours))(args[i])
        jargs = [jnp.asarray(a, dtype=float) for a in args]
        want = jax.hessian(lambda v: jnp.sum(ref(*jargs[:i], v, *jargs[i + 1:], **kw)))(jargs[i])
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, err_msg=f"argument {i}")


def test_functions_jax_lacks_against_finite_differences():
    for fn, args in [(stats.poisson.sf, (K, MU)), (stats.laplace.sf, (X, LOC, SCALE)),
                     (stats.expon.logsf, (POS, -0.2, SCALE)), (stats.logistic.logcdf, (X, LOC, SCALE)),
                     (stats.logistic.logsf, (X, LOC, SCALE)), (stats.cauchy.sf, (X, LOC, SCALE))]:
        ad.check_grads(lambda *a: np.sum(fn(*a)), args[1:] if fn is stats.poisson.sf else args, order=2) \
            if fn is not stats.poisson.sf else ad.check_grads(lambda mu: np.sum(fn(K, mu)), (MU,), order=2)


def test_jacobian_of_a_broadcast_density_in_both_modes():
    f = lambda loc: stats.norm.logpdf(X, loc, SCALE)  # noqa: E731
    want = jax.jacobian(lambda loc: jst.norm.logpdf(X, loc, SCALE))(jnp.asarray(LOC))
    for mode in ("forward", "reverse"):
        got = ad.jacobian(f, mode=mode)(LOC)
        assert got.shape == (4, 3, 1, 3)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_third_order_composes():
    f = lambda s: np.sum(stats.t.logpdf(X, DF, LOC, s))  # noqa: E731
    g = lambda s: jnp.sum(jst.t.logpdf(X, DF, LOC, s))  # noqa: E731
    got = ad.grad(lambda s: ad.grad(lambda u: ad.grad(f)(u))(s))(2.0)
    want = jax.grad(jax.grad(jax.grad(g)))(2.0)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_logsumexp_is_stable_and_signed():
    big = np.array([1000.0, 1000.0, -1000.0])
    np.testing.assert_allclose(special.logsumexp(big), 1000.0 + np.log(2.0), rtol=1e-15)
    np.testing.assert_allclose(ad.grad(special.logsumexp)(big), [0.5, 0.5, 0.0], atol=1e-300)
    b = np.array([1.0, -2.0, 0.5])
    a = np.array([0.3, 0.1, -0.4])
    got, sign = special.logsumexp(a, b=b, return_sign=True)
    want, wsign = sc.logsumexp(a, b=b, return_sign=True)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert sign == wsign == -1.0
    # d log|s| / db_i = exp(a_i) / s, with s negative
    grad_b = ad.grad(lambda w: special.logsumexp(a, b=w, return_sign=True)[0])(b)
    np.testing.assert_allclose(grad_b, np.exp(a) / np.sum(b * np.exp(a)), rtol=1e-13)
    assert np.isnan(special.logsumexp(a, b=b))  # a negative sum without return_sign, as SciPy
    # entries weighted by 0 are left out (SciPy): an a of +inf there does not count
    np.testing.assert_allclose(special.logsumexp(np.array([np.inf, 1.0]), b=np.array([0.0, 1.0])), sc.logsumexp([np.inf, 1.0], b=[0.0, 1.0]))
    assert special.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf


def test_polygamma_and_ufunc_reexports():
    assert special.gammaln is sc.gammaln and special.psi is sc.psi and special.xlogy is sc.xlogy
    x = np.array([0.7, 1.9, 3.2])
    np.testing.assert_allclose(special.polygamma(2, x), sc.polygamma(2, x), rtol=1e-13)
    np.testing.assert_allclose(ad.grad(lambda v: np.sum(special.polygamma(1, v)))(x), sc.polygamma(2, x), rtol=1e-12)
    np.testing.assert_allclose(ad.grad(lambda v: np.sum(special.gammaln(v)))(x), sc.digamma(x), rtol=1e-13)


def test_outside_the_support_and_invalid_parameters_as_scipy():
    xs = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    for ours, theirs, args in [
        (stats.gamma.logpdf, st.gamma.logpdf, (xs, 1.0)), (stats.gamma.logpdf, st.gamma.logpdf, (xs, 2.5)),
        (stats.gamma.cdf, st.gamma.cdf, (xs, 2.5)), (stats.gamma.sf, st.gamma.sf, (xs, 2.5)),
        (stats.beta.logpdf, st.beta.logpdf, (xs, 2.0, 3.0)), (stats.beta.pdf, st.beta.pdf, (xs, 1.0, 3.0)),
        (stats.expon.logpdf, st.expon.logpdf, (xs,)), (stats.expon.cdf, st.expon.cdf, (xs,)),
        (stats.expon.sf, st.expon.sf, (xs,)),
        (stats.poisson.logpmf, st.poisson.logpmf, (np.array([-1.0, 0.0, 1.5, 2.0]), 3.0)),
        (stats.poisson.cdf, st.poisson.cdf, (np.array([-1.0, 0.0, 1.5, 2.0]), 3.0)),
        (stats.poisson.sf, st.poisson.sf, (np.array([-1.0, 0.0, 1.5, 2.0]), 3.0)),
        (stats.norm.logpdf, st.norm.logpdf, (xs, 0.0, np.array([1.0, -1.0, 0.0, 2.0, 1.0]))),
        (stats.t.logpdf, st.t.logpdf, (xs, np.array([3.0, -1.0, 2.0, 0.0, 1.0]))),
    ]:
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-12, atol=1e-12)
    # the derivative in a parameter stays finite where some points are outside the support
    got = ad.grad(lambda a: np.sum(stats.gamma.logpdf(np.array([-1.0, 2.0]), a)), mode="forward")(2.5)
    np.testing.assert_allclose(got, np.log(2.0) - sc.digamma(2.5), rtol=1e-13)
    got = ad.grad(lambda v: np.sum(np.where(v > 0, stats.gamma.logpdf(v, 2.5), 0.0)))(np.array([-1.0, 2.0]))
    np.testing.assert_allclose(got, [0.0, 1.5 / 2.0 - 1.0], rtol=1e-13)


def test_multivariate_normal_reads_parameters_as_scipy():
    for x, mean, cov in [(PTS, MEAN, np.array([1.0, 2.0, 3.0])), (np.ones(4), 0.0, 2.0),
                         (PTS[:1], MEAN, COV), (rng.normal(size=(2, 5, 3)), MEAN, COV), (0.3, None, 1)]:
        got = stats.multivariate_normal.logpdf(x, mean, cov)
        want = st.multivariate_normal.logpdf(x, mean, cov)
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(stats.multivariate_normal.entropy(MEAN, COV),
                               st.multivariate_normal.entropy(MEAN, COV), rtol=1e-13)
    # d entropy / d cov = inv(cov) / 2 (the symmetric gradient)
    np.testing.assert_allclose(ad.grad(lambda c: stats.multivariate_normal.entropy(MEAN, c))(COV),
                               0.5 * np.linalg.inv(COV), rtol=1e-12)


def test_unsupported_keywords_are_refused_clearly():
    with pytest.raises(AdmodesError, match=r"scipy.stats.norm.logpdf does not take the keyword 'moments'"):
        stats.norm.logpdf(X, moments="mv")
    with pytest.raises(AdmodesError, match=r"allow_singular=True is not supported"):
        stats.multivariate_normal.logpdf(PTS, MEAN, COV, allow_singular=True)
    with pytest.raises(AdmodesError, match=r"scipy.special.logsumexp does not take the keyword 'where'"):
        special.logsumexp(A, where=A > 0)


def test_import_admodes_does_not_import_the_namespace():
    code = "import sys, admodes; print('admodes.scipy' in sys.modules); import admodes.scipy.stats as s; print(s.norm.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "admodes.scipy.stats.norm"]
