"""The graph view: one evaluation as a graph (see :mod:`admodes.graph.model`)."""

from .model import (
    ADJOINT_COLOUR,
    TANGENT_COLOUR,
    VALUE_COLOUR,
    CostReport,
    Graph,
    GraphEdge,
    GraphNode,
    GraphTrace,
    GraphTracer,
    ModeCost,
    format_number,
    format_value,
    trace,
)
from .model import __all__  # noqa: F401
