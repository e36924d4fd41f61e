"""The primitive table, traced values, and dispatch by level.

Everything admodes differentiates is built from *primitives*: small NumPy operations
(``mul``, ``sin``, ``sum``, ``matmul``, ``getitem`` ...) that each carry

- ``impl``: the NumPy function that computes the value;
- a JVP rule per argument (forward mode: push a tangent through the op);
- a VJP rule per argument (reverse mode: pull a cotangent back through the op);
- a flop estimate, used by the cost accounting of the experiments.

Both engines read the same table (``PRIMITIVES``), and every rule is written with
primitives again, so a rule applied to traced values is itself traced: that is why
derivatives of derivatives (Hessians, nesting) need no extra code.

Levels
------
Each call of a derivative transformation (``jvp``, ``vjp``, ``grad`` ...) opens a new
*trace* with a fresh, larger level number. A traced value (a ``Tracer``) belongs to
exactly one trace. When a primitive is applied, ``bind`` finds the argument with the
highest level and hands the operation to that trace; the trace unwraps its own
tracers, re-binds the primitive on the unwrapped values (so lower levels see the
operation too), and wraps the result. Values of other traces are constants to it.
Because every call has its own level, a tangent of one call can never be mistaken
for a tangent of another (no "perturbation confusion", Siskind & Pearlmutter 2008).

Batch of directions
-------------------
A tangent (forward) or cotangent (reverse) may carry ``nb`` leading *batch* axes
(0 or 1) of independent directions: a tangent of a primal of shape ``S`` has shape
``B + S``. Every rule receives ``nb`` and keeps the batch axes in front, which lets a
whole Jacobian go through one vectorised sweep.
"""

from __future__ import annotations

import contextvars
import dis
import itertools
import math
import os
import threading

import numpy as np

__all__ = [
    "Primitive",
    "ViewPrimitive",
    "PRIMITIVES",
    "Tracer",
    "IndexedTracer",
    "Trace",
    "bind",
    "concrete",
    "shape_of",
    "new_level",
    "AdmodesError",
]


class AdmodesError(TypeError):
    """A value or a call that admodes cannot differentiate; the message says why and what to do."""


COMPLEX_ADVICE = (
    "admodes differentiates real-valued code only, and a derivative through complex values "
    "would be wrong. Keep the computation real: carry real and imaginary parts as two real "
    "arrays ((a + ib) x = a x + i b x, |z| = np.hypot(re, im))."
)

_F64 = np.dtype(np.float64)


def check_real(prim, out):
    """Refuse a complex result of a traced operation (the traces call this on every result).

    Complex constants are refused where they meet a traced value (admodes.values); this
    catches what gets past that: a complex keyword argument, a custom rule's complex result.
    """
    dtype = getattr(out, "dtype", None)
    if dtype is not _F64 and dtype is not None and dtype.kind == "c":
        raise AdmodesError(f"The operation '{prim.name}' gave a complex result (dtype {dtype}) from a traced value. " + COMPLEX_ADVICE)


# --------------------------------------------------------------------------------------
# The primitive table
# --------------------------------------------------------------------------------------

PRIMITIVES: dict[str, "Primitive"] = {}

# Speed shortcuts (a unary op's rule called without the general loop, a binary op with one
# constant, the W @ x of a dense layer, the small Jacobian's single sweep) each sit behind
# this switch, in the trace's ``process``, the walkers and the API's Jacobian. With
# ADMODES_SHORTCUTS=0 every operation takes the general path: CI runs the op tables so,
# which keeps the general path tested and shows that the shortcuts change no number.
SHORTCUTS = os.environ.get("ADMODES_SHORTCUTS", "1") != "0"


SAVES = {"args", "out", "both", "none", "args_only", "out_only"}


