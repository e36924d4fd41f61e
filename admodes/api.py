"""The user-facing transformations: grad, jvp, vjp, jacobian, hessian, hvp, choose_mode.

Each transformation opens one trace (``ForwardTrace`` or ``ReverseTrace``) with its own
level, wraps the differentiated inputs, calls the user's function, and reads the
derivatives off the outputs. Shapes follow JAX: ``jacobian(f)(x).shape ==
f(x).shape + x.shape``; inputs and outputs may be pytrees (nested tuples, lists and
dicts of arrays).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import wraps
from typing import Callable, Sequence

import numpy as np

from . import core, cost
from .core import AdmodesError, Tracer, concrete, shape_of
from .forward import Dual, ForwardTrace
from .reverse import Node, ReverseTrace, backward_sweep
from .tree import tree_flatten, tree_unflatten
from .inputs import Inputs as _Inputs
from .inputs import basis as _basis
from .inputs import dtype_of as _dtype
from .inputs import identity as _identity
from .values import check_argnums_type as _check_argnums_type
from .values import refusal

__all__ = [
    "grad",
    "value_and_grad",
    "jvp",
    "vjp",
    "jacobian",
    "jacfwd",
    "jacrev",
    "hessian",
    "hvp",
    "choose_mode",
    "ModeChoice",
]

MODES = ("forward", "reverse")


# ------------------------------------------------------------------ input checks


def _check_callable(fun, name):
    if not callable(fun):
        raise AdmodesError(f"{name}: the first argument must be the function to differentiate, got a {type(fun).__name__}.")


def _check_flag(value, flag, name):
    if not isinstance(value, bool | np.bool_):
        raise AdmodesError(f"{name}: {flag}={value!r} must be True or False.")


def _direction(value, like, kind, k, name):
    """A tangent or cotangent leaf as an array of ``like``'s float dtype (a clear error otherwise)."""
    if isinstance(value, Tracer):
        return value
    if isinstance(value, str | bytes):
        raise AdmodesError(f"{name}: {kind} {k} is a string ({value!r}); pass a number or a float array.")
    reason = refusal(value)
    if reason is None and not isinstance(value, np.ndarray | np.generic | int | float):
        try:
            converted = np.asarray(value)
        except Exception:
            converted = np.asarray(value, dtype=object)
        reason = refusal(converted)
    if reason is not None:
        raise AdmodesError(f"{name}: {kind} {k} is {reason}")
    dtype = np.result_type(concrete(like))
    return np.asarray(value, dtype=dtype if dtype.kind == "f" else np.float64)


def _split_aux(out, has_aux, name):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise AdmodesError(f"{name}(has_aux=True) needs the function to return a pair (output, aux).")
    return out[0], out[1]


def _strip(tree, trace):
    """Replace tracers of ``trace`` by their primal values (for aux outputs)."""
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [leaf.primal if isinstance(leaf, Tracer) and leaf._trace is trace else leaf for leaf in leaves])


_OUTPUT_LEAF_TYPES = (Tracer, np.ndarray, np.generic, float, int)


def _check_output_leaf(leaf, name):
    """A function output that is not a traced value must be a plain real float array or number.

    A bool or integer output has no derivative, and an object array (often filled entry by
    entry with traced values) or an array subclass would hide or change the derivative: all
    are refused instead of returning zeros (JAX refuses them too).
    """
    if isinstance(leaf, Tracer):
        return
    if not isinstance(leaf, _OUTPUT_LEAF_TYPES):
        raise AdmodesError(
            f"{name}: the function returned a {type(leaf).__name__}; it must return arrays or "
            "pytrees (tuples, lists, dicts) of arrays."
        )
    reason = refusal(leaf)
    if reason is not None:
        raise AdmodesError(f"{name}: the function returned {reason}")
    if _dtype(leaf).kind in "biu":
        raise AdmodesError(
            f"{name}: the function returned an output of dtype {_dtype(leaf)}, which has no "
            "derivative. Return a float (x.astype(float) for a 0/1 indicator, whose derivative is "
            "zero), or return it as an auxiliary value with has_aux=True."
        )


