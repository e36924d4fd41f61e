"""NumPy's own protocols, so that user code keeps ``import numpy as np``.

A traced value implements ``__array_ufunc__`` (NEP 13) and ``__array_function__``
(NEP 18): ``np.sin(x)``, ``np.sum(x, axis=0)``, ``x @ W`` on a traced ``x`` arrive
here and are routed to primitives, or to *composites* written with primitives
(``np.mean`` is a sum and a division). Every NumPy entry point admodes knows is in
one of the tables below; anything else raises an error that names the function,
instead of silently returning an object array or a number without its derivative.

Functions whose result does not depend differentiably on their input (comparisons,
``argmax``, ``floor``, ``shape`` ...) are evaluated on the plain values: their
derivative is zero, as in JAX.
"""

from __future__ import annotations

import builtins
import functools

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from . import core
from .core import AdmodesError, Primitive, Tracer, bind, concrete, shape_of
from .values import refusal

_NO_PARAMS: dict = {}  # shared, never mutated: params of primitives called without any
from .ops import contractions, elementwise, indexing, reductions
from .ops import shape as shape_ops

__all__ = ["UFUNC_HANDLERS", "FUNCTION_HANDLERS", "ZERO_DERIVATIVE", "implements", "supported_functions"]

UFUNC_HANDLERS: dict = {
    np.add: elementwise.add,
    np.subtract: elementwise.sub,
    np.multiply: elementwise.mul,
    np.true_divide: elementwise.div,
    np.power: elementwise.power_any,
    np.negative: elementwise.neg,
    np.exp: elementwise.exp,
    np.log: elementwise.log,
    np.sin: elementwise.sin,
    np.cos: elementwise.cos,
    np.tan: elementwise.tan,
    np.tanh: elementwise.tanh,
    np.sqrt: elementwise.sqrt,
    np.absolute: elementwise.absolute,
    np.square: elementwise.square,
    np.reciprocal: elementwise.reciprocal,
    np.maximum: elementwise.maximum,
    np.minimum: elementwise.minimum,
}

# ufuncs and functions with a zero (or undefined) derivative: evaluated on plain values
ZERO_DERIVATIVE = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isfinite, np.isinf,
    np.isnan, np.sign, np.floor, np.ceil, np.rint, np.trunc, np.signbit,
    np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.shape, np.ndim, np.size,
    np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.isclose, np.allclose,
    np.array_equal, np.result_type, np.count_nonzero, np.round, np.around, np.any, np.all,
    np.searchsorted, np.iscomplexobj, np.isrealobj, np.isscalar,
}

FUNCTION_HANDLERS: dict = {}


def implements(*functions):
    """Register a handler for NumPy functions called with traced arguments."""

    def register(handler):
        for f in functions:
            FUNCTION_HANDLERS[f] = handler
        return handler

    return register


def supported_functions() -> list[str]:
    """Names of every NumPy ufunc and function that admodes differentiates."""
    names = {f"np.{u.__name__}" for u in UFUNC_HANDLERS}
    names |= {f"np.{getattr(f, '__name__', str(f))}" for f in FUNCTION_HANDLERS}
    return sorted(names)


# ----------------------------------------------------------------- the protocols


def _refuse_keywords(name, kwargs, allowed=()):
    for key, value in kwargs.items():
        if key in allowed:
            continue
        if key == "out" and (value is None or (isinstance(value, tuple) and all(v is None for v in value))):
            continue
        if key == "where" and value is True:
            continue
        raise AdmodesError(
            f"np.{name}(..., {key}=...) is not supported on traced values: admodes would "
            f"ignore it and return a wrong derivative. Drop '{key}=' and combine results "
            "with np.where, or compute a new array instead of writing into one."
        )


def _unsupported(name):
    return AdmodesError(
        f"np.{name} has no derivative rule in admodes, so it cannot be applied to a traced "
        "value. Write the computation with supported functions (ad.supported_functions() "
        "lists them), or give your function its own derivative with ad.custom_jvp / "
        "ad.custom_vjp."
    )


def _concrete_args(args):
    return [
        type(a)(concrete(v) for v in a) if isinstance(a, list | tuple) else concrete(a) for a in args
    ]