def reads(fun) -> set[str]:
    """The parameters of ``fun`` whose values its body reads (loads, or captures in a closure).

    What a rule reads decides what the tape must keep for it; deriving ``saves`` from this
    (conservatively: a parameter passed on to a helper counts as read) leaves nothing for
    the author of an op to get wrong.

    >>> sorted(reads(lambda out, x: 2 * x))
    ['x']
    """
    code = fun.__code__
    params = set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    loaded = set(code.co_cellvars)
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith("LOAD_FAST") or instruction.opname == "LOAD_DEREF":
            value = instruction.argval
            loaded |= set(value) if isinstance(value, tuple) else {value}
    return params & loaded


def _zero(*args, **params):
    return None  # a zero contribution (see Primitive)


def _default_flops(out, args, params):
    return int(np.size(out))


class Primitive:
    """One differentiable NumPy operation and its derivative rules.

    ``jvps[i](t, nb, out, *args, **params)`` returns the tangent contribution of
    argument ``i`` (shape ``B + out.shape``), or ``None`` for a zero contribution.
    ``vjps[i](g, nb, out, *args, **params)`` returns the cotangent of argument ``i``
    (shape ``B + args[i].shape``), or ``None``.

    ``saves`` says which values the reverse tape must keep for the VJP rules:
    ``"args"``, ``"out"``, ``"both"`` or ``"none"`` (what is not kept, the rules see as a
    ShapeDtype: shape and dtype only); ``"args_only"`` keeps the arguments and passes
    ``out=None`` to VJP rules that never look at the output, not even its shape, and
    ``"out_only"`` keeps the output and passes ``None`` for every argument (``tanh``: the
    rule reads ``1 - out**2`` only). Keeping just what the rules need keeps the tape small
    (and cheap to write). The default keeps everything, which is never wrong; the
    elementwise declarations (``ops.elementwise.unary``/``binary``) derive it from what
    their local derivatives read (``reads``), and the spec tables run every VJP on what
    the tape kept, so a ``saves`` that drops a value a rule reads fails there.

    ``numpy`` is the NumPy function (usually a ufunc) this primitive implements as it
    stands: the NumPy layer routes it here without a table of its own.
    """

    __slots__ = ("name", "impl", "jvps", "vjps", "jvp", "vjp", "flops", "saves", "numpy", "__weakref__")

    def __init__(self, name, impl, *, flops=_default_flops, saves="both", numpy=None, register=True):
        if register and name in PRIMITIVES:
            raise ValueError(f"primitive {name!r} is defined twice")
        if saves not in SAVES:
            raise ValueError(f"primitive {name!r}: saves={saves!r} is not one of {sorted(SAVES)}")
        self.name = name
        self.impl = impl
        self.numpy = numpy
        self.jvps = None
        self.vjps = None
        self.jvp = None  # optional whole-op JVP rule: jvp(tangents, nb, out, *args, **params)
        self.vjp = None  # optional whole-op VJP rule: vjp(g, nb, out, *args, **params) -> tuple
        self.flops = flops
        self.saves = saves
        if register:  # user-defined rules (ad.custom_jvp / custom_vjp) stay out of the table
            PRIMITIVES[name] = self

    def __call__(self, *args, **params):
        # inline fast path of ``bind`` for plain values: most calls in a backward sweep
        for a in args:
            if isinstance(a, Tracer):
                return bind(self, args, params)
        out = self.impl(*args, **params)
        if _counter is not None:
            _counter.record(self, out, args, params)
        return out

    def __repr__(self):
        return f"<primitive {self.name}>"

    def defjvp(self, *rules):
        """Register one JVP rule per positional argument (``None``: not differentiable)."""
        self.jvps = rules
        return self

    def defvjp(self, *rules):
        """Register one VJP rule per positional argument (``None``: not differentiable)."""
        self.vjps = rules
        return self

    def deflinear(self, transpose=None):
        """The rules of an op linear in its one argument whose params name no axes (so a leading
        batch of directions passes through it): the JVP is the op applied to the tangent, the VJP
        ``transpose(g, x, **params)``, by default the op itself (self-adjoint: negation).
        JAX's ``deflinear``."""
        if transpose is None:
            transpose = lambda g, x, **params: self(g, **params)  # noqa: E731
        self.defjvp(lambda t, nb, out, x, **params: self(t, **params))
        self.defvjp(lambda g, nb, out, x, **params: transpose(g, x, **params))
        return self

    def defzero(self, nargs=1):
        """The rules of an op whose value does not depend differentiably on its arguments (a
        constant of their shape): every tangent and cotangent contribution is zero."""
        self.jvps = self.vjps = (_zero,) * nargs
        return self

    # The one place a rule is called for one argument: every walker (eager reverse mode,
    # replay, staging, the graph view) and forward mode go through these, so a missing
    # rule fails the same way everywhere.

    def vjp_of(self, j, g, nb, out, args, params):
        """The cotangent contribution of argument ``j`` (``None``: zero) for cotangent ``g``."""
        if self.vjp is not None:
            return self.vjp(g, nb, out, *args, **params)[j]
        rules = self.vjps
        rule = rules[j] if rules is not None and j < len(rules) else None
        if rule is None:
            raise self.missing_rule(f"VJP of argument {j}")
        return rule(g, nb, out, *args, **params)

    def pull(self, traced, g, nb, out, args, params):
        """The cotangent contributions of the arguments at positions ``traced``, in order."""
        if self.vjp is not None:  # one rule for all arguments at once
            contributions = self.vjp(g, nb, out, *args, **params)
            return [contributions[j] for j in traced]
        return [self.vjp_of(j, g, nb, out, args, params) for j in traced]

    def jvp_of(self, j, t, nb, out, args, params):
        """The tangent contribution of argument ``j`` (``None``: zero) for its tangent ``t``."""
        if self.jvp is not None:
            tangents = [None] * len(args)
            tangents[j] = t
            return self.jvp(tangents, nb, out, *args, **params)
        rules = self.jvps
        rule = rules[j] if rules is not None and j < len(rules) else None
        if rule is None:
            raise self.missing_rule(f"JVP of argument {j}")
        return rule(t, nb, out, *args, **params)

    def missing_rule(self, kind):
        return NotImplementedError(
            f"Differentiation rule for '{self.name}' not implemented ({kind}). "
            "Give the enclosing function its own rule with ad.custom_jvp / ad.custom_vjp, "
            "or open an issue."
        )


