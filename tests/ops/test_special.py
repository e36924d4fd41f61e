"""Spec table: scipy.special's ufuncs (admodes.ops.special) against jax.scipy.special.

Each ``SPECS`` row runs every check of ``check_all`` (values, JVP, VJP, Jacobians in both
modes and chunk sizes, the replay, central differences, the second-order nestings, float32)
with ``sp(xp)``: scipy.special on the NumPy side, jax.scipy.special on the oracle side.
Domains keep each function away from its poles and branch points.

JAX lacks some of them. ``erfcinv``, ``log_expit`` and ``softplus`` are compared with JAX
through an identity (erfcinv(y) = erfinv(1 - y), log_expit = log_sigmoid, softplus =
logaddexp(0, x)). The Bessel functions j0, j1, y0, y1 have no JAX counterpart: their rows
(``CLOSED_FORM``) compare with the closed-form derivatives (J0' = -J1, J1' = J0 - J1/x,
Y0' = -Y1, Y1' = Y0 - Y1/x, and the derivatives of those) evaluated by SciPy, and with
central differences of the values and of admodes' own gradient.
"""

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
import pytest

sc = pytest.importorskip("scipy.special")

import admodes as ad  # noqa: E402
from admodes.ops import special  # noqa: E402

from .harness import OpSpec, assert_close, check_all, check_jacobian_values  # noqa: E402

BROADCASTS = [((3,), (2, 3)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ())]
POS = (0.5, 3.0)
UNIT = (0.05, 0.95)


def sp(xp):
    """The special-function module that goes with the array module ``xp``."""
    return sc if xp is np else jsp


def polygamma(xp, n, x):
    # scipy.special.polygamma is a Python function that calls np.asarray (refused by a
    # traced value): admodes' own polygamma on the NumPy side
    return special.polygamma(n, x) if xp is np else jsp.polygamma(n, x)


def erfcinv(xp, y):
    return sc.erfcinv(y) if xp is np else jsp.erfinv(1.0 - y)


def log_expit(xp, x):
    return sc.log_expit(x) if xp is np else jax.nn.log_sigmoid(x)


def like(value, x):
    """A scalar constant in x's dtype. (SciPy's binary ufuncs turn float32 and a Python float
    into float64, unlike NumPy's; Python-number operands have their own test below.)"""
    return np.asarray(value, dtype=x.dtype)


def _binary_rows(name, fun, domain):
    return [OpSpec(f"{name} {a}x{b}", fun, (a, b), domain=domain) for a, b in BROADCASTS]


def _rel_entr_mixed(rng):
    """p and q with entries of every case: both positive, p = 0, a negative one."""
    p = rng.uniform(0.3, 2.0, (2, 4))
    q = rng.uniform(0.3, 2.0, (2, 4))
    p[0, 1] = 0.0
    p[1, 2] = -0.5
    q[1, 3] = -0.7
    return p, q


def _xlogy_with_zero_x(rng):
    x = rng.uniform(0.2, 2.0, (2, 3))
    x[0, 0] = x[1, 2] = 0.0
    return x, rng.uniform(0.5, 2.0, (2, 3))