def _operand(value, where):
    """A plain operand of a traced value as NumPy reads it (a list becomes an array), or a
    clear refusal of one admodes would differentiate wrongly (see ``admodes.values``)."""
    t = type(value)
    if t is not np.ndarray and not isinstance(value, int | float | np.generic | np.ndarray):
        value = np.asarray(value)  # lists, tuples, other numbers: what NumPy would make of them
    reason = refusal(value)
    if reason is not None:
        raise AdmodesError(f"{where}: a traced value met {reason}")
    return value


def _check_operands(args, where):
    """``_operand``'s refusals for the plain arguments of a NumPy function (and the entries of
    a list or tuple argument, as in np.concatenate([x, c])); nothing is converted."""
    for a in args:
        if isinstance(a, list | tuple):
            for v in a:
                if not isinstance(v, Tracer) and (reason := refusal(v)) is not None:
                    raise AdmodesError(f"{where}: a traced value met {reason}")
        elif not isinstance(a, Tracer) and (reason := refusal(a)) is not None:
            raise AdmodesError(f"{where}: a traced value met {reason}")


def _divmod(x, y):
    """np.divmod: the floor quotient (no derivative, logged for ad.record) and the remainder."""
    return frozen(np.floor_divide, x, y), elementwise.remainder(x, y)


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__":
        if ufunc is np.matmul and len(inputs) == 2 and not kwargs and core.SHORTCUTS:
            a = inputs[0]
            if type(a) is np.ndarray and a.ndim == 2 and inputs[1] is self and len(self.shape) == 1 and a.dtype.kind == "f":
                # W @ x, the commonest product: x is the only tracer, so its trace is the top
                return self._trace.process(contractions.matvec, inputs, _NO_PARAMS)
        if len(inputs) > 1:
            inputs = tuple([a if isinstance(a, Tracer) or type(a) is float else _operand(a, f"np.{ufunc.__name__}")
                            for a in inputs])
        if ufunc is np.matmul and len(inputs) == 2 and not kwargs:
            return matmul(*inputs)
        prim = UFUNC_HANDLERS.get(ufunc)
        if prim is not None:
            if kwargs:
                _refuse_keywords(ufunc.__name__, kwargs)
            if type(prim) is Primitive:
                if len(inputs) == 1 and core.SHORTCUTS:  # np.sin(x): x is the only tracer, so its trace is the top
                    return self._trace.process(prim, inputs, _NO_PARAMS)
                return bind(prim, inputs, _NO_PARAMS)
            return prim(*inputs)
        if ufunc is np.divmod:
            if kwargs:
                _refuse_keywords("divmod", kwargs)
            return _divmod(*inputs)
        if ufunc in ZERO_DERIVATIVE:
            result = ufunc(*_concrete_args(inputs), **kwargs)
            if core.observers:
                _note_frozen(ufunc, kwargs, inputs, result)
            return result
        raise _unsupported(ufunc.__name__)
    if method == "reduce" and ufunc in _UFUNC_REDUCTIONS:
        _refuse_keywords(f"{ufunc.__name__}.reduce", kwargs, allowed=("axis", "keepdims"))
        x = inputs[0]
        return _UFUNC_REDUCTIONS[ufunc](x, axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    raise _unsupported(f"{ufunc.__name__}.{method}")


def array_function(self, func, types, args, kwargs):
    handler = FUNCTION_HANDLERS.get(func)
    if handler is not None:
        _check_operands(args, f"np.{getattr(func, '__name__', func)}")
        return handler(*args, **kwargs)
    if func in ZERO_DERIVATIVE:
        kwargs = {k: concrete(v) for k, v in kwargs.items()}
        result = func(*_concrete_args(args), **kwargs)
        if core.observers:
            _note_frozen(func, kwargs, args, result)
        return result
    raise _unsupported(getattr(func, "__name__", str(func)))


# Functions whose result depends only on shapes and dtypes: a replay cannot change them
# (and np.empty_like's contents are arbitrary, so re-checking them would fail at random).
_SHAPE_ONLY = {
    np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.result_type, np.iscomplexobj, np.isrealobj, np.isscalar,
}


def _note_frozen(func, kwargs, operands, result):
    """Tell recordings (ad.record) about a value computed from traced values.

    The tape keeps such a value as a constant (sign(x), floor(x), argmax(x), x > 0 ...), so
    the branch check must re-evaluate it at a new point, not only comparisons.
    """
    if func in _SHAPE_ONLY:
        return
    core.note_comparison(functools.partial(func, **kwargs) if kwargs else func, operands, result)


def frozen(func, *operands, **kwargs):
    """``func`` of the plain values of ``operands``: a constant for derivatives (a sort's
    permutation, a NaN mask ...), logged for the branch check of ad.record."""
    result = func(*[concrete(a) for a in operands], **kwargs)
    if core.observers:
        _note_frozen(func, kwargs, operands, result)
    return result


# ----------------------------------------------------------------- reductions


def _reduction(prim, numpy_name):
    def handler(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        _refuse_keywords(numpy_name, {"out": out, **kwargs})
        if dtype is not None:
            a = astype(a, dtype)
        axis = reductions.normalize_axis(axis, len(shape_of(a)))
        return prim(a, axis=axis, keepdims=bool(keepdims))

    handler.__name__ = numpy_name
    return handler


sum_ = implements(np.sum)(_reduction(reductions.sum_, "sum"))
prod = implements(np.prod)(_reduction(reductions.prod, "prod"))
amax = implements(np.max, np.amax)(_reduction(reductions.max_, "max"))
amin = implements(np.min, np.amin)(_reduction(reductions.min_, "min"))

_UFUNC_REDUCTIONS = {np.add: sum_, np.multiply: prod, np.maximum: amax, np.minimum: amin}


def _count(a, axis):
    shp = shape_of(a)
    axes = reductions.normalize_axis(axis, len(shp))
    return int(np.prod([shp[i] for i in axes], dtype=np.int64))


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    total = sum_(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kwargs)
    return elementwise.div(total, _count(a, axis))


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    _refuse_keywords("var", {"out": out, **kwargs})
    centered = elementwise.sub(a, mean(a, axis=axis, dtype=dtype, keepdims=True))
    squares = sum_(elementwise.square(centered), axis=axis, keepdims=keepdims)
    return elementwise.div(squares, builtins.max(_count(a, axis) - ddof, 0))


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """np.std as sqrt(var). Where the reduced axes hold one entry (and ddof=0) the standard
    deviation is identically 0, so its derivative is 0 (JAX's sqrt-of-var gives NaN there:
    a slope of 1/0 times 0). Where several entries are all equal, std has a kink (a cone),
    and the derivative is NaN in admodes as in JAX. See docs/conventions.md."""
    variance = var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kwargs)
    if ddof == 0 and _count(a, axis) == 1:
        return np.zeros(shape_of(variance), dtype=np.result_type(concrete(variance)))
    return elementwise.sqrt(variance)


# ----------------------------------------------------------------- shape


def _astype_plain(a, dtype):
    return np.asarray(a).astype(dtype)


def astype(a, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        raise AdmodesError(
            f"astype({dtype}) of a traced value: admodes differentiates real-valued code only; "
            "keep the computation real (e.g. split real and imaginary parts)."
        )
    if not np.issubdtype(dtype, np.floating):
        # to integers or booleans: no derivative, and a value the replay must re-check
        return frozen(_astype_plain, a, dtype=dtype)
    if isinstance(a, Tracer) and a.dtype == dtype:
        return a
    return shape_ops.astype(a, dtype=dtype)


@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise AdmodesError("np.reshape on traced values supports only order='C'.")
    target = shape if shape is not None else newshape
    if isinstance(target, int | np.integer):
        target = (int(target),)
    return _reshape(a, tuple(target))


def _reshape(a, target):
    """Reshape, resolving -1 and checking the size as NumPy does; a no-op when nothing changes."""
    current = shape_of(a)
    target = np.empty(current, dtype=np.bool_).reshape(target).shape
    if tuple(target) == current:
        return a
    return shape_ops.reshape(a, shape=tuple(target))


@implements(np.transpose)
def transpose(a, axes=None):
    ndim = len(shape_of(a))
    if axes is None:
        axes = tuple(range(ndim))[::-1]
    axes = normalize_axis_tuple(axes, ndim) if ndim else tuple(axes)  # NumPy's AxisError, no wrapping around
    if sorted(axes) != list(range(ndim)):
        raise ValueError(f"axes {axes} don't match array of {ndim} dimensions")
    return shape_ops.transpose(a, axes=axes)


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    target = (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(s) for s in shape)
    np.broadcast_to(np.empty(shape_of(array), dtype=np.bool_), target)  # NumPy's own shape check
    return shape_ops.broadcast_to(array, shape=target)


@implements(np.expand_dims)
def expand_dims(a, axis):
    shp = list(shape_of(a))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    ndim = len(shp) + len(axes)
    for ax in sorted(normalize_axis_tuple(axes, ndim)):
        shp.insert(ax, 1)
    return _reshape(a, tuple(shp))


@implements(np.squeeze)
def squeeze(a, axis=None):
    shp = shape_of(a)
    if axis is None:
        axes = {i for i, s in enumerate(shp) if s == 1}
    else:
        axes = set(reductions.normalize_axis(axis, len(shp)))
        if any(shp[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return _reshape(a, tuple(s for i, s in enumerate(shp) if i not in axes))


@implements(np.ravel)
def ravel(a, order="C"):
    return _reshape(a, (-1,))


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    ndim = len(shape_of(a))
    axes = list(range(ndim))
    axis1, axis2 = normalize_axis_index(axis1, ndim), normalize_axis_index(axis2, ndim)
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return shape_ops.transpose(a, axes=tuple(axes))


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    ndim = len(shape_of(a))
    source = normalize_axis_tuple(source, ndim, "source")
    destination = normalize_axis_tuple(destination, ndim, "destination")
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number of elements")
    order = [i for i in range(ndim) if i not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(int(dst), int(src))
    return shape_ops.transpose(a, axes=tuple(order))


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    _refuse_keywords("concatenate", {"out": out})
    arrays = [a if isinstance(a, Tracer) else _operand(a, "np.concatenate") for a in arrays]
    if dtype is not None:
        arrays = [astype(a, dtype) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    ndim = len(shape_of(arrays[0]))
    if ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return shape_ops.concatenate(*arrays, axis=normalize_axis_index(axis, ndim))


@implements(np.stack)
def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    ndim = len(shapes.pop()) + 1
    axis = normalize_axis_index(axis, ndim)
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, out=out)


@implements(np.atleast_1d)
def atleast_1d(*arrays):
    out = [a if len(shape_of(a)) >= 1 else _reshape(a, (1,)) for a in arrays]
    return out[0] if len(out) == 1 else out


@implements(np.atleast_2d)
def atleast_2d(*arrays):
    out = []
    for a in arrays:
        nd = len(shape_of(a))
        out.append(a if nd >= 2 else _reshape(a, (1,) * (2 - nd) + shape_of(a)))
    return out[0] if len(out) == 1 else out


@implements(np.copy)
def copy(a, order="K", subok=False):
    return a  # traced values are immutable, so a copy is the value itself


# ----------------------------------------------------------------- elementwise composites


@implements(np.where)
def where(condition, x=None, y=None):
    if x is None or y is None:
        return np.nonzero(concrete(condition))
    return elementwise.select(np.asarray(concrete(condition), dtype=bool), x, y)


@implements(np.clip)
def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    _refuse_keywords("clip", {"out": out, **kwargs})
    a_min, a_max = (b if b is None or isinstance(b, Tracer) else _operand(b, "np.clip") for b in (a_min, a_max))
    if a_min is not None:
        a = elementwise.maximum(a, a_min)
    if a_max is not None:
        a = elementwise.minimum(a, a_max)
    return a


# ----------------------------------------------------------------- contractions


@implements(np.matmul)
def matmul(a, b, out=None, **kwargs):
    if out is not None or kwargs:  # (checked first: x @ W is among the hottest calls)
        _refuse_keywords("matmul", {"out": out, **kwargs})
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 0 or b_nd == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions (use * for scalars)")
    if a_nd >= 2 and b_nd >= 2:
        return contractions.matmul(a, b)
    if a_nd == 2 and b_nd == 1:
        return bind(contractions.matvec, (a, b), _NO_PARAMS)  # W @ x: the commonest product
    if a_nd == 1 and b_nd == 2:
        return contractions.vecmat(a, b)
    if a_nd == 1 and b_nd == 1:
        if shape_of(a) != shape_of(b):
            raise ValueError(f"matmul: mismatch in core dimension: {shape_of(a)} and {shape_of(b)}")
        return contractions.vecvec(a, b)
    a2 = _reshape(a, (1,) + shape_of(a)) if a_nd == 1 else a
    b2 = _reshape(b, shape_of(b) + (1,)) if b_nd == 1 else b
    out2 = contractions.matmul(a2, b2)
    shp = shape_of(out2)
    if a_nd == 1:
        return _reshape(out2, shp[:-2] + shp[-1:])
    return _reshape(out2, shp[:-1])


@implements(np.dot)
def dot(a, b, out=None):
    _refuse_keywords("dot", {"out": out})
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 0 or b_nd == 0:
        return elementwise.mul(a, b)
    if a_nd <= 2 and b_nd <= 2:
        return matmul(a, b)
    raise AdmodesError(
        "np.dot of arrays with more than 2 axes is not supported on traced values; "
        "use np.matmul (stacked matrices) or np.tensordot/np.einsum when available."
    )


UFUNC_HANDLERS[np.matmul] = matmul
if hasattr(np.linalg, "matmul"):
    FUNCTION_HANDLERS[np.linalg.matmul] = matmul


# ----------------------------------------------------------------- the Tracer's methods


def _compare(ufunc, a, b):
    """Comparisons read plain values (their derivative is zero); recordings log them."""
    result = ufunc(concrete(a), concrete(b))
    if core.observers:
        core.note_comparison(ufunc, (a, b), result)
    return result


def _getitem(self, index):
    index = indexing.normalize_index(index, self.ndim)
    return indexing.getitem(self, index=index)


def _binary_operator(prim, reflected, symbol):
    """``self op other`` for a traced ``self``: straight to its trace when ``other`` is plain."""
    where = f"the {symbol} operator"
    if reflected:
        def operator(self, other):
            if isinstance(other, Tracer):
                return bind(prim, (other, self), _NO_PARAMS)
            if type(other) is not float:
                other = _operand(other, where)
            if not core.SHORTCUTS:
                return bind(prim, (other, self), _NO_PARAMS)
            return self._trace.process(prim, (other, self), _NO_PARAMS)  # other is plain: self's trace is the top
    else:
        def operator(self, other):
            if isinstance(other, Tracer):
                return bind(prim, (self, other), _NO_PARAMS)
            if type(other) is not float:
                other = _operand(other, where)
            if not core.SHORTCUTS:
                return bind(prim, (self, other), _NO_PARAMS)
            return self._trace.process(prim, (self, other), _NO_PARAMS)
    return operator


def _plain(value, where):
    """``_operand`` for an operand that may also be traced (Tracer methods and operators)."""
    return value if isinstance(value, Tracer) or type(value) is float else _operand(value, where)


def _round(self, ndigits=None):
    """round(x): NumPy's rounding (half to even) as an array, with a zero derivative (as JAX)."""
    return frozen(np.round, self, decimals=0 if ndigits is None else ndigits)


def _plain_operator(function, reflected):
    """``self op other`` through a NumPy function of two arguments (%, //, divmod)."""
    if reflected:
        return lambda self, other: function(other, self)
    return lambda self, other: function(self, other)


def _install(tracer_class):
    """Give traced values NumPy's protocols, Python's operators and ndarray's methods."""
    e = elementwise
    t = tracer_class
    t.__array_ufunc__ = array_ufunc
    t.__array_function__ = array_function
    # operators bind their primitive directly: they are the hottest path of traced code
    t.__add__ = _binary_operator(e.add, False, "+")
    t.__radd__ = _binary_operator(e.add, True, "+")
    t.__sub__ = _binary_operator(e.sub, False, "-")
    t.__rsub__ = _binary_operator(e.sub, True, "-")
    t.__mul__ = _binary_operator(e.mul, False, "*")
    t.__rmul__ = _binary_operator(e.mul, True, "*")
    t.__truediv__ = _binary_operator(e.div, False, "/")
    t.__rtruediv__ = _binary_operator(e.div, True, "/")
    t.__mod__ = _plain_operator(np.remainder, False)
    t.__rmod__ = _plain_operator(np.remainder, True)
    t.__floordiv__ = _plain_operator(np.floor_divide, False)
    t.__rfloordiv__ = _plain_operator(np.floor_divide, True)
    t.__divmod__ = _plain_operator(np.divmod, False)
    t.__rdivmod__ = _plain_operator(np.divmod, True)
    t.__round__ = _round
    t.__pow__ = lambda self, other: e.power_any(self, _plain(other, "the ** operator"))
    t.__rpow__ = lambda self, other, p=e.power: bind(p, (_plain(other, "the ** operator"), self), _NO_PARAMS)
    t.__matmul__ = lambda self, other: matmul(self, _plain(other, "the @ operator"))
    t.__rmatmul__ = lambda self, other: matmul(_plain(other, "the @ operator"), self)
    t.__neg__ = lambda self: e.neg(self)
    t.__pos__ = lambda self: self
    t.__abs__ = lambda self: e.absolute(self)
    t.__lt__ = lambda self, other: _compare(np.less, self, other)
    t.__le__ = lambda self, other: _compare(np.less_equal, self, other)
    t.__gt__ = lambda self, other: _compare(np.greater, self, other)
    t.__ge__ = lambda self, other: _compare(np.greater_equal, self, other)
    t.__eq__ = lambda self, other: _compare(np.equal, self, other)
    t.__ne__ = lambda self, other: _compare(np.not_equal, self, other)
    t.__getitem__ = _getitem
    t.T = property(lambda self: transpose(self))
    t.mT = property(lambda self: swapaxes(self, -1, -2))
    t.sum = lambda self, axis=None, dtype=None, out=None, keepdims=False: sum_(self, axis, dtype, out, keepdims)
    t.mean = lambda self, axis=None, dtype=None, out=None, keepdims=False: mean(self, axis, dtype, out, keepdims)
    t.prod = lambda self, axis=None, dtype=None, out=None, keepdims=False: prod(self, axis, dtype, out, keepdims)
    t.max = lambda self, axis=None, out=None, keepdims=False: amax(self, axis, None, out, keepdims)
    t.min = lambda self, axis=None, out=None, keepdims=False: amin(self, axis, None, out, keepdims)
    t.var = lambda self, axis=None, dtype=None, out=None, ddof=0, keepdims=False: var(self, axis, dtype, out, ddof, keepdims)
    t.std = lambda self, axis=None, dtype=None, out=None, ddof=0, keepdims=False: std(self, axis, dtype, out, ddof, keepdims)
    t.reshape = lambda self, *shp, order="C": reshape(self, shp[0] if len(shp) == 1 else shp, order)
    t.transpose = lambda self, *axes: transpose(self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None)
    t.ravel = lambda self, order="C": ravel(self)
    t.flatten = lambda self, order="C": ravel(self)
    t.squeeze = lambda self, axis=None: squeeze(self, axis)
    t.swapaxes = lambda self, a1, a2: swapaxes(self, a1, a2)
    t.dot = lambda self, other: dot(self, _plain(other, "x.dot"))
    t.clip = lambda self, a_min=None, a_max=None: clip(self, a_min, a_max)
    t.astype = lambda self, dtype, **kwargs: astype(self, dtype)
    t.copy = lambda self, order="C": self
    t.argmax = lambda self, axis=None: frozen(np.argmax, self, axis=axis)
    t.argmin = lambda self, axis=None: frozen(np.argmin, self, axis=axis)
    t.item = lambda self, *args: self._scalar_escape("item")
    t.tolist = lambda self: self._scalar_escape("tolist")


_install(Tracer)


# More of NumPy (ufuncs, scans, indexing and shape functions, einsum, np.linalg): those
# modules register their handlers in the tables above.
from . import numpy_extra, numpy_linalg  # noqa: E402,F401