def _array(value):
    """NumPy scalars become 0-d arrays at the API boundary (as JAX returns arrays)."""
    return np.asarray(value) if isinstance(value, np.generic) else value


def _zeros(batch, like):
    value = concrete(like)
    dtype = np.result_type(value)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return np.zeros(tuple(batch) + shape_of(value), dtype=dtype)


def _in_dtype(derivative, leaf):
    """A derivative with respect to ``leaf`` in ``leaf``'s dtype, as JAX returns it: a float64
    constant in the function must not turn the gradient of a float32 input into float64."""
    dtype = _dtype(leaf)
    if _dtype(derivative) == dtype:
        return derivative
    return derivative.astype(dtype)


# ------------------------------------------------------------------ the two sweeps


def _forward_sweep(fun, inputs: _Inputs, tangents, nb, has_aux=False, name="jvp"):
    """Run ``fun`` once on duals. Returns (output leaves, output tangents, out treedef, aux)."""
    trace = ForwardTrace(nb)
    duals = [Dual(trace, x, t) for x, t in zip(inputs.leaves, tangents)]
    try:
        out = inputs.call(fun, duals)
    finally:
        trace.finished = True
    return _forward_outputs(out, trace, tangents, nb, has_aux, name)


def _forward_outputs(out, trace, tangents, nb, has_aux, name):
    """What ``_forward_sweep`` returns, read off the output of the function it ran."""
    out, aux = _split_aux(out, has_aux, name)
    leaves, treedef = tree_flatten(out)
    primals, out_tangents = [], []
    for leaf in leaves:
        if isinstance(leaf, Dual) and leaf._trace is trace:
            primals.append(_array(leaf.primal))
            out_tangents.append(_array(leaf.tangent))
        else:
            _check_output_leaf(leaf, name)
            batch = tuple(shape_of(tangents[0])[:nb]) if tangents else ()
            primals.append(_array(leaf))
            out_tangents.append(_zeros(batch, leaf))
    return primals, out_tangents, treedef, (_strip(aux, trace) if has_aux else None)


class _Recording:
    """One forward pass on the tape of a fresh ReverseTrace, ready for backward sweeps."""

    def __init__(self, fun, inputs: _Inputs, has_aux=False, name="vjp"):
        trace = ReverseTrace()
        nodes = [trace.new_input(x) for x in inputs.leaves]
        try:
            out = inputs.call(fun, nodes)
        finally:
            trace.finished = True
        self._read(trace, inputs, nodes, out, has_aux, name)

    @classmethod
    def of(cls, trace, inputs: _Inputs, nodes, out, has_aux=False, name="vjp"):
        """The recording of a function already run on ``nodes`` (the inputs on ``trace``) that returned ``out``."""
        recording = cls.__new__(cls)
        recording._read(trace, inputs, nodes, out, has_aux, name)
        return recording

    def _read(self, trace, inputs, nodes, out, has_aux, name):
        self.trace = trace
        self.inputs = inputs
        self.input_indices = [n.index for n in nodes]
        out, aux = _split_aux(out, has_aux, name)
        self.leaves, self.treedef = tree_flatten(out)
        self.primals = []
        for leaf in self.leaves:
            _check_output_leaf(leaf, name)
            self.primals.append(_array(leaf.primal if isinstance(leaf, Node) and leaf._trace is self.trace else leaf))
        self.aux = _strip(aux, self.trace) if has_aux else None
        if core._counter is not None:  # only ad.count_ops() wants the tape's size
            cost.note_tape(self.trace.tape)

    def backward(self, cotangents, nb):
        """Adjoints of the input leaves for one cotangent per output leaf (batch axes ``nb``)."""
        seeds = []
        batch = ()
        for leaf, cot in zip(self.leaves, cotangents):
            if cot is None:
                continue
            batch = tuple(shape_of(cot)[:nb])
            if isinstance(leaf, Node) and leaf._trace is self.trace:
                seeds.append((leaf.index, cot))
        adjoints = self.trace.backward(seeds, self.input_indices, nb) if seeds else [None] * len(self.input_indices)
        return [_zeros(batch, x) if a is None else _in_dtype(_array(a), x) for a, x in zip(adjoints, self.inputs.leaves)]