SPECS = [
    # ---- gamma family
    OpSpec("gammaln", lambda xp, x: sp(xp).gammaln(x), ((2, 3),), domain=(0.2, 4.0)),
    OpSpec("gammaln negative non-integers", lambda xp, x: sp(xp).gammaln(x), ((4,),),
           draw=lambda rng: (np.array([-0.5, -1.3, -2.7, -3.6]) + rng.uniform(-0.05, 0.05, 4),)),
    OpSpec("digamma", lambda xp, x: sp(xp).digamma(x), ((2, 3),), domain=(0.3, 4.0)),
    OpSpec("psi (digamma's other name)", lambda xp, x: (sc.psi if xp is np else jsp.digamma)(x), ((3,),), domain=POS),
    OpSpec("polygamma(1, x)", lambda xp, x: polygamma(xp, 1, x), ((2, 3),), domain=POS),
    OpSpec("polygamma(2, x)", lambda xp, x: polygamma(xp, 2, x), ((2, 3),), domain=POS),
    OpSpec("polygamma(0, x) = digamma", lambda xp, x: polygamma(xp, 0, x), ((3,),), domain=POS),
    OpSpec("gamma", lambda xp, x: sp(xp).gamma(x), ((2, 3),), domain=(0.3, 3.5)),
    OpSpec("gamma negative non-integers", lambda xp, x: sp(xp).gamma(x), ((3,),),
           draw=lambda rng: (np.array([-0.5, -1.5, -2.5]) + rng.uniform(-0.1, 0.1, 3),)),
    OpSpec("loggamma (real, x > 0)", lambda xp, x: sp(xp).loggamma(x), ((2, 3),), domain=POS),
    *_binary_rows("betaln", lambda xp, a, b: sp(xp).betaln(a, b), POS),
    OpSpec("betaln(a, 2.5)", lambda xp, a: sp(xp).betaln(a, like(2.5, a)), ((2, 3),), domain=POS),
    OpSpec("gammainc(a const, x)", lambda xp, x: sp(xp).gammainc(like([0.5, 1.5, 3.0], x), x), ((2, 3),),
           domain=(0.2, 4.0)),
    OpSpec("gammaincc(a const, x)", lambda xp, x: sp(xp).gammaincc(like([[0.7], [2.5]], x), x), ((2, 3),),
           domain=(0.2, 4.0)),
    OpSpec("gammainc(2.5, x) scalar a", lambda xp, x: sp(xp).gammainc(like(2.5, x), x), ((3,),), domain=(0.2, 4.0)),
    OpSpec("gammainc(1, x) = 1 - exp(-x)", lambda xp, x: sp(xp).gammainc(like(1.0, x), x), ((3,),), domain=(0.2, 3.0)),
    # ---- error function family
    OpSpec("erf", lambda xp, x: sp(xp).erf(x), ((2, 3),)),
    OpSpec("erfc", lambda xp, x: sp(xp).erfc(x), ((2, 3),)),
    OpSpec("erfinv", lambda xp, y: sp(xp).erfinv(y), ((2, 3),), domain=(-0.9, 0.9)),
    OpSpec("erfcinv (JAX: erfinv(1 - y))", erfcinv, ((2, 3),), domain=(0.1, 1.9)),
    OpSpec("erfcx", lambda xp, x: sp(xp).erfcx(x), ((2, 3),), domain=(-1.5, 4.0)),
    OpSpec("ndtr", lambda xp, x: sp(xp).ndtr(x), ((2, 3),), domain=(-3.0, 3.0)),
    OpSpec("ndtri", lambda xp, p: sp(xp).ndtri(p), ((2, 3),), domain=UNIT, rtol=1e-6),
    OpSpec("log_ndtr", lambda xp, x: sp(xp).log_ndtr(x), ((2, 3),), domain=(-6.0, 4.0)),
    OpSpec("log_ndtr left tail", lambda xp, x: sp(xp).log_ndtr(x), ((3,),), domain=(-30.0, -20.0)),
    # ---- logistic family
    OpSpec("expit", lambda xp, x: sp(xp).expit(x), ((2, 3),), domain=(-5.0, 5.0)),
    OpSpec("logit", lambda xp, p: sp(xp).logit(p), ((2, 3),), domain=UNIT),
    OpSpec("log_expit (JAX: log_sigmoid)", log_expit, ((2, 3),), domain=(-6.0, 6.0)),
    OpSpec("logit(expit(x)) = x", lambda xp, x: sp(xp).logit(sp(xp).expit(x)), ((3,),)),
    # ---- x log y and entropies
    *_binary_rows("xlogy", lambda xp, x, y: sp(xp).xlogy(x, y), POS),
    OpSpec("xlogy with x = 0 entries", lambda xp, x, y: sp(xp).xlogy(x, y), (), draw=_xlogy_with_zero_x),
    OpSpec("xlogy(x, 2.0)", lambda xp, x: sp(xp).xlogy(x, like(2.0, x)), ((2, 3),)),
    OpSpec("xlogy(1.5, y)", lambda xp, y: sp(xp).xlogy(like(1.5, y), y), ((2, 3),), domain=POS),
    *_binary_rows("xlog1py", lambda xp, x, y: sp(xp).xlog1py(x, y), (-0.5, 2.0)),
    OpSpec("xlog1py with x = 0 entries", lambda xp, x, y: sp(xp).xlog1py(x, y), (), draw=_xlogy_with_zero_x),
    OpSpec("xlog1py(x, 0.5)", lambda xp, x: sp(xp).xlog1py(x, like(0.5, x)), ((3,),)),
    OpSpec("entr", lambda xp, x: sp(xp).entr(x), ((2, 3),), domain=(0.1, 3.0)),
    *_binary_rows("rel_entr", lambda xp, p, q: sp(xp).rel_entr(p, q), POS),
    OpSpec("rel_entr(p, 0.7)", lambda xp, p: sp(xp).rel_entr(p, 0.7), ((3,),), domain=POS),
    # entries with p = 0 or a negative argument: slopes 0 there (finite differences agree
    # except at p = 0, where the one-sided slope is -inf; rel_entr is inf at the negative ones)
    OpSpec("rel_entr mixed cases", lambda xp, p, q: xp.where(xp.isfinite(sp(xp).rel_entr(p, q)), sp(xp).rel_entr(p, q), 0.0),
           (), draw=_rel_entr_mixed, fd=False),
    *_binary_rows("kl_div", lambda xp, p, q: sp(xp).kl_div(p, q), POS),
    OpSpec("kl_div mixed cases", lambda xp, p, q: xp.where(xp.isfinite(sp(xp).kl_div(p, q)), sp(xp).kl_div(p, q), 0.0),
           (), draw=_rel_entr_mixed, fd=False),
    # ---- modified Bessel functions (away from 0: the conventions at 0 are tested below)
    OpSpec("i0", lambda xp, x: sp(xp).i0(x), ((2, 3),), domain=(-3.0, 3.0)),
    OpSpec("i1", lambda xp, x: sp(xp).i1(x), ((2, 3),), domain=(-3.0, 3.0)),
    OpSpec("i0e", lambda xp, x: sp(xp).i0e(x), ((2, 3),), domain=(-3.0, 3.0)),
    OpSpec("i1e", lambda xp, x: sp(xp).i1e(x), ((2, 3),), domain=(-3.0, 3.0)),
    OpSpec("i0e large x", lambda xp, x: sp(xp).i0e(x), ((3,),), domain=(50.0, 500.0)),
    # ---- compositions: a log-likelihood and a chain of special functions
    OpSpec("gamma log-density", lambda xp, x, k: (k - 1) * xp.log(x) - x - sp(xp).gammaln(k), ((3,), (3,)), domain=POS),
    OpSpec("chain erf(expit(gammaln))", lambda xp, x: sp(xp).erf(sp(xp).expit(sp(xp).gammaln(x))) * sp(xp).i1(x),
           ((2, 3),), domain=POS),
    OpSpec("0-d digamma", lambda xp, x: sp(xp).digamma(x) * sp(xp).ndtr(x), ((),), domain=POS),
]

