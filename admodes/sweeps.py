"""The sweeps every transformation is built from: argument and output checks, one forward
sweep of a call (``forward_sweep``), one recorded reverse call (``Recording``), and the dense
Jacobian in either mode, in chunks of directions (``forward_jacobian``, ``reverse_jacobian``).

``api`` (grad, jvp, vjp, hvp) and ``jacobians`` (jacobian, hessian, choose_mode) are written
with these; the names here are internal to admodes.
"""

from __future__ import annotations

import math

import numpy as np

from . import core, cost
from .core import AdmodesError, Tracer, concrete, shape_of
from .forward import Dual, ForwardTrace
from .inputs import Inputs, basis, call_user, dtype_of, identity
from .reverse import Node, ReverseTrace, backward_sweep
from .tree import tree_flatten, tree_unflatten
from .values import refusal

MODES = ("forward", "reverse")


def _seed_budget() -> int:
    """Bytes the seeds of one sweep may take when the caller leaves the chunk to admodes: 256 MiB,
    or a sixteenth of the memory available if that is less (``ADMODES_SEED_BYTES`` overrides).
    Each intermediate of a sweep carries as many directions as its seeds, so the seeds' size
    is the measure of a sweep's memory."""
    import os

    env = os.environ.get("ADMODES_SEED_BYTES")
    if env:
        return int(env)
    budget = 256 * 2**20
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    budget = min(budget, int(line.split()[1]) * 1024 // 16)
                    break
    except OSError:
        pass
    return budget


SEED_BYTES = _seed_budget()


def bounded_chunk(chunk, directions, width, itemsize=8):
    """``chunk``, or, for ``chunk=None`` (every direction in one sweep), the most directions per
    sweep whose seeds (``directions`` x ``width`` entries) stay within ``SEED_BYTES``: ``None``
    when all of them fit. A forward-mode gradient of n inputs seeds n x n entries at once,
    12.8 GB at n = 40,000; bounded, it takes n / chunk sweeps of the same total work."""
    if chunk is not None or directions * width * itemsize <= SEED_BYTES:
        return chunk
    return max(1, SEED_BYTES // max(1, width * itemsize))


def check_callable(fun, name):
    if not callable(fun):
        raise AdmodesError(f"{name}: the first argument must be the function to differentiate, got a {type(fun).__name__}.")

def check_flag(value, flag, name):
    if not isinstance(value, bool | np.bool_):
        raise AdmodesError(f"{name}: {flag}={value!r} must be True or False.")

def direction(value, like, kind, k, name):
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

def split_aux(out, has_aux, name):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise AdmodesError(f"{name}(has_aux=True) needs the function to return a pair (output, aux).")
    return out[0], out[1]

def strip(tree, trace):
    """Replace tracers of ``trace`` by their primal values (for aux outputs)."""
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [leaf.primal if isinstance(leaf, Tracer) and leaf._trace is trace else leaf for leaf in leaves])

OUTPUT_LEAF_TYPES = (Tracer, np.ndarray, np.generic, float, int)

def check_output_leaf(leaf, name):
    """A function output that is not a traced value must be a plain real float array or number.

    A bool or integer output has no derivative, and an object array (often filled entry by
    entry with traced values) or an array subclass would hide or change the derivative: all
    are refused instead of returning zeros (JAX refuses them too).
    """
    if isinstance(leaf, Tracer):
        return
    if not isinstance(leaf, OUTPUT_LEAF_TYPES):
        raise AdmodesError(
            f"{name}: the function returned a {type(leaf).__name__}; it must return arrays or "
            "pytrees (tuples, lists, dicts) of arrays."
        )
    reason = refusal(leaf)
    if reason is not None:
        raise AdmodesError(f"{name}: the function returned {reason}")
    if dtype_of(leaf).kind in "biu":
        raise AdmodesError(
            f"{name}: the function returned an output of dtype {dtype_of(leaf)}, which has no "
            "derivative. Return a float (x.astype(float) for a 0/1 indicator, whose derivative is "
            "zero), or return it as an auxiliary value with has_aux=True."
        )

def array(value):
    """NumPy scalars become 0-d arrays at the API boundary (as JAX returns arrays)."""
    return np.asarray(value) if isinstance(value, np.generic) else value

def zeros(batch, like):
    value = concrete(like)
    dtype = np.result_type(value)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return np.zeros(tuple(batch) + shape_of(value), dtype=dtype)

def in_dtype(derivative, leaf):
    """A derivative with respect to ``leaf`` in ``leaf``'s dtype, as JAX returns it: a float64
    constant in the function must not turn the gradient of a float32 input into float64."""
    dtype = dtype_of(leaf)
    if dtype_of(derivative) == dtype:
        return derivative
    return derivative.astype(dtype)

def forward_sweep(fun, inputs: Inputs, tangents, nb, has_aux=False, name="jvp"):
    """Run ``fun`` once on duals. Returns (output leaves, output tangents, out treedef, aux)."""
    trace = ForwardTrace(nb)
    duals = [Dual(trace, x, t) for x, t in zip(inputs.leaves, tangents)]
    try:
        out = inputs.call(fun, duals)
    finally:
        trace.finished = True
    return forward_outputs(out, trace, tangents, nb, has_aux, name)

def forward_outputs(out, trace, tangents, nb, has_aux, name):
    """What ``forward_sweep`` returns, read off the output of the function it ran."""
    out, aux = split_aux(out, has_aux, name)
    leaves, treedef = tree_flatten(out)
    primals, out_tangents = [], []
    for leaf in leaves:
        if isinstance(leaf, Dual) and leaf._trace is trace:
            primals.append(array(leaf.primal))
            out_tangents.append(array(leaf.tangent))
        else:
            check_output_leaf(leaf, name)
            batch = tuple(shape_of(tangents[0])[:nb]) if tangents else ()
            primals.append(array(leaf))
            out_tangents.append(zeros(batch, leaf))
    return primals, out_tangents, treedef, (strip(aux, trace) if has_aux else None)

class Recording:
    """One forward pass on the tape of a fresh ReverseTrace, ready for backward sweeps."""

    def __init__(self, fun, inputs: Inputs, has_aux=False, name="vjp"):
        trace = ReverseTrace()
        nodes = [trace.new_input(x) for x in inputs.leaves]
        indices = [n.index for n in nodes]  # before the call: fun may write into its inputs (x[0] = ...)
        try:
            out = inputs.call(fun, nodes)
        finally:
            trace.finished = True
        self._read(trace, inputs, indices, out, has_aux, name)

    @classmethod
    def of(cls, trace, inputs: Inputs, indices, out, has_aux=False, name="vjp"):
        """The recording of a function already run on the inputs at tape ``indices`` of ``trace``
        that returned ``out``."""
        recording = cls.__new__(cls)
        recording._read(trace, inputs, indices, out, has_aux, name)
        return recording

    def _read(self, trace, inputs, indices, out, has_aux, name):
        self.trace = trace
        self.inputs = inputs
        self.input_indices = list(indices)
        out, aux = split_aux(out, has_aux, name)
        self.leaves, self.treedef = tree_flatten(out)
        self.primals = []
        for leaf in self.leaves:
            check_output_leaf(leaf, name)
            self.primals.append(array(leaf.primal if isinstance(leaf, Node) and leaf._trace is self.trace else leaf))
        self.aux = strip(aux, self.trace) if has_aux else None
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
        return [zeros(batch, x) if a is None else in_dtype(array(a), x) for a, x in zip(adjoints, self.inputs.leaves)]

def cotangent_leaves(recording, cotangent, name):
    leaves, treedef = tree_flatten(cotangent)
    if treedef != recording.treedef:
        raise AdmodesError(
            f"{name}: the cotangent has structure {treedef}, but the function's output has "
            f"structure {recording.treedef}; pass one cotangent per output, shaped like it."
        )
    out = []
    for k, (c, p) in enumerate(zip(leaves, recording.primals)):
        c = direction(c, p, "cotangent", k, name)
        if shape_of(c) != shape_of(p):
            raise AdmodesError(
                f"{name}: cotangent {k} has shape {shape_of(c)}, but the output it belongs to has "
                f"shape {shape_of(p)}; a cotangent must have the shape of its output."
            )
        out.append(c)
    return out

def check_mode(mode, allowed, name):
    if mode not in allowed:
        raise AdmodesError(f"{name}: mode={mode!r} is not one of {', '.join(map(repr, allowed))}.")

def scalar_output(primal, name):
    value = concrete(primal)
    if shape_of(value) != ():
        raise AdmodesError(
            f"{name} needs a function with a scalar output, but it returned shape {shape_of(value)}. "
            "Reduce it to a scalar (e.g. np.sum), or use ad.jacobian / ad.vjp for array outputs."
        )
    if np.result_type(value).kind != "f":
        raise AdmodesError(f"{name} needs a real floating-point output, got dtype {np.result_type(value)}.")

def check_chunk(chunk, name):
    if chunk is None:
        return
    if not isinstance(chunk, int | np.integer) or isinstance(chunk, bool) or chunk < 1:
        raise AdmodesError(f"{name}: chunk={chunk!r} must be None (all directions in one sweep) or a positive int.")

def ranges(total, chunk):
    step = total if chunk is None else int(chunk)
    step = max(step, 1)
    return [(s, min(s + step, total)) for s in range(0, total, step)] or [(0, 0)]

def concat(blocks):
    """Stack per-chunk blocks along the direction axis (tracers allowed)."""
    if len(blocks) == 1:
        return blocks[0]
    return np.concatenate(blocks, axis=0)

def _itemsize(values):
    return max([np.result_type(concrete(v)).itemsize for v in values] + [4])


def forward_jacobian(fun, inputs: Inputs, chunk, has_aux=False, name="jacfwd"):
    """Jacobian blocks jac[i][j] of shape (n_j,) + out_i.shape by forward sweeps."""
    chunk = bounded_chunk(chunk, inputs.size, inputs.size, _itemsize(inputs.leaves))
    if chunk is None:  # the default, all directions in one sweep: no blocks to collect and stack
        seeds = basis(0, inputs.size, inputs.sizes, inputs.leaves)
        out, tangents, treedef, aux = forward_sweep(fun, inputs, seeds, 1, has_aux, name)
        return out, forward_blocks(tangents, inputs), aux, treedef
    per_out = None
    for start, stop in ranges(inputs.size, chunk):
        seeds = basis(start, stop, inputs.sizes, inputs.leaves)
        if chunk == 1 and stop > start:  # the textbook sweep: one direction, no batch axis (none if n == 0)
            out, tangents, treedef, aux = forward_sweep(fun, inputs, [b[0] for b in seeds], 0, has_aux, name)
            tangents = [expand0(t) for t in tangents]
        else:
            out, tangents, treedef, aux = forward_sweep(fun, inputs, seeds, 1, has_aux, name)
        if per_out is None:
            per_out = [[] for _ in tangents]
        for i, t in enumerate(tangents):
            per_out[i].append(t)
    jac = [[in_dtype(block, x) for block, x in zip(split_rows(concat(blocks), inputs.sizes), inputs.leaves)]
           for blocks in per_out]  # (n_j,) + out_i.shape
    return out, jac, aux, treedef

def forward_blocks(tangents, inputs: Inputs):
    """jac[i][j] from the output tangents of one sweep along all n directions."""
    return [[in_dtype(block, x) for block, x in zip(split_rows(t, inputs.sizes), inputs.leaves)]
            for t in tangents]

def split_rows(full, sizes):
    """Cut the direction axis of ``full`` into one block per leaf of the given sizes."""
    if len(sizes) == 1:
        return [full]
    blocks, offset = [], 0
    for size in sizes:
        blocks.append(full[offset : offset + size])
        offset += size
    return blocks

def expand0(t):
    return np.expand_dims(t, 0)

def reverse_jacobian(fun, inputs: Inputs, chunk, recording=None, has_aux=False, name="jacrev"):
    """Jacobian blocks jac[i][j] of shape (m_i,) + in_j.shape by backward sweeps over one tape."""
    if recording is None:
        recording = Recording(fun, inputs, has_aux, name)
    out_sizes = [math.prod(shape_of(p)) for p in recording.primals]
    chunk = bounded_chunk(chunk, sum(out_sizes), sum(out_sizes), _itemsize(recording.primals))
    if chunk is None:  # the default, all directions in one sweep: no blocks to collect and stack
        seeds = basis(0, sum(out_sizes), out_sizes, [float_like(p) for p in recording.primals])
        fulls = [split_rows(a, out_sizes) for a in recording.backward(seeds, 1)]  # fulls[j][i]
        jac = [[full[i] for full in fulls] for i in range(len(out_sizes))]
        return recording.primals, jac, recording.aux, recording.treedef
    per_in = [[] for _ in inputs.leaves]
    for start, stop in ranges(sum(out_sizes), chunk):
        seeds = basis(start, stop, out_sizes, [float_like(p) for p in recording.primals])
        if chunk == 1 and stop > start:  # an empty output has no direction to sweep alone
            adjoints = recording.backward([b[0] for b in seeds], 0)
            adjoints = [expand0(a) for a in adjoints]
        else:
            adjoints = recording.backward(seeds, 1)
        for j, a in enumerate(adjoints):
            per_in[j].append(a)
    fulls = [split_rows(concat(blocks), out_sizes) for blocks in per_in]  # fulls[j][i]: (m_i,) + in_j.shape
    jac = [[fulls[j][i] for j in range(len(fulls))] for i in range(len(out_sizes))]
    return recording.primals, jac, recording.aux, recording.treedef

def float_like(p):
    value = concrete(p)
    if dtype_of(value).kind != "f":
        return np.zeros(shape_of(value))
    return value

def assemble(jac, out_primals, out_treedef, inputs: Inputs, layout):
    """Reshape blocks to out.shape + in.shape and nest them as out-tree of in-trees (as JAX)."""
    rows = []
    for i, p in enumerate(out_primals):
        out_shape = shape_of(p)
        row = []
        for j, leaf in enumerate(inputs.leaves):
            row.append(shape_block(jac[i][j], out_shape, shape_of(leaf), layout))
        rows.append(inputs.unflatten(row))
    return tree_unflatten(out_treedef, rows)

def shape_block(block, out_shape, in_shape, layout):
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


def array_jacobian(fun, x, mode):
    """``jacobian(fun)(x)`` for one float ndarray ``x``, all directions in one sweep.

    The common call, made cheap: the general path's pytree, argnums and chunk bookkeeping
    costs as much as the sweep of a small function. When ``fun`` returns one traced array,
    its tangent (forward) or its adjoint (reverse) is the Jacobian; any other output goes
    through the general path's tail (``fun`` runs once either way).
    """
    n = x.size
    if mode == "forward" and bounded_chunk(None, n, n, x.itemsize) is not None:  # too many seeds at once
        inputs = Inputs((x,), 0, "jacobian")
        primals, jac, _, treedef = forward_jacobian(fun, inputs, None)
        return assemble(jac, primals, treedef, inputs, "in-first")
    if mode == "forward":
        trace = ForwardTrace(1)
        seed = identity(n, x.dtype)
        if x.ndim != 1:
            seed = seed.reshape((n,) + x.shape)
        try:
            out = call_user(fun, (Dual(trace, x, seed),))
        finally:
            trace.finished = True
        if type(out) is Dual and out._trace is trace:
            return shape_block(in_dtype(array(out.tangent), x), shape_of(out.primal), x.shape, "in-first")
        inputs = Inputs((x,), 0, "jacobian")
        primals, tangents, treedef, _ = forward_outputs(out, trace, [seed], 1, False, "jacobian")
        return assemble(forward_blocks(tangents, inputs), primals, treedef, inputs, "in-first")
    trace = ReverseTrace()
    node = trace.new_input(x)
    index = node.index  # before the call: fun may write into its input
    try:
        out = call_user(fun, (node,))
    finally:
        trace.finished = True
    if (type(out) is Node and out._trace is trace and (out_dtype := dtype_of(out.primal)).kind == "f"
            and bounded_chunk(None, m := math.prod(out_shape := shape_of(out.primal)), m, out_dtype.itemsize) is None):
        if core._counter is not None:  # as Recording does
            cost.note_tape(trace.tape)
        seed = identity(m, out_dtype)
        if len(out_shape) != 1:
            seed = seed.reshape((m,) + out_shape)
        (adjoint,) = backward_sweep(trace.tape.entries, [(out.index, seed)], [index], 1)
        block = zeros((m,), x) if adjoint is None else in_dtype(array(adjoint), x)
        return shape_block(block, out_shape, x.shape, "out-first")
    inputs = Inputs((x,), 0, "jacobian")
    recording = Recording.of(trace, inputs, [index], out, False, "jacobian")
    primals, jac, _, treedef = reverse_jacobian(fun, inputs, None, recording)
    return assemble(jac, primals, treedef, inputs, "out-first")
