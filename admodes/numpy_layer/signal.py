"""Sampled functions on traced values: convolve, correlate, interp, gradient, trapezoid, polyval,
unwrap, linspace, logspace.

Each is written with the other handlers: a convolution is a constant gather of the longer
signal (zero-padded) times the shorter one (``matmul``: bilinear, so both may be traced);
``interp`` is the linear formula between two constant grid points found by a (logged)
``searchsorted``; ``gradient`` and ``trapezoid`` are differences and sums with constant
coefficients; ``unwrap`` adds a piecewise-constant correction (multiples of the period, a
constant), so its derivative is the identity; ``linspace`` is ``start + k * step``.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..core import AdmodesError, Tracer, concrete, shape_of
from ..ops import elementwise as e
from ..ops import indexing
from ..ops import shape as shape_ops
from .contractions import matmul
from .dispatch import as_operand, frozen, implements, ndim_of, one_axis
from .reductions import diff, sum_
from .shapes import astype, expand_dims, moveaxis, reshaped, take_axis

__all__ = []  # reached through NumPy's own functions

_MODES = ("full", "same", "valid")


def _dtype(*values):
    return np.result_type(*(concrete(v) for v in values))


def _full_convolution(a, v):
    """out[k] = sum_j a[k - j] v[j]: the rows of the zero-padded longer signal times the shorter one."""
    if shape_of(a)[0] < shape_of(v)[0]:
        a, v = v, a
    n, m = shape_of(a)[0], shape_of(v)[0]
    if m > 1:
        zeros = np.zeros(m - 1, dtype=_dtype(a))
        a = indexing.concatenate(zeros, a, zeros, axis=0)
    rows = np.arange(n + m - 1)[:, None] + (m - 1) - np.arange(m)[None, :]
    return matmul(indexing.getitem(a, index=(rows,)), v)


def _signals(a, v, name):
    a, v = as_operand(a), as_operand(v)
    if ndim_of(a) != 1 or ndim_of(v) != 1:
        a = reshaped(a, (-1,)) if ndim_of(a) == 0 else a
        v = reshaped(v, (-1,)) if ndim_of(v) == 0 else v
        if ndim_of(a) != 1 or ndim_of(v) != 1:
            raise ValueError("object too deep for desired array")
    if shape_of(a)[0] == 0:
        raise ValueError(f"{name}: a cannot be empty")
    if shape_of(v)[0] == 0:
        raise ValueError(f"{name}: v cannot be empty")
    return a, v


def _mode(mode):
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    return mode


@implements(np.convolve)
def convolve(a, v, mode="full"):
    a, v = _signals(a, v, "convolve")
    n, m = shape_of(a)[0], shape_of(v)[0]
    full = _full_convolution(a, v)
    longest, shortest = max(n, m), min(n, m)
    start = {"full": 0, "same": (shortest - 1) // 2, "valid": shortest - 1}[_mode(mode)]
    length = {"full": n + m - 1, "same": longest, "valid": longest - shortest + 1}[mode]
    return full if mode == "full" else take_axis(full, slice(start, start + length), 0)


@implements(np.correlate)
def correlate(a, v, mode="valid"):
    """c[k] = sum_n a[n + k] v[n] (real values: no conjugate), NumPy's layout of 'same' included
    (a shorter ``a`` is correlated the other way round and reversed, which moves the window)."""
    a, v = _signals(a, v, "correlate")
    n, m = shape_of(a)[0], shape_of(v)[0]
    full = _full_convolution(a, take_axis(v, slice(None, None, -1), 0))
    longest, shortest = max(n, m), min(n, m)
    length = {"full": n + m - 1, "same": longest, "valid": longest - shortest + 1}[_mode(mode)]
    start = {"full": 0, "same": (shortest - 1) // 2, "valid": shortest - 1}[mode]
    if m > n:
        start = n + m - 1 - length - start
    return full if mode == "full" else take_axis(full, slice(start, start + length), 0)


# ---------------------------------------------------------------- interpolation


@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation: d/dfp and d/dx (the slope of the piece x lies on; 0 outside
    the grid, where the value is ``left``/``right``). The grid ``xp`` must be a plain array."""
    if isinstance(xp, Tracer):
        raise AdmodesError("np.interp with a traced xp: the derivative in the grid points is not supported; "
                           "pass xp as a plain array (x and fp may be traced).")
    for name, value in (("left", left), ("right", right), ("period", period)):
        if isinstance(value, Tracer):
            raise AdmodesError(f"np.interp with a traced {name}=: pass it as a plain number.")
    if period is not None:
        raise AdmodesError("np.interp(..., period=...) is not supported on traced values; drop 'period=' "
                           "(reduce x modulo the period and extend xp, fp by one period yourself).")
    xp = np.asarray(xp, dtype=np.float64)
    fp = as_operand(fp)
    if xp.ndim != 1 or ndim_of(fp) != 1:
        raise ValueError("data points must be 1-D sequences")
    if xp.shape[0] != shape_of(fp)[0]:
        raise ValueError("fp and xp are not of the same length")
    if xp.shape[0] == 0:
        raise ValueError("array of sample points is empty")
    x = as_operand(x)
    # the dtype of x and fp (NumPy's interp always returns float64; JAX and admodes keep float32)
    xp = xp.astype(np.result_type(_dtype(x, fp), np.float16))
    n = xp.shape[0]
    first = indexing.getitem(fp, index=(0,))
    last = indexing.getitem(fp, index=(n - 1,))
    if n == 1:
        out = e.add(e.mul(x, 0), first)
    else:
        # the piece [xp[i-1], xp[i]] that x lies on (JAX's choice at a grid point: the right piece)
        i = np.clip(frozen(lambda xv: np.searchsorted(xp, xv, side="right"), x), 1, n - 1)
        lower = indexing.getitem(fp, index=(i - 1,))
        rise = e.sub(indexing.getitem(fp, index=(i,)), lower)
        run = xp[i] - xp[i - 1]
        flat = run == 0
        slope = e.div(rise, np.where(flat, 1, run))
        out = e.add(lower, e.select(flat, 0, e.mul(slope, e.sub(x, xp[i - 1]))))
    below = frozen(lambda xv: np.asarray(xv < xp[0]), x)
    above = frozen(lambda xv: np.asarray(xv > xp[-1]), x)
    out = e.select(below, first if left is None else left, out)
    return e.select(above, last if right is None else right, out)


