"""Elementwise primitives (NumPy ufuncs) and their derivative rules.

An elementwise op acts on each entry independently, so its Jacobian is diagonal (up
to broadcasting): the JVP multiplies the tangent by the local derivative entry by
entry, and the VJP multiplies the cotangent by the same local derivative, then sums
over the axes that broadcasting added (``unbroadcast``).

Each rule is written with primitives, so the local derivative of a rule is again
differentiable: ``d sin = cos``, ``d cos = -sin`` and so on to any order.
Non-differentiable points follow JAX: ``abs`` has slope 1 at 0, and ``maximum``/
``minimum`` split the derivative equally between tied arguments.
"""

from __future__ import annotations

import numpy as np

from ..core import Primitive, concrete, shape_of
from .shape import align, fit, unbroadcast

__all__ = [
    "add", "sub", "mul", "div", "neg", "power", "exp", "log", "sin", "cos", "tan", "tanh",
    "sqrt", "absolute", "maximum", "minimum", "select", "square", "reciprocal", "UNARY",
    "BINARY",
]


def _out_ndim(out):
    return len(shape_of(out))


def _unary(name, impl, saves="both"):
    return Primitive(name, impl, saves=saves)


def _binary(name, impl, saves="both"):
    return Primitive(name, impl, saves=saves)


# ---------------------------------------------------------------- arithmetic

add = _binary("add", np.add, saves="none")
add.defjvp(lambda t, nb, out, x, y: fit(t, nb, out), lambda t, nb, out, x, y: fit(t, nb, out))
add.defvjp(lambda g, nb, out, x, y: unbroadcast(g, nb, shape_of(x)),
           lambda g, nb, out, x, y: unbroadcast(g, nb, shape_of(y)))

sub = _binary("subtract", np.subtract, saves="none")
neg = _unary("negative", np.negative, saves="none")
sub.defjvp(lambda t, nb, out, x, y: fit(t, nb, out), lambda t, nb, out, x, y: neg(fit(t, nb, out)))
sub.defvjp(lambda g, nb, out, x, y: unbroadcast(g, nb, shape_of(x)),
           lambda g, nb, out, x, y: neg(unbroadcast(g, nb, shape_of(y))))
neg.defjvp(lambda t, nb, out, x: neg(t))
neg.defvjp(lambda g, nb, out, x: neg(g))

mul = _binary("multiply", np.multiply, saves="args")
mul.defjvp(lambda t, nb, out, x, y: fit(mul(align(t, nb, _out_ndim(out)), y), nb, out),
           lambda t, nb, out, x, y: fit(mul(align(t, nb, _out_ndim(out)), x), nb, out))
mul.defvjp(lambda g, nb, out, x, y: unbroadcast(mul(g, y), nb, shape_of(x)),
           lambda g, nb, out, x, y: unbroadcast(mul(g, x), nb, shape_of(y)))

div = _binary("divide", np.true_divide, saves="both")
div.defjvp(lambda t, nb, out, x, y: fit(div(align(t, nb, _out_ndim(out)), y), nb, out),
           lambda t, nb, out, x, y: fit(neg(mul(align(t, nb, _out_ndim(out)), div(out, y))), nb, out))
div.defvjp(lambda g, nb, out, x, y: unbroadcast(div(g, y), nb, shape_of(x)),
           lambda g, nb, out, x, y: unbroadcast(neg(mul(g, div(out, y))), nb, shape_of(y)))


# ---------------------------------------------------------------- power


def _power_dx(out, x, y):
    """d(x**y)/dx = y * x**(y-1), and 0 where y == 0 (as JAX, so 0**0 has slope 0)."""
    # y - 1 in Python for Python numbers, so the exponent stays a weak scalar (float32 stays float32)
    y_minus_1 = y - 1 if isinstance(y, int | float) else sub(y, 1)
    partial = mul(y, power(x, y_minus_1))
    yv = concrete(y)
    if np.ndim(yv) == 0:
        return partial if yv != 0 else None
    return select(yv == 0, 0, partial)


def _power_dy(out, x, y):
    """d(x**y)/dy = log(x) * x**y, with log(0) replaced by 0 (JAX's convention)."""
    if isinstance(x, int | float):
        # a Python base (2.0 ** y): log(x) as a Python float, a weak scalar like x itself;
        # np.log(2.0) would be a float64 NumPy scalar and turn a float32 y into float64
        return mul(float(np.log(x)) if x != 0 else 0.0, out)
    xv = concrete(x)
    safe_x = select(xv == 0, 1, x) if np.any(xv == 0) else x
    return mul(log(safe_x), out)


def _power_jvp(tangents, nb, out, x, y):
    tx, ty = tangents
    ndim = _out_ndim(out)
    total = None
    if tx is not None:
        dx = _power_dx(out, x, y)
        if dx is not None:
            total = mul(align(tx, nb, ndim), dx)
    if ty is not None:
        part = mul(align(ty, nb, ndim), _power_dy(out, x, y))
        total = part if total is None else add(total, part)
    return None if total is None else fit(total, nb, out)


