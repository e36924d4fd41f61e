"""Primitives and derivative rules for the ufuncs of ``scipy.special``.

SciPy's special functions are NumPy ufuncs, so ``scipy.special.gammaln(x)`` on a traced
``x`` arrives at the traced value's ``__array_ufunc__`` like ``np.sin(x)`` does;
``ufunc_handlers()`` is the table that routes each ufunc to its primitive here. SciPy is
optional for admodes: this module imports it at the top and is itself imported (by
``admodes.numpy_api``) only when SciPy is installed.

Every rule is written with primitives (the ones of ``ops.elementwise`` and the ones
below), so it differentiates again to any order: ``gammaln' = digamma``,
``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``,
``i0' = i1``, ``i1' = (i0 + iv(2, .)) / 2 = i0 - i1/x``, ``j0' = -j1``,
``j1' = (j0 - jv(2, .)) / 2 = j0 - j1/x`` ... (the Bessel functions of any order, jv, yv, iv,
ive, kv, kve, are primitives too, with a constant order).

Points where a function is not differentiable, or where its derivative is undefined,
follow ``jax.scipy.special`` where JAX has the function (docs/conventions.md):

- ``xlogy(x, y)``: d/dx = log(y), d/dy = x / y, also at x = 0 (so -inf and nan at (0, 0));
  ``xlog1py`` likewise with log1p(y) and x / (1 + y);
- ``entr``: slope -(log x + 1), +inf at 0, nan for x < 0 (where entr is -inf);
- ``rel_entr(p, q)`` and ``kl_div(p, q)``: the slopes of p log(p/q) (and of -p + q) where
  p > 0 and q > 0; elsewhere rel_entr's slopes are 0 and kl_div's are (-1, 1), as in JAX
  (the one-sided slope in p at p = 0 would be -inf);
- ``i0e`` has a kink at 0: slope i1e(0) - sign(0) i0e(0) = 0 (the mean of the one-sided
  slopes -1 and 1); ``i1'(0) = i1e'(0) = j1'(0) = 1/2``.

Where JAX's numbers are artifacts of how it builds a function, admodes gives the true
derivative (each case has a test):

- ``i0'(0) = i1(0) = 0``; JAX gives 1 (it builds i0 as exp(|x|) i0e(x), with |x|'s slope
  1 at 0 but sign(0) = 0 in i0e's rule), and JAX's i0''(0) = 1.5 and i1''(0) = 1 where the
  true values are 1/2 and 0;
- ``d gammainc(a, x)/dx`` at x = 0 with a = 1 is 1 (x**0 taken as 1); JAX's
  exp((a - 1) log x) gives nan there;
- ``ndtri'`` at p = 0 and p = 1 is +inf (the limit, as ``erfinv'`` at +-1 in both); JAX gives 0.

The derivatives of ``gammainc``/``gammaincc`` in the shape parameter ``a`` and of the Bessel
functions in their order ``v`` are not implemented: differentiating in them raises
``SpecialArgumentError`` (an AdmodesError and a NotImplementedError) naming the argument.
``scipy.special.polygamma`` is a Python function that calls np.asarray, which a traced value
refuses; ``polygamma(n, x)`` here is the traced-value version.
"""

from __future__ import annotations

import math
import operator

import numpy as np
import scipy.special as sc

from ..core import AdmodesError, Primitive, Tracer, concrete, decide
from .elementwise import (
    add,
    binary_rules,
    div,
    exp,
    log,
    log1p,
    mul,
    neg,
    reciprocal,
    select,
    square,
    sub,
    unary_rules,
)

__all__ = [
    "gammaln", "digamma", "polygamma", "polygamma_p", "gamma", "loggamma", "betaln", "gammainc",
    "gammaincc", "erf", "erfc", "erfinv", "erfcinv", "erfcx", "expit", "logit", "log_expit", "ndtr",
    "ndtri", "log_ndtr", "xlogy", "xlog1py", "entr", "rel_entr", "kl_div", "i0", "i0e", "i1", "i1e",
    "j0", "j1", "y0", "y1", "jv", "yv", "iv", "ive", "kv", "kve", "SpecialArgumentError", "ufunc_handlers", "public_names",
]


