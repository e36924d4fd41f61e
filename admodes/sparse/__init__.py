"""Sparse Jacobians (issue 16): the pattern read off a recorded tape, greedy colourings of
it, and one vectorised sweep with one direction per colour.

- ``detect``: ``jacobian_sparsity`` / ``pattern_of_tape`` and ``SparsityPattern``
  (``deps``: the dependency sets carried through the tape; ``rules``: one sparsity rule
  per primitive);
- ``coloring``: column (forward mode) and row (reverse mode) distance-2 colourings;
- ``jacobian``: ``sparse_jacobian``, compressed evaluation and decompression.
"""

from .coloring import ORDERINGS, Coloring, color_columns, color_rows, is_valid
from .detect import SparsityPattern, SparsityWarning, pattern_of_tape
from .jacobian import SparseJacobian, jacobian_sparsity, sparse_jacobian
from .rules import RULES, rule_for

__all__ = [
    "jacobian_sparsity", "sparse_jacobian", "SparseJacobian", "SparsityPattern", "SparsityWarning",
    "pattern_of_tape", "Coloring", "color_columns", "color_rows", "is_valid", "ORDERINGS", "RULES", "rule_for",
]
