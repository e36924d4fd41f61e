"""Checkpointing: trade recomputation for tape memory in reverse mode (JAX's ``jax.checkpoint``).

``checkpoint(fun)`` makes ``fun`` one primitive of its own. Reverse mode keeps only its
inputs on the tape (none of the segment's intermediate values); the backward sweep re-runs
the segment's forward pass onto a fresh tape of its own, pulls the cotangent through it,
and drops that tape. Forward mode does not keep a tape, so a call whose traced inputs are
all forward-mode values runs ``fun`` as it stands.

The rules of the primitive are themselves checkpointed where they run on values of an
enclosing derivative call (``grad(grad(f))``, ``jacrev(jacfwd(f))``): the enclosing tape then
keeps the rule's inputs and re-runs the rule in its own backward sweep, so a second-order
derivative keeps the segment's intermediates no longer than one rule call.

Recomputation is real work: ``count_ops`` counts every operation it runs, and
``OpCounter.recomputed`` says how many of them were re-runs of a checkpointed forward pass.

>>> import numpy as np, admodes as ad
>>> f = ad.checkpoint(lambda x: np.sin(np.sin(x)))
>>> float(ad.grad(f)(0.5)) == float(ad.grad(lambda x: np.sin(np.sin(x)))(0.5))
True
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math

import numpy as np

from . import core
from .core import AdmodesError, Primitive, Trace, Tracer, bind, shape_of
from .forward import ForwardTrace
from .inputs import Inputs, dtype_of
from .sweeps import Recording, forward_sweep, zeros
from .tree import tree_flatten, tree_unflatten

__all__ = ["checkpoint"]

_ids = itertools.count()


def _only_forward(leaves):
    """Whether every traced value in ``leaves`` is a forward-mode value all the way down
    (no tape anywhere under it: checkpointing has nothing to save)."""
    for leaf in leaves:
        x = leaf
        while isinstance(x, Tracer):
            if not isinstance(x._trace, ForwardTrace):
                return False
            x = x.primal
    return True


def _any_traced(tree):
    return any(isinstance(leaf, Tracer) for leaf in tree_flatten(tree)[0])


class _Call:
    """The parameters of one checkpointed call: the function, where its traced leaves go among
    the constant ones, and (set when the segment first runs) the structure of its output.

    The primitive has one output array: the output leaves raveled and concatenated (in their
    common dtype), or the one output leaf as it is."""

    __slots__ = ("fun", "name", "treedef", "leaves", "slots", "out_treedef", "out_shapes", "out_dtypes", "dtype")

    def __init__(self, fun, name, treedef, leaves, slots):
        self.fun = fun
        self.name = name
        self.treedef = treedef
        self.leaves = leaves  # constants in place, None where a traced leaf goes
        self.slots = slots  # positions of the traced leaves
        self.out_treedef = None

    def __repr__(self):  # staged programs print their constants
        return f"<checkpointed call of {self.name}>"

    def run(self, *traced):
        """``fun`` on the given values in the traced leaves' places: the output pytree."""
        leaves = list(self.leaves)
        for k, value in zip(self.slots, traced):
            leaves[k] = value
        return self.fun(*tree_unflatten(self.treedef, leaves))

    def note_output(self, out):
        leaves, treedef = tree_flatten(out)
        for k, leaf in enumerate(leaves):
            kind = np.result_type(core.concrete(leaf)).kind if isinstance(leaf, np.ndarray | np.generic | float | int | Tracer) else None
            if kind != "f":
                what = type(leaf).__name__ if kind is None else f"dtype {np.result_type(core.concrete(leaf))}"
                raise AdmodesError(
                    f"checkpoint({self.name}): output leaf {k} is a {what}; a checkpointed function must return "
                    "float arrays (or pytrees of them). Compute integer or other values outside the checkpointed function."
                )
        shapes = [shape_of(leaf) for leaf in leaves]
        dtypes = [dtype_of(leaf) for leaf in leaves]
        if self.out_treedef is None:
            self.out_treedef, self.out_shapes, self.out_dtypes = treedef, shapes, dtypes
            self.dtype = np.result_type(*dtypes) if dtypes else np.dtype(np.float64)
        elif (treedef, shapes, dtypes) != (self.out_treedef, self.out_shapes, self.out_dtypes):
            raise AdmodesError(
                f"checkpoint({self.name}): the function's output changed structure between two runs of it "
                f"({self.out_treedef} {self.out_shapes} before, {treedef} {shapes} now); a checkpointed function "
                "must give outputs of the same structure, shapes and dtypes when it is re-run."
            )
        return leaves

    @property
    def single(self):
        return len(self.out_shapes) == 1

    def pack(self, leaves, nb=0, batch=()):
        """Output leaves (each with ``nb`` leading batch axes) as the primitive's one array."""
        if self.single:
            return leaves[0]
        if not leaves:
            return np.zeros(tuple(batch) + (0,), dtype=self.dtype)
        parts = []
        for leaf, shape, dtype in zip(leaves, self.out_shapes, self.out_dtypes):
            part = np.reshape(leaf, tuple(batch) + (math.prod(shape),))
            parts.append(part if dtype == self.dtype else part.astype(self.dtype))
        return np.concatenate(parts, axis=nb)

    def unpack(self, flat, nb=0):
        """The primitive's one array (``nb`` leading batch axes) cut back into output leaves."""
        if self.single:
            return [flat]
        batch = tuple(shape_of(flat)[:nb])
        leaves, offset = [], 0
        for shape, dtype in zip(self.out_shapes, self.out_dtypes):
            size = math.prod(shape)
            part = flat[(slice(None),) * nb + (slice(offset, offset + size),)].reshape(batch + tuple(shape))
            leaves.append(part if dtype == self.dtype else part.astype(dtype))
            offset += size
        return leaves

    def cotangents(self, g, nb):
        """The cotangent ``g`` of the primitive's one array as one cotangent per output leaf."""
        return [piece if dtype_of(piece) == dtype else piece.astype(dtype)
                for piece, dtype in zip(self.unpack(g, nb), self.out_dtypes)]

    def pullback(self, nb, primals, g):
        """The segment's forward pass re-run onto a fresh tape, and the cotangent ``g`` pulled
        through it: one cotangent per traced input."""
        with recomputing():
            inputs = Inputs(tuple(primals), tuple(range(len(primals))), "checkpoint")
            recording = Recording(self.run, inputs, False, f"checkpoint({self.name})")
        return recording.backward(self.cotangents(g, nb), nb)