class SpecialArgumentError(AdmodesError, NotImplementedError):
    """A derivative admodes does not implement in one argument of a scipy.special function."""


# Python-float constants: a Python number is a weak scalar, so float32 stays float32
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _is_number(v):
    return type(v) is int or type(v) is float


def _weak(prim, *operands):
    """``prim(*operands)``; a Python float when every operand is a Python number.

    A constant operand of a binary ufunc may be a Python number (xlogy(x, 2.0)); a rule's
    expression in that operand alone, computed by NumPy, would be a float64 NumPy scalar
    and turn a float32 derivative into float64. Computed here it stays a weak scalar.
    """
    if all(_is_number(v) for v in operands):
        with np.errstate(all="ignore"):
            return float(prim.impl(*operands))
    return prim(*operands)


def _unary(name, impl, local_derivative, saves="args_only"):
    return unary_rules(Primitive(name, impl, saves=saves), local_derivative)


def _sign(v):
    """sign(v) as a constant of v's dtype, 0 at 0 (lax.sign's value, used by JAX's i0e/i1e rules)."""
    return np.sign(v)


# ---------------------------------------------------------------- gamma family


def _polygamma_impl(x, n):
    if n == 0:
        return sc.digamma(x)
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x); a Python float factor keeps x's dtype
    factor = float(math.factorial(n)) if n <= 170 else math.inf
    return (factor if n % 2 else -factor) * sc.zeta(n + 1, x)


# polygamma(n, x) with the order n a static parameter (a non-negative Python int)
polygamma_p = Primitive("polygamma", _polygamma_impl, saves="args_only")
polygamma_p.defjvp(lambda t, nb, out, x, n: mul(t, polygamma_p(x, n=n + 1)))
polygamma_p.defvjp(lambda g, nb, out, x, n: mul(g, polygamma_p(x, n=n + 1)))


def _order(n):
    """polygamma's order as a Python int, or a clear refusal."""
    if isinstance(n, Tracer):
        raise AdmodesError(
            "polygamma(n, x): the order n is a traced value; it must be a constant non-negative "
            "integer (the derivative in n is not defined). Pass n as a plain Python int."
        )
    if np.ndim(n) != 0:
        raise AdmodesError(
            f"polygamma(n, x) on traced values takes one order n (a Python int), not an array of "
            f"shape {np.shape(n)}; call it once per order and combine the results (np.stack or np.where)."
        )
    try:
        order = operator.index(n) if not isinstance(n, float | np.floating) else None
    except TypeError:
        order = None
    if order is None and float(n).is_integer():
        order = int(n)
    if order is None or order < 0:
        raise AdmodesError(f"polygamma(n, x): the order n must be a non-negative integer, got {n!r}.")
    return order


def polygamma(n, x):
    """``scipy.special.polygamma(n, x)`` for a traced ``x`` (``n`` a non-negative integer constant).

    SciPy's polygamma is a Python function that converts its arguments with np.asarray,
    which a traced value refuses; call this one instead. Its derivative in x is
    polygamma(n + 1, x), to any order.
    """
    return polygamma_p(x, n=_order(n))


digamma = _unary("digamma", sc.digamma, lambda out, x: polygamma_p(x, n=1))
gammaln = _unary("gammaln", sc.gammaln, lambda out, x: digamma(x))
# loggamma on reals: log Gamma(x) for x > 0 (nan below, as SciPy), slope digamma(x)
loggamma = _unary("loggamma", sc.loggamma, lambda out, x: digamma(x))
gamma = _unary("gamma", sc.gamma, lambda out, x: mul(out, digamma(x)), saves="both")

# betaln(a, b) = gammaln(a) + gammaln(b) - gammaln(a + b)
betaln = binary_rules(
    Primitive("betaln", sc.betaln, saves="args_only"),
    lambda out, a, b: sub(digamma(a), digamma(add(a, b))),
    lambda out, a, b: sub(digamma(b), digamma(add(a, b))),
)