class ViewPrimitive(Primitive):
    """A primitive whose result NumPy computes as a view of its first argument (reshape,
    transpose, broadcast_to; getitem with a basic index, as ``is_view(params)`` says). A traced
    result remembers the value it views, so that writing into it can be refused."""

    __slots__ = ("is_view",)

    def __init__(self, name, impl, *, is_view=None, **kwargs):
        super().__init__(name, impl, **kwargs)
        self.is_view = is_view

    def __call__(self, *args, **params):
        out = Primitive.__call__(self, *args, **params)
        if isinstance(out, Tracer) and (self.is_view is None or self.is_view(params)):
            out._base = args[0]
        return out


# --------------------------------------------------------------------------------------
# Traces and traced values
# --------------------------------------------------------------------------------------

_level_counter = itertools.count(1)


def new_level() -> int:
    """A fresh level number, larger than every level handed out before."""
    return next(_level_counter)


class Trace:
    """One active derivative call. Subclasses implement ``process``.

    When the call returns, ``finished`` is set: a tracer of this trace that was stored
    somewhere and used later would otherwise be processed as if the call were still
    running and come back as a tracer instead of a number (``leaked``).
    """

    __slots__ = ("level", "finished")

    def __init__(self):
        self.level = next(_level_counter)  # new_level(), without the call: a trace per sweep
        self.finished = False

    def leaked(self):
        return AdmodesError(
            "A traced value from a derivative call that has already returned was used "
            "(it was stored outside the function, e.g. in a list or a global). Return the "
            "values you need from the function instead (has_aux=True carries extras), or "
            "use plain arrays outside it."
        )

    def process(self, prim, args, params):  # pragma: no cover - abstract
        raise NotImplementedError


