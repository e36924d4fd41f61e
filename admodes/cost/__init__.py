"""Cost accounting: what the engine computes, counted by the engine itself.

- :mod:`admodes.cost.counter`: ``count_ops``, the count of primitive operations, flops
  and tapes inside a block (the engine reports to it; see there);
- :mod:`admodes.cost.memory`: ``memory_profile``, a gradient's tape bytes and peak memory
  (tracemalloc), with its operations and recomputations;
- :mod:`admodes.cost.modes`: ``measure_modes``, what one sweep and a full Jacobian cost in
  each mode on one call (``ModeCost``, ``CostReport``; what ``Graph.cost()`` shows).

``modes`` and ``memory`` run the API, and the API counts with ``counter``: this ``__init__``
imports ``counter`` only, so ``admodes.api`` can import ``admodes.cost`` without a cycle
(``admodes.memory_profile`` comes from ``admodes.cost.memory`` itself).
"""

from .counter import OpCounter, count_ops, note_tape, uncounted

__all__ = ["OpCounter", "count_ops", "note_tape", "uncounted"]
