"""np.pad on traced values. Each axis in turn (as NumPy pads them) gets its two pad blocks
joined on by ``concatenate``: a constant block (``constant``), a constant gather of the array's
own entries (``edge``, ``reflect``, ``symmetric``, ``wrap``), a statistic of the entries next to
the edge broadcast over the block (``maximum``, ``minimum``, ``mean``, ``median``: their own
derivatives, ties as those functions split them), or a ramp from a constant end value to the
edge (``linear_ramp``: ``linspace`` with a traced stop).
"""

from __future__ import annotations

import numpy as np

from ..core import AdmodesError, Tracer, concrete, shape_of
from ..ops import indexing
from ..ops import shape as shape_ops
from .dispatch import implements, ndim_of
from .reductions import amax, amin, mean
from .shapes import astype, take_axis
from .signal import linspace
from .statistics import median

__all__ = []  # reached through np.pad

_STATISTICS = {"maximum": amax, "minimum": amin, "mean": mean, "median": median}


def _pairs(value, ndim):
    """NumPy's (before, after) per axis from a scalar, a pair or one pair per axis."""
    value = np.asarray(value)
    return np.broadcast_to(value, (ndim, 2)) if ndim else np.zeros((0, 2), dtype=value.dtype)

@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    if callable(mode):
        raise AdmodesError("np.pad with a function as mode is not supported on traced values; use a named mode.")
    ndim = ndim_of(array)
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    widths = _pairs(widths, ndim).astype(np.intp)
    if np.any(widths < 0):
        raise ValueError("index can't contain negative values")
    if mode == "constant":
        unknown = set(kwargs) - {"constant_values"}
        if unknown:
            raise ValueError(f"unsupported keyword arguments for mode 'constant': {sorted(unknown)}")
        values = kwargs.get("constant_values", 0)
        traced = isinstance(values, Tracer)
        if traced and ndim_of(values) != 0:
            raise AdmodesError("np.pad: traced constant_values must be a scalar on traced values.")
        if not traced:
            values = _pairs(values, ndim)
        out = array
        for ax in range(ndim):
            pieces = []
            for side, width in enumerate(widths[ax]):
                if width == 0:
                    continue
                shape = list(shape_of(out))
                shape[ax] = int(width)
                if traced:
                    block = shape_ops.broadcast_to(values, shape=tuple(shape))
                else:
                    dtype = np.result_type(concrete(out))
                    block = np.full(shape, values[ax, side], dtype=dtype)
                pieces.append((side, block))
            if pieces:
                parts = [b for s, b in pieces if s == 0] + [out] + [b for s, b in pieces if s == 1]
                out = indexing.concatenate(*parts, axis=ax)
        return out
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        if kwargs.get("reflect_type", "even") != "even":
            raise AdmodesError("np.pad on traced values supports reflect_type='even' only.")
        out = array
        for ax in range(ndim):
            before, after = (int(w) for w in widths[ax])
            if before == after == 0:
                continue
            index = np.pad(np.arange(shape_of(out)[ax]), (before, after), mode=mode)
            out = take_axis(out, index, ax)
        return out
    if mode in _STATISTICS:
        unknown = set(kwargs) - {"stat_length"}
        if unknown:
            raise ValueError(f"unsupported keyword arguments for mode '{mode}': {sorted(unknown)}")
        return _pad_with_statistic(array, widths, mode, kwargs.get("stat_length"))
    if mode == "linear_ramp":
        unknown = set(kwargs) - {"end_values"}
        if unknown:
            raise ValueError(f"unsupported keyword arguments for mode 'linear_ramp': {sorted(unknown)}")
        return _pad_with_ramps(array, widths, kwargs.get("end_values", 0))
    raise AdmodesError(
        f"np.pad(mode={mode!r}) is not supported on traced values; use 'constant', 'edge', "
        "'reflect', 'symmetric', 'wrap', 'maximum', 'minimum', 'mean', 'median' or 'linear_ramp'."
    )


def _join(out, ax, before, after):
    parts = [p for p in (before, out, after) if p is not None]
    return out if len(parts) == 1 else indexing.concatenate(*parts, axis=ax)


def _block(value, shape):
    return shape_ops.broadcast_to(value, shape=tuple(shape))


def _pad_with_statistic(array, widths, mode, stat_length):
    statistic = _STATISTICS[mode]
    ndim = ndim_of(array)
    lengths = [(None, None)] * ndim if stat_length is None else _pairs(stat_length, ndim)
    out = array
    for ax in range(ndim):
        before, after = (int(w) for w in widths[ax])
        if before == after == 0:
            continue
        n = shape_of(out)[ax]
        chunks = []
        for side, width in ((0, before), (1, after)):
            length = lengths[ax][side]
            length = n if length is None or int(length) > n else int(length)
            if length < 0:
                raise ValueError("index can't contain negative values")
            if length == 0 and mode in ("maximum", "minimum"):
                raise ValueError("stat_length of 0 yields no value for padding")
            if width == 0:
                chunks.append(None)
                continue
            region = take_axis(out, slice(0, length) if side == 0 else slice(n - length, n), ax)
            stat = statistic(region, axis=ax, keepdims=True)
            shape = list(shape_of(out))
            shape[ax] = width
            chunks.append(_block(stat, shape))
        out = _join(out, ax, *chunks)
    return out


def _pad_with_ramps(array, widths, end_values):
    if isinstance(end_values, Tracer):
        raise AdmodesError("np.pad(mode='linear_ramp') with traced end_values: pass them as plain numbers.")
    ndim = ndim_of(array)
    ends = _pairs(end_values, ndim)
    dtype = np.result_type(concrete(array))
    out = array
    for ax in range(ndim):
        before, after = (int(w) for w in widths[ax])
        if before == after == 0:
            continue
        n = shape_of(out)[ax]
        chunks = []
        for side, width in ((0, before), (1, after)):
            if width == 0:
                chunks.append(None)
                continue
            edge = take_axis(out, 0 if side == 0 else n - 1, ax)  # the edge, its axis dropped
            ramp = linspace(np.asarray(ends[ax, side], dtype=dtype), edge, num=width, endpoint=False, axis=ax)
            ramp = astype(ramp, dtype) if np.result_type(concrete(ramp)) != dtype else ramp
            chunks.append(ramp if side == 0 else take_axis(ramp, slice(None, None, -1), ax))
        out = _join(out, ax, *chunks)
    return out