if hasattr(sc, "softplus"):  # SciPy >= 1.15: a Python function that calls np.logaddexp(0, x)
    SPECS.append(OpSpec("softplus (JAX: logaddexp(0, x))", lambda xp, x: sc.softplus(x) if xp is np else jnp.logaddexp(0.0, x),
                        ((2, 3),), domain=(-5.0, 5.0)))


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


# ---- JAX's conventions at the edges of the domains: hand-computed Jacobians, confirmed by JAX
D = np.diag
INF, NAN = np.inf, np.nan
CONVENTIONS = [
    # xlogy(x, y) at x = 0: d/dx = log(y), d/dy = x / y (so -inf and nan at y = 0)
    (OpSpec("xlogy at (0, 2)", lambda xp, x, y: sp(xp).xlogy(x, y), ((), ())), (0.0, 2.0), (np.log(2.0), 0.0)),
    # (at y = 0 one argument at a time: a forward sweep over both would add nan * 0 to -inf)
    (OpSpec("xlogy(x, 0)' at x = 0", lambda xp, x: sp(xp).xlogy(x, like(0.0, x)), ((),)), (0.0,), (-INF,)),
    (OpSpec("xlogy(0, y)' at y = 0", lambda xp, y: sp(xp).xlogy(like(0.0, y), y), ((),)), (0.0,), (NAN,)),
    (OpSpec("xlog1py at (0, 1)", lambda xp, x, y: sp(xp).xlog1py(x, y), ((), ())), (0.0, 1.0), (np.log(2.0), 0.0)),
    (OpSpec("xlog1py(x, -1)' at x = 0", lambda xp, x: sp(xp).xlog1py(x, like(-1.0, x)), ((),)), (0.0,), (-INF,)),
    (OpSpec("xlog1py(0, y)' at y = -1", lambda xp, y: sp(xp).xlog1py(like(0.0, y), y), ((),)), (-1.0,), (NAN,)),
    # entr: -(log x + 1), +inf at 0; nan where x < 0 (where entr is -inf)
    (OpSpec("entr' at 0", lambda xp, x: sp(xp).entr(x), ((),)), (0.0,), (INF,)),
    (OpSpec("entr' at -1", lambda xp, x: sp(xp).entr(x), ((),)), (-1.0,), (NAN,)),
    # rel_entr / kl_div: the slopes of p log(p/q) only where p > 0 and q > 0
    (OpSpec("rel_entr off the positive quadrant", lambda xp, p, q: sp(xp).rel_entr(p, q), ((4,), (4,))),
     ([0.0, 0.0, 1.0, -1.0], [1.0, 0.0, 0.0, 1.0]), (D([0.0] * 4), D([0.0] * 4))),
    (OpSpec("kl_div off the positive quadrant", lambda xp, p, q: sp(xp).kl_div(p, q), ((4,), (4,))),
     ([0.0, 0.0, 1.0, -1.0], [1.0, 0.0, 0.0, 1.0]), (D([-1.0] * 4), D([1.0] * 4))),
    # Bessel functions at 0: the limits of the formulas; i0e's kink gets the mean slope 0
    (OpSpec("i1'(0) = 1/2", lambda xp, x: sp(xp).i1(x), ((2,),)), ([0.0, 1.0],), (D([0.5, sc.i0(1.0) - sc.i1(1.0)]),)),
    (OpSpec("i1e'(0) = 1/2", lambda xp, x: sp(xp).i1e(x), ((1,),)), ([0.0],), (D([0.5]),)),
    (OpSpec("i0e'(0) = 0", lambda xp, x: sp(xp).i0e(x), ((1,),)), ([0.0],), (D([0.0]),)),
    # gammainc in x at x = 0: x**(a-1) e^-x / Gamma(a) is inf for a < 1, 0 for a > 1
    (OpSpec("gammainc(0.5, x)' at 0", lambda xp, x: sp(xp).gammainc(like(0.5, x), x), ((),)), (0.0,), (INF,)),
    (OpSpec("gammainc(2, x)' at 0", lambda xp, x: sp(xp).gammainc(like(2.0, x), x), ((),)), (0.0,), (0.0,)),
    # the inverse functions at the ends of their domains
    (OpSpec("logit' at 0", lambda xp, p: sp(xp).logit(p), ((),)), (0.0,), (INF,)),
    (OpSpec("logit' at 1", lambda xp, p: sp(xp).logit(p), ((),)), (1.0,), (INF,)),
    (OpSpec("erfinv' at -1", lambda xp, y: sp(xp).erfinv(y), ((),)), (-1.0,), (INF,)),
    (OpSpec("erfinv' at 1", lambda xp, y: sp(xp).erfinv(y), ((),)), (1.0,), (INF,)),
]


