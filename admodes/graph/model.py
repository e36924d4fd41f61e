"""See the computation: one evaluation as a graph with values, local derivatives, tangents and adjoints.

``ad.trace(fun, *args)`` runs ``fun`` once and records every primitive it applies to
the inputs as a node of a :class:`Graph`: the inputs, each operation (its primitive,
parameters, shape, dtype and value) and which nodes are outputs. Each edge carries
the *local derivative* of its operation with respect to that argument, computed from
the primitive table's JVP rule with a unit tangent (the number, for scalars; a short
summary such as ``"12×12 diag"`` and the local Jacobian itself, for small arrays).

Then the two modes of AD can be watched at work, with the same rules the engines use:

- ``g.forward(seed)`` pushes one tangent direction through the graph, node by node in
  execution order: each edge shows its contribution (local derivative times the
  tangent of its source), each node the sum of its incoming contributions;
- ``g.backward(cotangent)`` pulls an adjoint back from the outputs, node by node in
  reverse order: each edge shows what its consumer sends back to its source, and a
  node used twice shows both contributions and their sum ("gradients add at branches").

``g.to_dot()`` gives Graphviz DOT text (no Graphviz needed to produce it), ``g.draw()``
draws the graph with matplotlib alone (a layered layout, values in one colour,
adjoints and tangents in others), ``g.save("graph.png")`` writes PNG, SVG or DOT,
and in Jupyter a graph shows itself. ``g.cost()`` reports what one sweep and a full
Jacobian cost in each mode, counted by the engine itself (``ad.count_ops``).

>>> import admodes as ad
>>> def f(a, b, c):
...     return (a + b) * (b + c)
>>> g = ad.trace(f, -1.0, 3.0, 4.0).backward()
>>> print(g)                                   # doctest: +NORMALIZE_WHITESPACE
node  formula           value  adjoint
a     input             -1     7
b     input             3      7 + 2 = 9
c     input             4      2
add1  add1 = a + b      2      7
add2  add2 = b + c      7      2
f     f = add1 × add2   14     1 (seed)
"""

from __future__ import annotations

import html
import inspect
import io
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import core
from ..core import AdmodesError, IndexedTracer, Trace, bind, concrete
from ..ops import elementwise
from ..tape import walk
from ..tree import tree_flatten, tree_map, tree_unflatten
from ..values import as_input, normalize_argnums

__all__ = [
    "trace",
    "Graph",
    "GraphNode",
    "GraphEdge",
    "GraphTrace",
    "GraphTracer",
    "ModeCost",
    "CostReport",
    "VALUE_COLOUR",
    "ADJOINT_COLOUR",
    "TANGENT_COLOUR",
]

VALUE_COLOUR = "#1f4e9c"  # primal values: blue
ADJOINT_COLOUR = "#c0392b"  # adjoints (backward sweep): red
TANGENT_COLOUR = "#1e8449"  # tangents (forward sweep): green
LOCAL_COLOUR = "#555555"  # local derivatives on edges: grey

# local Jacobians of array edges are formed (and summarised) only up to this many entries
# (of the Jacobian and of the identity pushed through the JVP rule to form it)
JACOBIAN_LIMIT = 40_000

_SHORT_OP = {
    "multiply": "mul", "subtract": "sub", "divide": "div", "negative": "neg", "absolute": "abs",
    "power": "pow", "pow_const": "pow", "reciprocal": "recip", "broadcast_to": "bcast", "concatenate": "concat",
    "getitem": "index",
}
_INFIX = {
    "add": "+", "subtract": "−", "multiply": "×", "divide": "/", "power": "^",
    "matmul": "@", "matvec": "@", "vecmat": "@", "vecvec": "@",
}
_ELEMENTWISE = set(elementwise.UNARY) | set(elementwise.BINARY) | {"where", "pow_const"}


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------


class GraphTracer(IndexedTracer):
    """A value recorded by a :class:`GraphTrace`: its primal and its node index."""

    __slots__ = ()


class GraphTrace(Trace):
    """A trace that keeps every value: the recording behind :func:`trace`.

    It works as ``ReverseTrace.process`` does (unwrap its own tracers, bind the
    primitive on the primal values, wrap the result), but keeps all argument values,
    the output and the parameters of every operation, so the graph can show them.
    """

    __slots__ = ("records",)

    def __init__(self):
        super().__init__()
        # entries (prim, params, parents, args, out) as admodes.tape.entries describes,
        # keeping every argument value and the output
        self.records: list[tuple] = []

    def new_input(self, value):
        self.records.append((None, {}, (), (), value))
        return GraphTracer(self, value, len(self.records) - 1)

    def process(self, prim, args, params):
        if self.finished:
            raise self.leaked()
        primals, parents = [], []
        for a in args:
            if type(a) is GraphTracer and a._trace is self:
                primals.append(a.primal)
                parents.append(a.index)
            else:
                # the graph's forward() and backward() run later: keep a constant as it is now
                primals.append(a.copy() if type(a) is np.ndarray and a.flags.writeable else a)
                parents.append(-1)
        out = bind(prim, primals, params)
        self.records.append((prim, dict(params), tuple(parents), primals, out))
        return GraphTracer(self, out, len(self.records) - 1)


# --------------------------------------------------------------------------------------
# Nodes and edges
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class GraphNode:
    """One value of the computation: an input, a constant, or the result of a primitive.

    ``value`` is the primal value (a NumPy array); ``tangent`` and ``adjoint`` are set
    by :meth:`Graph.forward` and :meth:`Graph.backward` (``None``: zero, not reached).
    ``adjoint_parts`` lists ``(edge, contribution)`` pairs, one per use of the node
    (plus ``(None, seed)`` for an output's seed): their sum is ``adjoint``.
    """

    index: int
    kind: str  # "input", "const" or "op"
    name: str
    op: str | None
    params: dict
    parents: list  # node index per argument
    value: np.ndarray
    formula: str = ""
    outputs: list = field(default_factory=list)  # output names this node is
    in_edges: list = field(default_factory=list)
    out_edges: list = field(default_factory=list)
    tangent: Any = None
    adjoint: Any = None
    adjoint_parts: list = field(default_factory=list)
    prim: Any = field(default=None, repr=False)
    raw_args: list = field(default=None, repr=False)  # argument values as the rules see them
    raw_out: Any = field(default=None, repr=False)

    @property
    def shape(self) -> tuple:
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def is_output(self) -> bool:
        return bool(self.outputs)

    @property
    def tangent_parts(self):
        """``(edge, contribution)`` for every incoming edge that carried a tangent."""
        return [(e, e.tangent) for e in self.in_edges if e.tangent is not None]

    def __repr__(self):
        return f"<GraphNode {self.name}: {self.formula or self.kind}, value {format_value(self.value)}>"


@dataclass(eq=False)
class GraphEdge:
    """Argument ``arg`` of node ``dst`` is node ``src``.

    ``local`` is the local derivative d dst / d src: a float for scalars, a short
    summary string for arrays, ``None`` where the argument is not differentiated
    (a constant, or e.g. the condition of ``where``). ``jacobian`` is the local
    Jacobian (shape ``dst.shape + src.shape``) when it was formed. ``tangent`` (after
    a forward sweep) is the edge's contribution to the tangent of ``dst``; ``adjoint``
    (after a backward sweep) is its contribution to the adjoint of ``src``.
    """

    src: int
    dst: int
    arg: int
    differentiable: bool = True
    local: Any = None
    jacobian: Any = field(default=None, repr=False)
    tangent: Any = None
    adjoint: Any = None