def _refuse_shape_parameter(name):
    def rule(*args, **params):
        raise SpecialArgumentError(
            f"scipy.special.{name}(a, x): the derivative in the first argument a (the shape "
            "parameter) is not implemented in admodes; only x may depend on the variables you "
            "differentiate. Keep a constant, or give the enclosing function its own rule with "
            "ad.custom_jvp / ad.custom_vjp."
        )

    return rule


def _gammainc_dx(out, a, x):
    """d gammainc(a, x)/dx = x**(a-1) e^(-x) / Gamma(a), as exp(xlogy(a - 1, x) - x - gammaln(a)).

    xlogy keeps x**0 = 1 at x = 0 for a = 1 (JAX's (a - 1) log x gives nan there).
    """
    if _is_number(a):
        # in x's dtype: SciPy's xlogy turns a Python float and a float32 array into float64
        a_minus_1 = np.asarray(a - 1, dtype=np.result_type(concrete(x)))
    else:
        a_minus_1 = sub(a, 1)
    return exp(sub(sub(xlogy(a_minus_1, x), x), _weak(gammaln, a)))


def _def_incomplete_gamma(name, impl, sign):
    prim = Primitive(name, impl, saves="args_only")
    refuse = _refuse_shape_parameter(name)
    if sign > 0:
        dx = _gammainc_dx
    else:
        def dx(out, a, x):
            return neg(_gammainc_dx(out, a, x))
    return binary_rules(prim, refuse, dx)


# ---------------------------------------------------------------- error function family


def _gaussian(x):
    """e^(-x^2)."""
    return exp(neg(square(x)))


erf = _unary("erf", sc.erf, lambda out, x: mul(_TWO_OVER_SQRT_PI, _gaussian(x)))
erfc = _unary("erfc", sc.erfc, lambda out, x: mul(-_TWO_OVER_SQRT_PI, _gaussian(x)))
# inverse functions: the slope is 1 / f'(f^-1(y)), read off the output
erfinv = _unary("erfinv", sc.erfinv, lambda out, y: mul(_SQRT_PI_OVER_2, exp(square(out))), saves="out_only")
erfcinv = _unary("erfcinv", sc.erfcinv, lambda out, y: mul(-_SQRT_PI_OVER_2, exp(square(out))), saves="out_only")
# erfcx(x) = e^(x^2) erfc(x): slope 2 x erfcx(x) - 2/sqrt(pi)
erfcx = _unary("erfcx", sc.erfcx, lambda out, x: sub(mul(mul(2.0, x), out), _TWO_OVER_SQRT_PI), saves="both")


def _std_normal_pdf(x):
    return mul(1.0 / _SQRT_2PI, exp(mul(-0.5, square(x))))


ndtr = _unary("ndtr", sc.ndtr, lambda out, x: _std_normal_pdf(x))
ndtri = _unary("ndtri", sc.ndtri, lambda out, p: mul(_SQRT_2PI, exp(mul(0.5, square(out)))), saves="out_only")
# log ndtr(x): slope pdf(x) / ndtr(x) = exp(log pdf(x) - log ndtr(x)), accurate far in the left tail
log_ndtr = _unary(
    "log_ndtr", sc.log_ndtr,
    lambda out, x: exp(sub(sub(mul(-0.5, square(x)), _HALF_LOG_2PI), out)),
    saves="both",
)

# ---------------------------------------------------------------- logistic family

expit = _unary("expit", sc.expit, lambda out, x: mul(out, sub(1.0, out)), saves="out_only")
logit = _unary("logit", sc.logit, lambda out, p: reciprocal(mul(p, sub(1.0, p))))
# log expit(x) = -log(1 + e^-x): slope expit(-x) (= 1 - expit(x), without the cancellation)
log_expit = _unary("log_expit", sc.log_expit, lambda out, x: expit(neg(x)))

# ---------------------------------------------------------------- x log y and entropies