@pytest.mark.parametrize("spec, args, expected", CONVENTIONS, ids=[str(c[0]) for c in CONVENTIONS])
def test_convention(spec, args, expected):
    with np.errstate(divide="ignore", invalid="ignore"):
        check_jacobian_values(spec, args, expected)


def _jacobians(f, x):
    return {f"{mode} chunk={chunk}": ad.jacobian(f, mode=mode, chunk=chunk)(x)
            for mode in ("forward", "reverse") for chunk in (None, 1)}


# ---- where admodes gives the true derivative and JAX an artifact of its construction


def test_i0_slope_at_zero_is_i1_of_zero():
    """i0'(0) = i1(0) = 0 and i0''(0) = i1'(0) = 1/2, i1''(0) = 0 (i1 is odd, i1' even).

    JAX builds i0 as exp(|x|) i0e(x), with |x|'s slope 1 at 0 but sign(0) = 0 in i0e's
    rule, and gets i0'(0) = 1 (and i0''(0) = 1.5, i1''(0) = 1); central differences agree
    with admodes.
    """
    x = np.array([0.0])
    for what, jac in _jacobians(sc.i0, x).items():
        assert_close(jac, [[0.0]], 0, 1e-15, f"i0'(0), {what}")
    assert float(jax.grad(jsp.i0)(0.0)) == 1.0  # the artifact this test documents
    eps = 1e-5
    assert_close((sc.i0(eps) - sc.i0(-eps)) / (2 * eps), 0.0, 0, 1e-12, "central difference of i0 at 0")
    for outer in ("forward", "reverse"):
        for inner in ("forward", "reverse"):
            h0 = ad.jacobian(ad.grad(lambda v: np.sum(sc.i0(v)), mode=inner), mode=outer)(x)
            h1 = ad.jacobian(ad.grad(lambda v: np.sum(sc.i1(v)), mode=inner), mode=outer)(x)
            assert_close(h0, [[0.5]], 0, 1e-15, f"i0''(0), {outer}-over-{inner}")
            assert_close(h1, [[0.0]], 0, 1e-15, f"i1''(0), {outer}-over-{inner}")
    # near 0 too: i1''(x) = 3x/8 + O(x^3) (i0 - i1/x, differentiated, would cancel there)
    tiny = np.array([1e-300, 1e-8, 1e-4])
    h = ad.hessian(lambda v: np.sum(sc.i1(v)))(tiny)
    assert_close(np.diag(h), 3 * tiny / 8, 1e-6, 1e-300, "i1'' near 0")