@contextlib.contextmanager
def recomputing():
    """Count the operations of the block as recomputed (``OpCounter.recomputed``)."""
    counter = core.counting()
    if counter is None:
        yield
        return
    before = counter.ops
    try:
        yield
    finally:
        counter.recomputed += counter.ops - before


class _Counted(Tracer):
    """A plain value whose operations ``count_ops`` should see (see ``counted``)."""

    __slots__ = ()

    def __init__(self, trace, primal):
        self._trace = trace
        self.primal = primal


class _CountingTrace(Trace):
    """Evaluates each primitive as NumPy would and counts it: a segment run on plain values
    inside a primitive's rule is plain NumPy, which ``count_ops`` would not see."""

    __slots__ = ()

    def process(self, prim, args, params):
        if self.finished:
            raise self.leaked()
        primals = [a.primal if type(a) is _Counted and a._trace is self else a for a in args]
        if any(isinstance(a, Tracer) for a in primals):
            out = bind(prim, primals, params)
        else:
            out = prim.impl(*primals, **params)
            if core._counter is not None:
                core._counter.record(prim, out, primals, params)
        return _Counted(self, out)


def counted(fn, leaves):
    """``fn(*leaves)``, its operations counted by an active ``count_ops`` when the leaves are plain
    values (traced ones are counted by their traces anyway); the result's leaves are plain."""
    if core.counting() is None or any(isinstance(leaf, Tracer) for leaf in leaves):
        return fn(*leaves)
    trace = _CountingTrace()
    try:
        out = fn(*[_Counted(trace, leaf) for leaf in leaves])
    finally:
        trace.finished = True
    values, treedef = tree_flatten(out)
    return tree_unflatten(treedef, [v.primal if type(v) is _Counted and v._trace is trace else v for v in values])


