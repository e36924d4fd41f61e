"""Record a function once, then replay the tape at new points (as ADOL-C does).

``ad.record(f, x0)`` runs ``f`` once and keeps every primitive it applied, with its
parameters and constants, in execution order. The recorded tape then evaluates the
function, its gradient, JVPs, VJPs and Jacobians at new points of the same shape and
dtype: no Python code of ``f`` runs again.

The first call of each method *stages* its sweep over the tape (``admodes.staging``):
the sweep runs once on staged values and comes out as a straight-line Python function
of NumPy calls, in which everything that does not depend on the inputs (the identity
seeds of a Jacobian times a weight matrix) was computed once. Later calls run that
function and nothing else; ``print(tape.program("jacobian"))`` shows it. Setting
``tape.compile = False`` walks the tape with the rules instead (the interpreter, which
``ad.count_ops`` uses). The tape holds its own copy of the arrays ``f`` used as
constants (index arrays included): changing them afterwards does not change the replay.

What is frozen at recording time
--------------------------------
Python control flow that depends on values (``if x > 0:``, loops whose length depends
on ``x``) took one path when the tape was recorded. Comparisons of traced values, and
every other value the tape keeps as a constant although it was computed from traced
values (``astype(int)``, ``np.sign``, ``np.floor``, ``np.argmax``, the order of
``np.sort``), are logged while recording, and every replay re-evaluates them at the new
point (the staged program returns the values they read; each check costs about a
microsecond). Where one differs, the tape re-records itself at the new point, as ADOL-C
re-tapes (``tape.retapes`` counts it), or raises if recorded with ``retape=False``: a
replay never returns the recorded branch's numbers at a point that takes another branch.
``check_branches=False`` on a method skips the check, for functions known to be
branch-free; ``tape.same_branches(x1)`` answers the question without replaying.

Derivative rules whose local derivative depends on values (``abs``, ``maximum``,
``max``, ``0 ** 0``) are re-evaluated at every point when the tape is asked for a
derivative (``tape.grad``, ``tape.jacobian`` ...). A recorded *derivative computation*
(``ad.record(ad.grad(f), x0)``, replayed as a gradient, or its Jacobian as a Hessian)
ran those rules while recording, so their decisions (a sign, a tie) are frozen like any
branch, and logged: ``same_branches`` tells a point where one differs.

>>> import numpy as np, admodes as ad
>>> tape = ad.record(lambda x: np.sin(x) * x, np.zeros(3))
>>> tape.jacobian(np.array([0.0, 1.0, 2.0])).round(3)
array([[0.   , 0.   , 0.   ],
       [0.   , 1.382, 0.   ],
       [0.   , 0.   , 0.077]])
"""

from __future__ import annotations

import contextvars
import functools
import math
from typing import Callable

import numpy as np

from .. import core
from ..core import AdmodesError, Tracer, concrete, shape_of
from ..tracebacks import api_boundary
from ..inputs import Inputs, basis
from ..ops.shape import astype, reshape, transpose
from ..tree import TreeDef, tree_flatten, tree_unflatten
from . import staging, walk
from .record import BranchCheck, Recorded, RecordingTrace

__all__ = ["record", "RecordedTape"]

# While a sweep runs for a branch check, the list that receives its forward values.
_SWEEP_VALUES: contextvars.ContextVar = contextvars.ContextVar("admodes_replay_values", default=None)