def _cotangent_leaves(recording, cotangent, name):
    leaves, treedef = tree_flatten(cotangent)
    if treedef != recording.treedef:
        raise AdmodesError(
            f"{name}: the cotangent has structure {treedef}, but the function's output has "
            f"structure {recording.treedef}; pass one cotangent per output, shaped like it."
        )
    out = []
    for k, (c, p) in enumerate(zip(leaves, recording.primals)):
        c = _direction(c, p, "cotangent", k, name)
        if shape_of(c) != shape_of(p):
            raise AdmodesError(
                f"{name}: cotangent {k} has shape {shape_of(c)}, but the output it belongs to has "
                f"shape {shape_of(p)}; a cotangent must have the shape of its output."
            )
        out.append(c)
    return out


# ------------------------------------------------------------------ jvp / vjp


def jvp(fun: Callable, primals: Sequence, tangents: Sequence):
    """Forward mode: the value of ``fun(*primals)`` and its directional derivative.

    Returns ``(out, out_tangent)`` where ``out_tangent = J @ tangents`` (one forward
    sweep of dual numbers). ``primals`` and ``tangents`` are tuples with one entry per
    argument; tangents have the shapes (and get the dtypes) of their primals.

    >>> import numpy as np, admodes as ad
    >>> ad.jvp(lambda x, y: x * y, (-2.0, 3.0), (1.0, 0.0))
    (array(-6.), array(3.))
    """
    _check_callable(fun, "jvp")
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise AdmodesError("jvp(fun, primals, tangents): primals and tangents must be tuples, one entry per argument.")
    if len(primals) != len(tangents):
        raise AdmodesError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal.")
    inputs = _Inputs(tuple(primals), tuple(range(len(primals))), "jvp")
    t_leaves, t_def = tree_flatten(tuple(tangents))
    if t_def != inputs.treedef:
        raise AdmodesError(f"jvp: tangents have structure {t_def}, primals {inputs.treedef}; they must match.")
    t_checked = []
    for k, (t, x) in enumerate(zip(t_leaves, inputs.leaves)):
        t = _direction(t, x, "tangent", k, "jvp")
        if shape_of(t) != shape_of(x):
            raise AdmodesError(
                f"jvp: tangent {k} has shape {shape_of(t)} but its primal has shape {shape_of(x)}; "
                "a tangent must have the shape of its primal."
            )
        t_checked.append(t)
    out, out_t, treedef, _ = _forward_sweep(fun, inputs, t_checked, 0, name="jvp")
    return tree_unflatten(treedef, out), tree_unflatten(treedef, out_t)


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """Reverse mode: the value of ``fun(*primals)`` and a function that pulls cotangents back.

    Records ``fun`` on a tape once; ``vjp_fun(cotangent)`` sweeps the tape backwards
    and returns a tuple with one cotangent per primal (``cotangent @ J``). ``vjp_fun``
    may be called many times (one backward sweep each).

    >>> import numpy as np, admodes as ad
    >>> out, vjp_fun = ad.vjp(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0)
    >>> out, vjp_fun(1.0)
    (array(14.), (array(7.), array(9.), array(2.)))
    """
    _check_callable(fun, "vjp")
    _check_flag(has_aux, "has_aux", "vjp")
    if not primals:
        raise AdmodesError("vjp(fun, *primals): give at least one primal argument.")
    inputs = _Inputs(primals, tuple(range(len(primals))), "vjp")
    # vjp_fun sweeps later, after the caller may have written to its inputs: record on copies
    inputs.leaves = [leaf.copy() if type(leaf) is np.ndarray and leaf.flags.writeable else leaf
                     for leaf in inputs.leaves]
    recording = _Recording(fun, inputs, has_aux, "vjp")

    def vjp_fun(cotangent):
        cots = _cotangent_leaves(recording, cotangent, "vjp_fun")
        adjoints = recording.backward(cots, 0)
        return tuple(inputs.unflatten(adjoints))

    out = tree_unflatten(recording.treedef, recording.primals)
    if has_aux:
        return out, vjp_fun, recording.aux
    return out, vjp_fun


