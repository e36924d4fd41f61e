"""NumPy's protocols and Python's operators on traced values, and ndarray's methods.

``__array_ufunc__`` (NEP 13) and ``__array_function__`` (NEP 18) look the NumPy function up
in ``dispatch``'s tables; anything not there raises an error that names the function,
instead of silently returning an object array or a number without its derivative.
``install`` gives ``Tracer`` these hooks, the operators (bound straight to their
primitives: they are the hottest path of traced code) and the methods (``x.sum()``,
``x.reshape(...)``, ``x.T`` ...), each the family handler of the NumPy function.
"""

from __future__ import annotations

import numpy as np

from .. import core
from ..core import AdmodesError, Primitive, Tracer, bind, concrete
from ..ops import contractions, elementwise, indexing
from .contractions import dot, matmul
from .dispatch import (FUNCTION_HANDLERS, NO_PARAMS, UFUNC_HANDLERS, UFUNC_REDUCTIONS, ZERO_DERIVATIVE,
                       check_operands, concrete_args, note_frozen, plain_operand, operand_or_traced, refuse_keywords,
                       ufunc_name, unsupported, frozen)
from .elementwise import divmod_, clip, imag
from .indexing import diagonal, take, trace
from .reductions import amax, amin, cumprod, cumsum, mean, prod, ptp, std, sum_, var
from .shapes import astype, ravel, repeat, reshape, squeeze, swapaxes, transpose
from .updates import AtIndexer, assign, in_place