xlogy = binary_rules(
    Primitive("xlogy", sc.xlogy, saves="args_only"),
    lambda out, x, y: _weak(log, y),
    lambda out, x, y: div(x, y),
)
xlog1py = binary_rules(
    Primitive("xlog1py", sc.xlog1py, saves="args_only"),
    lambda out, x, y: _weak(log1p, y),
    lambda out, x, y: div(x, add(1.0, y)),
)

gammainc = _def_incomplete_gamma("gammainc", sc.gammainc, +1)
gammaincc = _def_incomplete_gamma("gammaincc", sc.gammaincc, -1)


def _negative(v):
    return v < 0


def _entr_slope(out, x):
    """-(log x + 1); nan where x < 0 (entr is -inf there; JAX's nan), without log's warning."""
    negative = decide(_negative, x)
    if not np.any(negative):
        return neg(add(log(x), 1.0))
    return select(negative, np.nan, neg(add(log(select(negative, 1.0, x)), 1.0)))


entr = _unary("entr", sc.entr, _entr_slope)


def _both_positive(p, q):
    return (p > 0) & (q > 0)


def _where_positive(p, q, fn, fill):
    """``fn(p, q)`` where p > 0 and q > 0, ``fill`` elsewhere: JAX's rel_entr slopes."""
    mask = decide(_both_positive, p, q)
    if np.all(mask):
        return fn(p, q)
    if not np.any(mask):
        return fill
    safe_p = p if _is_number(p) else select(mask, p, 1.0)
    safe_q = q if _is_number(q) else select(mask, q, 1.0)
    return select(mask, fn(safe_p, safe_q), fill)


def _log_ratio(p, q):
    return sub(log(p), _weak(log, q))


def _log_ratio_plus_1(p, q):
    return add(_log_ratio(p, q), 1.0)


def _minus_ratio(p, q):
    return neg(div(p, q))


# rel_entr(p, q) = p log(p/q): slopes log(p/q) + 1 and -p/q
rel_entr = binary_rules(
    Primitive("rel_entr", sc.rel_entr, saves="args_only"),
    lambda out, p, q: _where_positive(p, q, _log_ratio_plus_1, 0.0),
    lambda out, p, q: _where_positive(p, q, _minus_ratio, 0.0),
)
# kl_div(p, q) = rel_entr(p, q) - p + q: slopes log(p/q) and 1 - p/q
kl_div = binary_rules(
    Primitive("kl_div", sc.kl_div, saves="args_only"),
    lambda out, p, q: _where_positive(p, q, _log_ratio, -1.0),
    lambda out, p, q: _where_positive(p, q, lambda p, q: sub(1.0, div(p, q)), 1.0),
)

# ---------------------------------------------------------------- Bessel functions
# Slopes by the order recurrences, which need no division by x (no cancellation near 0 and
# the right limit at 0 at every order): J_v' = (J_{v-1} - J_{v+1}) / 2, Y_v' likewise,
# I_v' = (I_{v-1} + I_{v+1}) / 2, K_v' = -(K_{v-1} + K_{v+1}) / 2. The scaled ive = I_v e^-|x|
# and kve = K_v e^x add -sign(x) ive and +kve. So i1' = (i0 + iv(2, .)) / 2 = i0 - i1/x, 1/2 at
# 0, and j1' = (j0 - jv(2, .)) / 2 = j0 - j1/x. The order v is a constant: differentiating in
# it raises SpecialArgumentError.


def _refuse_order(name):
    def rule(*args, **params):
        raise SpecialArgumentError(
            f"scipy.special.{name}(v, x): the derivative in the first argument v (the order) is not "
            "implemented in admodes; only x may depend on the variables you differentiate. Keep the "
            "order constant, or give the enclosing function its own rule with ad.custom_jvp / ad.custom_vjp."
        )

    return rule


def _shift(v, k):
    """The order v + k (v a constant: plain arithmetic; a Python number stays one)."""
    return v + k if _is_number(v) else add(v, float(k))


def _bessel_with_order(name, impl, slope, saves="args_only"):
    return binary_rules(Primitive(name, impl, saves=saves), _refuse_order(name), slope)


def _half(a):
    return mul(0.5, a)