# ------------------------------------------------------------------ grad


def _check_mode(mode, allowed, name):
    if mode not in allowed:
        raise AdmodesError(f"{name}: mode={mode!r} is not one of {', '.join(map(repr, allowed))}.")


def _scalar_output(primal, name):
    value = concrete(primal)
    if shape_of(value) != ():
        raise AdmodesError(
            f"{name} needs a function with a scalar output, but it returned shape {shape_of(value)}. "
            "Reduce it to a scalar (e.g. np.sum), or use ad.jacobian / ad.vjp for array outputs."
        )
    if np.result_type(value).kind != "f":
        raise AdmodesError(f"{name} needs a real floating-point output, got dtype {np.result_type(value)}.")


def value_and_grad(fun: Callable, argnums=0, *, mode: str = "reverse", has_aux: bool = False):
    """A function returning ``(fun(*args), gradient)`` (``((value, aux), gradient)`` with ``has_aux``).

    ``mode="reverse"``: one forward pass onto a tape and one backward sweep, whatever
    the number of inputs. ``mode="forward"``: one vectorised forward sweep carrying n
    tangent directions (the same numbers, at a cost that grows with n).

    >>> import admodes as ad
    >>> ad.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(-2.0, 3.0)
    (array(-6.), (array(3.), array(-2.)))
    """
    _check_mode(mode, MODES, "value_and_grad")
    _check_callable(fun, "grad")
    _check_argnums_type(argnums, "grad")
    _check_flag(has_aux, "has_aux", "grad")

    @wraps(fun)
    def value_and_grad_fun(*args, **kwargs):
        f = (lambda *a: fun(*a, **kwargs)) if kwargs else fun
        inputs = _Inputs(args, argnums, "grad")
        if mode == "reverse":
            recording = _Recording(f, inputs, has_aux, "grad")
            if recording.treedef.num_leaves != 1 or recording.treedef.kind != "leaf":
                raise AdmodesError("grad needs a function that returns a single scalar (use has_aux=True for extras).")
            value = recording.primals[0]
            _scalar_output(value, "grad")
            seed = np.ones((), dtype=np.result_type(concrete(value)))
            gradient = inputs.unflatten(recording.backward([seed], 0))
            aux = recording.aux
        else:
            out, jac, aux, _ = _forward_jacobian(f, inputs, None, has_aux, "grad")
            if len(out) != 1:
                raise AdmodesError("grad needs a function that returns a single scalar (use has_aux=True for extras).")
            value = out[0]
            _scalar_output(value, "grad")
            gradient = inputs.unflatten([np.reshape(j, shape_of(x)) for j, x in zip(jac[0], inputs.leaves)])
        if isinstance(value, np.generic):
            value = np.asarray(value)
        return ((value, aux) if has_aux else value), gradient

    return value_and_grad_fun


def grad(fun: Callable, argnums=0, *, mode: str = "reverse", has_aux: bool = False):
    """The gradient of a scalar function, with respect to argument(s) ``argnums``.

    >>> import numpy as np, admodes as ad
    >>> f = lambda a, b, c: (a + b) * (b + c)
    >>> ad.grad(f, argnums=(0, 1, 2))(-1.0, 3.0, 4.0)
    (array(7.), array(9.), array(2.))
    >>> ad.grad(f, argnums=1, mode="forward")(-1.0, 3.0, 4.0)
    array(9.)
    """
    vg = value_and_grad(fun, argnums, mode=mode, has_aux=has_aux)

    @wraps(fun)
    def grad_fun(*args, **kwargs):
        (value_aux, gradient) = vg(*args, **kwargs)
        return (gradient, value_aux[1]) if has_aux else gradient

    return grad_fun