@api_boundary
def record(fun: Callable, *args, argnums=0, retape: bool = True) -> "RecordedTape":
    """Run ``fun(*args)`` once and keep its primitives for replay at new points.

    Arguments outside ``argnums`` are frozen at their recorded values; the tape's
    methods take the ``argnums`` arguments only, in order.

    Every replay checks the branches the recording logged (comparisons of traced values,
    ``astype(int)``, ``np.sign`` and the other values kept as constants) at the new point.
    Where one differs, the tape re-records itself there (``retape=True``, as ADOL-C
    re-tapes; ``tape.retapes`` counts how often) or raises (``retape=False``); it never
    returns the recorded branch's numbers at a point that takes another branch. A method
    called with ``check_branches=False`` skips the check, for functions known to be
    branch-free where the few comparisons still cost time.
    """
    if not isinstance(retape, bool):
        raise AdmodesError(f"record: retape must be True or False, got {retape!r}.")
    inputs = Inputs(args, argnums, "record")
    tape = _record(fun, inputs)
    tape.retape = retape
    return tape


def _record(fun, inputs):
    trace = RecordingTrace()
    recorded = [trace.new_input(x) for x in inputs.leaves]
    core.add_observer(trace)
    try:
        out = inputs.call(fun, recorded)
    finally:
        core.remove_observer(trace)
        trace.finished = True
    leaves, out_def = tree_flatten(out)
    outputs = []
    for leaf in leaves:
        if type(leaf) is Recorded and leaf._trace is trace:
            outputs.append((leaf.index, None))
        elif isinstance(leaf, Tracer):
            # a value of an enclosing derivative call (ad.grad(g) where g records): kept as it
            # is, so that call still sees the output depend on it
            outputs.append((-1, leaf))
        else:
            outputs.append((-1, trace._constant(leaf)))
    tape = RecordedTape(trace.entries, trace.comparisons, inputs, outputs, out_def)
    tape._fun = fun
    # what re-recording needs: the frozen arguments as they were (the caller may change them)
    tape._frozen_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in inputs.args)
    tape._argnums = inputs.argnums[0] if inputs.single else tuple(inputs.argnums)
    return tape