class Tracer:
    """A value being traced by some derivative call; looks like an ndarray to user code.

    Subclasses (``Dual`` in forward mode, ``Node`` in reverse mode) store the primal
    value; arithmetic, ``np.*`` ufuncs and ``np.*`` functions are routed to
    primitives through Python's operators and NumPy's protocols (NEP 13 / NEP 18),
    which are installed by ``admodes.numpy_layer``.
    """

    # ``_base``: set (to the viewed value) on the result of an op that NumPy computes as a view
    # (basic indexing, reshape, transpose, broadcast_to); writing into such a value is refused,
    # since NumPy would also change the array it views
    __slots__ = ("_trace", "primal", "_base")
    __array_priority__ = 1000

    # shape-like attributes read the primal value
    @property
    def shape(self):
        primal = self.primal
        return primal.shape if type(primal) is np.ndarray else shape_of(primal)  # (hot: no call)

    @property
    def ndim(self):
        return len(shape_of(self.primal))

    @property
    def size(self):
        return math.prod(shape_of(self.primal))

    @property
    def dtype(self):
        return np.result_type(concrete(self.primal))

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d traced value")
        return shape[0]

    def __bool__(self):
        result = bool(concrete(self))
        if observers:
            note_comparison(_truth, (self,), result)
        return result

    def __array__(self, dtype=None, copy=None):
        raise AdmodesError(
            "A traced value escaped into raw NumPy (np.asarray/np.array or a C routine asked "
            "for its data). Derivatives cannot flow through that conversion. Remove the "
            "np.asarray/np.array call on values you differentiate (use np.stack to build "
            "an array from several traced values), or compute the value outside the "
            "differentiated function. Writing a traced value into a plain array (g[:] = x, "
            "g[i] = x[j]) asks for its data too: collect the entries in a list and np.stack "
            "them, or build the array with np.where / np.concatenate."
        )

    def _scalar_escape(self, kind):
        raise AdmodesError(
            f"{kind}() of a traced value would drop its derivative. Keep it an array "
            "(e.g. use x itself or x[()] instead of float(x)), or, if the number is only "
            "used for control flow, compare the traced value directly (x > 0 works). "
            "NumPy calls float() when a traced value is written into a plain array "
            "(g = np.zeros(n); g[i] = x[j]): collect the entries in a list and np.stack "
            "them, or build the array with np.where / np.concatenate."
        )

    def __float__(self):
        self._scalar_escape("float")

    def __int__(self):
        self._scalar_escape("int")

    def __complex__(self):
        self._scalar_escape("complex")

    def __index__(self):
        self._scalar_escape("index")

    def __iter__(self):
        shape = self.shape
        if not shape:
            raise TypeError("iteration over a 0-d traced value")
        return (self[i] for i in range(shape[0]))

    # x[index] = v and x += v are installed by admodes.numpy_layer: they record a functional
    # update and rebind this object to its result (``_become``), as NumPy would change x

    def _slots(self):
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if name != "_base":
                    yield name

    def _copy(self):
        """A new traced value equal to this one (``x.copy()``): writing into one leaves the other."""
        new = object.__new__(type(self))
        for name in self._slots():
            if hasattr(self, name):
                object.__setattr__(new, name, getattr(self, name))
        return new

    def _become(self, new):
        """Rebind this object to ``new``, a traced value of the same trace (an in-place update)."""
        if type(new) is not type(self) or new._trace is not self._trace:
            raise AdmodesError(
                "x[...] = v writes a value traced by an inner derivative call into an array of "
                "an outer one, which cannot be updated in place. Build the new array instead: "
                "x = x.at[index].set(v)."
            )
        for name in self._slots():
            if hasattr(new, name):
                object.__setattr__(self, name, getattr(new, name))

    def __hash__(self):
        return id(self)


class IndexedTracer(Tracer):
    """A tracer that names its value by a position in its trace's record (tape or graph)."""

    __slots__ = ("index",)

    def __init__(self, trace, primal, index):
        self._trace = trace
        self.primal = primal
        self.index = index

    def __repr__(self):
        return f"{type(self).__name__}(primal={self.primal!r}, index={self.index})"