# ------------------------------------------------------------------ Jacobians


def _check_chunk(chunk, name):
    if chunk is None:
        return
    if not isinstance(chunk, int | np.integer) or isinstance(chunk, bool) or chunk < 1:
        raise AdmodesError(f"{name}: chunk={chunk!r} must be None (all directions in one sweep) or a positive int.")


def _ranges(total, chunk):
    step = total if chunk is None else int(chunk)
    step = max(step, 1)
    return [(s, min(s + step, total)) for s in range(0, total, step)] or [(0, 0)]


def _concat(blocks):
    """Stack per-chunk blocks along the direction axis (tracers allowed)."""
    if len(blocks) == 1:
        return blocks[0]
    return np.concatenate(blocks, axis=0)


def _forward_jacobian(fun, inputs: _Inputs, chunk, has_aux=False, name="jacfwd"):
    """Jacobian blocks jac[i][j] of shape (n_j,) + out_i.shape by forward sweeps."""
    if chunk is None:  # the default, all directions in one sweep: no blocks to collect and stack
        basis = _basis(0, inputs.size, inputs.sizes, inputs.leaves)
        out, tangents, treedef, aux = _forward_sweep(fun, inputs, basis, 1, has_aux, name)
        return out, _forward_blocks(tangents, inputs), aux, treedef
    per_out = None
    for start, stop in _ranges(inputs.size, chunk):
        basis = _basis(start, stop, inputs.sizes, inputs.leaves)
        if chunk == 1 and stop > start:  # the textbook sweep: one direction, no batch axis (none if n == 0)
            out, tangents, treedef, aux = _forward_sweep(fun, inputs, [b[0] for b in basis], 0, has_aux, name)
            tangents = [_expand0(t) for t in tangents]
        else:
            out, tangents, treedef, aux = _forward_sweep(fun, inputs, basis, 1, has_aux, name)
        if per_out is None:
            per_out = [[] for _ in tangents]
        for i, t in enumerate(tangents):
            per_out[i].append(t)
    jac = [[_in_dtype(block, x) for block, x in zip(_split_rows(_concat(blocks), inputs.sizes), inputs.leaves)]
           for blocks in per_out]  # (n_j,) + out_i.shape
    return out, jac, aux, treedef


def _forward_blocks(tangents, inputs: _Inputs):
    """jac[i][j] from the output tangents of one sweep along all n directions."""
    return [[_in_dtype(block, x) for block, x in zip(_split_rows(t, inputs.sizes), inputs.leaves)]
            for t in tangents]


def _split_rows(full, sizes):
    """Cut the direction axis of ``full`` into one block per leaf of the given sizes."""
    if len(sizes) == 1:
        return [full]
    blocks, offset = [], 0
    for size in sizes:
        blocks.append(full[offset : offset + size])
        offset += size
    return blocks


def _expand0(t):
    return np.expand_dims(t, 0)


def _reverse_jacobian(fun, inputs: _Inputs, chunk, recording=None, has_aux=False, name="jacrev"):
    """Jacobian blocks jac[i][j] of shape (m_i,) + in_j.shape by backward sweeps over one tape."""
    if recording is None:
        recording = _Recording(fun, inputs, has_aux, name)
    out_sizes = [math.prod(shape_of(p)) for p in recording.primals]
    if chunk is None:  # the default, all directions in one sweep: no blocks to collect and stack
        basis = _basis(0, sum(out_sizes), out_sizes, [_float_like(p) for p in recording.primals])
        fulls = [_split_rows(a, out_sizes) for a in recording.backward(basis, 1)]  # fulls[j][i]
        jac = [[full[i] for full in fulls] for i in range(len(out_sizes))]
        return recording.primals, jac, recording.aux, recording.treedef
    per_in = [[] for _ in inputs.leaves]
    for start, stop in _ranges(sum(out_sizes), chunk):
        basis = _basis(start, stop, out_sizes, [_float_like(p) for p in recording.primals])
        if chunk == 1 and stop > start:  # an empty output has no direction to sweep alone
            adjoints = recording.backward([b[0] for b in basis], 0)
            adjoints = [_expand0(a) for a in adjoints]
        else:
            adjoints = recording.backward(basis, 1)
        for j, a in enumerate(adjoints):
            per_in[j].append(a)
    fulls = [_split_rows(_concat(blocks), out_sizes) for blocks in per_in]  # fulls[j][i]: (m_i,) + in_j.shape
    jac = [[fulls[j][i] for j in range(len(fulls))] for i in range(len(out_sizes))]
    return recording.primals, jac, recording.aux, recording.treedef


