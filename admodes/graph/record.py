"""Recording one evaluation for the graph view: ``trace(fun, *args)``.

:func:`trace` runs the function on the tracers of a :class:`GraphTrace`, which records as
reverse mode's trace does but keeps every argument value, output and parameter, and
:func:`build` makes the :class:`admodes.graph.model.Graph` of the recording: nodes with
their values and formulas, edges with their local derivatives.
"""

from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from ..core import AdmodesError, IndexedTracer, Trace, bind, concrete
from ..cost import uncounted
from ..inputs import call_user
from ..tracebacks import api_boundary
from ..tree import tree_flatten, tree_unflatten
from ..values import as_input, check_argnums_type, normalize_argnums
from .derivatives import local_derivative
from .format import SHORT_OP, format_value, formula
from .model import Graph, GraphEdge, GraphNode

__all__ = ["trace", "build", "GraphTrace", "GraphTracer"]


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
# trace()
# --------------------------------------------------------------------------------------


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



@api_boundary
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
    check_argnums_type(argnums, "trace")
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
        out = call_user(fun, call_args)
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
    graph = build(graph_trace, input_indices, input_names, out_leaves, output_names)
    graph.fun = fun
    graph.args = tuple(args)
    graph.argnums = argnums
    graph.out_treedef = out_treedef
    return graph


# --------------------------------------------------------------------------------------
# Building the graph
# --------------------------------------------------------------------------------------


def build(graph_trace: GraphTrace, input_indices, input_names, out_leaves, output_names) -> Graph:
    """The :class:`Graph` of a finished recording: ``input_indices`` are the records of the
    inputs (named ``input_names``), ``out_leaves`` the outputs (named ``output_names``)."""
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

    with uncounted():
        for r, (prim, params, rec_parents, rec_args, rec_out) in enumerate(records):
            if prim is None:
                continue
            parents = [node_of_record[p] if p >= 0 else add_const(a) for p, a in zip(rec_parents, rec_args)]
            counter += 1
            op = prim.name
            node = GraphNode(
                len(nodes), "op", f"{SHORT_OP.get(op, op)}{counter}", op, params, parents,
                np.asarray(concrete(rec_out)), prim=prim,
                raw_args=[concrete(a) for a in rec_args], raw_out=concrete(rec_out),
            )
            node_of_record[r] = node.index
            nodes.append(node)
            for j, p in enumerate(parents):
                src = nodes[p]
                edge = GraphEdge(p, node.index, j)
                edge.differentiable = src.kind != "const"  # a traced argument without a rule raises in a sweep
                if edge.differentiable:
                    try:
                        edge.local, edge.jacobian = local_derivative(node, src, j)
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
                node.formula = formula(node, nodes)

    graph = Graph(nodes, edges, list(node_of_record[r] for r in input_indices), outputs)
    graph.output_names = list(output_names)
    # the nodes as entries for admodes.tape.walk: a constant, or an argument without a
    # derivative (the condition of where), is no parent
    graph.entries = [
        (n.prim if n.kind == "op" else None, n.params,
         tuple(e.src if e.differentiable else -1 for e in n.in_edges), n.raw_args, n.raw_out)
        for n in nodes
    ]
    return graph