jv = _bessel_with_order("jv", sc.jv, lambda out, v, x: _half(sub(jv(_shift(v, -1), x), jv(_shift(v, 1), x))))
yv = _bessel_with_order("yv", sc.yv, lambda out, v, x: _half(sub(yv(_shift(v, -1), x), yv(_shift(v, 1), x))))
iv = _bessel_with_order("iv", sc.iv, lambda out, v, x: _half(add(iv(_shift(v, -1), x), iv(_shift(v, 1), x))))
kv = _bessel_with_order("kv", sc.kv, lambda out, v, x: mul(-0.5, add(kv(_shift(v, -1), x), kv(_shift(v, 1), x))))
ive = _bessel_with_order("ive", sc.ive, lambda out, v, x: sub(
    _half(add(ive(_shift(v, -1), x), ive(_shift(v, 1), x))), mul(decide(_sign, x), out)), saves="both")
kve = _bessel_with_order("kve", sc.kve, lambda out, v, x: add(
    mul(-0.5, add(kve(_shift(v, -1), x), kve(_shift(v, 1), x))), out), saves="both")

i0 = _unary("i0", sc.i0, lambda out, x: i1(x))
i1 = _unary("i1", sc.i1, lambda out, x: _half(add(i0(x), iv(2, x))))
i0e = _unary("i0e", sc.i0e, lambda out, x: sub(i1e(x), mul(decide(_sign, x), out)), saves="both")
i1e = _unary("i1e", sc.i1e, lambda out, x: sub(_half(add(i0e(x), ive(2, x))), mul(decide(_sign, x), out)),
             saves="both")
j0 = _unary("j0", sc.j0, lambda out, x: neg(j1(x)))
j1 = _unary("j1", sc.j1, lambda out, x: _half(sub(j0(x), jv(2, x))))
y0 = _unary("y0", sc.y0, lambda out, x: neg(y1(x)))
y1 = _unary("y1", sc.y1, lambda out, x: _half(sub(y0(x), yv(2, x))))


# ---------------------------------------------------------------- the routing table

_HANDLERS = {
    sc.gammaln: gammaln, sc.digamma: digamma, sc.loggamma: loggamma, sc.gamma: gamma,
    sc.betaln: betaln, sc.gammainc: gammainc, sc.gammaincc: gammaincc,
    sc.erf: erf, sc.erfc: erfc, sc.erfinv: erfinv, sc.erfcinv: erfcinv, sc.erfcx: erfcx,
    sc.ndtr: ndtr, sc.ndtri: ndtri, sc.log_ndtr: log_ndtr,
    sc.expit: expit, sc.logit: logit, sc.log_expit: log_expit,
    sc.xlogy: xlogy, sc.xlog1py: xlog1py, sc.entr: entr, sc.rel_entr: rel_entr, sc.kl_div: kl_div,
    sc.i0: i0, sc.i0e: i0e, sc.i1: i1, sc.i1e: i1e, sc.j0: j0, sc.j1: j1, sc.y0: y0, sc.y1: y1,
    sc.jv: jv, sc.yv: yv, sc.iv: iv, sc.ive: ive, sc.kv: kv, sc.kve: kve,
}


def ufunc_handlers() -> dict:
    """{scipy.special ufunc: the primitive that differentiates it}, for ``numpy_api.UFUNC_HANDLERS``."""
    return dict(_HANDLERS)


def public_names() -> dict:
    """{ufunc: its names in scipy.special}, e.g. digamma is also ``scipy.special.psi``."""
    names = {u: [] for u in _HANDLERS}
    for attr in sorted(dir(sc)):
        value = getattr(sc, attr, None)
        if isinstance(value, np.ufunc) and value in names:
            names[value].append(f"scipy.special.{attr}")
    return names


# Every primitive here acts entry by entry on broadcast arguments (polygamma's order is a
# parameter): analyses that need an op's structure (admodes.sparse) read it from this set.
ELEMENTWISE = frozenset({p.name for p in _HANDLERS.values() if isinstance(p, Primitive)} | {polygamma_p.name})