def _float_like(p):
    value = concrete(p)
    if _dtype(value).kind != "f":
        return np.zeros(shape_of(value))
    return value


def _assemble(jac, out_primals, out_treedef, inputs: _Inputs, layout):
    """Reshape blocks to out.shape + in.shape and nest them as out-tree of in-trees (as JAX)."""
    rows = []
    for i, p in enumerate(out_primals):
        out_shape = shape_of(p)
        row = []
        for j, leaf in enumerate(inputs.leaves):
            row.append(_shape_block(jac[i][j], out_shape, shape_of(leaf), layout))
        rows.append(inputs.unflatten(row))
    return tree_unflatten(out_treedef, rows)


def _shape_block(block, out_shape, in_shape, layout):
    """One Jacobian block, (n,) + out_shape ("in-first") or (m,) + in_shape, as out_shape + in_shape."""
    # the block's own methods (arrays and tracers have them): np.reshape and np.transpose
    # would add a dispatch layer to every call
    if layout == "in-first":
        nin = len(in_shape)
        nout = len(out_shape)
        if nin == 1 and nout == 1:  # vector in, vector out: (n, m) -> (m, n)
            return block.T
        block = block.reshape(in_shape + out_shape)
        return block.transpose(tuple(range(nin, nin + nout)) + tuple(range(nin)))
    target = out_shape + in_shape
    return block if shape_of(block) == target else block.reshape(target)


@dataclass(frozen=True)
class ModeChoice:
    """What ``jacobian(mode="auto")`` picks for a call, and the numbers behind it.

    A full Jacobian costs about n forward sweeps (one per input direction) or m
    backward sweeps (one per output direction) after one recorded forward pass.
    ``auto`` picks the mode with fewer sweeps, forward on ties (no tape to keep).
    """

    mode: str
    n: int
    m: int
    forward_sweeps: int
    reverse_sweeps: int
    rule: str = "forward if n <= m else reverse"

    def __str__(self):
        return (
            f"{self.mode} (n = {self.n} inputs, m = {self.m} outputs: "
            f"{self.forward_sweeps} forward sweeps vs {self.reverse_sweeps} reverse sweeps; rule: {self.rule})"
        )


def _decide(n, m):
    mode = "forward" if n <= m else "reverse"
    return ModeChoice(mode=mode, n=n, m=m, forward_sweeps=n, reverse_sweeps=m)


def choose_mode(fun: Callable, *args, argnums=0, has_aux: bool = False) -> ModeChoice:
    """What ``jacobian(fun, argnums, mode="auto", has_aux=has_aux)`` would pick for ``args``, and why.

    >>> import numpy as np, admodes as ad
    >>> ad.choose_mode(lambda x: np.sum(x ** 2), np.ones(1000)).mode
    'reverse'
    >>> ad.choose_mode(lambda x: x * np.ones((50, 1)), np.ones(2)).mode
    'forward'
    """
    inputs = _Inputs(args, argnums, "choose_mode")
    out, _ = _split_aux(fun(*args), has_aux, "choose_mode")  # aux is not differentiated: not counted
    leaves, _ = tree_flatten(out)
    m = sum(math.prod(shape_of(concrete(leaf))) for leaf in leaves)
    return _decide(inputs.size, m)