def test_gammainc_slope_at_zero_for_a_equal_one():
    """gammainc(1, x) = 1 - e^-x has slope 1 at x = 0; JAX's exp((a - 1) log x) is nan there."""
    x = np.array([0.0, 0.5])
    for what, jac in _jacobians(lambda v: sc.gammainc(1.0, v), x).items():
        assert_close(jac, np.diag(np.exp(-x)), 0, 1e-15, f"gammainc(1, x)' {what}")
    assert np.isnan(float(jax.grad(lambda v: jsp.gammainc(1.0, v))(0.0)))


def test_ndtri_slope_at_the_ends_is_infinite():
    """ndtri' = sqrt(2 pi) exp(ndtri(p)^2 / 2) tends to +inf at p = 0 and 1 (as erfinv' at
    +-1, in admodes and JAX); JAX's ndtri gives 0 there."""
    p = np.array([0.0, 1.0])
    with np.errstate(over="ignore", invalid="ignore"):  # (inf * 0 off the diagonal of a sweep)
        for what, jac in _jacobians(sc.ndtri, p).items():
            assert np.all(np.diag(jac) == np.inf), f"ndtri' at 0 and 1, {what}: {np.diag(jac)}"
    assert_close(jax.vmap(jax.grad(jsp.ndtri))(jnp.asarray(p)), [0.0, 0.0], 0, 0, "JAX's ndtri' at 0 and 1")


# ---- functions JAX lacks: the closed-form derivatives, and central differences


def _j1_slope(x):
    return np.where(x == 0, 0.5, sc.j0(x) - sc.j1(x) / np.where(x == 0, 1.0, x))


