"""What each mode costs on one call: one sweep and a full Jacobian, counted by the engine.

``measure_modes(fun, args, argnums)`` runs ``jvp`` (one forward sweep), ``vjp``
plus one backward sweep (one reverse sweep) and ``jacobian(..., mode=..., chunk=1)``
under :func:`admodes.cost.count_ops`, and returns a :class:`CostReport` with a
:class:`ModeCost` per mode. ``Graph.cost()`` (``admodes.graph``) reports it for a traced
call. This module is a client of the API (``admodes.api``), which itself counts with
``admodes.cost.counter``; so the package's ``__init__`` does not import it.

>>> from admodes.cost.modes import measure_modes
>>> report = measure_modes(lambda a, b, c: (a + b) * (b + c), (-1.0, 3.0, 4.0), (0, 1, 2))
>>> (report.forward.sweeps, report.forward.jacobian_ops), (report.reverse.sweeps, report.reverse.jacobian_ops)
((3, 24), (1, 6))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import api, jacobians
from ..core import concrete
from ..tree import tree_flatten, tree_map
from ..values import normalize_argnums
from .counter import count_ops

__all__ = ["ModeCost", "CostReport", "measure_modes"]


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



def measure_modes(fun, args, argnums=0) -> CostReport:
    """Count what each mode costs on ``fun(*args)``, differentiated in the arguments ``argnums``.

    ``argnums`` is an int or a tuple of ints, as for ``ad.jacobian``. The forward mode's
    full Jacobian takes n sweeps (n: the number of input entries), the reverse mode's m
    (m: the number of output entries).
    """
    args = list(args)
    argnums = normalize_argnums(argnums, len(args), "measure_modes")[1]

    def restricted(*diff):
        call = list(args)
        for i, d in zip(argnums, diff):
            call[i] = d
        return fun(*call)

    diff_args = tuple(args[i] for i in argnums)
    n = sum(np.size(concrete(leaf)) for leaf in tree_flatten(diff_args)[0])

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
        jacobians.jacobian(fun, argnums=argnums, mode="forward", chunk=1)(*args)

    with count_ops() as record:
        out, vjp_fun = api.vjp(restricted, *diff_args)
    first[0] = True
    cot = tree_map(unit, out)
    m = sum(np.size(concrete(leaf)) for leaf in tree_flatten(out)[0])
    with count_ops() as back:
        vjp_fun(cot)
    with count_ops() as rev_jac:
        jacobians.jacobian(fun, argnums=argnums, mode="reverse", chunk=1)(*args)

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