def jacobian(fun: Callable, argnums=0, *, mode: str = "auto", chunk: int | None = None, has_aux: bool = False):
    """The Jacobian of ``fun`` with respect to argument(s) ``argnums``.

    ``mode="forward"`` pushes n tangent directions through forward sweeps,
    ``mode="reverse"`` pulls m cotangent directions back through one tape, and
    ``mode="auto"`` picks the one with fewer sweeps (see ``choose_mode``).
    ``chunk`` directions go through each sweep: ``None`` = all in one vectorised
    sweep, ``1`` = the textbook one direction per sweep.

    The result has shape ``out.shape + in.shape`` (JAX's convention), nested as the
    output pytree of input pytrees.

    >>> import numpy as np, admodes as ad
    >>> ad.jacobian(lambda x: np.sin(x) * 2.0, mode="forward")(np.zeros(2))
    array([[2., 0.],
           [0., 2.]])
    """
    _check_mode(mode, MODES + ("auto",), "jacobian")
    _check_chunk(chunk, "jacobian")
    _check_callable(fun, "jacobian")
    _check_argnums_type(argnums, "jacobian")
    _check_flag(has_aux, "has_aux", "jacobian")
    decisions: dict = {}
    one_sweep = type(argnums) is int and argnums == 0 and chunk is None and not has_aux

    @wraps(fun)
    def jacobian_fun(*args, **kwargs):
        if one_sweep and len(args) == 1 and not kwargs and core.SHORTCUTS:
            x = args[0]
            if type(x) is np.ndarray and x.dtype.kind == "f":  # f(x) on one float array
                chosen = decisions.get(((x.shape, x.dtype),)) if mode == "auto" else mode  # _auto_key's key
                if chosen is not None:
                    return _array_jacobian(fun, x, chosen)
        f = (lambda *a: fun(*a, **kwargs)) if kwargs else fun
        inputs = _Inputs(args, argnums, "jacobian")
        chosen = mode
        recording = None
        if mode == "auto":
            key = _auto_key(args, kwargs)
            chosen = decisions.get(key) if key is not None else None
            if chosen is None:
                # the output size is known only after one pass: record it on a tape, which
                # reverse mode reuses and forward mode discards
                recording = _Recording(f, inputs, has_aux, "jacobian")
                m = sum(math.prod(shape_of(concrete(p))) for p in recording.primals)
                chosen = _decide(inputs.size, m).mode
                if key is not None:
                    if len(decisions) >= 256:  # an int argument that changes every call (a step count)
                        decisions.clear()      # must not grow the cache without bound
                    decisions[key] = chosen
        if chosen == "forward":
            out, jac, aux, treedef = _forward_jacobian(f, inputs, chunk, has_aux, "jacobian")
            result = _assemble(jac, out, treedef, inputs, "in-first")
        else:
            out, jac, aux, treedef = _reverse_jacobian(f, inputs, chunk, recording, has_aux, "jacobian")
            result = _assemble(jac, out, treedef, inputs, "out-first")
        return (result, aux) if has_aux else result

    return jacobian_fun


def _array_jacobian(fun, x, mode):
    """``jacobian(fun)(x)`` for one float ndarray ``x``, all directions in one sweep.

    The common call, made cheap: the general path's pytree, argnums and chunk bookkeeping
    costs as much as the sweep of a small function. When ``fun`` returns one traced array,
    its tangent (forward) or its adjoint (reverse) is the Jacobian; any other output goes
    through the general path's tail (``fun`` runs once either way).
    """
    n = x.size
    if mode == "forward":
        trace = ForwardTrace(1)
        seed = _identity(n, x.dtype)
        if x.ndim != 1:
            seed = seed.reshape((n,) + x.shape)
        try:
            out = fun(Dual(trace, x, seed))
        finally:
            trace.finished = True
        if type(out) is Dual and out._trace is trace:
            return _shape_block(_in_dtype(_array(out.tangent), x), shape_of(out.primal), x.shape, "in-first")
        inputs = _Inputs((x,), 0, "jacobian")
        primals, tangents, treedef, _ = _forward_outputs(out, trace, [seed], 1, False, "jacobian")
        return _assemble(_forward_blocks(tangents, inputs), primals, treedef, inputs, "in-first")
    trace = ReverseTrace()
    node = trace.new_input(x)
    try:
        out = fun(node)
    finally:
        trace.finished = True
    if type(out) is Node and out._trace is trace and (out_dtype := _dtype(out.primal)).kind == "f":
        if core._counter is not None:  # as _Recording does
            cost.note_tape(trace.tape)
        out_shape = shape_of(out.primal)
        m = math.prod(out_shape)
        seed = _identity(m, out_dtype)
        if len(out_shape) != 1:
            seed = seed.reshape((m,) + out_shape)
        (adjoint,) = backward_sweep(trace.tape.entries, [(out.index, seed)], [node.index], 1)
        block = _zeros((m,), x) if adjoint is None else _in_dtype(_array(adjoint), x)
        return _shape_block(block, out_shape, x.shape, "out-first")
    inputs = _Inputs((x,), 0, "jacobian")
    recording = _Recording.of(trace, inputs, [node], out, False, "jacobian")
    primals, jac, _, treedef = _reverse_jacobian(fun, inputs, None, recording)
    return _assemble(jac, primals, treedef, inputs, "out-first")