class RecordedTape:
    """A recorded evaluation of a function, replayable at new points of the same shape and dtype."""

    def __init__(self, entries, comparisons, inputs, outputs, out_def):
        self.entries = entries
        self._inputs = [i for i, e in enumerate(entries) if e[0] is None]  # the input entries
        self.comparisons = comparisons
        self.in_def = inputs.treedef
        self.single = inputs.single
        self.in_shapes = [shape_of(x) for x in inputs.leaves]
        self.in_dtypes = [np.result_type(concrete(x)) for x in inputs.leaves]
        self.in_sizes = inputs.sizes
        self.outputs = outputs
        self.out_def = out_def
        # the recording point, where tape.program() stages (zeros could be outside the domain)
        self._recorded_at = [np.array(concrete(x), copy=True) for x in inputs.leaves]
        values = self._forward(self._recorded_at)
        self.out_shapes = [shape_of(self._output(values, k)) for k in range(len(outputs))]
        self.out_dtypes = [np.result_type(concrete(self._output(values, k))) for k in range(len(outputs))]
        self._in_basis = self._out_basis = None
        self.n = sum(self.in_sizes)
        self.m = sum(math.prod(s) for s in self.out_shapes)
        # one array in, one array out: no pytree work on the way in or out
        self._simple = self.single and self.in_def.kind == "leaf" and out_def.kind == "leaf"
        self.compile = True  # replay staged programs (False: interpret the tape, for comparison)
        self._programs = {}  # (method, checked) -> its staged Program, or None where interpreted
        self._logged()
        self.retape = True  # re-record where a branch differs (False: raise)
        self.retapes = 0  # how often this tape re-recorded itself
        self._fun = self._frozen_args = self._argnums = None

    def _logged(self):
        self._branches = BranchCheck(self.comparisons)
        # the entries whose values the branch check reads: a replay returns them beside its outputs
        self._checked = self._branches.checked

    def __len__(self):
        """Primitive operations on the tape."""
        return sum(1 for e in self.entries if e[0] is not None)

    def __repr__(self):
        return f"<RecordedTape: {len(self)} operations, n = {self.n} inputs, m = {self.m} outputs>"

    # -------------------------------------------------------------- inputs

    def _leaves(self, args):
        if self._simple and len(args) == 1:
            x = args[0]  # the common case first: one array of the recorded shape and dtype
            if type(x) is np.ndarray and x.shape == self.in_shapes[0] and x.dtype == self.in_dtypes[0]:
                return [x]
        expected = 1 if self.single else len(self.in_def.children)
        if len(args) != expected:
            raise AdmodesError(
                f"this tape was recorded for {expected} argument(s) (those in argnums), got {len(args)}; "
                "pass them in the same order."
            )
        leaves, treedef = tree_flatten(args[0] if self.single else tuple(args))
        if treedef != self.in_def:
            raise AdmodesError(f"the tape was recorded for inputs of structure {self.in_def}, got {treedef}.")
        out = []
        for k, (x, shape, dtype) in enumerate(zip(leaves, self.in_shapes, self.in_dtypes)):
            if isinstance(x, Tracer):
                raise AdmodesError(
                    f"input {k} is a traced value (the tape is replayed inside ad.grad, jvp or another "
                    "derivative call); a tape replays on plain arrays. Ask the tape for the derivative "
                    "(tape.grad, tape.jvp, tape.vjp, tape.jacobian), or differentiate the function itself."
                )
            x = np.asarray(x)
            if x.shape != shape or x.dtype != dtype:
                raise AdmodesError(
                    f"input {k} has shape {x.shape} and dtype {x.dtype}, but the tape was recorded "
                    f"for shape {shape} and dtype {dtype}; record a new tape for other shapes or dtypes "
                    "(shapes and dtypes are fixed into the recorded operations)."
                )
            out.append(x)
        return out

    # -------------------------------------------------------------- running a sweep

    def _run(self, kind, sweep, inputs, check=False, args=None):
        """``sweep(inputs)`` as a staged program (made on first use), or interpreted.

        With ``check``, the sweep also returns the values the logged branches read, and
        the branches are checked at this point (``BranchCheck``); where one differs the
        tape re-records itself at ``args`` and runs the sweep again, or raises.

        The op counter of ``ad.count_ops`` counts the interpreter's operations; a
        program has folded its constants away, so counting runs interpreted.
        """
        checked = self._checked if check else ()
        if self.compile and core.counting() is None:
            program = self._programs.get((kind, bool(checked)), _UNSTAGED)
            if program is _UNSTAGED:
                try:
                    program = staging.stage(lambda trace, *xs: self._sweep_and_values(sweep, list(xs), trace, checked), inputs)
                except staging.NotStageable:
                    program = None  # a rule that reads values may drop a contribution elsewhere
                self._programs[(kind, bool(checked))] = program
            if program is not None:
                outs = list(program(*inputs))
            else:
                outs = self._sweep_and_values(sweep, inputs, None, checked)
        else:
            outs = self._sweep_and_values(sweep, inputs, None, checked)
        if not checked:
            return outs
        ncheck = len(checked)
        if self._branches.hold_seen(outs[-ncheck:]):
            return outs[:-ncheck]
        self._retape(args)
        return None  # the caller runs its method again on the new recording

    def _sweep_and_values(self, sweep, inputs, trace, checked):
        """``sweep``'s outputs followed by the values at the ``checked`` entries."""
        if not checked:
            return sweep(inputs, trace)
        box = []
        token = _SWEEP_VALUES.set(box)
        try:
            outs = sweep(inputs, trace)
        finally:
            _SWEEP_VALUES.reset(token)
        values = box[0]
        return list(outs) + [values[i] for i in checked]

    def _retape(self, args):
        """Re-record at the point ``args``, which takes another branch, or raise."""
        if not self.retape or self._fun is None:
            raise AdmodesError(
                "this point takes a different branch (a comparison of traced values, an "
                "astype(int), a sign ...) than the recorded one, so the tape's numbers would be "
                "the other branch's; record a new tape at this point, or record with retape=True "
                "to let the tape re-record itself."
            )
        full = list(self._frozen_args)
        if isinstance(self._argnums, int):
            full[self._argnums] = args[0]
        else:
            for i, a in zip(self._argnums, args):
                full[i] = a
        new = _record(self._fun, Inputs(tuple(full), self._argnums, "record"))
        if (new.in_def, new.out_def, new.out_shapes, new.out_dtypes) != (self.in_def, self.out_def, self.out_shapes, self.out_dtypes):
            raise AdmodesError(
                "this point takes a different branch than the recorded one, and there the function "
                f"returns outputs of another structure, shape or dtype ({new.out_shapes} where the "
                f"tape has {self.out_shapes}); record a separate tape at this point."
            )
        if not new.same_branches(*args):
            raise AdmodesError(
                "the tape re-recorded itself at a point that takes another branch, and the new "
                "recording's branches do not hold at that same point: the function's comparisons are "
                "not reproducible (they read random numbers, np.empty's contents or a global that "
                "changes). Make them deterministic, or replay with check_branches=False."
            )
        retape, retapes, compile_ = self.retape, self.retapes + 1, self.compile
        self.__dict__.update(new.__dict__)
        self.retape, self.retapes, self.compile = retape, retapes, compile_

    def program(self, method: str = "jacobian", mode: str = "auto") -> "staging.Program | None":
        """The straight-line program a method replays: ``"value"``, ``"grad"``, ``"jvp"``,
        ``"vjp"`` (a pair: forward part, backward part) or ``"jacobian"`` (with ``mode``).
        ``print(tape.program())`` shows its NumPy code; ``None`` when the sweep cannot be
        staged and is interpreted.
        """
        leaves = self._recorded_at
        if method == "value":
            self._run("value", self._value_sweep, leaves)
        elif method == "grad":
            self._check_scalar("grad")
            self._run("grad", self._grad_sweep, leaves)
        elif method == "jvp":
            self._run("jvp", self._jvp_sweep, leaves + leaves)
        elif method == "vjp":
            self.vjp(*([tree_unflatten(self.in_def, leaves)] if self.single else tree_unflatten(self.in_def, leaves)))
        elif method == "jacobian":
            mode = self._jacobian_mode(mode)
            self._run(f"jacobian-{mode}", functools.partial(self._jacobian_sweep, mode=mode), leaves)
        else:
            raise AdmodesError(f"program: method={method!r} is not 'value', 'grad', 'jvp', 'vjp' or 'jacobian'.")
        key = f"jacobian-{mode}" if method == "jacobian" else method
        return self._programs.get((key, False))

    # -------------------------------------------------------------- sweeps over the tape
    #
    # Each sweep takes plain arrays and ``trace=None`` (the interpreter), or staged values
    # and the staging trace, which turns the same code into a program once: primitives
    # go through ``bind`` then, and derivative rules through ``trace.rule``.

    def _forward(self, leaves, trace=None):
        values = walk.values(self.entries, leaves, staged=trace is not None)
        box = _SWEEP_VALUES.get()
        if box is not None and not box:
            box.append(values)
        return values

    def _output(self, values, k):
        index, constant = self.outputs[k]
        if index >= 0:
            return values[index]
        # a constant output: the caller may write into it, the next call must not see that
        return constant.copy() if isinstance(constant, np.ndarray) else constant

    def _tangents(self, leaves, tangent_leaves, nb, trace=None):
        values, tangents = walk.forward(self.entries, self._inputs, tangent_leaves, nb, leaves=leaves,
                                        call=None if trace is None else trace.rule)
        box = _SWEEP_VALUES.get()
        if box is not None and not box:
            box.append(values)
        return values, tangents

    def _pullback(self, values, cotangents, nb, trace=None):
        """Adjoints of the input leaves (``None`` where zero) for one cotangent per output."""
        seeds = [(index, c) for (index, _), c in zip(self.outputs, cotangents) if index >= 0 and c is not None]
        inputs = self._inputs
        if not seeds:
            return [None] * len(inputs)
        return walk.backward(self.entries, seeds, inputs, nb, values=values, call=None if trace is None else trace.rule)

    def _value_sweep(self, leaves, trace=None):
        values = self._forward(leaves, trace)
        return [self._output(values, k) for k in range(len(self.outputs))]

    def _cotangents(self, values, cotangents, trace=None):
        """One cotangent per input leaf, in the input's dtype (as JAX), even where a float64
        constant promoted the output."""
        adjoints = self._pullback(values, cotangents, 0, trace)
        return [np.zeros(s, d) if a is None else _cast(a, d) for a, s, d in zip(adjoints, self.in_shapes, self.in_dtypes)]

    def _grad_sweep(self, leaves, trace=None):
        return self._cotangents(self._forward(leaves, trace), [np.ones((), self.out_dtypes[0])], trace)

    def _vjp_sweep(self, leaves_and_cotangents, trace=None):
        k = len(self.in_shapes)
        values = self._forward(leaves_and_cotangents[:k], trace)
        outs = [self._output(values, i) for i in range(len(self.outputs))]
        return outs + self._cotangents(values, leaves_and_cotangents[k:], trace)

    def _jvp_sweep(self, leaves_and_tangents, trace=None):
        half = len(leaves_and_tangents) // 2
        values, tangent_values = self._tangents(leaves_and_tangents[:half], leaves_and_tangents[half:], 0, trace)
        outs, touts = [], []
        for k, (index, constant) in enumerate(self.outputs):
            outs.append(values[index] if index >= 0 else constant)
            t = tangent_values[index] if index >= 0 else None
            touts.append(np.zeros(self.out_shapes[k], self.out_dtypes[k]) if t is None else t)
        return outs + touts

    def _jacobian_sweep(self, leaves, trace=None, *, mode):
        """The Jacobian blocks, row by row: block (k, j) has shape out_k.shape + in_j.shape."""
        blocks = []
        if mode == "forward":
            if self._in_basis is None:  # the seeds never change: make them once
                self._in_basis = _seeds(self.in_sizes, self.in_shapes, self.in_dtypes)
            _, tangents = self._tangents(leaves, self._in_basis, 1, trace)
            for k, (index, _) in enumerate(self.outputs):
                out_shape = self.out_shapes[k]
                t = tangents[index] if index >= 0 else None
                full = np.zeros((self.n,) + out_shape, self.out_dtypes[k]) if t is None else t
                offset = 0
                for size, shape, dtype in zip(self.in_sizes, self.in_shapes, self.in_dtypes):
                    block = full if size == self.n else full[offset : offset + size]
                    block = _cast(_reshaped(block, shape + out_shape), dtype)
                    nin, nout = len(shape), len(out_shape)
                    blocks.append(_transposed(block, tuple(range(nin, nin + nout)) + tuple(range(nin))))
                    offset += size
            return blocks
        values = self._forward(leaves, trace)
        out_sizes = [math.prod(s) for s in self.out_shapes]
        if self._out_basis is None:
            self._out_basis = _seeds(out_sizes, self.out_shapes, self.out_dtypes)
        adjoints = self._pullback(values, self._out_basis, 1, trace)
        fulls = [np.zeros((self.m,) + s, d) if a is None else _cast(a, d) for a, s, d in zip(adjoints, self.in_shapes, self.in_dtypes)]
        offset = 0
        for k, size in enumerate(out_sizes):
            for f, s in zip(fulls, self.in_shapes):
                block = f if size == self.m else f[offset : offset + size]
                blocks.append(_reshaped(block, self.out_shapes[k] + s))
            offset += size
        return blocks

    def _jacobian_mode(self, mode):
        if mode not in ("auto", "forward", "reverse"):
            raise AdmodesError(f"jacobian: mode={mode!r} is not 'auto', 'forward' or 'reverse'.")
        if mode == "auto":
            return "forward" if self.n <= self.m else "reverse"
        return mode

    def _check_scalar(self, name):
        if self.m != 1 or self.out_shapes != [()]:
            raise AdmodesError(f"{name} needs a scalar output; this tape's output has shapes {self.out_shapes}. Use jacobian.")

    # -------------------------------------------------------------- public methods

    def same_branches(self, *args) -> bool:
        """Whether every branch the recording logged (comparisons of traced values and the other
        values kept as constants) gives the same result at ``args``. Every method checks this
        itself unless called with ``check_branches=False``."""
        if not self.comparisons:
            return True
        values = self._forward(self._leaves(args))
        return self._branches.hold(dict(enumerate(values)))

    def _check(self, check_branches):
        if not isinstance(check_branches, bool):
            raise AdmodesError(f"check_branches must be True or False, got {check_branches!r}.")
        return check_branches and bool(self.comparisons)

    def __call__(self, *args, check_branches: bool = True):
        """The function's value at ``args``, by replaying the tape."""
        check = self._check(check_branches)
        outs = self._run("value", self._value_sweep, self._leaves(args), check, args)
        if outs is None:  # re-recorded at this point
            return self(*args, check_branches=check_branches)
        return tree_unflatten(self.out_def, outs)

    def jvp(self, primals, tangents, check_branches: bool = True):
        """``(out, J @ tangents)`` at ``primals`` (tuples, one entry per recorded argument)."""
        if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
            raise AdmodesError("jvp(primals, tangents): primals and tangents must be tuples, one entry per recorded argument.")
        check = self._check(check_branches)
        leaves = self._leaves(tuple(primals))
        in_def = TreeDef("tuple", None, (self.in_def,)) if self.single else self.in_def  # tangents as the tuple they are
        t_leaves = _matching(tuple(tangents), in_def, self.in_shapes, self.in_dtypes, "tangent")
        both = self._run("jvp", self._jvp_sweep, leaves + t_leaves, check, tuple(primals))
        if both is None:
            return self.jvp(primals, tangents, check_branches=check_branches)
        half = len(self.outputs)
        return tree_unflatten(self.out_def, both[:half]), tree_unflatten(self.out_def, both[half:])

    def vjp(self, *args, check_branches: bool = True):
        """``(out, vjp_fun)`` at ``args``; ``vjp_fun(cotangent)`` returns one cotangent per argument.

        Staged, the program is cut in two (``staging.stage(split=...)``): the forward part
        runs now and keeps the residuals the backward part needs, which runs once per
        ``vjp_fun`` call. The branches are checked in the forward part.
        """
        check = self._check(check_branches)
        leaves = self._leaves(args)
        nout = len(self.outputs)
        checked = self._checked if check else ()
        nearly = nout + len(checked)
        programs = None
        if self.compile and core.counting() is None:
            programs = self._programs.get(("vjp", bool(checked)), _UNSTAGED)
            if programs is _UNSTAGED:
                cotangents = [np.zeros(s, d) for s, d in zip(self.out_shapes, self.out_dtypes)]

                def sweep(trace, *xs):
                    outs = self._sweep_and_values(self._vjp_sweep, list(xs), trace, checked)
                    # the outputs and the checked values first: they are the first program's
                    ncot = len(outs) - nout - len(checked)
                    return outs[:nout] + outs[nout + ncot:] + outs[nout : nout + ncot]

                try:
                    programs = staging.stage(sweep, leaves + cotangents, split=(len(leaves), nearly))
                except staging.NotStageable:
                    programs = None
                self._programs[("vjp", bool(checked))] = programs
        if programs is not None:
            first = programs[0](*leaves)
            outs, seen, residuals = first[:nout], first[nout:nearly], first[nearly:]
            backward = programs[1]
        else:
            box = []
            token = _SWEEP_VALUES.set(box)
            try:
                values = self._forward(leaves)
            finally:
                _SWEEP_VALUES.reset(token)
            outs = [self._output(values, k) for k in range(nout)]
            seen = [values[i] for i in checked]
        if checked and not self._branches.hold_seen(seen):
            self._retape(args)
            return self.vjp(*args, check_branches=check_branches)

        def vjp_fun(cotangent):
            cots = _matching(cotangent, self.out_def, self.out_shapes, self.out_dtypes, "cotangent")
            if programs is not None:
                grads = backward(*residuals, *cots)
            else:
                grads = self._cotangents(values, cots)
            tree = tree_unflatten(self.in_def, list(grads))
            return (tree,) if self.single else tuple(tree)

        return tree_unflatten(self.out_def, list(outs)), vjp_fun

    def grad(self, *args, check_branches: bool = True):
        """The gradient of a scalar recorded function at ``args`` (one replay and one backward sweep)."""
        self._check_scalar("grad")
        check = self._check(check_branches)
        grads = self._run("grad", self._grad_sweep, self._leaves(args), check, args)
        if grads is None:
            return self.grad(*args, check_branches=check_branches)
        tree = tree_unflatten(self.in_def, grads)
        return tree if self.single else tuple(tree)

    def jacobian(self, *args, mode: str = "auto", check_branches: bool = True):
        """The Jacobian at ``args`` (shape ``out.shape + in.shape``), forward or reverse over the tape.

        ``auto`` uses forward mode when n <= m (the sizes are known from the recording).
        """
        mode = self._jacobian_mode(mode)
        check = self._check(check_branches)
        leaves = self._leaves(args)
        blocks = self._run(f"jacobian-{mode}", functools.partial(self._jacobian_sweep, mode=mode), leaves, check, args)
        if blocks is None:
            return self.jacobian(*args, mode=mode, check_branches=check_branches)
        if self._simple:
            return blocks[0]
        nin = len(self.in_shapes)
        nested = [tree_unflatten(self.in_def, blocks[k * nin : (k + 1) * nin]) for k in range(len(self.outputs))]
        if self.single:
            return tree_unflatten(self.out_def, nested)
        return tree_unflatten(self.out_def, [tuple(r) for r in nested])