# --------------------------------------------------------------------------------------
# Number formatting
# --------------------------------------------------------------------------------------


def format_number(x) -> str:
    """A scalar, compactly: ``14`` rather than ``14.0000``, ``0.3333`` for 1/3.

    >>> format_number(14.0), format_number(-1.0), format_number(1 / 3), format_number(2.5e-7)
    ('14', '-1', '0.3333', '2.5e-07')
    """
    x = np.asarray(x).item() if isinstance(x, np.ndarray | np.generic) else x
    if isinstance(x, bool | np.bool_):
        return str(bool(x))
    if isinstance(x, int | np.integer):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e12:
        return str(int(x))
    return f"{x:.4g}"


def format_value(value) -> str:
    """A value as a short string: the number for scalars, short vectors in full, else shape and norm.

    >>> import numpy as np
    >>> format_value(np.float64(7.0)), format_value(np.array([1.0, 2.5])), format_value(np.ones((3, 4)))
    ('7', '[1, 2.5]', '3×4, norm 3.464')
    """
    if value is None:
        return "0"
    v = np.asarray(concrete(value))
    if v.size == 1:
        return format_number(v.reshape(()))
    if v.ndim == 1 and v.size <= 4:
        return "[" + ", ".join(format_number(e) if float(e) == int(e) else f"{float(e):.3g}" for e in v) + "]"
    shape = "×".join(map(str, v.shape)) if v.ndim else "scalar"
    if v.dtype.kind == "b":
        return f"{shape} bool"
    norm = float(np.linalg.norm(v.astype(float).ravel())) if v.size else 0.0
    return f"{shape}, norm {format_number(norm)}"


def _format_sum(parts) -> str:
    """``"7 + 2 = 9"`` for scalar contributions, ``"sum of 2: …"`` for arrays, one part as is."""
    values = [np.asarray(p) for p in parts]
    total = values[0]
    for v in values[1:]:
        total = total + v
    if len(values) == 1:
        return format_value(total)
    if all(v.size == 1 for v in values):
        text = format_number(values[0].reshape(()))
        for v in values[1:]:
            x = float(v.reshape(()))
            text += (" − " + format_number(-x)) if x < 0 else (" + " + format_number(x))
        return f"{text} = {format_value(total)}"
    return f"{format_value(total)} (sum of {len(values)})"


@contextmanager
def _uncounted():
    """Annotating the graph is not engine work: keep it out of an active ``ad.count_ops``."""
    previous = core.set_counter(None)
    try:
        yield
    finally:
        core.set_counter(previous)


def _leaf_names(name, tree):
    """Names for the leaves of one argument, in ``tree_flatten`` order (``params.W1``, ``xs[0]``)."""
    if tree is None:
        return []
    if isinstance(tree, tuple) and not hasattr(tree, "_fields") or isinstance(tree, list):
        out = []
        for i, t in enumerate(tree):
            out += _leaf_names(f"{name}[{i}]", t)
        return out
    if isinstance(tree, dict):
        out = []
        for k in sorted(tree):
            out += _leaf_names(f"{name}.{k}", tree[k])
        return out
    return [name]


def _param_names(fun, nargs):
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(nargs):
        if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY, params[i].POSITIONAL_OR_KEYWORD):
            names.append(params[i].name)
        else:
            names.append(f"x{i}")
    return names


# --------------------------------------------------------------------------------------
# trace()
# --------------------------------------------------------------------------------------


def trace(fun: Callable, *args, argnums=None, names=None, output_names=None) -> "Graph":
    """Record one evaluation of ``fun(*args)`` as a :class:`Graph`.

    ``argnums`` (default: every argument) are the inputs; other arguments are passed
    through as constants. Arguments may be pytrees of float arrays. Inputs are named
    after the function's parameters (``names`` overrides them, one per input leaf);
    intermediate nodes after their operation and position (``add1``, ``mul3``);
    outputs after the function (``f``) or ``output_names``.

    >>> import numpy as np, admodes as ad
    >>> g = ad.trace(lambda x, y: np.sin(x) * y, 0.0, 2.0)
    >>> [n.name for n in g.nodes], g.output_nodes[0].value
    (['x', 'y', 'sin1', 'out'], array(0.))
    >>> g.edges[0].local, g.edge("sin1", "out").local, g.edge("y", "out").local
    (1.0, 2.0, 0.0)
    """
    if not callable(fun):
        raise AdmodesError(f"trace(fun, *args): fun must be callable, got {type(fun).__name__}.")
    if argnums is None:
        argnums = tuple(range(len(args)))
    if args:  # the API's own checks: an int or a tuple of distinct ints that fit the call
        argnums = normalize_argnums(argnums, len(args), "trace")[1]
    elif argnums:
        raise AdmodesError(f"trace: argnums={argnums!r} does not fit a call with no arguments.")

    params = _param_names(fun, len(args))
    graph_trace = GraphTrace()
    call_args = list(args)
    input_names = []
    input_indices = []
    for i in argnums:
        leaves, treedef = tree_flatten(args[i])
        leaf_names = _leaf_names(params[i], args[i])
        tracers = []
        for k, leaf in enumerate(leaves):
            value = as_input(leaf, f"trace: argument {i} ({leaf_names[k]})")
            t = graph_trace.new_input(value)
            tracers.append(t)
            input_indices.append(t.index)
        input_names += leaf_names
        call_args[i] = tree_unflatten(treedef, tracers)
    if names is not None:
        names = list(names)
        if len(names) != len(input_names):
            raise AdmodesError(f"trace: {len(names)} names for {len(input_names)} inputs ({', '.join(input_names)}).")
        input_names = [str(n) for n in names]

    try:
        out = fun(*call_args)
    finally:
        graph_trace.finished = True
    out_leaves, out_treedef = tree_flatten(out)
    if output_names is None:
        base = getattr(fun, "__name__", "out")
        base = base if base.isidentifier() and base not in input_names else "out"
        output_names = [base] if len(out_leaves) == 1 else [f"{base}{k}" for k in range(len(out_leaves))]
    else:
        output_names = [str(n) for n in output_names]
        if len(output_names) != len(out_leaves):
            raise AdmodesError(f"trace: {len(output_names)} output names for {len(out_leaves)} outputs.")
    graph = Graph._build(graph_trace, input_indices, input_names, out_leaves, output_names)
    graph.fun = fun
    graph.args = tuple(args)
    graph.argnums = argnums
    graph.out_treedef = out_treedef
    return graph


# --------------------------------------------------------------------------------------
# Local derivatives
# --------------------------------------------------------------------------------------


def _jvp_of_arg(node: GraphNode, j, t, nb):
    """The tangent contribution of argument ``j`` of ``node`` for tangent ``t`` (``None``: zero)."""
    return node.prim.jvp_of(j, t, nb, node.raw_out, node.raw_args, node.params)


def _differentiable(node: GraphNode, j) -> bool:
    """Does argument ``j`` of ``node`` have a derivative rule (a JVP or a VJP)?"""
    prim = node.prim
    if prim.jvp is not None or prim.vjp is not None:
        return True
    if prim.jvps is None and prim.vjps is None:
        return True  # no rule at all: a sweep through it must say so, not give a zero
    for rules in (prim.jvps, prim.vjps):
        if rules:
            rule = rules[j]
            if rule is not None:
                return True
    return False