def _auto_key(args, kwargs):
    """What the output size of a call may depend on, to cache ``auto``'s pick by.

    Every argument counts, not only the differentiated ones (``f(x, v)`` may return
    ``v.size`` entries): arrays by shape and dtype, other hashable values by value
    (floats by type: they do not set sizes). ``None`` (no caching) for unhashable ones.
    An output size that depends on values (``x[x > 0]``) can still make a pick stale:
    the derivatives stay right, only the cost is not the lower one.
    """
    if not kwargs and all(type(a) is np.ndarray for a in args):
        # the common call f(x) or f(x, y) on arrays: a key of shapes and dtypes alone, which
        # cannot equal a key of the general form below (that one starts with a TreeDef)
        return tuple([(a.shape, a.dtype) for a in args])
    leaves, treedef = tree_flatten((args, kwargs))
    key = [treedef]
    for leaf in leaves:
        if isinstance(leaf, np.ndarray):
            key.append((leaf.shape, leaf.dtype))
        elif isinstance(leaf, Tracer | np.generic):
            key.append((shape_of(leaf), np.result_type(concrete(leaf)).str))
        elif isinstance(leaf, float):
            key.append(float)
        else:
            try:
                hash(leaf)
            except TypeError:
                return None
            key.append(leaf)
    return tuple(key)


def jacfwd(fun: Callable, argnums=0, *, chunk: int | None = None, has_aux: bool = False):
    """``jacobian(fun, argnums, mode="forward", chunk=chunk)``: n directions pushed forward."""
    return jacobian(fun, argnums, mode="forward", chunk=chunk, has_aux=has_aux)


def jacrev(fun: Callable, argnums=0, *, chunk: int | None = None, has_aux: bool = False):
    """``jacobian(fun, argnums, mode="reverse", chunk=chunk)``: m directions pulled back."""
    return jacobian(fun, argnums, mode="reverse", chunk=chunk, has_aux=has_aux)


def hessian(fun: Callable, argnums=0):
    """The Hessian of a scalar function: forward-over-reverse (``jacfwd(jacrev(fun))``).

    The shape is ``in.shape + in.shape`` (``out.shape + in.shape + in.shape`` in general).

    >>> import numpy as np, admodes as ad
    >>> ad.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    return jacfwd(jacrev(fun, argnums), argnums)


def hvp(fun: Callable, primals: Sequence, tangents: Sequence):
    """Hessian-vector product ``H @ v`` by forward-over-reverse, without forming H.

    One forward sweep through one reverse sweep: about the cost of a few gradients.
    With several primals, the Hessian is that of all of them together and the
    result has one entry per primal.

    >>> import numpy as np, admodes as ad
    >>> ad.hvp(lambda x: np.sum(x ** 3), (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    array([6., 0.])
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise AdmodesError("hvp(fun, primals, tangents): primals and tangents must be tuples, one entry per argument.")
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(fun, argnums), tuple(primals), tuple(tangents))[1]
