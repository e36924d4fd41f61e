"""A time-stepping loop whose reverse sweep follows a checkpointing schedule.

``checkpointed_loop(step, x0, steps, params)`` computes ``x_T`` for ``x_{t+1} = step(x_t, params)``.
Reverse mode over a plain loop keeps every step's intermediates on the tape: memory that grows
like ``T * d`` for a state of size ``d``. Here the loop is one primitive. Its forward pass runs
the plain loop and the tape keeps only ``x0`` and ``params``; its backward sweep follows a
*schedule* that decides which states to hold (snapshots) and which to recompute:

- ``"store_all"``: the plain loop on the tape (every step's intermediates kept);
- ``"recompute_all"``: only ``x0`` is held; before the reverse step of step ``t`` the states are
  recomputed from ``x0`` (``T (T - 1) / 2`` extra step calls, memory of one state);
- ``"revolve"``: Griewank's binomial checkpointing with ``checkpoints = s`` snapshots (``x0``
  among them): at most ``s`` states held at once, and the fewest step calls any schedule with
  ``s`` snapshots can make, ``recomputations(T, s) = r T - C(s + r, r - 1)`` with ``r`` the
  least repetition number with ``C(s + r, s) >= T`` (Griewank and Walther, ACM TOMS 26 (2000),
  Algorithm 799: "revolve").

Every reverse step records one step onto a tape of its own, pulls the cotangent of ``x_{t+1}``
back to ``x_t`` and ``params``, and drops that tape. Forward mode runs the plain loop.

Why admodes has its own schedule: admodes depends on NumPy only, and the binomial schedule is a
short recursion (split the reversal of ``l`` steps with ``s`` snapshots at
``m = max(l - C(s - 1 + r, r), C(s + r - 2, s), 1)``, which keeps the count at the closed
form at every level; the tests check the count against the closed form and against the
``checkpoint_schedules`` package where it is installed).

>>> import numpy as np, admodes as ad
>>> step = lambda x, a: x + 0.1 * np.sin(a * x)
>>> f = lambda x, a: np.sum(ad.checkpointed_loop(step, x, 50, a, checkpoints=4))
>>> g = ad.grad(f, argnums=(0, 1))(np.array([0.3, 1.0]), 2.0)
>>> h = ad.grad(lambda x, a: np.sum(ad.checkpointed_loop(step, x, 50, a, schedule="store_all")), argnums=(0, 1))
>>> all(np.allclose(u, v, rtol=0, atol=1e-12) for u, v in zip(g, h(np.array([0.3, 1.0]), 2.0)))
True
"""

from __future__ import annotations

from math import comb

import numpy as np

from .checkpoint import _Call, _only_forward, checkpoint, counted, recomputing
from .core import AdmodesError, Tracer, shape_of
from .inputs import Inputs
from .sweeps import Recording
from .tree import tree_flatten, tree_unflatten

__all__ = ["checkpointed_loop", "recomputations", "SCHEDULES"]

SCHEDULES = ("revolve", "store_all", "recompute_all")


def _beta(s, r):
    """C(s + r, s): the most steps ``s`` snapshots reverse with ``r`` repetitions (0 if r < 0)."""
    return comb(s + r, s) if r >= 0 else 0


def _repetitions(steps, snapshots):
    r = 0
    while _beta(snapshots, r) < steps:
        r += 1
    return r


def recomputations(steps: int, snapshots: int) -> int:
    """Step calls an optimal schedule with ``snapshots`` states held (the initial one among them)
    makes to reverse ``steps`` steps, besides the ``steps`` recorded reverse steps themselves
    (Griewank and Walther's closed form ``r l - C(s + r, r - 1)``).

    >>> recomputations(10, 1), recomputations(10, 3), recomputations(10, 10)
    (45, 15, 9)
    """
    if steps <= 1:
        return 0
    r = _repetitions(steps, snapshots)
    return r * steps - _beta(snapshots + 1, r - 1)


