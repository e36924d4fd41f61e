"""Checks shared by the op-family spec tables: admodes against JAX (x64), finite differences,
forward against reverse, a batch of directions, float32, and second order.

A spec's function takes the array module first, ``fun(xp, *args)``, so the same text runs
on NumPy (through admodes) and on ``jax.numpy`` (the oracle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

import admodes as ad

jax.config.update("jax_enable_x64", True)


@dataclass
class OpSpec:
    """One row of a spec table: a function of ``xp`` and arrays, the shapes to draw, the domain."""

    name: str
    fun: Callable
    shapes: tuple  # one shape per argument
    domain: tuple = (-2.0, 2.0)  # values drawn uniformly from this interval
    order: int = 2  # highest derivative order checked
    draw: Callable | None = None  # custom sampler: rng -> tuple of arrays
    rtol: float = 1e-7
    atol: float = 1e-9
    fd: bool = True  # compare with central finite differences (off for kinks, e.g. max ties)
    extra: dict = field(default_factory=dict)

    def __str__(self):
        return self.name


def draw_args(spec: OpSpec, rng, dtype=np.float64):
    if spec.draw is not None:
        return tuple(np.asarray(a, dtype=dtype) for a in spec.draw(rng))
    lo, hi = spec.domain
    return tuple(rng.uniform(lo, hi, size=s).astype(dtype) for s in spec.shapes)


def numpy_reads(xp, a, upper=False):
    """The matrix NumPy's one-triangle routines (eigh, eigvalsh, cholesky) read from ``a``.

    On NumPy ``a`` itself: admodes must read the triangle on its own. On JAX the
    symmetric matrix ``tril(a) + tril(a, -1)^T`` (``triu`` when ``upper``), on which
    JAX's own symmetrization ``(A + A^T) / 2`` is the identity, so JAX differentiates
    the function NumPy computes.
    """
    if xp is np:
        return a
    lower = xp.tri(a.shape[-1], dtype=bool)
    return xp.where(lower.T if upper else lower, a, xp.swapaxes(a, -1, -2))


def np_fun(spec):
    return lambda *args: spec.fun(np, *args)


def jax_fun(spec):
    return lambda *args: spec.fun(jnp, *args)


def _oracle(transform):
    """``transform`` (a JAX function of arrays) compiled with ``jax.jit``.

    Eager JAX dispatches op by op and is ~10x slower than one compiled call for the
    transforms used here (jacrev, hessian); the numbers are the same. A spec whose
    function needs concrete values (e.g. Python control flow on an entry) cannot be
    traced by ``jit``; it falls back to eager evaluation.
    """
    compiled = jax.jit(transform)

    def call(*args):
        try:
            return compiled(*args)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
                jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError,
                jax.errors.NonConcreteBooleanIndexError):
            return transform(*args)

    return call


def assert_close(actual, expected, rtol, atol, what):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def _random_like(rng, arrays):
    return tuple(rng.standard_normal(np.shape(a)).astype(np.asarray(a).dtype) for a in arrays)


def _reference_program(spec, n_args):
    """One JAX program for every expected number of a row: value, Jacobians, Hessian.

    Compiling, not running, is what JAX costs here, so a row compiles once; the expected
    JVP (J . t) and VJP (c . J) are contractions of the Jacobian (``Reference``).
    """
    f = jax_fun(spec)
    argnums = tuple(range(n_args))

    def program(args, weights):
        ref = {"value": f(*args), "jacobian": jax.jacrev(f, argnums=argnums)(*args)}
        if weights is not None:
            ref["hessian"] = jax.hessian(lambda *a: jnp.sum(f(*a) * weights), argnums=argnums)(*args)
        return ref

    return program


class Reference:
    """The random inputs of one row and JAX's answers for them, from one compiled call.

    ``check_all`` builds one and hands it to each check; a check called on its own
    (without ``reference``) asks JAX itself (jax.jvp, jax.vjp ...), so every check keeps
    its standalone API. The float32 point is the float64 point rounded to float32.
    """

    def __init__(self, spec, args, rng, weights=True):
        self.args = args
        self.tangents = _random_like(rng, args)
        out_shape = np.shape(np_fun(spec)(*args))
        self.cot = rng.standard_normal(out_shape)
        self.weights = rng.standard_normal(out_shape) if weights else None
        self.args32 = tuple(np.asarray(a).astype(np.float32) for a in args)
        self.tangents32 = tuple(t.astype(np.float32) for t in self.tangents)
        weights = None if self.weights is None else jnp.asarray(self.weights)
        self.jax = _oracle(_reference_program(spec, len(args)))(args, weights)
        jac = [np.asarray(j) for j in self.jax["jacobian"]]
        nout = len(out_shape)
        self.jvp = sum((np.tensordot(j, t, axes=np.ndim(t)) for j, t in zip(jac, self.tangents)),
                       np.zeros(out_shape))
        self.vjp = [np.tensordot(self.cot, j, axes=nout) for j in jac]


def check_values(spec, args, reference=None):
    expected = reference.jax["value"] if reference is not None else _oracle(jax_fun(spec))(*args)
    assert_close(np_fun(spec)(*args), expected, spec.rtol, spec.atol, f"{spec}: value")


def check_jvp(spec, args, rng, reference=None):
    if reference is not None:
        tangents = reference.tangents
        j_out, j_t = reference.jax["value"], reference.jvp
    else:
        tangents = _random_like(rng, args)
        j_out, j_t = _oracle(lambda a, t: jax.jvp(jax_fun(spec), a, t))(args, tangents)
    out, t_out = ad.jvp(np_fun(spec), args, tangents)
    assert_close(out, j_out, spec.rtol, spec.atol, f"{spec}: jvp primal")
    assert_close(t_out, j_t, spec.rtol, spec.atol, f"{spec}: jvp tangent")


def check_vjp(spec, args, rng, reference=None):
    out, vjp_fun = ad.vjp(np_fun(spec), *args)
    if reference is not None:
        cot, expected = reference.cot, reference.vjp
    else:
        cot = rng.standard_normal(np.shape(out))
        expected = _oracle(lambda a, c: jax.vjp(jax_fun(spec), *a)[1](c))(args, jnp.asarray(cot))
    cots = vjp_fun(cot)
    for i, (c, jc) in enumerate(zip(cots, expected)):
        assert_close(c, jc, spec.rtol, spec.atol, f"{spec}: vjp of argument {i}")


def check_jacobians(spec, args, reference=None):
    argnums = tuple(range(len(args)))
    if reference is not None:
        expected = reference.jax["jacobian"]
    else:
        expected = _oracle(jax.jacrev(jax_fun(spec), argnums=argnums))(*args)
    for mode in ("forward", "reverse"):
        for chunk in (None, 1, 2):
            got = ad.jacobian(np_fun(spec), argnums=argnums, mode=mode, chunk=chunk)(*args)
            for i, (g, e) in enumerate(zip(got, expected)):
                assert_close(g, e, spec.rtol, spec.atol, f"{spec}: {mode} jacobian (chunk={chunk}) arg {i}")


def check_replay(spec, args, rng, reference):
    """``ad.record`` at another point, replayed at ``args``: the staged program and the interpreter.

    Rules that read values (``abs``, ``max``, the slope of ``x ** y``) must not be frozen
    at the recording point. Where the function's own branches differ between the two
    points (a mask, a sort order: frozen by design), the tape is recorded at ``args``.
    """
    f = np_fun(spec)
    argnums = tuple(range(len(args)))
    other = draw_args(spec, rng)
    tape = ad.record(f, *other, argnums=argnums)
    if not tape.same_branches(*args):
        # replay would re-record at args by itself; record there, so that what is tested
        # is a replay of one recording (staged at its own point, then run at args)
        other = args
        tape = ad.record(f, *args, argnums=argnums)
    for staged in (True, False):
        tape.compile = staged
        what = f"{spec}: replay ({'staged' if staged else 'interpreted'})"
        assert_close(tape(*args), reference.jax["value"], spec.rtol, spec.atol, f"{what} value")
        for mode in ("forward", "reverse"):
            tape.jacobian(*other, mode=mode)  # staged at the recording point, replayed at args
            got = tape.jacobian(*args, mode=mode)
            for i, (g, e) in enumerate(zip(got, reference.jax["jacobian"])):
                assert_close(g, e, spec.rtol, spec.atol, f"{what} {mode} jacobian arg {i}")
        tape.jvp(other, reference.tangents)
        _, t_out = tape.jvp(args, reference.tangents)
        assert_close(t_out, reference.jvp, spec.rtol, spec.atol, f"{what} jvp")
        tape.vjp(*other)[1](reference.cot)
        for i, c in enumerate(tape.vjp(*args)[1](reference.cot)):
            assert_close(c, reference.vjp[i], spec.rtol, spec.atol, f"{what} vjp of argument {i}")


def check_finite_differences(spec, args, rng, eps=1e-6):
    tangents = _random_like(rng, args)
    f = np_fun(spec)
    plus = f(*(a + eps * t for a, t in zip(args, tangents)))
    minus = f(*(a - eps * t for a, t in zip(args, tangents)))
    fd = (np.asarray(plus) - np.asarray(minus)) / (2 * eps)
    _, t_out = ad.jvp(f, args, tangents)
    scale = max(1.0, float(np.max(np.abs(fd))) if np.size(fd) else 1.0)
    assert_close(t_out, fd, 1e-5, 1e-5 * scale, f"{spec}: jvp vs central differences")


def _scalarized(spec, xp, weights):
    return lambda *args: xp.sum(spec.fun(xp, *args) * weights)


def check_second_order(spec, args, rng, reference=None):
    """Hessian of a random weighting of the outputs: all four nestings against jax.hessian."""
    argnums = tuple(range(len(args)))
    if reference is not None and reference.weights is not None:
        weights, expected = reference.weights, reference.jax["hessian"]
    else:
        out = np_fun(spec)(*args)
        weights = rng.standard_normal(np.shape(out))
        g_jax = _scalarized(spec, jnp, jnp.asarray(weights))
        expected = _oracle(jax.hessian(g_jax, argnums=argnums))(*args)
    g_np = _scalarized(spec, np, weights)
    nestings = {
        "hessian (fwd-over-rev)": ad.hessian(g_np, argnums),
        "fwd-over-fwd": ad.jacfwd(ad.jacfwd(g_np, argnums), argnums),
        "rev-over-fwd": ad.jacrev(ad.jacfwd(g_np, argnums), argnums),
        "rev-over-rev": ad.jacrev(ad.jacrev(g_np, argnums), argnums),
        # one direction at a time inside a batch of directions, and the other way round
        "fwd(chunk 2)-over-rev(chunk 1)": ad.jacfwd(ad.jacrev(g_np, argnums, chunk=1), argnums, chunk=2),
        "rev(chunk 1)-over-fwd(chunk 2)": ad.jacrev(ad.jacfwd(g_np, argnums, chunk=2), argnums, chunk=1),
    }
    rtol, atol = max(spec.rtol, 1e-6), max(spec.atol, 1e-8)
    for label, h in nestings.items():
        got = h(*args)
        for i in argnums:
            for j in argnums:
                assert_close(got[i][j], expected[i][j], rtol, atol, f"{spec}: {label} block ({i}, {j})")


def check_float32(spec, rng, reference=None):
    if reference is not None:
        args, tangents = reference.args32, reference.tangents32
    else:
        args = draw_args(spec, rng, np.float32)
        tangents = _random_like(rng, args)
    argnums = tuple(range(len(args)))
    out, t_out = ad.jvp(np_fun(spec), args, tangents)
    assert np.asarray(out).dtype == np.float32, f"{spec}: float32 primal became {np.asarray(out).dtype}"
    assert np.asarray(t_out).dtype == np.float32, f"{spec}: float32 tangent became {np.asarray(t_out).dtype}"
    out, vjp_fun = ad.vjp(np_fun(spec), *args)
    for i, c in enumerate(vjp_fun(np.ones(np.shape(out), np.float32))):
        assert np.asarray(c).dtype == np.float32, f"{spec}: float32 cotangent {i} became {np.asarray(c).dtype}"
    if reference is not None:
        expected = reference.jax["jacobian"]
    else:
        args64 = tuple(a.astype(np.float64) for a in args)
        expected = _oracle(jax.jacrev(jax_fun(spec), argnums=argnums))(*args64)
    got = ad.jacobian(np_fun(spec), argnums=argnums)(*args)
    for g, e in zip(got, expected):
        assert_close(g, e, 2e-3, 2e-3 * max(1.0, float(np.max(np.abs(e))) if np.size(e) else 1.0), f"{spec}: float32 jacobian")


def check_all(spec: OpSpec, seed: int = 0, second_order: bool | None = None):
    """Every check of one spec row (the function the spec tables parametrise).

    JAX's answers for the row come from one compiled program (``Reference``).
    ``second_order=False`` skips the four nestings (default: ``spec.order >= 2``).
    """
    rng = np.random.default_rng(seed)
    args = draw_args(spec, rng)
    if second_order is None:
        second_order = spec.order >= 2
    ref = Reference(spec, args, rng, weights=second_order)
    check_values(spec, args, ref)
    check_jvp(spec, args, rng, ref)
    check_vjp(spec, args, rng, ref)
    check_jacobians(spec, args, ref)
    check_replay(spec, args, rng, ref)
    if spec.fd:
        check_finite_differences(spec, args, rng)
    if second_order:
        check_second_order(spec, args, rng, ref)
    check_float32(spec, rng, ref)


def check_jacobian_values(spec: OpSpec, args, expected):
    """Hand-written Jacobians at chosen points (kinks, ties): admodes in both modes and JAX.

    ``expected`` has one Jacobian per argument (shape ``out.shape + arg.shape``). Used
    for the conventions at non-differentiable points, where finite differences say
    nothing: the hand numbers pin the convention, JAX confirms it is JAX's.
    """
    args = tuple(np.asarray(a, dtype=np.float64) for a in args)
    expected = tuple(np.asarray(e, dtype=np.float64) for e in expected)
    argnums = tuple(range(len(args)))
    jax_jac = jax.jacrev(jax_fun(spec), argnums=argnums)(*args)
    for i, (j, e) in enumerate(zip(jax_jac, expected)):
        assert_close(j, e, 0, 1e-12, f"{spec}: JAX's own jacobian arg {i} (is the hand value right?)")
    for mode in ("forward", "reverse"):
        for chunk in (None, 1, 2):
            got = ad.jacobian(np_fun(spec), argnums=argnums, mode=mode, chunk=chunk)(*args)
            for i, (g, e) in enumerate(zip(got, expected)):
                assert_close(g, e, 0, 1e-12, f"{spec}: {mode} jacobian (chunk={chunk}) arg {i}")
