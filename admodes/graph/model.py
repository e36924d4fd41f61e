"""The graph of one evaluation: its nodes and edges, lookup, and the two sweeps.

A :class:`Graph` (built by ``admodes.graph.record.trace``) has one :class:`GraphNode` per
input, constant and primitive operation, in execution order, and one :class:`GraphEdge`
per argument of each operation, carrying its local derivative
(``admodes.graph.derivatives``). ``forward`` and ``backward`` sweep it with the engines'
own walkers (``admodes.tape.walk``) and leave the tangents and adjoints on the nodes and
edges; ``to_text``, ``to_dot``, ``draw`` and ``save`` show it (``admodes.graph.render``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import AdmodesError
from ..cost import uncounted
from ..cost.modes import CostReport, measure_modes
from ..tape import walk
from . import render
from .derivatives import dense, float_dtype
from .format import format_value, formula

__all__ = ["Graph", "GraphNode", "GraphEdge"]


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
# The graph
# --------------------------------------------------------------------------------------


class Graph:
    """One recorded evaluation: nodes (inputs, constants, operations; outputs marked) and edges.

    Built by :func:`admodes.trace`. ``nodes`` are in execution order (a topological order),
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
                node.formula = formula(node, self.nodes)
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
        with uncounted():
            def contribution(i, j, c):  # the edge's share of the tangent of node i
                node = self.nodes[i]
                c = np.array(dense(c, node.value.dtype if node.value.dtype.kind == "f" else float, node.shape))
                node.in_edges[j].tangent = c
                return c

            values = [n.raw_out for n in self.nodes]
            _, swept = walk.forward(self.entries, self.input_indices, tangents, 0, values=values,
                                    on_contribution=contribution)
            for node, t in zip(self.nodes, swept):
                node.tangent = t
            for node in self.nodes:  # every node gets a tangent: zero where the seed does not reach
                if node.tangent is None and node.kind != "const":
                    node.tangent = np.zeros(node.shape, dtype=float_dtype(node.value))
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
        with uncounted():
            def contribution(i, j, c):  # the edge's share of its source's adjoint
                e = self.nodes[i].in_edges[j]
                src = self.nodes[e.src]
                c = np.array(dense(c, src.value.dtype, src.shape))
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
                n.adjoint = np.zeros(n.shape, dtype=float_dtype(n.value))
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
            if self.fun is None:
                raise AdmodesError("cost() needs a graph made by ad.trace (it re-runs the function).")
            if not self.argnums:
                raise AdmodesError("cost(): the graph has no inputs to differentiate.")
            self._cost = measure_modes(self.fun, self.args, self.argnums)
        return self._cost if mode is None else self._cost[mode]

    # ------------------------------------------------------------------ rendering
    # admodes.graph.render's functions of a graph, as its methods

    to_text = render.to_text
    __str__ = render.to_text
    to_dot = render.to_dot
    layout = render.layout
    draw = render.draw
    save = render.save
    _repr_svg_ = render.svg