def _y1_slope(x):
    return sc.y0(x) - sc.y1(x) / x


CLOSED_FORM = [
    # name, function, f', f'' (None: checked by differences of admodes' gradient only), domain
    ("j0", sc.j0, lambda x: -sc.j1(x), lambda x: -_j1_slope(x), (-8.0, 8.0)),
    ("j1", sc.j1, _j1_slope, lambda x: -sc.j1(x) - _j1_slope(x) / x + sc.j1(x) / x**2, (-8.0, 8.0)),
    ("y0", sc.y0, lambda x: -sc.y1(x), lambda x: -_y1_slope(x), (0.3, 8.0)),
    ("y1", sc.y1, _y1_slope, lambda x: -sc.y1(x) - _y1_slope(x) / x + sc.y1(x) / x**2, (0.3, 8.0)),
    # any order v (a constant): the derivatives from the three-term identities with a division
    # by x (v/x J_v - J_{v+1} ...), a different formula from the rules' recurrences
    ("jv(2.5, x)", lambda x: sc.jv(2.5, x), lambda x: 2.5 / x * sc.jv(2.5, x) - sc.jv(3.5, x), None, (0.3, 8.0)),
    ("yv(1.2, x)", lambda x: sc.yv(1.2, x), lambda x: sc.yv(0.2, x) - 1.2 / x * sc.yv(1.2, x), None, (0.5, 8.0)),
    ("iv(1.5, x)", lambda x: sc.iv(1.5, x), lambda x: sc.iv(0.5, x) - 1.5 / x * sc.iv(1.5, x), None, (0.3, 4.0)),
    ("kv(0.7, x)", lambda x: sc.kv(0.7, x), lambda x: -sc.kv(1.7, x) + 0.7 / x * sc.kv(0.7, x), None, (0.3, 4.0)),
    ("ive(3, x)", lambda x: sc.ive(3, x), lambda x: (sc.iv(2, x) - 3 / x * sc.iv(3, x)) * np.exp(-np.abs(x))
     - np.sign(x) * sc.ive(3, x), None, (-4.0, 4.0)),
    ("kve(2.0, x)", lambda x: sc.kve(2.0, x), lambda x: (-sc.kv(1.0, x) - 2.0 / x * sc.kv(2.0, x)) * np.exp(x)
     + sc.kve(2.0, x), None, (0.3, 4.0)),
    ("jv(0, x) = j0", lambda x: sc.jv(0.0, x), lambda x: -sc.j1(x), lambda x: -_j1_slope(x), (-6.0, 6.0)),
    ("iv(v array, x)", lambda x: sc.iv(np.array([0.0, 1.0, 2.5]), x),
     lambda x: sc.iv(np.array([1.0, 0.0, 1.5]), x) - np.array([0.0, 1.0, 2.5]) / x * sc.iv(np.array([0.0, 1.0, 2.5]), x),
     None, (0.3, 3.0)),
]