_UNSTAGED = object()


def _cast(a, dtype):
    """``a`` in ``dtype`` (a staged value too): no operation when it already is."""
    return a if a.dtype == dtype else astype(a, dtype=dtype)


def _reshaped(a, shape):
    return a if tuple(a.shape) == tuple(shape) else reshape(a, shape=tuple(shape))


def _transposed(a, axes):
    return a if axes == tuple(range(len(axes))) else transpose(a, axes=axes)


def _matching(tree, treedef, shapes, dtypes, what):
    """The leaves of ``tree`` as arrays, checked against the recorded structure and shapes.

    A zip against the recorded leaves would silently drop extra or missing ones.
    """
    leaves, got = tree_flatten(tree)
    if got != treedef:
        raise AdmodesError(
            f"the {what}s have structure {got}, but the tape was recorded for {treedef}; "
            f"pass one {what} per recorded {'input' if what == 'tangent' else 'output'}, shaped like it."
        )
    out = []
    for k, (leaf, shape, dtype) in enumerate(zip(leaves, shapes, dtypes)):
        leaf = np.asarray(leaf, dtype=dtype)
        if leaf.shape != tuple(shape):
            raise AdmodesError(f"{what} {k} has shape {leaf.shape}, but the tape recorded shape {tuple(shape)} there.")
        out.append(leaf)
    return out


def _seeds(sizes, shapes, dtypes):
    """The identity seeds of all directions, one block per leaf, as the eager Jacobian makes them."""
    return basis(0, sum(sizes), sizes, [np.empty(shape, dtype) for shape, dtype in zip(shapes, dtypes)])
