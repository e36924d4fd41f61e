"""Spec table: elementwise primitives (ufuncs, operators, np.where, np.clip) against JAX.

Each row runs every check of ``check_all``: values, JVP, VJP, forward and reverse
Jacobians (one sweep, chunk 1, chunk 2), central differences, the four second-order
nestings and float32. Broadcasting combinations, 0-d operands, size-1 and empty axes
appear across the rows; domains keep each op away from its poles and branch points.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, assert_close, check_all, check_jacobian_values

POS = (0.5, 2.5)  # log, sqrt, fractional powers, divisors
BROADCASTS = [((3,), (2, 3)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ()), ((1,), (3,)), ((0, 3), (3,))]


def _no_ties(rng):
    """Two (2, 3) arrays whose entries differ by at least 0.1 (maximum/minimum off the kink)."""
    x = rng.uniform(-2, 2, (2, 3))
    y = x + rng.choice([-1, 1], (2, 3)) * rng.uniform(0.1, 1.0, (2, 3))
    return x, y


def _nonzero(rng, shape=(2, 3)):
    return rng.choice([-1, 1], shape) * rng.uniform(0.5, 2.0, shape)


def _off_the_jumps(rng, shape=(2, 3), yshape=(2, 3)):
    """x and y with x / y at least 0.2 away from an integer (% and fmod jump there)."""
    y = _nonzero(rng, yshape)
    q = rng.integers(-3, 4, np.broadcast_shapes(shape, yshape)) + rng.uniform(0.2, 0.8, np.broadcast_shapes(shape, yshape))
    x = q * y
    return np.reshape(x, shape) if x.shape == shape else x, y


def _one_tie(rng):
    """Two (2, 3) arrays equal at one entry (fmax/fmin take the second argument there)."""
    x = rng.uniform(-2, 2, (2, 3))
    y = rng.uniform(-2, 2, (2, 3))
    y[0, 1] = x[0, 1]
    return x, y


def _binary_rows(name, fun, domain=(-2.0, 2.0)):
    return [OpSpec(f"{name} {a}x{b}", fun, (a, b), domain=domain) for a, b in BROADCASTS]


SPECS = [
    # ---- + - * / as operators, with broadcasting, 0-d and empty operands
    *_binary_rows("x+y", lambda xp, x, y: x + y),
    *_binary_rows("x-y", lambda xp, x, y: x - y),
    *_binary_rows("x*y", lambda xp, x, y: x * y),
    *_binary_rows("x/y", lambda xp, x, y: x / y, domain=POS),
    OpSpec("x/y signed", lambda xp, x, y: x / y, ((2, 3), (2, 3)), draw=lambda rng: (_nonzero(rng), _nonzero(rng))),
    # ---- the same ufuncs called by name, and with Python scalars on either side
    OpSpec("np.add", lambda xp, x, y: xp.add(x, y), ((2, 3), (3,))),
    OpSpec("np.subtract", lambda xp, x, y: xp.subtract(x, y), ((2, 1), (3,))),
    OpSpec("np.multiply", lambda xp, x, y: xp.multiply(x, y), ((3,), (2, 1))),
    OpSpec("np.divide", lambda xp, x, y: xp.divide(x, y), ((2, 3), (3,)), domain=POS),
    OpSpec("np.true_divide", lambda xp, x, y: xp.true_divide(x, y), ((3,), ()), domain=POS),
    OpSpec("scalar operators", lambda xp, x: (1.5 + x) * (2.0 - x) / 3.0 - x * 0.5, ((2, 3),)),
    OpSpec("scalar / x", lambda xp, x: 2.0 / x, ((2, 3),), domain=POS),
    OpSpec("x - scalar, scalar * x 0-d", lambda xp, x: 3.0 * (x - 1.0), ((),)),
    OpSpec("x*x (same operand twice)", lambda xp, x: x * x, ((2, 3),)),
    OpSpec("x/x", lambda xp, x: x / x, ((3,),), domain=POS),
    # ---- powers: scalar and array exponents
    OpSpec("x**2", lambda xp, x: x**2, ((2, 3),)),
    OpSpec("x**3", lambda xp, x: x**3, ((2, 3),)),
    OpSpec("x**2.0 0-d", lambda xp, x: x**2.0, ((),)),
    OpSpec("x**0.5", lambda xp, x: x**0.5, ((2, 3),), domain=POS),
    OpSpec("x**-1.5", lambda xp, x: x**-1.5, ((2, 3),), domain=POS),
    OpSpec("x**1", lambda xp, x: x**1, ((3,),)),
    OpSpec("x**0", lambda xp, x: x**0 * x, ((3,),)),
    OpSpec("2.0**x", lambda xp, x: 2.0**x, ((2, 3),)),
    OpSpec("c**x, constant base with a zero", lambda xp, x: np.array([0.0, 2.0, 0.5], x.dtype) ** x, ((2, 3),), domain=(0.5, 2.0)),
    OpSpec("x**[2, 3] negative base", lambda xp, x: x ** np.array([2.0, 3.0], x.dtype), ((3, 2),)),
    OpSpec("x**y", lambda xp, x, y: x**y, ((2, 3), (2, 3)), domain=POS),
    OpSpec("x**y broadcast", lambda xp, x, y: x**y, ((2, 1), (3,)), domain=POS),
    OpSpec("x**y 0-d exponent", lambda xp, x, y: x**y, ((2, 3), ()), domain=POS),
    OpSpec("x**y 0-d base", lambda xp, x, y: x**y, ((), (2, 3)), domain=POS),
    OpSpec("np.power", lambda xp, x, y: xp.power(x, y), ((3,), (2, 3)), domain=POS),
    OpSpec("x**c array exponent", lambda xp, x: x ** np.array([2.0, 0.0, -1.0], x.dtype), ((2, 3),), domain=POS),
    # ---- unary
    OpSpec("-x", lambda xp, x: -x, ((2, 3),)),
    OpSpec("+x", lambda xp, x: +x * 1.0, ((3,),)),
    OpSpec("np.negative 0-d", lambda xp, x: xp.negative(x), ((),)),
    OpSpec("exp", lambda xp, x: xp.exp(x), ((2, 3),)),
    OpSpec("exp empty", lambda xp, x: xp.exp(x), ((2, 0),)),
    OpSpec("log", lambda xp, x: xp.log(x), ((2, 3),), domain=POS),
    OpSpec("sin", lambda xp, x: xp.sin(x), ((2, 3),)),
    OpSpec("cos", lambda xp, x: xp.cos(x), ((2, 3),)),
    OpSpec("tan", lambda xp, x: xp.tan(x), ((2, 3),), domain=(-1.2, 1.2)),
    OpSpec("tanh", lambda xp, x: xp.tanh(x), ((2, 3),)),
    OpSpec("sqrt", lambda xp, x: xp.sqrt(x), ((2, 3),), domain=POS),
    OpSpec("abs", lambda xp, x: xp.abs(x), ((2, 3),), draw=lambda rng: (_nonzero(rng),)),
    OpSpec("np.absolute", lambda xp, x: xp.absolute(x), ((4,),), draw=lambda rng: (_nonzero(rng, (4,)),)),
    OpSpec("abs() builtin", lambda xp, x: abs(x) * x, ((2, 3),), draw=lambda rng: (_nonzero(rng),)),
    OpSpec("square", lambda xp, x: xp.square(x), ((2, 3),)),
    OpSpec("reciprocal", lambda xp, x: xp.reciprocal(x), ((2, 3),), draw=lambda rng: (_nonzero(rng),)),
    OpSpec("unary 0-d chain", lambda xp, x: xp.exp(xp.sin(x)) * xp.tanh(x), ((),)),
    OpSpec("unary size-1 axes", lambda xp, x: xp.cos(x) + xp.square(x), ((1, 3, 1),)),
    OpSpec("log1p", lambda xp, x: xp.log1p(x), ((2, 3),), domain=(-0.5, 2.0)),
    OpSpec("expm1", lambda xp, x: xp.expm1(x), ((2, 3),)),
    OpSpec("log2", lambda xp, x: xp.log2(x), ((2, 3),), domain=(0.2, 3.0)),
    OpSpec("log10", lambda xp, x: xp.log10(x), ((2, 3),), domain=(0.2, 3.0)),
    OpSpec("exp2", lambda xp, x: xp.exp2(x), ((2, 3),)),
    OpSpec("x * stop_gradient(x)**2", lambda xp, x: x * (ad.stop_gradient if xp is np else jax.lax.stop_gradient)(x) ** 2,
           ((2, 3),), fd=False),  # finite differences see through stop_gradient
    OpSpec("cbrt", lambda xp, x: xp.cbrt(x), ((2, 3),), draw=lambda rng: (_nonzero(rng),)),
    OpSpec("sinh", lambda xp, x: xp.sinh(x), ((2, 3),)),
    OpSpec("cosh", lambda xp, x: xp.cosh(x), ((2, 3),)),
    OpSpec("arcsin", lambda xp, x: xp.arcsin(x), ((2, 3),), domain=(-0.9, 0.9)),
    OpSpec("arccos", lambda xp, x: xp.arccos(x), ((2, 3),), domain=(-0.9, 0.9)),
    OpSpec("arctan", lambda xp, x: xp.arctan(x), ((2, 3),)),
    OpSpec("arcsinh", lambda xp, x: xp.arcsinh(x), ((2, 3),)),
    OpSpec("arccosh", lambda xp, x: xp.arccosh(x), ((2, 3),), domain=(1.1, 3.0)),
    OpSpec("arctanh", lambda xp, x: xp.arctanh(x), ((2, 3),), domain=(-0.9, 0.9)),
    OpSpec("np.positive", lambda xp, x: xp.positive(x) * x, ((2, 3),)),
    # ---- more binary ufuncs, with broadcasting
    OpSpec("np.power (2,3)x(3,)", lambda xp, x, y: xp.power(x, y), ((2, 3), (3,)), domain=(0.3, 2.0)),
    OpSpec("x**y (2,1)x(2,3)", lambda xp, x, y: x ** y, ((2, 1), (2, 3)), domain=(0.3, 2.0)),
    OpSpec("arctan2 broadcast", lambda xp, y, x: xp.arctan2(y, x), ((2, 1), (3,))),
    OpSpec("hypot broadcast", lambda xp, x, y: xp.hypot(x, y), ((3,), (2, 3))),
    OpSpec("logaddexp broadcast", lambda xp, x, y: xp.logaddexp(x, y), ((2, 3), (1, 3))),
    OpSpec("fmax with a tie", lambda xp, x, y: xp.fmax(x, y), (), draw=_one_tie, fd=False),
    OpSpec("fmin with a tie", lambda xp, x, y: xp.fmin(x, y), (), draw=_one_tie, fd=False),
    # ---- maximum / minimum (no ties here; ties are value tests below)
    OpSpec("maximum", lambda xp, x, y: xp.maximum(x, y), ((2, 3), (2, 3)), draw=_no_ties),
    OpSpec("minimum", lambda xp, x, y: xp.minimum(x, y), ((2, 3), (2, 3)), draw=_no_ties),
    OpSpec("maximum broadcast", lambda xp, x, y: xp.maximum(x, y), ((2, 1), (1, 3))),
    OpSpec("minimum broadcast", lambda xp, x, y: xp.minimum(x, y), ((3,), (2, 3))),
    OpSpec("maximum with scalar", lambda xp, x: xp.maximum(x, 0.25), ((2, 3),)),
    OpSpec("minimum 0-d", lambda xp, x, y: xp.minimum(x, y), ((), (3,))),
    # ---- where / clip
    OpSpec("where fixed mask", lambda xp, x, y: xp.where(np.array([True, False, True]), x, y), ((2, 3), (2, 3))),
    OpSpec("where broadcast", lambda xp, x, y: xp.where(np.array([[True], [False]]), x, y), ((3,), (2, 1))),
    OpSpec("where value mask", lambda xp, x: xp.where(x > 0, xp.sin(x), x**2), ((2, 3),)),
    OpSpec("where scalar branch", lambda xp, x: xp.where(x > 0, x, 0.0), ((2, 3),)),
    OpSpec("where 0-d", lambda xp, x, y: xp.where(x > y, x * y, y), ((), ())),
    OpSpec("where condition wider than x and y", lambda xp, x, y: xp.where(np.array([[True, False, True], [False, True, True]]), x, y),
           ((), (3,))),
    OpSpec("clip scalars", lambda xp, x: xp.clip(x, -0.5, 1.0), ((2, 3),)),
    OpSpec("clip lower only", lambda xp, x: xp.clip(x, -0.5, None), ((2, 3),)),
    OpSpec("clip upper only", lambda xp, x: xp.clip(x, None, 0.5), ((2, 3),)),
    OpSpec("clip method", lambda xp, x: x.clip(-1.0, 1.0), ((4,),)),
    OpSpec("clip bound wider than x", lambda xp, x, lo: xp.clip(x, lo, 1.5), ((3,), (2, 1))),
    # ---- remainders and floor division: slope 1 in x, minus the integer quotient in y
    OpSpec("x % y", lambda xp, x, y: x % y, ((2, 3), (2, 3)), draw=_off_the_jumps),
    OpSpec("np.mod broadcast", lambda xp, x, y: xp.mod(x, y), ((2, 3), (3,)), draw=lambda rng: _off_the_jumps(rng, (2, 3), (3,))),
    OpSpec("np.remainder", lambda xp, x, y: xp.remainder(x, y), ((2, 3), (2, 3)), draw=_off_the_jumps),
    OpSpec("np.fmod", lambda xp, x, y: xp.fmod(x, y), ((2, 3), (2, 3)), draw=_off_the_jumps),
    OpSpec("x % 1.5, 2.5 % x", lambda xp, x: x % 1.5 + 2.5 % (x + 3.0), ((2, 3),), domain=(0.1, 0.4)),
    OpSpec("x // y as a constant", lambda xp, x, y: (x // y) * x + xp.floor_divide(x, 0.7) * y, ((2, 3), (2, 3)), draw=_off_the_jumps),
    OpSpec("divmod", lambda xp, x, y: divmod(x, y)[0] * y + divmod(x, y)[1] * x, ((2, 3), (2, 3)), draw=_off_the_jumps),
    OpSpec("np.divmod", lambda xp, x, y: xp.divmod(x, y)[1] + 0.0 * xp.divmod(x, y)[0], ((2, 3), (2, 3)), draw=_off_the_jumps),
    # ---- zero-derivative functions (evaluated on plain values) inside differentiable code
    OpSpec("x * sign(x)", lambda xp, x: x * xp.sign(x), ((2, 3),), draw=lambda rng: (_nonzero(rng),)),
    OpSpec("sign/floor/ceil/round times x", lambda xp, x: x * (xp.sign(x) + xp.floor(x) + xp.ceil(x) + xp.round(x)),
           ((2, 3),)),
    OpSpec("floor/ceil/round as constants", lambda xp, x: x * xp.floor(3 * x) + xp.ceil(x) * x**2 - xp.round(x), ((2, 3),)),
    OpSpec("comparison operators as masks", lambda xp, x, y: xp.where((x >= y) & (x != 0.5), x, y * (x < 1)), ((2, 3), (2, 3))),
    OpSpec("clip array bounds", lambda xp, x, lo, hi: xp.clip(x, lo, hi), ((2, 3), (3,), (2, 1)),
           draw=lambda rng: (rng.uniform(-2, 2, (2, 3)), rng.uniform(-1, -0.1, 3), rng.uniform(0.1, 1, (2, 1)))),
    OpSpec("iscomplex/isreal/iscomplexobj as constants",
           lambda xp, x: xp.where(xp.iscomplex(x), 0.0, x) * xp.isreal(x) + x * xp.iscomplexobj(x), ((2, 3),)),
    # ---- angle conversions, sinc, and the real/imaginary parts of a (real) traced value
    OpSpec("deg2rad, rad2deg", lambda xp, x: xp.deg2rad(x) * xp.rad2deg(x), ((2, 3),)),
    OpSpec("degrees, radians", lambda xp, x: xp.sin(xp.radians(x)) + xp.degrees(x), ((2, 3),)),
    OpSpec("sinc", lambda xp, x: xp.sinc(x), ((2, 3),), domain=(-3.0, 3.0)),
    OpSpec("sinc with a zero entry", lambda xp, x: xp.sinc(x * xp.asarray([0.0, 1.0, 1.0], x.dtype)), ((2, 3),)),
    OpSpec("real, imag, conj, conjugate", lambda xp, x: xp.real(x) * x + xp.imag(x) + xp.conj(x) ** 2
           + xp.conjugate(x), ((2, 3),)),
    OpSpec("x.real, x.imag, x.conj()", lambda xp, x: x.real * 2.0 + x.imag + x.conj() * x, ((3,),)),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


# ---- JAX's conventions at non-differentiable points: hand-computed Jacobians, confirmed by JAX.
D = np.diag
CONVENTIONS = [
    # |x|' = 1 at 0 (sign with sign(0) := +1)
    (OpSpec("abs'(0) = 1", lambda xp, x: xp.abs(x), ((3,),)), ([0.0, -1.0, 2.0],), (D([1.0, -1.0, 1.0]),)),
    # ties of maximum/minimum: each argument gets half
    (OpSpec("maximum tie", lambda xp, x, y: xp.maximum(x, y), ((2,), (2,))),
     ([1.0, 2.0], [1.0, 3.0]), (D([0.5, 0.0]), D([0.5, 1.0]))),
    (OpSpec("minimum tie", lambda xp, x, y: xp.minimum(x, y), ((2,), (2,))),
     ([1.0, 2.0], [1.0, 3.0]), (D([0.5, 1.0]), D([0.5, 0.0]))),
    (OpSpec("maximum(x, x)", lambda xp, x: xp.maximum(x, x), ((2,),)), ([1.0, -2.0],), (D([1.0, 1.0]),)),
    (OpSpec("maximum tie broadcast", lambda xp, x, y: xp.maximum(x, y), ((2,), ())),
     ([0.0, 1.0], 0.0), (D([0.5, 1.0]), [0.5, 0.0])),
    # clip = minimum(maximum(x, lo), hi): half at either bound
    (OpSpec("clip at bounds", lambda xp, x: xp.clip(x, -1.0, 1.0), ((4,),)),
     ([-1.0, 0.0, 1.0, 2.0],), (D([0.5, 1.0, 0.5, 0.0]),)),
    # where picks the branch of the condition, exactly
    (OpSpec("where picks", lambda xp, x, y: xp.where(np.array([True, False, True]), x, y), ((3,), (3,))),
     ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]), (D([1.0, 0.0, 1.0]), D([0.0, 1.0, 0.0]))),
    (OpSpec("where x > 0 at 0", lambda xp, x: xp.where(x > 0, 2.0 * x, -3.0 * x), ((3,),)),
     ([0.0, 1.0, -1.0],), (D([-3.0, 2.0, -3.0]),)),
    # powers at 0: d(x**0)/dx = 0 even at x = 0 (JAX's integer_pow; for a float exponent 0.0
    # JAX gives 0 * inf = nan there, admodes 0); d(x**y)/dy uses log(0) := 0
    (OpSpec("x**0 at 0", lambda xp, x: x**0, ((2,),)), ([0.0, 2.0],), (D([0.0, 0.0]),)),
    (OpSpec("x**2 at 0", lambda xp, x: x**2, ((2,),)), ([0.0, 1.5],), (D([0.0, 3.0]),)),
    (OpSpec("x**y at x = 0", lambda xp, x, y: x**y, ((2,), (2,))),
     ([0.0, 0.0], [2.0, 3.0]), (D([0.0, 0.0]), D([0.0, 0.0]))),
    # fmax/fmin: the second argument at a tie, the other one where an argument is NaN
    (OpSpec("fmax tie: the second argument", lambda xp, x, y: xp.fmax(x, y), ((), ())), (1.0, 1.0), (0.0, 1.0)),
    (OpSpec("fmin tie: the second argument", lambda xp, x, y: xp.fmin(x, y), ((), ())), (1.0, 1.0), (0.0, 1.0)),
    (OpSpec("fmax ignores NaN", lambda xp, x, y: xp.fmax(x, y), ((), ())), (1.0, np.nan), (1.0, 0.0)),
    (OpSpec("hypot at the origin: 0.5 each", lambda xp, x, y: xp.hypot(x, y), ((), ())), (0.0, 0.0), (0.5, 0.5)),
]


@pytest.mark.parametrize("spec, args, expected", CONVENTIONS, ids=[str(c[0]) for c in CONVENTIONS])
def test_convention(spec, args, expected):
    check_jacobian_values(spec, args, expected)


def test_sinc_derivatives_at_zero_are_jax_values():
    """At x = 0 sinc is its Taylor polynomial: slope 0, second derivative -pi^2/3 (JAX's rule)."""
    x = np.array([0.0, 0.3])
    f = lambda xp: (lambda x: xp.sum(xp.sinc(x)))
    assert_close(ad.grad(f(np))(x), jax.grad(f(jnp))(x), 1e-12, 1e-14, "sinc gradient at 0")
    for mode in ("forward", "reverse"):
        h = ad.jacobian(ad.grad(f(np)), mode=mode)(x)
        assert_close(h, jax.hessian(f(jnp))(x), 1e-10, 1e-12, f"sinc Hessian at 0 ({mode})")
    assert_close(h[0, 0], -np.pi ** 2 / 3, 1e-12, 0, "sinc''(0)")


def test_hypot_hessian_at_equal_legs_is_the_continuous_value():
    """JAX returns a zero Hessian at |x| == |y| (its max/min tie split); the function is smooth
    there, and admodes gives the limit of the neighbouring values (here 1/(2 sqrt 2))."""
    h = ad.hessian(np.hypot, (0, 1))(1.0, 1.0)
    c = 1 / (2 * np.sqrt(2))
    np.testing.assert_allclose(np.array(h, dtype=float), [[c, -c], [-c, c]])


@pytest.mark.parametrize("other", [2.0, 3])
@pytest.mark.parametrize("x_first", [True, False])
def test_arctan2_with_a_python_number_keeps_float32(other, x_first):
    """A Python number on either side of arctan2 is weakly typed, as in JAX: the rule's
    arithmetic with it (its square) must not promote a float32 primal or tangent to float64."""
    def f(xp):
        return (lambda x: xp.arctan2(x, other)) if x_first else (lambda x: xp.arctan2(other, x))

    x = np.array([0.5, -1.2, 2.0], np.float32)
    got, want = ad.jvp(f(np), (x,), (x,)), jax.jvp(f(jnp), (x,), (x,))
    for g, w, what in zip(got, want, ("primal", "tangent")):
        assert np.asarray(g).dtype == np.asarray(w).dtype == np.float32, what
        assert_close(g, w, 1e-6, 1e-10, f"arctan2 jvp {what}")


@pytest.mark.parametrize("outer,inner", [(a, b) for a in ("forward", "reverse") for b in ("forward", "reverse")])
def test_power_mixed_second_derivative_at_a_zero_exponent(outer, inner):
    """d/dy d/dx x**y = x**(y-1) (1 + y log x) is 1/x at y = 0: d(x**y)/dx is not a constant 0
    where a traced y is 0, so the Hessian is symmetric and equals JAX's, in every nesting."""
    scalar = lambda v: v[0] ** v[1]
    arrays = lambda v: np.sum(v[:2] ** v[2:])
    arrays_j = lambda v: jnp.sum(v[:2] ** v[2:])
    for f, fj, v in [(scalar, scalar, np.array([2.0, 0.0])), (arrays, arrays_j, np.array([2.0, 3.0, 0.0, 1.0]))]:
        hess = ad.jacobian(ad.jacobian(f, mode=inner), mode=outer)(v)
        assert_close(hess, jax.hessian(fj)(v), 1e-9, 1e-10, f"{outer}-over-{inner} Hessian of x**y at y = 0")
    # the convention at 0 ** 0 stays: slope 0 for x (JAX's rule for an integer exponent), no warning
    with np.errstate(all="raise"):
        assert_close(ad.grad(scalar)(np.array([0.0, 0.0])), np.array([0.0, 0.0]), 1e-9, 1e-10, "grad at 0 ** 0")
        assert_close(ad.grad(arrays)(np.array([0.0, 3.0, 0.0, 1.0])), np.array([0.0, 1.0, 0.0, np.log(3.0) * 3.0]),
                     1e-9, 1e-10, "grad of [0, 3] ** [0, 1]")


def test_every_declared_elementwise_op_is_routed_and_has_a_spec_row():
    """The registries are derived from the declarations (``unary``/``binary``); this checks the
    other half: each declared op is reached from NumPy and is exercised by a row above (in
    reverse mode, its rules included), so adding an op without its row fails here."""
    from admodes.numpy_layer import UFUNC_HANDLERS
    from admodes.ops import elementwise as e

    from .harness import draw_args

    rng = np.random.default_rng(0)
    with ad.count_ops() as counter:
        for spec in SPECS:
            args = draw_args(spec, rng)
            try:
                ad.vjp(lambda *a: spec.fun(np, *a), *args)[1](np.ones(np.shape(spec.fun(np, *args))))
            except Exception:  # rows that need more than a plain vjp call are checked by check_all
                pass
    declared = {**e.UNARY, **e.BINARY}
    for name, prim in declared.items():
        if prim.numpy is not None:
            assert UFUNC_HANDLERS.get(prim.numpy) is prim, f"np.{prim.numpy.__name__} is not routed to {name}"
    missing = sorted(name for name in declared if counter.by_primitive[name] == 0 and name != "tanh_slope")
    assert not missing, f"declared elementwise ops without a spec row in SPECS: {missing}"