@pytest.mark.parametrize("name, f, d1, d2, domain", CLOSED_FORM, ids=[c[0] for c in CLOSED_FORM])
def test_bessel_without_jax_against_closed_forms(name, f, d1, d2, domain):
    rng = np.random.default_rng(0)
    x = rng.uniform(*domain, (3,))
    t = rng.standard_normal(x.shape)
    w = rng.standard_normal(x.shape)
    # values, JVP, VJP, Jacobians in both modes
    out, tangent = ad.jvp(f, (x,), (t,))
    assert_close(out, f(x), 0, 0, f"{name}: value")
    assert_close(tangent, d1(x) * t, 1e-12, 1e-14, f"{name}: jvp")
    _, pullback = ad.vjp(f, x)
    assert_close(pullback(w)[0], d1(x) * w, 1e-12, 1e-14, f"{name}: vjp")
    for what, jac in _jacobians(f, x.ravel()).items():
        assert_close(jac, np.diag(d1(x.ravel())), 1e-12, 1e-14, f"{name}: {what} jacobian")
    # the closed form itself, by central differences of the values
    eps = 1e-6
    assert_close(d1(x), (f(x + eps) - f(x - eps)) / (2 * eps), 1e-6, 1e-8, f"{name}: f' vs central differences")
    # second order: the four nestings against f'', and f'' against differences of admodes' gradient
    grad = ad.grad(lambda v: np.sum(f(v)))
    grad_fd = (grad(x + eps) - grad(x - eps)) / (2 * eps)
    second = d2(x.ravel()) if d2 is not None else None
    if d2 is not None:
        assert_close(d2(x), grad_fd, 1e-6, 1e-8, f"{name}: f'' vs differences of grad")
    scalar = lambda v: np.sum(f(v) * w.ravel())  # noqa: E731
    for outer in ("forward", "reverse"):
        for inner in ("forward", "reverse"):
            h = ad.jacobian(ad.grad(scalar, mode=inner), mode=outer)(x.ravel())
            if second is not None:
                assert_close(h, np.diag(w.ravel() * second), 1e-10, 1e-12, f"{name}: {outer}-over-{inner} hessian")
            else:
                assert_close(h, np.diag(w.ravel() * grad_fd.ravel()), 1e-6, 1e-8, f"{name}: {outer}-over-{inner} hessian")
    # float32 stays float32 (SciPy's dtype)
    x32 = x.astype(np.float32)
    out32, t32 = ad.jvp(f, (x32,), (t.astype(np.float32),))
    assert out32.dtype == t32.dtype == f(x32).dtype  # float32, but float64 for a float64 array of orders
    assert_close(t32, d1(x) * t, 1e-4, 1e-5, f"{name}: float32 jvp")
    # the replay of a recording at another point
    tape = ad.record(f, rng.uniform(*domain, x.shape))
    assert_close(tape.jacobian(x, mode="reverse"), np.diag(d1(x)), 1e-12, 1e-14, f"{name}: replayed jacobian")


def test_j1_slope_at_zero_is_one_half():
    x = np.array([0.0, 1.0])
    for what, jac in _jacobians(sc.j1, x).items():
        assert_close(jac, np.diag([0.5, sc.j0(1.0) - sc.j1(1.0)]), 0, 1e-15, f"j1'(0), {what}")
    eps = 1e-6
    assert_close((sc.j1(eps) - sc.j1(-eps)) / (2 * eps), 0.5, 1e-9, 0, "central difference of j1 at 0")


# ---- polygamma: SciPy's Python function cannot take a traced value; admodes' can, to any order