def _split(length, snapshots):
    """Where the binomial schedule puts its next snapshot, steps after the held one."""
    r = _repetitions(length, snapshots)
    m = max(length - _beta(snapshots - 1, r), _beta(snapshots, r - 2) if r >= 2 else 1, 1)
    return min(m, length - 1)


class _Loop(_Call):
    """The parameters of one checkpointed loop: the step, the number of steps, the schedule, and
    where the state's and the parameters' leaves go. Its traced inputs are the state's leaves,
    then the float leaves of the parameters."""

    __slots__ = ("step", "steps", "schedule", "snapshots", "nx", "x_treedef", "p_treedef", "p_leaves",
                 "p_slots", "x_shapes", "stats")

    def __init__(self, step, steps, schedule, snapshots, x_leaves, x_treedef, p_leaves, p_treedef, p_slots):
        name = getattr(step, "__name__", "step")
        super().__init__(None, f"loop of {name}", None, None, None)
        self.step = step
        self.steps = steps
        self.schedule = schedule
        self.snapshots = snapshots
        self.nx = len(x_leaves)
        self.x_treedef = x_treedef
        self.x_shapes = [shape_of(x) for x in x_leaves]
        self.p_treedef = p_treedef
        self.p_leaves = p_leaves  # constants in place, None where a float leaf (an input) goes
        self.p_slots = p_slots
        self.stats = {"advances": 0, "taped": 0, "held": 0, "max_held": 0}

    def __repr__(self):
        return f"<checkpointed loop of {self.steps} steps ({self.schedule})>"

    def params(self, p):
        leaves = list(self.p_leaves)
        for k, value in zip(self.p_slots, p):
            leaves[k] = value
        return tree_unflatten(self.p_treedef, leaves)

    def advance(self, x, p, n, counted=True):
        """``n`` steps from the state leaves ``x``: the state leaves after them."""
        params = self.params(p)
        for _ in range(n):
            out = self.step(tree_unflatten(self.x_treedef, x), params)
            leaves, treedef = tree_flatten(out)
            if treedef != self.x_treedef or [shape_of(v) for v in leaves] != self.x_shapes:
                raise AdmodesError(
                    f"checkpointed_loop: step returned a state of structure {treedef} with shapes "
                    f"{[shape_of(v) for v in leaves]}, but the state x0 has structure {self.x_treedef} with shapes "
                    f"{self.x_shapes}; step(x, params) must return a state shaped like x."
                )
            x = leaves
            if counted:
                self.stats["advances"] += 1
        return x

    def run(self, *traced):
        x = self.advance(list(traced[: self.nx]), traced[self.nx :], self.steps, counted=False)
        return tree_unflatten(self.x_treedef, x)

    def pullback(self, nb, primals, g):
        x0, p = list(primals[: self.nx]), list(primals[self.nx :])
        nx = self.nx
        cot_p = None

        def taped(x, cot_x):
            """One reverse step: step recorded at ``x``, ``cot_x`` of its output pulled back."""
            nonlocal cot_p
            self.stats["taped"] += 1
            inputs = Inputs(tuple(x) + tuple(p), tuple(range(nx + len(p))), "checkpointed_loop")
            with recomputing():  # the forward pass ran this step once already
                recording = Recording(lambda *v: self.advance(list(v[:nx]), v[nx:], 1, counted=False), inputs, False,
                                      "checkpointed_loop")
            adjoints = recording.backward(cot_x, nb)
            cot_p = adjoints[nx:] if cot_p is None else [a + b for a, b in zip(cot_p, adjoints[nx:])]
            return adjoints[:nx]

        def hold(change):
            held = self.stats["held"] = self.stats["held"] + change
            self.stats["max_held"] = max(self.stats["max_held"], held)

        def reverse(a, b, xa, s, cot):
            """The cotangent of x_a from that of x_b, with x_a held and ``s`` snapshots (x_a's among them)."""
            while b - a > 1 and s > 1:
                m = a + _split(b - a, s)
                with recomputing():
                    xm = counted(lambda *x: self.advance(list(x), p, m - a), xa)
                hold(+1)
                cot = reverse(m, b, xm, s - 1, cot)
                del xm
                hold(-1)
                b = m
            for i in range(b - 1, a - 1, -1):  # one snapshot (x_a): recompute from it for each step
                with recomputing():
                    xi = counted(lambda *x: self.advance(list(x), p, i - a), xa)
                cot = taped(xi, cot)
            return cot

        cot = self.cotangents(g, nb)
        hold(+1)  # x0, kept by the tape
        snapshots = self.snapshots if self.schedule == "revolve" else 1
        cot_x0 = reverse(0, self.steps, x0, snapshots, cot)
        hold(-1)
        return list(cot_x0) + list(cot_p if cot_p is not None else [])