def shape_of(x) -> tuple:
    """The shape of an array, a NumPy or Python scalar, a tracer, or a tape's ShapeDtype."""
    shape = getattr(x, "shape", None)
    return shape if shape is not None else np.shape(x)


def _truth(x):
    return bool(x)


def concrete(x):
    """The plain NumPy value under any number of tracer layers."""
    while isinstance(x, Tracer):
        x = x.primal
    return x


# --------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------

# Per-thread state. Op counters (admodes.cost) and recordings that hear about comparisons
# (admodes.tape.record) belong to the thread (the context) that opened them: a count_ops block
# in one thread must not count another thread's work, and a recording must not log another
# thread's comparisons. Each lives in a ContextVar; the module globals below only say
# whether *some* context has one, so the hot paths cost one global load when nobody counts
# or records, and look up the current context only when someone does.

_counter_var: contextvars.ContextVar = contextvars.ContextVar("admodes_counter", default=None)
_observers_var: contextvars.ContextVar = contextvars.ContextVar("admodes_observers", default=())
_state_lock = threading.Lock()
_active_counters = 0
_active_observers = 0

# Truthy while some context has a recording open (see add_observer).
observers: list = []


def add_observer(observer):
    """Let ``observer.note_comparison`` hear the comparisons of traced values in this context."""
    global _active_observers
    _observers_var.set(_observers_var.get() + (observer,))
    with _state_lock:
        _active_observers += 1
        observers[:] = [True]


def remove_observer(observer):
    global _active_observers
    current = _observers_var.get()
    _observers_var.set(tuple(o for o in current if o is not observer))
    with _state_lock:
        _active_observers -= 1
        if _active_observers == 0:
            observers.clear()


def decide(fn, *operands):
    """``fn`` of the plain values of ``operands``, for a rule that branches on values or builds
    a mask from them (the sign in ``abs``'s slope, ties in ``max``, ``0 ** 0``).

    What it returns holds at this point only. A recording (``ad.record`` of a derivative
    computation) keeps it as a constant, so it is logged like a comparison, and
    ``same_branches`` re-evaluates it at a new point.
    """
    result = fn(*[concrete(a) for a in operands])
    if observers:
        note_comparison(fn, operands, result)
    return result


def note_comparison(ufunc, operands, result):
    for observer in _observers_var.get():
        observer.note_comparison(ufunc, operands, result)


class _CountersOfThisContext:
    """``core._counter`` while some context counts: records into the current context's
    counter, if it has one (another thread's count_ops block must not see this work)."""

    __slots__ = ()

    def record(self, prim, out, args, params):
        counter = _counter_var.get()
        if counter is not None:
            counter.record(prim, out, args, params)


_SOME_CONTEXT_COUNTS = _CountersOfThisContext()

# Not None while some context counts (hot paths test it with one global load); the
# counter of the current context is ``counting()``.
_counter = None


def counting():
    """The op counter of the current context (thread), or None."""
    return None if _counter is None else _counter_var.get()


def set_counter(counter):
    """Install ``counter`` for the current context; returns the one it replaces."""
    global _counter, _active_counters
    previous = _counter_var.get()
    _counter_var.set(counter)
    with _state_lock:
        _active_counters += (counter is not None) - (previous is not None)
        _counter = _SOME_CONTEXT_COUNTS if _active_counters > 0 else None
    return previous


def bind(prim: Primitive, args, params):
    """Apply ``prim`` to ``args``: on plain values run NumPy, else hand it to the top trace."""
    top = None
    level = 0
    for a in args:
        if isinstance(a, Tracer):
            lv = a._trace.level
            if lv > level:
                top, level = a._trace, lv
    if top is None:
        out = prim.impl(*args, **params)
        if _counter is not None:
            _counter.record(prim, out, args, params)
        return out
    return top.process(prim, args, params)