# ---------------------------------------------------------------- differences and sums


def _spacings(f, varargs, axes):
    if any(isinstance(d, Tracer) for d in varargs):
        raise AdmodesError("np.gradient with traced spacings: pass the spacings (or coordinates) as plain "
                           "numbers or arrays; f may be traced.")
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [float(varargs[0])] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("invalid number of arguments")
    out = []
    for d, ax in zip(varargs, axes):
        d = np.asarray(d)
        if d.ndim == 0:
            out.append(float(d))
            continue
        if d.ndim != 1:
            raise ValueError("distances must be either scalars or 1d")
        if d.shape[0] != shape_of(f)[ax]:
            raise ValueError("when 1d, distances must match the length of the corresponding dimension")
        steps = np.diff(d.astype(np.result_type(d.dtype, concrete(f)) if d.dtype.kind in "iu" else d.dtype))
        out.append(steps[0].item() if np.all(steps == steps[0]) else steps)  # uniform: NumPy's scalar step
    return out


def _along(coefficient, ax, ndim):
    """A 1-D array of coefficients shaped to multiply along axis ``ax``."""
    if np.ndim(coefficient) == 0:
        return coefficient
    shape = [1] * ndim
    shape[ax] = -1
    return np.reshape(coefficient, shape)


def _combination(f, ax, terms):
    """sum of coefficient * f[slice] along ``ax``."""
    out = None
    for coefficient, piece in terms:
        term = e.mul(take_axis(f, piece, ax), _along(coefficient, ax, ndim_of(f)))
        out = term if out is None else e.add(out, term)
    return out