def _power_vjp_x(g, nb, out, x, y):
    dx = _power_dx(out, x, y)
    return None if dx is None else unbroadcast(mul(g, dx), nb, shape_of(x))


power = _binary("power", np.power, saves="both")
power.jvp = _power_jvp
power.defvjp(_power_vjp_x, lambda g, nb, out, x, y: unbroadcast(mul(g, _power_dy(out, x, y)), nb, shape_of(y)))


# ---------------------------------------------------------------- unary functions


def _def_unary(prim, local_derivative):
    """Register the rules of an elementwise unary op from its local derivative f'(x)."""
    prim.defjvp(lambda t, nb, out, x: mul(t, local_derivative(out, x)))
    prim.defvjp(lambda g, nb, out, x: mul(g, local_derivative(out, x)))
    return prim


exp = _def_unary(_unary("exp", np.exp, saves="out"), lambda out, x: out)
log = _def_unary(_unary("log", np.log, saves="args"), lambda out, x: reciprocal(x))
sin = _unary("sin", np.sin, saves="args")
cos = _unary("cos", np.cos, saves="args")
_def_unary(sin, lambda out, x: cos(x))
_def_unary(cos, lambda out, x: neg(sin(x)))
tan = _def_unary(_unary("tan", np.tan, saves="out"), lambda out, x: add(1, square(out)))
tanh = _def_unary(_unary("tanh", np.tanh, saves="out"), lambda out, x: sub(1, square(out)))
sqrt = _def_unary(_unary("sqrt", np.sqrt, saves="out"), lambda out, x: div(0.5, out))
square = _def_unary(_unary("square", np.square, saves="args"), lambda out, x: mul(2, x))
reciprocal = _unary("reciprocal", lambda x: np.divide(1, x), saves="out")
_def_unary(reciprocal, lambda out, x: neg(square(out)))
absolute = _def_unary(
    _unary("absolute", np.absolute, saves="args"),
    lambda out, x: np.where(concrete(x) >= 0, 1, -1).astype(np.result_type(concrete(x))),
)


# ---------------------------------------------------------------- selection


def select_impl(condition, x, y):
    return np.where(condition, x, y)


def _select_tangent(which):
    def rule(t, nb, out, condition, x, y):
        t = align(t, nb, _out_ndim(out))
        picked = select(condition, t, 0) if which == 1 else select(condition, 0, t)
        return fit(picked, nb, out)

    return rule


def _select_cotangent(which):
    def rule(g, nb, out, condition, x, y):
        picked = select(condition, g, 0) if which == 1 else select(condition, 0, g)
        return unbroadcast(picked, nb, shape_of(x if which == 1 else y))

    return rule


def _not_differentiable(*args, **kwargs):
    return None


select = Primitive("where", select_impl, saves="args")
select.defjvp(_not_differentiable, _select_tangent(1), _select_tangent(2))
select.defvjp(_not_differentiable, _select_cotangent(1), _select_cotangent(2))


def _balanced_mask(x, y, pick):
    """1 where ``x`` is picked, 0.5 at ties, 0 elsewhere: JAX's rule for max/min."""
    xv, yv = concrete(x), concrete(y)
    dtype = np.result_type(xv, yv)
    return (pick(xv, yv).astype(dtype) + 0.5 * (xv == yv).astype(dtype)).astype(dtype)


def _chooser(name, impl, pick):
    prim = Primitive(name, impl, saves="args")

    def dx(out, x, y):
        return _balanced_mask(x, y, pick)

    def dy(out, x, y):
        return _balanced_mask(y, x, pick)

    prim.defjvp(lambda t, nb, out, x, y: fit(mul(align(t, nb, _out_ndim(out)), dx(out, x, y)), nb, out),
                lambda t, nb, out, x, y: fit(mul(align(t, nb, _out_ndim(out)), dy(out, x, y)), nb, out))
    prim.defvjp(lambda g, nb, out, x, y: unbroadcast(mul(g, dx(out, x, y)), nb, shape_of(x)),
                lambda g, nb, out, x, y: unbroadcast(mul(g, dy(out, x, y)), nb, shape_of(y)))
    return prim


maximum = _chooser("maximum", np.maximum, np.greater)
minimum = _chooser("minimum", np.minimum, np.less)

UNARY = {
    "negative": neg, "exp": exp, "log": log, "sin": sin, "cos": cos, "tan": tan, "tanh": tanh,
    "sqrt": sqrt, "square": square, "reciprocal": reciprocal, "absolute": absolute,
}
BINARY = {
    "add": add, "subtract": sub, "multiply": mul, "divide": div, "power": power,
    "maximum": maximum, "minimum": minimum,
}