def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__":
        if ufunc is np.matmul and len(inputs) == 2 and not kwargs and core.SHORTCUTS:
            a = inputs[0]
            if type(a) is np.ndarray and a.ndim == 2 and inputs[1] is self and len(self.shape) == 1 and a.dtype.kind == "f":
                # W @ x, the commonest product: x is the only tracer, so its trace is the top
                return self._trace.process(contractions.matvec, inputs, NO_PARAMS)
        if len(inputs) > 1:
            inputs = tuple([a if isinstance(a, Tracer) or type(a) is float else plain_operand(a, f"np.{ufunc.__name__}")
                            for a in inputs])
        prim = UFUNC_HANDLERS.get(ufunc)
        if prim is not None:
            if kwargs:
                refuse_keywords(ufunc.__name__, kwargs)
            if type(prim) is Primitive:
                if len(inputs) == 1 and core.SHORTCUTS:  # np.sin(x): x is the only tracer, so its trace is the top
                    return self._trace.process(prim, inputs, NO_PARAMS)
                return bind(prim, inputs, NO_PARAMS)
            return prim(*inputs)
        if ufunc is np.divmod:
            if kwargs:
                refuse_keywords("divmod", kwargs)
            return divmod_(*inputs)
        if ufunc in ZERO_DERIVATIVE:
            result = ufunc(*concrete_args(inputs), **kwargs)
            if core.observers:
                note_frozen(ufunc, kwargs, inputs, result)
            return result
        raise unsupported(ufunc_name(ufunc))
    if method == "reduce" and ufunc in UFUNC_REDUCTIONS:
        refuse_keywords(f"{ufunc.__name__}.reduce", kwargs, allowed=("axis", "keepdims"))
        x = inputs[0]
        return UFUNC_REDUCTIONS[ufunc](x, axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    raise unsupported(f"{ufunc_name(ufunc)}.{method}")

def array_function(self, func, types, args, kwargs):
    handler = FUNCTION_HANDLERS.get(func)
    if handler is not None:
        check_operands(args, f"np.{getattr(func, '__name__', func)}")
        return handler(*args, **kwargs)
    if func in ZERO_DERIVATIVE:
        kwargs = {k: concrete(v) for k, v in kwargs.items()}
        result = func(*concrete_args(args), **kwargs)
        if core.observers:
            note_frozen(func, kwargs, args, result)
        return result
    raise unsupported(getattr(func, "__name__", str(func)))

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
                return bind(prim, (other, self), NO_PARAMS)
            if type(other) is not float:
                other = plain_operand(other, where)
            if not core.SHORTCUTS:
                return bind(prim, (other, self), NO_PARAMS)
            return self._trace.process(prim, (other, self), NO_PARAMS)  # other is plain: self's trace is the top
    else:
        def operator(self, other):
            if isinstance(other, Tracer):
                return bind(prim, (self, other), NO_PARAMS)
            if type(other) is not float:
                other = plain_operand(other, where)
            if not core.SHORTCUTS:
                return bind(prim, (self, other), NO_PARAMS)
            return self._trace.process(prim, (self, other), NO_PARAMS)
    return operator

def _round(self, ndigits=None):
    """round(x): NumPy's rounding (half to even) as an array, with a zero derivative (as JAX)."""
    return frozen(np.round, self, decimals=0 if ndigits is None else ndigits)

def _plain_operator(function, reflected):
    """``self op other`` through a NumPy function of two arguments (%, //, divmod)."""
    if reflected:
        return lambda self, other: function(other, self)
    return lambda self, other: function(self, other)


def install(tracer_class):
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
    t.__pow__ = lambda self, other: e.power_any(self, operand_or_traced(other, "the ** operator"))
    t.__rpow__ = lambda self, other, p=e.power: bind(p, (operand_or_traced(other, "the ** operator"), self), NO_PARAMS)
    t.__matmul__ = lambda self, other: matmul(self, operand_or_traced(other, "the @ operator"))
    t.__rmatmul__ = lambda self, other: matmul(operand_or_traced(other, "the @ operator"), self)
    t.__neg__ = lambda self: e.neg(self)
    t.__pos__ = lambda self: self._copy()  # +x is a new array in NumPy
    t.__abs__ = lambda self: e.absolute(self)
    t.__lt__ = lambda self, other: _compare(np.less, self, other)
    t.__le__ = lambda self, other: _compare(np.less_equal, self, other)
    t.__gt__ = lambda self, other: _compare(np.greater, self, other)
    t.__ge__ = lambda self, other: _compare(np.greater_equal, self, other)
    t.__eq__ = lambda self, other: _compare(np.equal, self, other)
    t.__ne__ = lambda self, other: _compare(np.not_equal, self, other)
    t.__getitem__ = _getitem
    t.__setitem__ = assign
    t.__iadd__ = in_place(e.add, "add")
    t.__isub__ = in_place(e.sub, "sub")
    t.__imul__ = in_place(e.mul, "mul")
    t.__itruediv__ = in_place(e.div, "truediv")
    t.__ipow__ = in_place(lambda self, other: self ** other, "pow")
    t.at = property(AtIndexer)
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
    t.dot = lambda self, other: dot(self, operand_or_traced(other, "x.dot"))
    t.clip = lambda self, a_min=None, a_max=None: clip(self, a_min, a_max)
    t.astype = lambda self, dtype, **kwargs: astype(self, dtype)
    t.copy = lambda self, order="C": self._copy()
    t.real = property(lambda self: self)  # a traced value is real (complex values are refused)
    t.imag = property(imag)
    t.conj = t.conjugate = lambda self: self._copy()
    t.argmax = lambda self, axis=None: frozen(np.argmax, self, axis=axis)
    t.argmin = lambda self, axis=None: frozen(np.argmin, self, axis=axis)
    t.item = lambda self, *args: self._scalar_escape("item")
    t.tolist = lambda self: self._scalar_escape("tolist")
    t.cumsum = lambda self, axis=None, dtype=None, out=None: cumsum(self, axis, dtype, out)
    t.cumprod = lambda self, axis=None, dtype=None, out=None: cumprod(self, axis, dtype, out)
    t.trace = lambda self, offset=0, axis1=0, axis2=1, dtype=None, out=None: trace(
        self, offset, axis1, axis2, dtype, out)
    t.diagonal = lambda self, offset=0, axis1=0, axis2=1: diagonal(self, offset, axis1, axis2)
    t.take = lambda self, indices, axis=None, out=None, mode="raise": take(self, indices, axis, out, mode)
    t.repeat = lambda self, repeats, axis=None: repeat(self, repeats, axis)
    t.argsort = lambda self, axis=-1, kind=None, order=None, **kw: frozen(np.argsort, self, axis=axis, kind=kind, order=order, **kw)
    t.ptp = lambda self, axis=None, out=None, keepdims=False: ptp(self, axis, out, keepdims)

    def sort_in_place(self, *args, **kwargs):
        raise AdmodesError(
            "x.sort() sorts in place, which traced values do not allow; use x = np.sort(x)."
        )

    t.sort = sort_in_place