def _gradient_axis(f, ax, dx, edge_order):
    n = shape_of(f)[ax]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, "
                         "at least (edge_order + 1) elements are required.")
    s = slice
    if np.ndim(dx) == 0:
        interior = e.div(e.sub(take_axis(f, s(2, None), ax), take_axis(f, s(None, -2), ax)), 2.0 * dx)
        if edge_order == 1:
            head = e.div(e.sub(take_axis(f, s(1, 2), ax), take_axis(f, s(0, 1), ax)), dx)
            tail = e.div(e.sub(take_axis(f, s(-1, None), ax), take_axis(f, s(-2, -1), ax)), dx)
        else:
            head = _combination(f, ax, [(-1.5 / dx, s(0, 1)), (2.0 / dx, s(1, 2)), (-0.5 / dx, s(2, 3))])
            tail = _combination(f, ax, [(0.5 / dx, s(-3, -2)), (-2.0 / dx, s(-2, -1)), (1.5 / dx, s(-1, None))])
    else:
        dx1, dx2 = dx[:-1], dx[1:]
        interior = _combination(f, ax, [(-dx2 / (dx1 * (dx1 + dx2)), s(None, -2)),
                                        ((dx2 - dx1) / (dx1 * dx2), s(1, -1)),
                                        (dx1 / (dx2 * (dx1 + dx2)), s(2, None))])
        if edge_order == 1:
            head = e.div(e.sub(take_axis(f, s(1, 2), ax), take_axis(f, s(0, 1), ax)), dx[0])
            tail = e.div(e.sub(take_axis(f, s(-1, None), ax), take_axis(f, s(-2, -1), ax)), dx[-1])
        else:
            a1, a2 = dx[0], dx[1]
            head = _combination(f, ax, [(-(2.0 * a1 + a2) / (a1 * (a1 + a2)), s(0, 1)),
                                        ((a1 + a2) / (a1 * a2), s(1, 2)), (-a1 / (a2 * (a1 + a2)), s(2, 3))])
            b1, b2 = dx[-2], dx[-1]
            tail = _combination(f, ax, [(b2 / (b1 * (b1 + b2)), s(-3, -2)),
                                        (-(b2 + b1) / (b1 * b2), s(-2, -1)),
                                        ((2.0 * b2 + b1) / (b2 * (b1 + b2)), s(-1, None))])
    return indexing.concatenate(head, interior, tail, axis=ax)


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's second-order central differences inside, first- or second-order one-sided ones at
    the edges (``edge_order``), for unit, scalar or coordinate-array spacings (plain values)."""
    ndim = ndim_of(f)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        axes = tuple(normalize_axis_index(int(a), ndim) for a in axes)
        if len(set(axes)) != len(axes):
            raise ValueError("repeated axis")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    if np.issubdtype(_dtype(f), np.integer):
        f = astype(f, np.float64)
    out = [_gradient_axis(f, ax, dx, edge_order) for ax, dx in zip(axes, _spacings(f, varargs, axes))]
    return out[0] if len(axes) == 1 else tuple(out)


@implements(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """sum(d * (y[1:] + y[:-1]) / 2) along ``axis``, d = diff(x) or dx (either may be traced)."""
    y = as_operand(y)
    ndim = ndim_of(y)
    axis = one_axis(axis, ndim)
    if x is None:
        d = dx
    else:
        x = as_operand(x)
        if ndim_of(x) == 1:
            d = diff(x)
            shape = [1] * ndim
            shape[axis] = shape_of(d)[0]
            d = reshaped(d, tuple(shape))
        else:
            d = diff(x, axis=axis)
    pairs = e.add(take_axis(y, slice(1, None), axis), take_axis(y, slice(None, -1), axis))
    return sum_(e.div(e.mul(d, pairs), 2.0), axis=axis)


if hasattr(np, "trapz"):  # NumPy < 2.0's name
    implements(np.trapz)(trapezoid)


@implements(np.polyval)
def polyval(p, x):
    """Horner's scheme, as NumPy computes it: y = 0; y = y * x + c for each coefficient c."""
    if isinstance(p, np.poly1d) or isinstance(x, np.poly1d):
        raise AdmodesError("np.polyval with a np.poly1d on traced values: pass the coefficients as an array.")
    p, x = as_operand(p), as_operand(x)
    y = np.zeros(shape_of(x), dtype=_dtype(x))
    for k in range(shape_of(p)[0]):
        y = e.add(e.mul(y, x), indexing.getitem(p, index=(k,)))
    return y


