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

The package, in the order a graph is made and used:

- ``record``: ``trace`` and ``GraphTrace``, the recording, and ``build``, which makes the graph;
- ``model``: ``Graph``, ``GraphNode``, ``GraphEdge``: lookup, renaming, the two sweeps;
- ``derivatives``: the local derivative of each edge, from the primitive table's JVP rules;
- ``format``: numbers, values, sums of contributions and formulas as short text;
- ``render``: the text table, DOT, the layered layout and the matplotlib drawing.

The cost model behind ``Graph.cost()`` is ``admodes.cost.modes``, beside ``count_ops``.
"""

from ..cost.modes import CostReport, ModeCost
# public before the split though not in __all__ (the CLI and tests use format_value)
from .derivatives import JACOBIAN_LIMIT  # noqa: F401
from .format import format_number, format_value  # noqa: F401
from .model import Graph, GraphEdge, GraphNode
from .record import GraphTrace, GraphTracer, trace
from .render import ADJOINT_COLOUR, LOCAL_COLOUR, TANGENT_COLOUR, VALUE_COLOUR  # noqa: F401

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