def _float_dtype(value):
    dtype = np.asarray(value).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _dense(value, dtype, shape):
    if value is None:
        return np.zeros(shape, dtype=dtype)
    return np.broadcast_to(np.asarray(value, dtype=dtype), shape)


def _local_derivative(node: GraphNode, src: GraphNode, j):
    """``(local, jacobian)`` of edge ``src -> node`` (argument ``j``)."""
    dtype = node.value.dtype if node.value.dtype.kind == "f" else np.dtype(np.float64)
    n, m = src.value.size, node.value.size
    in_shape, out_shape = src.shape, node.shape
    if n == 1 and m == 1:
        t = np.ones(in_shape, dtype=src.value.dtype)
        c = _jvp_of_arg(node, j, t, 0)
        jac = _dense(c, dtype, out_shape).reshape(out_shape + in_shape) if out_shape or in_shape else np.asarray(_dense(c, dtype, ()))
        return float(np.asarray(jac).reshape(())), jac
    size = f"{m}×{n}"
    if node.op in _ELEMENTWISE and in_shape == out_shape:
        d = _dense(_jvp_of_arg(node, j, np.ones(in_shape, dtype=src.value.dtype), 0), dtype, out_shape)
        if np.all(d == 1):
            return f"{size} identity", None
        if np.all(d == 0):
            return f"{size} zero", None
        return f"{size} diag, norm {format_number(np.linalg.norm(d))}", None
    if n * max(n, m) > JACOBIAN_LIMIT:  # the n x n basis of directions is formed too
        return f"{size} (not formed)", None
    basis = np.eye(n, dtype=src.value.dtype).reshape((n,) + in_shape)
    columns = _dense(_jvp_of_arg(node, j, basis, 1), dtype, (n,) + out_shape)  # (n,) + out_shape
    jac2 = np.asarray(columns).reshape(n, m).T  # (m, n)
    jac = jac2.reshape(out_shape + in_shape)
    nnz = int(np.count_nonzero(jac2))
    if nnz == 0:
        kind = "zero"
    elif m == n and nnz == np.count_nonzero(np.diag(jac2)):
        kind = "identity" if np.all(np.diag(jac2) == 1) else "diag"
    elif np.all((jac2 == 0) | (jac2 == 1)) and np.all(np.count_nonzero(jac2, axis=1) <= 1):
        kind = "selection" if m < n else "copy"  # each output entry copies one input entry (or is 0)
    else:
        kind = "dense" if nnz == jac2.size else f"{nnz} nonzero"
    if kind in ("identity", "zero", "selection", "copy"):
        return f"{size} {kind}", jac
    return f"{size} {kind}, norm {format_number(np.linalg.norm(jac2))}", jac


def _formula(node: GraphNode, nodes) -> str:
    def ref(i):
        p = nodes[i]
        if p.kind == "const" and p.value.size == 1:
            return format_number(p.value.reshape(()))
        return p.name

    op = node.op
    args = [ref(i) for i in node.parents]
    if op in _INFIX and len(args) == 2:
        expr = f"{args[0]} {_INFIX[op]} {args[1]}"
    elif op == "negative":
        expr = f"−{args[0]}"
    elif op == "square":
        expr = f"{args[0]}²"
    elif op == "pow_const" and "exponent" in node.params:
        expr = f"{args[0]} ^ {format_number(node.params['exponent'])}"
    elif op == "getitem":
        expr = f"{args[0]}[{_format_index(node.params.get('index'))}]"
    else:
        shown = {k: v for k, v in node.params.items() if k != "index" and v is not None and v is not False}
        extra = [f"{k}={_short_param(v)}" for k, v in shown.items()]
        expr = f"{_SHORT_OP.get(op, op)}({', '.join(args + extra)})"
    return f"{node.name} = {expr}"


def _format_index(index) -> str:
    """``(slice(None, 2), 0)`` -> ``":2, 0"``; arrays and anything unusual -> ``…``."""
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for item in items:
        if item is None:
            parts.append("None")
        elif item is Ellipsis:
            parts.append("...")
        elif isinstance(item, int | np.integer):
            parts.append(str(int(item)))
        elif isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop, item.step))
            parts.append(text[:-1] if text.endswith(":") and item.step is None else text)
        else:
            return "…"
    return ", ".join(parts)


def _short_param(v):
    if isinstance(v, tuple) and len(v) == 1:
        return str(v[0])
    if isinstance(v, np.dtype | type):
        return np.dtype(v).name
    text = str(v)
    return text if len(text) <= 16 else text[:15] + "…"


# --------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModeCost:
    """What one mode costs on the traced call, counted by the engine (``ad.count_ops``).

    ``sweep_*``: one sweep for one direction (forward: one pass of dual numbers;
    reverse: the forward pass that records the tape, ``record_ops`` of the
    ``sweep_ops``, plus one backward sweep). ``jacobian_*``: the full Jacobian with
    one direction per sweep (``jacobian(..., mode, chunk=1)``), which takes
    ``sweeps`` sweeps: n in forward mode, m in reverse mode (after one recording).
    ``stored_bytes`` is what the tape keeps alive (forward mode keeps no tape).
    ``record_ops`` counts every primitive the recording pass runs, including any
    applied to constants only (which are not on the tape: ``tape_length`` counts the
    recorded operations, one per operation node of the graph).
    """

    mode: str
    n: int
    m: int
    sweeps: int
    sweep_ops: int
    sweep_flops: int
    record_ops: int
    jacobian_ops: int
    jacobian_flops: int
    stored_bytes: int
    tape_length: int

    def __str__(self):
        return (
            f"{self.mode}: one sweep {self.sweep_ops} ops / {self.sweep_flops} flops; "
            f"full Jacobian ({self.sweeps} sweeps) {self.jacobian_ops} ops / {self.jacobian_flops} flops; "
            f"stored {self.stored_bytes} bytes"
        )


@dataclass(frozen=True)
class CostReport:
    """Both modes' :class:`ModeCost` side by side (``report["forward"]``, ``report.reverse``)."""

    forward: ModeCost
    reverse: ModeCost

    def __getitem__(self, mode):
        if mode not in ("forward", "reverse"):
            raise KeyError(mode)
        return getattr(self, mode)

    def __str__(self):
        f, r = self.forward, self.reverse
        rows = [
            ("", "forward", "reverse"),
            ("one sweep: ops", f.sweep_ops, f"{r.sweep_ops} ({r.record_ops} record + {r.sweep_ops - r.record_ops} backward)"),
            ("one sweep: flops", f.sweep_flops, r.sweep_flops),
            ("sweeps for the Jacobian", f"{f.sweeps} (n inputs)", f"{r.sweeps} (m outputs)"),
            ("full Jacobian: ops", f.jacobian_ops, r.jacobian_ops),
            ("full Jacobian: flops", f.jacobian_flops, r.jacobian_flops),
            ("stored bytes (tape)", f.stored_bytes, r.stored_bytes),
        ]
        widths = [max(len(str(row[k])) for row in rows) for k in range(3)]
        return "\n".join(
            f"{str(a):<{widths[0]}}  {str(b):>{widths[1]}}  {str(c):>{widths[2]}}".rstrip() for a, b, c in rows
        )


# --------------------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------------------


