"""Checks at a given point, for the property tests (``test_properties.py``).

The spec tables draw their own points and use ``harness.check_all``; hypothesis draws
shapes, dtypes and values itself, so it needs a check at *its* point: ``check_point``
compiles one JAX program (value, Jacobian, Hessian of a random weighting of the outputs)
and compares admodes' value, JVP, VJP, both Jacobian modes (chunk None, 1, 2), central
finite differences, the four second-order nestings and, for float32 points, dtypes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import admodes as ad

from .harness import OpSpec, assert_close, check_finite_differences, jax_fun, np_fun

__all__ = ["check_point", "jax_oracle"]


def _contract(a, b, axes):
    return np.tensordot(np.asarray(a), np.asarray(b), axes=axes)


def jax_oracle(spec: OpSpec, args, weights, second_order=True):
    """(value, jacobians per argument, hessian blocks) from one jitted JAX call (eager fallback)."""
    f = jax_fun(spec)
    argnums = tuple(range(len(args)))

    def program(args, weights):
        g = lambda *a: jnp.sum(f(*a) * weights)  # noqa: E731
        hess = jax.hessian(g, argnums=argnums)(*args) if second_order and spec.order >= 2 else None
        return f(*args), jax.jacrev(f, argnums=argnums)(*args), hess

    try:
        return jax.jit(program)(args, weights)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
            jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError,
            jax.errors.NonConcreteBooleanIndexError):
        return program(args, weights)


def check_point(spec: OpSpec, args, rng, oracle=None):
    """admodes against JAX at ``args`` (float64: tight tolerances, finite differences and
    second order; float32: dtypes preserved, float32 tolerances, first order only).

    The oracle is JAX in float64 at the same values; returns it, so a float32 check at
    the same point can reuse it.
    """
    f = np_fun(spec)
    single = all(np.asarray(a).dtype == np.float32 for a in args) and len(args) > 0
    out = f(*args)
    if oracle is None:
        weights = rng.standard_normal(np.shape(out))
        args64 = tuple(np.asarray(a, dtype=np.float64) for a in args)
        oracle = (weights, *jax_oracle(spec, args64, jnp.asarray(weights), second_order=not single))
    weights, value, jac, hess = oracle
    if single:
        scale = max([1.0] + [float(np.nanmax(np.abs(np.asarray(j)))) for j in jac if np.size(j)])
        scale = max(scale, float(np.nanmax(np.abs(np.asarray(value)))) if np.size(value) else 1.0)
        rtol, atol = 2e-3, 2e-3 * scale
    else:
        rtol, atol = spec.rtol, spec.atol
    assert_close(out, value, rtol, atol, f"{spec}: value")
    argnums = tuple(range(len(args)))
    out_ndim = np.ndim(out)
    dtype = np.float32 if single else np.float64

    # JVP: sum_i J_i . t_i
    tangents = tuple(rng.standard_normal(np.shape(a)).astype(dtype) for a in args)
    out_j, t_out = ad.jvp(f, args, tangents)
    expected = sum(_contract(j, t, np.ndim(t)) for j, t in zip(jac, tangents))
    assert_close(t_out, np.broadcast_to(expected, np.shape(out)), rtol, atol * 4, f"{spec}: jvp")

    # VJP: c . J_i
    out_v, vjp_fun = ad.vjp(f, *args)
    cot = rng.standard_normal(np.shape(out)).astype(dtype)
    cots = vjp_fun(cot)
    for i, (c, j) in enumerate(zip(cots, jac)):
        assert_close(c, _contract(cot, j, out_ndim), rtol, atol * 4, f"{spec}: vjp of argument {i}")

    if single:
        for what, v in (("primal", out_j), ("tangent", t_out), ("vjp primal", out_v)):
            assert np.asarray(v).dtype == np.float32, f"{spec}: float32 {what} became {np.asarray(v).dtype}"
        for i, c in enumerate(cots):
            assert np.asarray(c).dtype == np.float32, f"{spec}: float32 cotangent {i} became {np.asarray(c).dtype}"

    # both Jacobians; chunks 1 and 2 put a batch of directions through every rule
    for mode, chunks in (("forward", (None, 1)), ("reverse", (None, 2))):
        for chunk in chunks:
            got = ad.jacobian(f, argnums=argnums, mode=mode, chunk=chunk)(*args)
            for i, (g, e) in enumerate(zip(got, jac)):
                assert_close(g, e, rtol, atol, f"{spec}: {mode} jacobian (chunk={chunk}) arg {i}")

    if single:
        return oracle

    if spec.fd:
        check_finite_differences(spec, args, rng)

    if spec.order >= 2:
        g_np = lambda *a: np.sum(f(*a) * weights)  # noqa: E731
        nestings = {
            "hessian (fwd-over-rev)": ad.hessian(g_np, argnums),
            "fwd-over-fwd": ad.jacfwd(ad.jacfwd(g_np, argnums), argnums),
            "rev-over-fwd": ad.jacrev(ad.jacfwd(g_np, argnums), argnums),
            "rev-over-rev": ad.jacrev(ad.jacrev(g_np, argnums), argnums),
        }
        r2, a2 = max(rtol, 1e-6), max(atol, 1e-8)
        for label, h in nestings.items():
            got = h(*args)
            for i in argnums:
                for k in argnums:
                    assert_close(got[i][k], hess[i][k], r2, a2, f"{spec}: {label} block ({i}, {k})")
    return oracle