def _impl(*traced, call):
    out = counted(call.run, traced)
    leaves = call.note_output(out)
    return call.pack([np.asarray(leaf) for leaf in leaves])


def _tangent(call, nb, primals, tangents):
    """The segment's forward sweep: the output tangent, in the primitive's one-array form."""
    batch = tuple(shape_of(next(t for t in tangents if t is not None))[:nb])
    full = [zeros(batch, p) if t is None else t for p, t in zip(primals, tangents)]
    inputs = Inputs(tuple(primals), tuple(range(len(primals))), "checkpoint")
    _, out_tangents, _, _ = forward_sweep(call.run, inputs, full, nb, name=f"checkpoint({call.name})")
    return call.pack(out_tangents, nb, batch)


def _jvp_rule(tangents, nb, out, *primals, call):
    if all(t is None for t in tangents):
        return None
    if _any_traced((primals, tangents)):  # values of an enclosing call: checkpoint the rule for its tape
        present = [k for k, t in enumerate(tangents) if t is not None]

        def rule(primals, given):
            ts = [None] * len(primals)
            for k, t in zip(present, given):
                ts[k] = t
            return _tangent(call, nb, primals, ts)

        return checkpoint(rule, name=f"jvp of {call.name}")(list(primals), [tangents[k] for k in present])
    return _tangent(call, nb, primals, tangents)


def _vjp_rule(g, nb, out, *primals, call):
    if _any_traced((primals, g)):
        rule = checkpoint(lambda primals, g: call.pullback(nb, primals, g), name=f"vjp of {call.name}")
        return list(rule(list(primals), g))
    return call.pullback(nb, primals, g)


def _no_flops(out, args, params):
    return 0  # the segment's own operations are counted as they run


class checkpoint:
    """``fun`` as a checkpointed segment (JAX's ``jax.checkpoint`` / ``jax.remat``).

    Reverse mode keeps the segment's inputs instead of its intermediate values, and re-runs
    its forward pass in the backward sweep; forward mode runs ``fun`` unchanged. Inputs and
    outputs may be pytrees; output leaves must be float arrays. Traced leaves of the inputs are
    differentiated, the others are constants of the call. Use it as a decorator or as
    ``ad.checkpoint(fun)``; ``name`` labels the primitive (``count_ops().by_primitive``).

    >>> import numpy as np, admodes as ad
    >>> @ad.checkpoint
    ... def layer(x, w):
    ...     return {"h": np.tanh(w * x), "s": np.sum(x)}
    >>> ad.grad(lambda x: layer(x, 2.0)["h"] @ x)(np.array([0.1, 0.2])).round(6)
    array([0.389584, 0.722204])
    """

    def __init__(self, fun, *, name=None):
        if not callable(fun):
            raise AdmodesError(f"checkpoint: the argument must be the function to checkpoint, got a {type(fun).__name__}.")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.name = name or getattr(fun, "__name__", "fun")
        self.prim = Primitive(f"checkpoint[{self.name}#{next(_ids)}]", _impl, saves="args", register=False,
                              flops=_no_flops)
        self.prim.jvp = _jvp_rule
        self.prim.vjp = _vjp_rule

    def __call__(self, *args):
        leaves, treedef = tree_flatten(args)
        slots = [k for k, leaf in enumerate(leaves) if isinstance(leaf, Tracer)]
        if not slots or _only_forward(leaves[k] for k in slots):
            return self.fun(*args)  # no tape to spare (plain values, or forward mode only)
        constants = [None if isinstance(leaf, Tracer) else
                     (leaf.copy() if type(leaf) is np.ndarray and leaf.flags.writeable else leaf)  # kept to the backward sweep
                     for leaf in leaves]
        return self.bind(_Call(self.fun, self.name, treedef, constants, slots), [leaves[k] for k in slots])

    def bind(self, call, traced):
        """Apply the primitive to the ``traced`` leaves of ``call``: the output pytree."""
        flat = self.prim(*traced, call=call)
        return tree_unflatten(call.out_treedef, call.unpack(flat))