def _on_arc(start, end, rad, t):
    """The point at fraction ``t`` of matplotlib's ``arc3`` curve from ``start`` to ``end``."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    bulge = 2 * t * (1 - t) * rad  # a quadratic Bezier with its control point rad * chord off the middle
    return start[0] + t * dx + bulge * dy, start[1] + t * dy - bulge * dx


def _spread_labels(labels, steps: int = 80, max_labels: int = 200):
    """Slide overlapping edge labels along their edges (``t`` in [0.2, 0.8]) until they separate."""
    if len(labels) > max_labels:
        return

    def rect(lab, t):
        x, y = _on_arc(lab[0], lab[1], lab[2], t)
        return x, y, lab[3] / 2 + 0.03, lab[4] / 2 + 0.03

    def overlap(r1, r2):
        return abs(r1[0] - r2[0]) < r1[2] + r2[2] and abs(r1[1] - r2[1]) < r1[3] + r2[3]

    def distance(r1, r2):  # how far apart, relative to the sizes (> 1: no overlap)
        return max(abs(r1[0] - r2[0]) / (r1[2] + r2[2]), abs(r1[1] - r2[1]) / (r1[3] + r2[3]))

    for _ in range(steps):
        moved = False
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                a, b = labels[i], labels[j]
                if not overlap(rect(a, a[5]), rect(b, b[5])):
                    continue
                best = None
                for da in (-0.05, 0.0, 0.05):
                    for db in (-0.05, 0.0, 0.05):
                        ta, tb = min(max(a[5] + da, 0.2), 0.8), min(max(b[5] + db, 0.2), 0.8)
                        score = distance(rect(a, ta), rect(b, tb))
                        if best is None or score > best[0] + 1e-9:
                            best = (score, ta, tb)
                if (best[1], best[2]) != (a[5], b[5]):
                    a[5], b[5] = best[1], best[2]
                    moved = True
        if not moved:
            return


class Graph:
    """One recorded evaluation: nodes (inputs, constants, operations; outputs marked) and edges.

    Built by :func:`trace`. ``nodes`` are in execution order (a topological order),
    ``edges`` one per argument of each operation. ``g["b"]`` or ``g.node("b")`` finds a
    node by name; ``g.inputs`` and ``g.output_nodes`` list the input and output nodes.

    >>> import admodes as ad
    >>> g = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0, output_names=["f"])
    >>> [float(n.value) for n in g.nodes]
    [-1.0, 3.0, 4.0, 2.0, 7.0, 14.0]
    >>> [float(n.adjoint) for n in g.backward().nodes]
    [7.0, 9.0, 2.0, 7.0, 2.0, 1.0]
    >>> [float(n.tangent) for n in g.forward("b").nodes]
    [0.0, 1.0, 0.0, 1.0, 1.0, 9.0]
    """

    def __init__(self, nodes, edges, inputs, outputs):
        self.nodes: list[GraphNode] = nodes
        self.edges: list[GraphEdge] = edges
        self.input_indices: list[int] = inputs
        self.output_indices: list[int] = outputs  # one per output leaf (a node may repeat)
        self.output_names: list[str] = []
        self.fun = None
        self.args = ()
        self.argnums = ()
        self.out_treedef = None
        self.swept: dict[str, str] = {}  # "forward"/"backward" -> a description of the seed
        self.title: str | None = None
        self._cost: CostReport | None = None

    # ------------------------------------------------------------------ building

    @classmethod
    def _build(cls, graph_trace: GraphTrace, input_indices, input_names, out_leaves, output_names):
        records = graph_trace.records
        nodes: list[GraphNode] = []
        edges: list[GraphEdge] = []
        node_of_record = {}
        const_of_array = {}  # id -> node index, so one array constant used twice is one node
        counter = 0

        def add_const(value):
            v = concrete(value)
            key = id(v) if isinstance(v, np.ndarray) and v.size > 1 else None
            if key is not None and key in const_of_array:
                return const_of_array[key]
            node = GraphNode(len(nodes), "const", "", None, {}, [], np.asarray(v))
            node.name = format_value(node.value) if node.value.size == 1 else f"const{node.index}"
            node.raw_out = v
            nodes.append(node)
            if key is not None:
                const_of_array[key] = node.index
                node._keep = v  # keep the array alive so its id stays unique
            return node.index

        for r, name in zip(input_indices, input_names):
            node = GraphNode(len(nodes), "input", name, None, {}, [], np.asarray(concrete(records[r][4])))
            node.raw_out = concrete(records[r][4])
            node_of_record[r] = node.index
            nodes.append(node)

        with _uncounted():
            for r, (prim, params, rec_parents, rec_args, rec_out) in enumerate(records):
                if prim is None:
                    continue
                parents = [node_of_record[p] if p >= 0 else add_const(a) for p, a in zip(rec_parents, rec_args)]
                counter += 1
                op = prim.name
                node = GraphNode(
                    len(nodes), "op", f"{_SHORT_OP.get(op, op)}{counter}", op, params, parents,
                    np.asarray(concrete(rec_out)), prim=prim,
                    raw_args=[concrete(a) for a in rec_args], raw_out=concrete(rec_out),
                )
                node_of_record[r] = node.index
                nodes.append(node)
                for j, p in enumerate(parents):
                    src = nodes[p]
                    edge = GraphEdge(p, node.index, j)
                    edge.differentiable = src.kind != "const" and _differentiable(node, j)
                    if edge.differentiable:
                        try:
                            edge.local, edge.jacobian = _local_derivative(node, src, j)
                        except NotImplementedError:  # a VJP rule but no JVP rule
                            edge.local = "no JVP rule"
                    edges.append(edge)
                    node.in_edges.append(edge)
                    src.out_edges.append(edge)

            outputs = []
            for leaf, oname in zip(out_leaves, output_names):
                if isinstance(leaf, GraphTracer) and leaf._trace is graph_trace:
                    index = node_of_record[leaf.index]
                else:
                    index = add_const(leaf)
                node = nodes[index]
                if node.kind == "op" and not node.outputs:
                    node.name = oname  # an output takes the output's name
                node.outputs.append(oname)
                outputs.append(index)
            for node in nodes:
                if node.kind == "op":
                    node.formula = _formula(node, nodes)

        graph = cls(nodes, edges, list(node_of_record[r] for r in input_indices), outputs)
        graph.output_names = list(output_names)
        # the nodes as entries for admodes.tape.walk: a constant, or an argument without a
        # derivative (the condition of where), is no parent
        graph.entries = [
            (n.prim if n.kind == "op" else None, n.params,
             tuple(e.src if e.differentiable else -1 for e in n.in_edges), n.raw_args, n.raw_out)
            for n in nodes
        ]
        return graph

    # ------------------------------------------------------------------ lookup

    @property
    def inputs(self) -> list[GraphNode]:
        return [self.nodes[i] for i in self.input_indices]

    @property
    def output_nodes(self) -> list[GraphNode]:
        return [self.nodes[i] for i in self.output_indices]

    @property
    def operations(self) -> list[GraphNode]:
        """The nodes that apply a primitive (one per primitive operation of the evaluation)."""
        return [n for n in self.nodes if n.kind == "op"]

    def node(self, name) -> GraphNode:
        """The node called ``name`` (an int is a position in ``nodes``)."""
        if isinstance(name, int | np.integer):
            return self.nodes[int(name)]
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node named {name!r}; nodes are {', '.join(n.name for n in self.nodes)}")

    __getitem__ = node

    def edge(self, src, dst) -> GraphEdge:
        """The (first) edge from node ``src`` to node ``dst`` (names or positions)."""
        s, d = self.node(src).index, self.node(dst).index
        for e in self.nodes[d].in_edges:
            if e.src == s:
                return e
        raise KeyError(f"no edge {src!r} -> {dst!r}")

    def rename(self, mapping=None, **names) -> "Graph":
        """Give nodes readable names (``g.rename(add1="x", add2="y")``); formulas follow. Returns the graph.

        >>> import admodes as ad
        >>> g = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0, output_names=["f"])
        >>> g.rename(add1="x", add2="y")["f"].formula
        'f = x × y'
        """
        names = {**(mapping or {}), **names}
        taken = {n.name for n in self.nodes}
        for old, new in names.items():
            node = self.node(old)
            new = str(new)
            if new != old and new in taken:
                raise AdmodesError(f"rename: a node is already called {new!r}.")
            taken.discard(old)
            taken.add(new)
            node.name = new
            if old in node.outputs:
                node.outputs = [new if o == old else o for o in node.outputs]
                self.output_names = [new if o == old else o for o in self.output_names]
        for node in self.nodes:
            if node.kind == "op":
                node.formula = _formula(node, self.nodes)
        return self

    def __len__(self):
        return len(self.nodes)

    def __repr__(self):
        return (
            f"<admodes Graph: {len(self.inputs)} inputs, {len(self.operations)} operations, "
            f"{len(self.output_indices)} outputs{', ' + ', '.join(self.swept) if self.swept else ''}>"
        )

    # ------------------------------------------------------------------ sweeps

    def _input_position(self, key):
        if isinstance(key, int | np.integer):
            if not 0 <= int(key) < len(self.input_indices):
                raise AdmodesError(f"input position {key} out of range: the graph has {len(self.input_indices)} inputs.")
            return int(key)
        names = [self.nodes[i].name for i in self.input_indices]
        if key not in names:
            raise AdmodesError(f"no input named {key!r}; inputs are {', '.join(names)}.")
        return names.index(key)

    def forward(self, seed) -> "Graph":
        """Forward sweep: annotate every node with its tangent for one input direction.

        ``seed`` is an input's name or position (tangent 1 there, or all ones for an
        array, and 0 elsewhere), a dict from names/positions to tangents, or a sequence
        with one tangent per input. Nodes are visited in execution order; each edge's
        ``tangent`` is its contribution (the JVP rule of its argument applied to the
        tangent of its source) and each node's ``tangent`` their sum. Returns the graph.

        >>> import admodes as ad
        >>> g = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0).forward("b")
        >>> [(e.src, e.dst, float(e.tangent)) for e in g.nodes[-1].in_edges]
        [(3, 5, 7.0), (4, 5, 2.0)]
        """
        inputs = self.inputs
        tangents = [None] * len(inputs)
        if isinstance(seed, str | int | np.integer):
            k = self._input_position(seed)
            tangents[k] = np.ones_like(inputs[k].value)
        elif isinstance(seed, dict):
            for key, t in seed.items():
                tangents[self._input_position(key)] = t
        elif isinstance(seed, tuple | list):
            if len(seed) != len(inputs):
                raise AdmodesError(f"forward: {len(seed)} tangents for {len(inputs)} inputs; give one per input.")
            tangents = list(seed)
        else:
            raise AdmodesError("forward(seed): seed is an input name or position, a dict of tangents, or one tangent per input.")
        for k, t in enumerate(tangents):
            if t is not None:
                t = np.asarray(t, dtype=inputs[k].value.dtype)
                if t.shape != inputs[k].shape:
                    raise AdmodesError(
                        f"forward: the tangent of {inputs[k].name} has shape {t.shape}, its value {inputs[k].shape}."
                    )
                tangents[k] = t

        for n in self.nodes:
            n.tangent = None
        for e in self.edges:
            e.tangent = None
        with _uncounted():
            def contribution(i, j, c):  # the edge's share of the tangent of node i
                node = self.nodes[i]
                c = np.array(_dense(c, node.value.dtype if node.value.dtype.kind == "f" else float, node.shape))
                node.in_edges[j].tangent = c
                return c

            values = [n.raw_out for n in self.nodes]
            _, swept = walk.forward(self.entries, self.input_indices, tangents, 0, values=values,
                                    on_contribution=contribution)
            for node, t in zip(self.nodes, swept):
                node.tangent = t
            for node in self.nodes:  # every node gets a tangent: zero where the seed does not reach
                if node.tangent is None and node.kind != "const":
                    node.tangent = np.zeros(node.shape, dtype=_float_dtype(node.value))
        self.swept["forward"] = ", ".join(
            f"tangent of {n.name} = {format_value(t)}" for n, t in zip(inputs, tangents) if t is not None
        ) or "all tangents 0"
        return self

    def backward(self, cotangent=None) -> "Graph":
        """Backward sweep: annotate every node with its adjoint (d output / d node, weighted by the seed).

        ``cotangent`` defaults to 1 for a single scalar output; otherwise give an array
        shaped like the output, a dict from output names/positions to cotangents, or a
        sequence with one per output. Nodes are visited in reverse execution order;
        each edge's ``adjoint`` is what its consumer's VJP rule sends back to its
        source, and each node's ``adjoint_parts`` lists these contributions (one per
        use, plus the seed of an output), whose sum is ``adjoint``. Returns the graph.

        >>> import admodes as ad
        >>> g = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0).backward()
        >>> [float(c) for _, c in g["b"].adjoint_parts], float(g["b"].adjoint)
        ([7.0, 2.0], 9.0)
        """
        outs = self.output_nodes
        seeds = [None] * len(outs)
        if cotangent is None:
            if len(outs) != 1 or outs[0].value.size != 1:
                raise AdmodesError(
                    "backward(): the default cotangent 1 needs a single scalar output; "
                    "give one cotangent per output (shaped like it)."
                )
            seeds[0] = np.ones_like(outs[0].value)
        elif isinstance(cotangent, dict):
            for key, c in cotangent.items():
                k = key if isinstance(key, int | np.integer) else (self.output_names.index(key) if key in self.output_names else None)
                if k is None or not 0 <= k < len(outs):
                    raise AdmodesError(f"backward: no output {key!r}; outputs are {', '.join(self.output_names)}.")
                seeds[k] = c
        elif isinstance(cotangent, tuple | list) and len(outs) > 1:
            if len(cotangent) != len(outs):
                raise AdmodesError(f"backward: {len(cotangent)} cotangents for {len(outs)} outputs.")
            seeds = list(cotangent)
        else:
            if len(outs) != 1:
                raise AdmodesError(f"backward: the graph has {len(outs)} outputs; give a dict or one cotangent per output.")
            seeds[0] = cotangent
        for k, (node, c) in enumerate(zip(outs, seeds)):
            if c is not None:
                c = np.asarray(c, dtype=node.value.dtype if node.value.dtype.kind == "f" else float)
                if c.shape != node.shape:
                    raise AdmodesError(f"backward: the cotangent of {self.output_names[k]} has shape {c.shape}, the output {node.shape}.")
                seeds[k] = c

        for n in self.nodes:
            n.adjoint = None
            n.adjoint_parts = []
        for e in self.edges:
            e.adjoint = None
        for node, c in zip(outs, seeds):
            if c is not None:
                node.adjoint_parts.append((None, c))
                node.adjoint = c if node.adjoint is None else node.adjoint + c
        with _uncounted():
            def contribution(i, j, c):  # the edge's share of its source's adjoint
                e = self.nodes[i].in_edges[j]
                src = self.nodes[e.src]
                c = np.array(_dense(c, src.value.dtype, src.shape))
                e.adjoint = c
                src.adjoint_parts.append((e, c))
                return c

            everything = list(range(len(self.nodes)))  # keep every adjoint: the graph shows them all
            start = [(node.index, c) for node, c in zip(outs, seeds) if c is not None]
            adjoints = walk.backward(self.entries, start, everything, 0, on_contribution=contribution) if start else []
            for node, a in zip(self.nodes, adjoints):
                node.adjoint = a
        for n in self.nodes:  # show contributions in the order of the uses, seed first
            n.adjoint_parts.sort(key=lambda pc: -1 if pc[0] is None else pc[0].dst)
            if n.adjoint is None and n.kind != "const":  # not reached from the outputs: adjoint 0
                n.adjoint = np.zeros(n.shape, dtype=_float_dtype(n.value))
        self.swept["backward"] = ", ".join(
            f"adjoint of {name} = {format_value(c)}" for name, c in zip(self.output_names, seeds) if c is not None
        )
        return self

    # ------------------------------------------------------------------ cost

    def cost(self, mode: str | None = None):
        """Operation counts, flops and stored bytes of one sweep and of a full Jacobian, per mode.

        Counted by the engine (``ad.count_ops``) running on the traced call:
        ``jvp`` (one forward sweep), ``vjp`` plus one backward sweep (one reverse
        sweep), and ``jacobian(..., mode=..., chunk=1)`` (n forward sweeps, or one
        recording and m backward sweeps). Returns a :class:`CostReport` with both
        modes, or the :class:`ModeCost` of ``mode``.

        >>> import admodes as ad
        >>> g = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0)
        >>> c = g.cost()
        >>> (c.forward.sweeps, c.forward.jacobian_ops), (c.reverse.sweeps, c.reverse.jacobian_ops)
        ((3, 24), (1, 6))
        """
        if mode not in (None, "forward", "reverse"):
            raise AdmodesError(f"cost: mode={mode!r} is not 'forward', 'reverse' or None (both).")
        if self._cost is None:
            self._cost = self._measure()
        return self._cost if mode is None else self._cost[mode]

    def _measure(self) -> CostReport:
        from .. import api
        from ..cost import count_ops

        if self.fun is None:
            raise AdmodesError("cost() needs a graph made by ad.trace (it re-runs the function).")
        fun, args, argnums = self.fun, list(self.args), tuple(self.argnums)
        if not argnums:
            raise AdmodesError("cost(): the graph has no inputs to differentiate.")

        def restricted(*diff):
            call = list(args)
            for i, d in zip(argnums, diff):
                call[i] = d
            return fun(*call)

        diff_args = tuple(args[i] for i in argnums)
        n = sum(node.value.size for node in self.inputs)
        m = sum(self.nodes[i].value.size for i in self.output_indices)

        # one forward sweep: the first input direction
        first = [True]

        def unit(x):
            t = np.zeros(np.shape(concrete(x)), dtype=np.result_type(concrete(x), np.float64) if np.result_type(concrete(x)).kind != "f" else np.result_type(concrete(x)))
            if first[0] and t.size:
                t.flat[0] = 1
                first[0] = False
            return t

        tangents = tree_map(unit, diff_args)
        with count_ops() as fwd_sweep:
            api.jvp(restricted, diff_args, tangents)
        with count_ops() as fwd_jac:
            api.jacobian(fun, argnums=argnums, mode="forward", chunk=1)(*args)

        with count_ops() as record:
            out, vjp_fun = api.vjp(restricted, *diff_args)
        first[0] = True
        cot = tree_map(unit, out)
        with count_ops() as back:
            vjp_fun(cot)
        with count_ops() as rev_jac:
            api.jacobian(fun, argnums=argnums, mode="reverse", chunk=1)(*args)

        forward = ModeCost(
            "forward", n, m, sweeps=n, sweep_ops=fwd_sweep.ops, sweep_flops=fwd_sweep.flops, record_ops=0,
            jacobian_ops=fwd_jac.ops, jacobian_flops=fwd_jac.flops, stored_bytes=fwd_jac.tape_bytes,
            tape_length=fwd_jac.tape_length,
        )
        reverse = ModeCost(
            "reverse", n, m, sweeps=m, sweep_ops=record.ops + back.ops, sweep_flops=record.flops + back.flops,
            record_ops=record.ops, jacobian_ops=rev_jac.ops, jacobian_flops=rev_jac.flops,
            stored_bytes=record.tape_bytes, tape_length=record.tape_length,
        )
        return CostReport(forward, reverse)

    # ------------------------------------------------------------------ text

    def _adjoint_text(self, node):
        if not node.adjoint_parts:
            return "0"
        parts = node.adjoint_parts
        text = _format_sum([c for _, c in parts])
        if len(parts) == 1 and parts[0][0] is None:
            text += " (seed)"
        return text

    def _tangent_text(self, node):
        if node.kind == "input":
            return format_value(node.tangent)
        parts = [c for _, c in node.tangent_parts]
        return _format_sum(parts) if parts else "0"

    def to_text(self) -> str:
        """The graph as a table, one node per line (the Wengert list), with the sweeps done so far."""
        header = ["node", "formula", "value"]
        if "forward" in self.swept:
            header.append("tangent")
        if "backward" in self.swept:
            header.append("adjoint")
        rows = [header]
        for n in self.nodes:
            if n.kind == "const" and n.value.size == 1 and not n.outputs:
                continue
            row = [n.name, n.formula or n.kind, format_value(n.value)]
            if "forward" in self.swept:
                row.append(self._tangent_text(n))
            if "backward" in self.swept:
                row.append(self._adjoint_text(n))
            rows.append(row)
        widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)

    __str__ = to_text

    def _node_lines(self, n: GraphNode):
        """The lines of a node's box: ``(text, colour, bold)``."""
        lines = [(n.formula if n.kind == "op" else n.name, "#000000", True)]
        if n.kind == "input":
            lines.append(("input" + ("" if n.value.size == 1 else f" {n.value.dtype}"), "#777777", False))
        elif n.kind == "const":
            lines.append(("constant", "#777777", False))
        extra = [o for o in n.outputs if o != n.name]
        if extra:
            lines.append(("output " + ", ".join(extra), "#777777", False))
        lines.append((f"value {format_value(n.value)}", VALUE_COLOUR, False))
        if "forward" in self.swept and n.kind != "const":
            lines.append((f"tangent {self._tangent_text(n)}", TANGENT_COLOUR, False))
        if "backward" in self.swept and n.kind != "const":
            lines.append((f"adjoint {self._adjoint_text(n)}", ADJOINT_COLOUR, False))
        return lines

    def _edge_lines(self, e: GraphEdge):
        if not e.differentiable:
            return []
        local = e.local
        lines = [(f"∂ = {format_number(local)}" if isinstance(local, float) else f"∂: {local}", LOCAL_COLOUR)]
        if "forward" in self.swept and e.tangent is not None:
            lines.append((f"tangent {format_value(e.tangent)} →", TANGENT_COLOUR))
        if "backward" in self.swept and e.adjoint is not None:
            lines.append((f"← adjoint {format_value(e.adjoint)}", ADJOINT_COLOUR))
        return lines

    def _visible(self, n: GraphNode) -> bool:
        """Scalar constants are written into their consumers' formulas instead of drawn."""
        return not (n.kind == "const" and n.value.size == 1 and not n.outputs)

    def _default_title(self):
        return " · ".join(self._title_lines())

    def _title_lines(self):
        parts = []
        if self.title:
            parts.append(self.title)
        if "forward" in self.swept:
            parts.append(f"forward sweep, seed: {self.swept['forward']}")
        if "backward" in self.swept:
            parts.append(f"backward sweep, seed: {self.swept['backward']}")
        return parts

    # ------------------------------------------------------------------ DOT

    def to_dot(self) -> str:
        """Graphviz DOT text of the graph (values, local derivatives, and the sweeps done so far).

        Render it with ``dot -Tpng graph.dot -o graph.png`` where Graphviz is
        installed; producing the text needs nothing.

        >>> import admodes as ad
        >>> dot = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0).backward().to_dot()
        >>> dot.startswith("digraph"), "adjoint 7 + 2 = 9" in dot
        (True, True)
        """

        def esc(s):
            return html.escape(s, quote=True)

        out = [
            "digraph admodes {",
            "  rankdir=LR;",
            '  node [shape=box, style="rounded,filled", fillcolor="#f8f8f8", fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=10, color="#666666"];',
        ]
        title = self._default_title()
        if title:
            out.append(f'  labelloc="t"; label=<{esc(title)}>;')
        for n in self.nodes:
            if not self._visible(n):
                continue
            rows = []
            for text, colour, bold in self._node_lines(n):
                t = esc(text)
                t = f"<b>{t}</b>" if bold else t
                rows.append(f'<font color="{colour}">{t}</font>')
            style = ""
            if n.kind == "input":
                style = ', fillcolor="#eef3fb"'
            elif n.kind == "const":
                style = ', style="rounded,dashed", fillcolor="#ffffff"'
            elif n.outputs:
                style = ', penwidth=2'
            out.append(f'  n{n.index} [label=<{"<br/>".join(rows)}>{style}];')
        for e in self.edges:
            if not self._visible(self.nodes[e.src]):
                continue
            lines = self._edge_lines(e)
            attrs = []
            if lines:
                attrs.append("label=<" + "<br/>".join(f'<font color="{c}">{esc(t)}</font>' for t, c in lines) + ">")
            if not e.differentiable:
                attrs.append('style="dashed"')
            out.append(f"  n{e.src} -> n{e.dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        out.append("}")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------ layout

    def layout(self):
        """A layered layout, left to right: ``{node index: (layer, position in layer)}``.

        Operations sit one layer after their latest argument; inputs and constants
        one layer before their first use. Within a layer, nodes are ordered by the
        mean position of their neighbours (a few barycentre sweeps), which keeps
        edges from crossing in small graphs.
        """
        visible = [n for n in self.nodes if self._visible(n)]
        layer = {}
        for n in visible:  # nodes are in execution order: parents come first
            ps = [layer[p] for p in n.parents if p in layer]
            layer[n.index] = 1 + max(ps) if n.kind == "op" and ps else 0
        for n in visible:  # inputs and constants move next to their first use
            if n.kind != "op":
                uses = [layer[e.dst] for e in n.out_edges if e.dst in layer]
                layer[n.index] = max(min(uses) - 1, 0) if uses else 0
        nlayers = max(layer.values(), default=-1) + 1
        layers = [[n.index for n in visible if layer[n.index] == k] for k in range(nlayers)]
        neighbours = {n.index: set() for n in visible}
        for e in self.edges:
            if e.src in neighbours and e.dst in neighbours:
                neighbours[e.src].add(e.dst)
                neighbours[e.dst].add(e.src)

        def order(layers, forward):
            pos = {i: k for lay in layers for k, i in enumerate(lay)}
            seq = range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1)
            for k in seq:
                ref = layers[k - 1] if forward else layers[k + 1]
                ref_set = set(ref)

                def key(i):
                    ns = [pos[j] for j in neighbours[i] if j in ref_set]
                    return (sum(ns) / len(ns)) if ns else pos[i]

                layers[k] = sorted(layers[k], key=lambda i: (key(i), pos[i]))
                pos.update({i: p for p, i in enumerate(layers[k])})

        for _ in range(3):
            order(layers, True)
            order(layers, False)
        return {i: (k, p) for k, lay in enumerate(layers) for p, i in enumerate(lay)}

    # ------------------------------------------------------------------ matplotlib

    def _geometry(self, direction, fontsize):
        """Box sizes, centres (inches) and edge-label positions for ``draw``."""
        pos = self.layout()
        cw = fontsize * 0.6 / 72  # inches per character (monospace)
        lh = fontsize * 1.45 / 72  # inches per line
        small = 0.85  # edge labels are a little smaller than node text
        pad = 0.09
        boxes = {}
        for i in pos:
            lines = self._node_lines(self.nodes[i])
            boxes[i] = (max(len(t) for t, _, _ in lines) * cw + 2 * pad, len(lines) * lh + 2 * pad, lines)
        edge_lines = {id(e): self._edge_lines(e) for e in self.edges if e.src in pos and e.dst in pos}
        nlayers = max((k for k, _ in pos.values()), default=-1) + 1
        if direction == "auto":
            direction = "LR" if nlayers <= 6 else "TB"
        if direction not in ("LR", "TB"):
            raise ValueError(f"draw: direction={direction!r} is not 'LR', 'TB' or 'auto'.")
        lr = direction == "LR"

        def along(i):  # size along the layer axis
            return boxes[i][0] if lr else boxes[i][1]

        def across(i):  # size along the order-in-layer axis
            return boxes[i][1] if lr else boxes[i][0]

        extent = [0.0] * nlayers
        for i, (k, _) in pos.items():
            extent[k] = max(extent[k], along(i))
        gaps = [0.6 if lr else 0.5] * max(nlayers - 1, 0)
        label_w = 0.0
        labelled_in = {}  # dst -> its labelled incoming edges (stacked along the gap in TB)
        for e in self.edges:
            if edge_lines.get(id(e)):
                labelled_in.setdefault(e.dst, []).append(e)
        for d, es in labelled_in.items():
            k = pos[d][0] - 1
            ws = [max(len(t) for t, _ in edge_lines[id(e)]) * cw * small for e in es]
            hs = [len(edge_lines[id(e)]) * lh * small for e in es]
            label_w = max([label_w] + ws)
            if 0 <= k < len(gaps):
                need = (max(ws) + 0.5) if lr else (sum(hs) * (1.5 if len(es) > 1 else 1) + 0.55)
                gaps[k] = max(gaps[k], need)
        centres_along, x = [], 0.0
        for k in range(nlayers):
            centres_along.append(x + extent[k] / 2)
            x += extent[k] + (gaps[k] if k < len(gaps) else 0)
        span_along = x
        gap_across = 0.45 if lr else max(0.5, label_w * 0.6)
        members = [sorted((p, i) for i, (kk, p) in pos.items() if kk == k) for k in range(nlayers)]
        spans = [sum(across(i) for _, i in m) + gap_across * (len(m) - 1) for m in members]
        span_across = max(spans, default=0.0)
        centre = {}
        for k, m in enumerate(members):
            c = (span_across - spans[k]) / 2
            for _, i in m:
                a = c + across(i) / 2
                # LR: layers left to right, order top to bottom; TB: layers top to bottom, order left to right
                centre[i] = (centres_along[k], span_across - a) if lr else (a, span_along - centres_along[k])
                c += across(i) + gap_across
        width, height = (span_along, span_across) if lr else (span_across, span_along)
        # where along its edge each label sits: the middle, or (TB) staggered so labels of
        # edges into one node do not overlap
        label_at = {}
        for d, es in labelled_in.items():
            if lr or len(es) == 1:
                label_at.update({id(e): 0.5 for e in es})
            else:
                es = sorted(es, key=lambda e: centre[e.src][0])
                label_at.update({id(e): (k + 1) / (len(es) + 1) for k, e in enumerate(es)})
        return boxes, centre, edge_lines, label_at, width, height, direction

    def draw(self, ax=None, path=None, *, dpi: int = 150, title: str | None = None, fontsize: float = 9.0,
             direction: str = "auto"):
        """Draw the graph with matplotlib alone; return the Figure (and save it if ``path`` is given).

        Boxes are nodes (inputs shaded, outputs bold-edged, array constants dashed),
        arrows are edges labelled with their local derivative. Values are written in
        blue, adjoints in red, tangents in green (``VALUE_COLOUR``, ``ADJOINT_COLOUR``,
        ``TANGENT_COLOUR``). Layers run left to right (``direction="LR"``) or top to
        bottom (``"TB"``); ``"auto"`` picks LR for shallow graphs and TB for deep ones.
        Without ``ax``, a new Figure sized to fit the text is made (no pyplot, so no
        window opens); ``path`` may end in .png, .svg or .pdf.

        >>> import admodes as ad
        >>> fig = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0).backward().draw()
        >>> type(fig).__name__
        'Figure'
        """
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

        boxes, centre, edge_lines, label_at, width, height, direction = self._geometry(direction, fontsize)
        cw = fontsize * 0.6 / 72
        lh = fontsize * 1.45 / 72
        small = 0.85
        pad = 0.09
        lr = direction == "LR"

        title_lines = self._title_lines() if title is None else str(title).split("\n")
        title_lines = [t for t in title_lines if t]
        title_fs = fontsize * 1.05
        legend = [("values", VALUE_COLOUR), ("∂ local derivatives", LOCAL_COLOUR)]
        if "forward" in self.swept:
            legend.append(("tangents (forward sweep)", TANGENT_COLOUR))
        if "backward" in self.swept:
            legend.append(("adjoints (backward sweep)", ADJOINT_COLOUR))
        legend_chars = sum(len(t) for t, _ in legend) + 4 * (len(legend) - 1)
        margin = 0.25
        title_h = (len(title_lines) * title_fs * 1.5 / 72 + 0.2) if title_lines else 0.0
        legend_h = 0.35
        full_w = max([width, legend_chars * cw * small] + [len(t) * title_fs * 0.6 / 72 for t in title_lines])
        shift = (full_w - width) / 2  # centre the drawing under a wider title or legend
        centre = {i: (x + shift, y) for i, (x, y) in centre.items()}

        if ax is None:
            fig = Figure(figsize=(full_w + 2 * margin, height + 2 * margin + title_h + legend_h))
            ax = fig.add_axes((0, 0, 1, 1))
        else:
            fig = ax.figure
        ax.set_axis_off()
        ax.set_xlim(-margin, full_w + margin)
        ax.set_ylim(-margin - legend_h, height + margin + title_h)
        ax.set_aspect("equal")
        text_kw = dict(family="DejaVu Sans Mono", fontsize=fontsize, ha="center", va="center")

        # edges first, under the boxes
        pairs = {}
        for e in self.edges:
            if id(e) in edge_lines:
                pairs.setdefault((e.src, e.dst), []).append(e)
        labels = []  # [start, end, rad, width, height, t, lines]
        for (s, d), es in pairs.items():
            (xs_, ys_), (xd, yd) = centre[s], centre[d]
            if lr:
                start, end = (xs_ + boxes[s][0] / 2, ys_), (xd - boxes[d][0] / 2, yd)
            else:
                start, end = (xs_, ys_ - boxes[s][1] / 2), (xd, yd + boxes[d][1] / 2)
            chord = max(math.hypot(end[0] - start[0], end[1] - start[1]), 1e-6)
            sep = max([len(edge_lines[id(e)]) * lh * small for e in es] + [0.25]) + 0.12
            for k, e in enumerate(es):
                # parallel edges (x * x) bend apart enough that their labels do not overlap
                rad = 0.0 if len(es) == 1 else max(-0.9, min(0.9, 2 * (k - (len(es) - 1) / 2) * sep / chord))
                ax.add_patch(FancyArrowPatch(
                    start, end, arrowstyle="-|>", mutation_scale=11, linewidth=1.1,
                    color="#888888" if e.differentiable else "#bbbbbb",
                    linestyle="-" if e.differentiable else "--",
                    connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2, zorder=1,
                ))
                lines = edge_lines[id(e)]
                if lines:
                    w = max(len(text) for text, _ in lines) * cw * small
                    labels.append([start, end, rad, w, len(lines) * lh * small, label_at.get(id(e), 0.5), lines])
        _spread_labels(labels)
        for start, end, rad, w, h, t, lines in labels:
            mx, my = _on_arc(start, end, rad, t)
            ax.add_patch(FancyBboxPatch(
                (mx - w / 2, my - h / 2), w, h,
                boxstyle="round,pad=0.03", facecolor="white", edgecolor="none", alpha=0.9, zorder=2,
            ))
            for r, (text, colour) in enumerate(lines):
                ax.text(mx, my + h / 2 - (r + 0.5) * lh * small, text, color=colour, zorder=3,
                        **{**text_kw, "fontsize": fontsize * small})

        for i, (cx, cy) in centre.items():
            w, h, lines = boxes[i]
            n = self.nodes[i]
            face = "#eef3fb" if n.kind == "input" else ("#ffffff" if n.kind == "const" else "#f8f8f8")
            ax.add_patch(FancyBboxPatch(
                (cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=face, edgecolor="#333333", linewidth=2.0 if n.outputs else 1.0,
                linestyle="--" if n.kind == "const" else "-", zorder=4,
            ))
            for r, (t, colour, bold) in enumerate(lines):
                yy = cy + h / 2 - pad - lh / 2 - r * lh
                ax.text(cx, yy, t, color=colour, fontweight="bold" if bold else "normal", zorder=5, **text_kw)

        for r, t in enumerate(title_lines):
            yy = height + margin + title_h - 0.1 - (r + 0.5) * title_fs * 1.5 / 72
            ax.text(full_w / 2, yy, t, **{**text_kw, "fontsize": title_fs})
        lx = full_w / 2 - legend_chars * cw * small / 2
        ly = -margin - legend_h / 2 + 0.05
        for t, colour in legend:
            ax.text(lx, ly, t, color=colour, **{**text_kw, "fontsize": fontsize * small, "ha": "left"})
            lx += (len(t) + 4) * cw * small
        if path is not None:
            fig.savefig(path, dpi=dpi, facecolor="white")
        return fig

    def save(self, path, *, dpi: int = 150) -> str:
        """Write the graph to ``path``: DOT text for ``.dot``/``.gv``, else a matplotlib figure (.png, .svg, .pdf)."""
        path = str(path)
        if path.lower().endswith((".dot", ".gv")):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(self.to_dot())
        else:
            self.draw(path=path, dpi=dpi)
        return path

    def _repr_svg_(self):
        try:
            fig = self.draw()
        except ImportError:  # pragma: no cover - matplotlib missing
            return None
        buf = io.StringIO()
        fig.savefig(buf, format="svg", facecolor="white")
        return buf.getvalue()