def test_polygamma_derivatives_climb_the_orders():
    x = np.array([0.7, 1.5, 3.0])
    third = ad.jacobian(ad.jacobian(ad.grad(lambda v: np.sum(sc.digamma(v)))))(x)
    assert_close(np.einsum("iii->i", third), sc.polygamma(3, x), 1e-12, 0, "digamma''' = polygamma(3, .)")
    for n in (0, 1, 4):
        assert_close(special.polygamma(n, x), sc.polygamma(n, x), 1e-14, 0, f"polygamma({n}, x) value")
        assert_close(ad.grad(lambda v: np.sum(special.polygamma(n, v)))(x), sc.polygamma(n + 1, x), 1e-12, 0,
                     f"polygamma({n}, x)'")
    assert special.polygamma(2, x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("n, message", [(-1, "non-negative integer"), (1.5, "non-negative integer"),
                                        (np.array([1, 2]), "one order")])
def test_polygamma_refuses_bad_orders(n, message):
    with pytest.raises(ad.AdmodesError, match=message):
        ad.grad(lambda v: np.sum(special.polygamma(n, v)))(np.ones(2))


def test_polygamma_refuses_a_traced_order():
    with pytest.raises(ad.AdmodesError, match="order n is a traced value"):
        ad.grad(lambda v: np.sum(special.polygamma(v[0], v)))(np.ones(2))


# ---- refusals, keywords, dtypes, routing


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_bessel_refuses_the_order(mode):
    with pytest.raises(special.SpecialArgumentError, match=r"first argument v \(the order\)"):
        ad.jacobian(lambda v: sc.jv(v, 1.5), mode=mode)(np.array([0.5, 2.0]))


@pytest.mark.parametrize("fun", [sc.gammainc, sc.gammaincc])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_incomplete_gamma_refuses_the_shape_parameter(fun, mode):
    with pytest.raises(special.SpecialArgumentError, match=r"first argument a \(the shape parameter\)") as info:
        ad.jacobian(lambda a: fun(a, 1.5), mode=mode)(np.array([0.5, 2.0]))
    assert isinstance(info.value, NotImplementedError) and isinstance(info.value, ad.AdmodesError)
    # a traced x alongside a constant a works in the same call shape
    got = ad.jacobian(lambda x: fun(np.array([0.5, 2.0]), x), mode=mode)(np.array([1.0, 1.5]))
    assert np.all(np.isfinite(got))


def test_ufunc_keywords_follow_the_ufunc_path():
    x = np.array([0.3, 0.6])
    # dtype= and out= would be ignored by the derivative: refused, as for np.sin
    with pytest.raises(ad.AdmodesError, match="out"):
        ad.grad(lambda v: np.sum(sc.erf(v, out=np.empty(2))))(x)
    # out=None and where=True are what NumPy passes by default
    assert_close(ad.grad(lambda v: np.sum(sc.erf(v, out=None, where=True)))(x),
                 _TWO_OVER_SQRT_PI * np.exp(-x**2), 1e-14, 0, "erf with default keywords")


_TWO_OVER_SQRT_PI = 2 / np.sqrt(np.pi)


@pytest.mark.parametrize("fun", [lambda x: sc.xlogy(x, 2.0), lambda x: sc.xlogy(1.5, x), lambda x: sc.xlog1py(x, 0.5),
                                 lambda x: sc.gammainc(2.0, x), lambda x: sc.rel_entr(x, 0.7), lambda x: sc.kl_div(0.7, x),
                                 lambda x: sc.betaln(x, 2.0)],
                         ids=["xlogy(x, 2.0)", "xlogy(1.5, x)", "xlog1py(x, .5)", "gammainc(2, x)", "rel_entr(x, .7)",
                              "kl_div(.7, x)", "betaln(x, 2)"])
def test_python_number_operands(fun):
    """A Python number beside a float32 array: the primal has SciPy's dtype (float64 for most
    of these ufuncs, float32 for rel_entr and kl_div), tangents and cotangents stay float32,
    and the numbers agree with a float64 computation."""
    x = np.array([0.5, 1.2, 2.0], np.float32)
    out, t = ad.jvp(fun, (x,), (np.ones(3, np.float32),))
    assert out.dtype == fun(x).dtype
    assert t.dtype == np.float32  # the rule's constants (log 2.0, gammaln(2.0) ...) do not promote
    _, pullback = ad.vjp(fun, x)
    assert pullback(np.ones(3, np.float32))[0].dtype == np.float32
    t64 = ad.jvp(fun, (x.astype(np.float64),), (np.ones(3),))[1]
    assert_close(t, t64, 1e-5, 1e-6, "float32 tangent vs float64")


def test_every_routed_ufunc_is_listed_under_its_scipy_names():
    names = set(ad.supported_functions())
    assert {"scipy.special.gammaln", "scipy.special.digamma", "scipy.special.psi", "scipy.special.xlogy",
            "scipy.special.j1"} <= names
    assert "np.gammaln" not in names and "np.psi" not in names
    from admodes import coverage

    rows = {row[0]: row for row in coverage.coverage_rows()}
    assert rows["scipy.special.psi"][1:4] == ("ufunc, primitive `digamma`", "yes", "yes")
    for ufunc, prim in special.ufunc_handlers().items():
        assert isinstance(ufunc, np.ufunc) and prim.jvps is not None and prim.vjps is not None


def test_unrouted_special_function_is_refused():
    with pytest.raises(ad.AdmodesError, match="no derivative rule"):
        ad.grad(lambda x: np.sum(sc.struve(1.5, x)))(np.array([0.5, 1.0]))
