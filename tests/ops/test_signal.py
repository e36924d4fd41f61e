"""Spec table: sampled functions (convolve, correlate, interp, gradient, trapezoid, polyval,
unwrap, linspace, logspace) against JAX.

convolve and correlate are bilinear (both signals traced, every mode, either one longer);
interp is piecewise linear in x (the draws keep x off the grid points, where the slope jumps)
and linear in fp; unwrap's correction is piecewise constant (its derivative is the identity).
np.gradient with edge_order=2, which jax.numpy does not implement, is checked against the
linear map NumPy itself applies (its columns are np.gradient of the unit vectors).
"""

import numpy as np
import pytest

import admodes as ad

from .harness import OpSpec, check_all

GRID = np.array([-1.5, -0.7, 0.0, 0.4, 1.1, 1.8])


def _off_grid(rng, shape=(7,)):
    """x in [-2, 2] at least 0.05 away from every grid point (interp's slope jumps there)."""
    x = rng.uniform(-2, 2, shape)
    near = np.abs(x[..., None] - GRID).min(-1) < 0.05
    return np.where(near, x + 0.1, x)


def _coordinates(n):
    return np.cumsum(np.linspace(0.5, 1.5, n))  # non-uniform spacing


SPECS = [
    # ---- convolve / correlate: every mode, the first or the second signal longer
    *[OpSpec(f"convolve {mode} {n}x{m}", (lambda mode: lambda xp, a, v: xp.convolve(a, v, mode=mode))(mode),
             ((n,), (m,))) for mode in ("full", "same", "valid") for n, m in ((5, 3), (2, 4), (4, 4), (1, 3))],
    *[OpSpec(f"correlate {mode} {n}x{m}", (lambda mode: lambda xp, a, v: xp.correlate(a, v, mode=mode))(mode),
             ((n,), (m,))) for mode in ("full", "same", "valid") for n, m in ((5, 3), (2, 5), (3, 4), (4, 4))],
    OpSpec("correlate default mode", lambda xp, a, v: xp.correlate(a, v), ((6,), (3,))),
    OpSpec("convolve with a constant kernel", lambda xp, a: xp.convolve(a, xp.asarray([0.25, 0.5, 0.25], a.dtype),
                                                                        mode="same"), ((6,),)),
    OpSpec("convolve a signal with itself", lambda xp, a: xp.convolve(a, a), ((4,),)),
    # ---- interp: in x, in fp, both; outside the grid (the end values, or left/right)
    OpSpec("interp in x", lambda xp, x: xp.interp(x, GRID.astype(x.dtype), xp.sin(xp.asarray(GRID, x.dtype))), (),
           draw=lambda rng: (_off_grid(rng),)),
    OpSpec("interp in fp", lambda xp, fp: xp.interp(xp.asarray([-1.9, -0.3, 0.2, 1.5, 2.0], fp.dtype),
                                                    GRID.astype(fp.dtype), fp), ((6,),)),
    OpSpec("interp in x and fp, left/right", lambda xp, x, fp: xp.interp(x, GRID.astype(x.dtype), fp ** 2,
                                                                         left=-3.0, right=0.5),
           (), draw=lambda rng: (_off_grid(rng, (3, 4)), rng.uniform(-2, 2, 6))),
    # ---- gradient (edge_order 1: jax.numpy's only one), unit, scalar and coordinate spacings
    OpSpec("gradient 1-D", lambda xp, f: xp.gradient(f), ((6,),)),
    OpSpec("gradient 1-D spacing", lambda xp, f: xp.gradient(f, 0.25), ((5,),)),
    OpSpec("gradient 1-D coordinates", lambda xp, f: xp.gradient(f ** 2, _coordinates(6).astype(f.dtype)), ((6,),)),
    OpSpec("gradient 2-D both axes", lambda xp, f: xp.stack(xp.gradient(f)), ((3, 4),)),
    OpSpec("gradient 2-D axis=1 coordinates", lambda xp, f: xp.gradient(f, _coordinates(4).astype(f.dtype), axis=1),
           ((3, 4),)),
    OpSpec("gradient 2-D mixed spacings", lambda xp, f: xp.stack(xp.gradient(f, 0.5, _coordinates(5).astype(f.dtype))),
           ((3, 5),)),
    # ---- trapezoid
    OpSpec("trapezoid", lambda xp, y: xp.trapezoid(y), ((6,),)),
    OpSpec("trapezoid dx axis=0", lambda xp, y: xp.trapezoid(y, dx=0.3, axis=0), ((4, 3),)),
    OpSpec("trapezoid traced x", lambda xp, y, x: xp.trapezoid(y, x), ((5,), (5,))),
    OpSpec("trapezoid 1-D x along axis", lambda xp, y: xp.trapezoid(y, _coordinates(4).astype(y.dtype), axis=0),
           ((4, 3),)),
    OpSpec("trapezoid x of y's shape", lambda xp, y, x: xp.trapezoid(xp.sin(y), x, axis=1), ((2, 4), (2, 4))),
    # ---- polyval: traced coefficients, traced points, both
    OpSpec("polyval traced x", lambda xp, x: xp.polyval(xp.asarray([1.5, -2.0, 0.5, 3.0], x.dtype), x), ((2, 3),)),
    OpSpec("polyval traced p and x", lambda xp, p, x: xp.polyval(p, x), ((4,), (5,))),
    OpSpec("polyval traced p at constants", lambda xp, p: xp.polyval(p, xp.asarray([0.5, -1.0, 2.0], p.dtype)), ((3,),)),
    OpSpec("polyval one coefficient", lambda xp, p, x: xp.polyval(p, x), ((1,), (3,))),
    # ---- unwrap: jumps of more than pi are folded (a constant correction)
    OpSpec("unwrap", lambda xp, p: xp.unwrap(p * 4.0), ((8,),)),
    OpSpec("unwrap axis=0 discont", lambda xp, p: xp.unwrap(p * 4.0, discont=4.0, axis=0), ((5, 3),)),
    OpSpec("unwrap period", lambda xp, p: xp.unwrap(p * 3.0, period=4.0), ((2, 6),)),
    # ---- linspace / logspace with traced start and stop
    OpSpec("linspace", lambda xp, a, b: xp.linspace(a, b, 5), ((), ())),
    OpSpec("linspace endpoint=False", lambda xp, a, b: xp.linspace(a, b, 4, endpoint=False), ((), ())),
    OpSpec("linspace arrays axis=1", lambda xp, a, b: xp.linspace(a, b, 3, axis=1), ((2,), (2,))),
    OpSpec("linspace broadcast axis=-1", lambda xp, a, b: xp.linspace(a, b, 4, axis=-1), ((2, 1), (3,))),
    OpSpec("linspace plain start", lambda xp, b: xp.linspace(0.0, b, 6), ((2,),)),
    OpSpec("linspace num=1", lambda xp, a, b: xp.linspace(a, b, 1), ((), ())),
    OpSpec("linspace retstep", lambda xp, a, b: xp.linspace(a, b, 5, retstep=True)[1] * xp.linspace(a, b, 5), ((), ())),
    OpSpec("logspace", lambda xp, a, b: xp.logspace(a, b, 5), ((), ()), domain=(-1.0, 1.0)),
    OpSpec("logspace base axis=1", lambda xp, a, b: xp.logspace(a, b, 3, base=2.0, axis=1, endpoint=False),
           ((2,), (2,))),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_spec(spec):
    check_all(spec)


def _numpy_matrix(f, n):
    return np.stack([f(np.eye(n)[i]) for i in range(n)], axis=-1)


@pytest.mark.parametrize("spacing", [(), (0.3,), (_coordinates(6),)], ids=["unit", "scalar", "coordinates"])
def test_gradient_edge_order_2_is_numpy_linear_map(spacing):
    """np.gradient is linear in f: its Jacobian is NumPy's own matrix, in both modes, any point."""
    f = lambda v: np.gradient(v, *spacing, edge_order=2)
    expected = _numpy_matrix(f, 6)
    x = np.random.default_rng(0).uniform(-1, 1, 6)
    np.testing.assert_array_equal(ad.jvp(f, (x,), (x,))[0], f(x))
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(ad.jacobian(f, mode=mode)(x), expected, rtol=1e-12, atol=1e-12)
    # second order differences are exact on quadratics, the edges included
    t = _coordinates(6) if spacing and np.ndim(spacing[0]) else np.arange(6) * (spacing[0] if spacing else 1.0)
    np.testing.assert_allclose(ad.jvp(f, (t ** 2,), (t ** 2,))[0], 2 * t, rtol=1e-12, atol=1e-12)


def test_unwrap_derivative_is_the_identity_across_a_jump():
    p = np.array([0.0, 3.0, 6.5, 0.2])
    jac = ad.jacobian(np.unwrap)(p)
    np.testing.assert_array_equal(jac, np.eye(4))
    np.testing.assert_array_equal(ad.jvp(np.unwrap, (p,), (p,))[0], np.unwrap(p))


REFUSED = {
    "interp traced xp": (lambda x: np.interp(0.5, x, x), "traced xp"),
    "interp period": (lambda x: np.interp(x, [0.0, 1.0, 2.0], [1.0, 2.0, 0.0], period=2.0), "period"),
    "gradient traced spacing": (lambda x: np.gradient(x, x[0]), "traced spacings"),
    "polyval poly1d": (lambda x: np.polyval(np.poly1d([1.0, 2.0]), x), "poly1d"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_arguments_are_named(name):
    f, words = REFUSED[name]
    with pytest.raises(ad.AdmodesError, match=words):
        ad.jacobian(f)(np.array([0.1, 0.5, 1.2]))
