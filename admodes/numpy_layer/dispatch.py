"""The NumPy layer's tables and the checks every handler shares.

A traced value's ``__array_ufunc__`` and ``__array_function__`` (``protocol``) look NumPy's
function up here:

- ``UFUNC_HANDLERS``: ufunc -> primitive or composite. Every primitive declared with the
  NumPy function it implements (``Primitive.numpy``, set by ``ops.elementwise.unary`` and
  ``binary``) is entered by ``bind_primitives``; composites (``np.power`` routed by its
  exponent, ``np.fmax`` ...) are entered by their family module.
- ``FUNCTION_HANDLERS``: NumPy function -> handler, filled by ``implements``.
- ``ZERO_DERIVATIVE``: functions whose result does not depend differentiably on their
  input (comparisons, ``argmax``, ``floor``, ``shape`` ...): evaluated on the plain values,
  so their derivative is zero, as in JAX.
- ``UFUNC_REDUCTIONS``: ``np.add.reduce`` and friends -> the reduction handler.

The families (``elementwise``, ``reductions``, ``shapes``, ``indexing``, ``contractions``,
``linalg``) import this module and nothing above it.
"""

from __future__ import annotations

import functools
import operator
import sys

import numpy as np

from .. import core
from ..core import PRIMITIVES, AdmodesError, Tracer, concrete, shape_of
from ..ops import reductions
from ..values import refusal

__all__ = ["UFUNC_HANDLERS", "FUNCTION_HANDLERS", "ZERO_DERIVATIVE", "UFUNC_REDUCTIONS", "SPECIAL_NAMES",
           "implements", "supported_functions"]

NO_PARAMS: dict = {}  # shared, never mutated: params of primitives called without any

UFUNC_HANDLERS: dict = {}

UFUNC_REDUCTIONS: dict = {}

# {scipy.special ufunc: its names there}, filled when SciPy is installed (numpy_layer/__init__)
SPECIAL_NAMES: dict = {}


def bind_primitives():
    """Route every ufunc that a primitive implements as it stands (``Primitive.numpy``)."""
    for prim in PRIMITIVES.values():
        if isinstance(prim.numpy, np.ufunc):
            UFUNC_HANDLERS.setdefault(prim.numpy, prim)


# ufuncs and functions with a zero (or undefined) derivative: evaluated on plain values
ZERO_DERIVATIVE = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isfinite, np.isinf,
    np.isnan, np.sign, np.floor, np.ceil, np.rint, np.trunc, np.signbit,
    np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.shape, np.ndim, np.size,
    np.isclose, np.allclose,
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
    names = {f"np.{u.__name__}" for u in UFUNC_HANDLERS if u not in SPECIAL_NAMES}
    names |= {name for aliases in SPECIAL_NAMES.values() for name in aliases}
    names |= {f"np.{getattr(f, '__name__', str(f))}" for f in FUNCTION_HANDLERS}
    return sorted(names)

def refuse_keywords(name, kwargs, allowed=()):
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

def ufunc_name(ufunc) -> str:
    """``np.sin`` or ``scipy.special.struve``: where the user's code took the ufunc from."""
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, ufunc.__name__, None) is ufunc and getattr(np, ufunc.__name__, None) is not ufunc:
        return f"scipy.special.{ufunc.__name__}"
    return f"np.{ufunc.__name__}"


def unsupported(name):
    """The refusal of a function without a rule; ``name`` is ``np.``-less unless it names its module."""
    if not name.startswith(("np.", "scipy.")):
        name = f"np.{name}"
    return AdmodesError(
        f"{name} has no derivative rule in admodes, so it cannot be applied to a traced "
        "value. Write the computation with supported functions (ad.supported_functions() "
        "lists them), or give your function its own derivative with ad.custom_jvp / "
        "ad.custom_vjp."
    )

def concrete_args(args):
    return [
        type(a)(concrete(v) for v in a) if isinstance(a, list | tuple) else concrete(a) for a in args
    ]

def plain_operand(value, where):
    """A plain operand of a traced value as NumPy reads it (a list becomes an array), or a
    clear refusal of one admodes would differentiate wrongly (see ``admodes.values``)."""
    t = type(value)
    if t is not np.ndarray and not isinstance(value, int | float | np.generic | np.ndarray):
        value = np.asarray(value)  # lists, tuples, other numbers: what NumPy would make of them
    reason = refusal(value)
    if reason is not None:
        raise AdmodesError(f"{where}: a traced value met {reason}")
    return value

def check_operands(args, where):
    """``plain_operand``'s refusals for the plain arguments of a NumPy function (and the entries of
    a list or tuple argument, as in np.concatenate([x, c])); nothing is converted."""
    for a in args:
        if isinstance(a, list | tuple):
            for v in a:
                if not isinstance(v, Tracer) and (reason := refusal(v)) is not None:
                    raise AdmodesError(f"{where}: a traced value met {reason}")
        elif not isinstance(a, Tracer) and (reason := refusal(a)) is not None:
            raise AdmodesError(f"{where}: a traced value met {reason}")

def operand_or_traced(value, where):
    """``plain_operand`` for an operand that may also be traced (Tracer methods and operators)."""
    return value if isinstance(value, Tracer) or type(value) is float else plain_operand(value, where)

# Functions whose result depends only on shapes and dtypes: a replay cannot change them
# (and np.empty_like's contents are arbitrary, so re-checking them would fail at random).
_SHAPE_ONLY = {
    np.shape, np.ndim, np.size,
    np.result_type, np.iscomplexobj, np.isrealobj, np.isscalar, np.iscomplex, np.isreal,
}

def note_frozen(func, kwargs, operands, result):
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
        note_frozen(func, kwargs, operands, result)
    return result

def ndim_of(a):
    return len(shape_of(a))

def one_axis(axis, ndim):
    """One axis, negatives allowed, checked as NumPy does."""
    return reductions.normalize_axis(operator.index(axis), ndim)[0]

def as_operand(a):
    return a if isinstance(a, Tracer) else np.asarray(a)


def on_trace_of(x, value):
    """``value`` as a traced value of ``x``'s trace. Forward mode drops the dual of a value whose
    tangent is zero (a constant, or x with only constants written into it), but a traced
    array the user will write into must stay one."""
    if isinstance(value, Tracer) and value._trace is x._trace:
        return value
    lift = getattr(x._trace, "lift", None)
    return value if lift is None else lift(value, None)