_LOOP = checkpoint(lambda *a: None, name="checkpointed_loop")  # the one loop primitive; its params say which loop


def checkpointed_loop(step, x0, steps, params=None, *, schedule="revolve", checkpoints=None):
    """``x_T`` for ``x_{t+1} = step(x_t, params)``, ``t = 0 .. steps - 1``, with a checkpointed reverse sweep.

    ``x0`` and ``params`` may be pytrees (``params`` is passed to ``step`` as it is, ``None``
    too); ``step`` returns a state of ``x0``'s structure and shapes. ``schedule`` is
    ``"revolve"`` (binomial checkpointing with ``checkpoints`` snapshots, the initial state
    among them; default ``ceil(sqrt(steps))``), ``"recompute_all"`` (only ``x0`` held) or
    ``"store_all"`` (the plain loop on the tape). The derivatives are those of the plain loop,
    in every mode and order; only the memory and the number of step calls differ (see the
    module docstring and ``recomputations``). Forward mode runs the plain loop.
    """
    if not callable(step):
        raise AdmodesError(f"checkpointed_loop: step must be a function step(x, params), got a {type(step).__name__}.")
    if not isinstance(steps, int | np.integer) or isinstance(steps, bool) or steps < 0:
        raise AdmodesError(f"checkpointed_loop: steps={steps!r} must be a non-negative int.")
    steps = int(steps)
    if schedule not in SCHEDULES:
        raise AdmodesError(f"checkpointed_loop: schedule={schedule!r} is not one of {', '.join(map(repr, SCHEDULES))}.")
    if checkpoints is None:
        checkpoints = max(1, int(np.ceil(np.sqrt(steps))))
    elif schedule != "revolve":
        raise AdmodesError(f"checkpointed_loop: checkpoints= is for schedule='revolve', not {schedule!r}.")
    if not isinstance(checkpoints, int | np.integer) or isinstance(checkpoints, bool) or checkpoints < 1:
        raise AdmodesError(f"checkpointed_loop: checkpoints={checkpoints!r} must be a positive int (the states held "
                           "at once, the initial one among them).")
    x_leaves, x_treedef = tree_flatten(x0)
    p_all, p_treedef = tree_flatten(params)
    p_slots = [k for k, leaf in enumerate(p_all) if isinstance(leaf, Tracer) or np.result_type(leaf).kind == "f"]
    inputs = x_leaves + [p_all[k] for k in p_slots]
    traced = [leaf for leaf in inputs if isinstance(leaf, Tracer)]
    if schedule == "store_all" or steps == 0 or not traced or _only_forward(traced):
        x = x0
        for _ in range(steps):
            x = step(x, params)
        return x
    for k, leaf in enumerate(x_leaves):
        if np.result_type(leaf if not isinstance(leaf, Tracer) else leaf.dtype).kind != "f":
            raise AdmodesError(f"checkpointed_loop: state leaf {k} has dtype {np.result_type(leaf)}; the state must "
                               "be float arrays (carry integer counters in params or outside the loop).")
    p_leaves = [None if k in p_slots else leaf for k, leaf in enumerate(p_all)]
    loop = _Loop(step, steps, schedule, int(checkpoints), x_leaves, x_treedef, p_leaves, p_treedef, p_slots)
    return _LOOP.bind(loop, inputs)