def _unwrap_correction(pv, discont, axis, period):
    """NumPy's piecewise-constant correction of p[1:] (plain values), to be added to p[1:]."""
    dd = np.diff(pv, axis=axis)
    if discont is None:
        discont = period / 2
    high = period / 2
    ddmod = np.mod(dd + high, period) - high
    np.copyto(ddmod, high, where=(ddmod == -high) & (dd > 0))
    correct = ddmod - dd
    np.copyto(correct, 0, where=abs(dd) < discont)
    return correct.cumsum(axis)


@implements(np.unwrap)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """p plus a piecewise-constant correction (a constant): the derivative is the identity."""
    if isinstance(discont, Tracer) or isinstance(period, Tracer):
        raise AdmodesError("np.unwrap with a traced discont or period: pass them as plain numbers.")
    if np.issubdtype(_dtype(p), np.integer) or np.issubdtype(np.result_type(period), np.integer):
        raise AdmodesError("np.unwrap of integers on traced values: use floating-point values and period.")
    axis = one_axis(axis, ndim_of(p))
    correction = frozen(_unwrap_correction, p, discont=discont, axis=axis, period=period)
    if shape_of(p)[axis] < 2:
        return p[...]
    rest = e.add(take_axis(p, slice(1, None), axis), correction)
    return indexing.concatenate(take_axis(p, slice(0, 1), axis), rest, axis=axis)


# ---------------------------------------------------------------- sample points


@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    """start + k * step (NumPy's formula, with the last point ``stop`` itself when ``endpoint``)."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    inexact = np.result_type(concrete(start), concrete(stop), 1.0)  # Python numbers weak, as in NumPy
    start, stop = (v if isinstance(v, Tracer) else np.asarray(v, dtype=inexact) for v in (start, stop))
    delta = e.sub(stop, start)
    dims = tuple(shape_of(delta))
    k = np.arange(num, dtype=inexact).reshape((-1,) + (1,) * len(dims))
    if div > 0:
        step = e.div(delta, div)
        y = e.add(e.mul(k, step), start)
    else:
        step = np.full(dims, np.nan, dtype=inexact)
        y = e.add(e.mul(k, delta), start)
    if endpoint and num > 1:
        stop_row = shape_ops.broadcast_to(stop, shape=dims) if isinstance(stop, Tracer) \
            else np.broadcast_to(np.asarray(stop, dtype=inexact), dims)
        y = indexing.concatenate(take_axis(y, slice(None, -1), 0), reshaped(stop_row, (1,) + dims), axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop), broadcast as NumPy does; the base may be traced too."""
    dtype_in = np.result_type(concrete(start), concrete(stop), 1.0)  # Python numbers weak, as in NumPy
    start, stop = (v if isinstance(v, Tracer) else np.asarray(v, dtype=dtype_in) for v in (start, stop))
    ndmax = len(np.broadcast_shapes(shape_of(start), shape_of(stop), shape_of(base)))

    def lifted(v):
        shape = tuple(shape_of(v))
        return v if len(shape) == ndmax else reshaped(v, (1,) * (ndmax - len(shape)) + shape)

    y = linspace(lifted(start), lifted(stop), num=num, endpoint=endpoint, axis=axis)
    if ndmax and ndim_of(base):  # a scalar base broadcasts as it is (and a Python number stays weak)
        base = expand_dims(lifted(as_operand(base)), axis)
    out = e.power_any(base, y)
    return out if dtype is None else astype(out, dtype)
