"""Staging: turn one sweep over a recorded tape into straight-line NumPy code.

Replaying a tape by interpretation (``admodes.tape.replay``) pays, at every point, for what
does not change between points: walking the entry list, looking up rules, the rule
functions' own Python, and every operation on values that do not depend on the
inputs (the identity seeds of a Jacobian times a weight matrix, say). Staging pays
for all of that once. The sweep runs a single time on *staged* values, tracers that
remember which instruction made them; every primitive applied to one becomes an
instruction of a program, and everything computed from constants alone is computed
right there and becomes a constant of the program (constant folding comes free). What
the outputs do not need is dropped, and the rest is written out as a Python function
of plain NumPy calls, one line per operation, compiled with ``exec``:

    def program(v0):
        v1 = matvec(c0, v0)
        v2 = tanh(v1)
        v3 = square(v2)
        ...
        return (v9,)

``program.source`` shows it: the code a careful NumPy programmer would write by hand
for that Jacobian, which is what a replay then costs.

Rules that look at values
-------------------------
A few rules branch on the values they are given (the slope of ``x ** y`` at 0, ties
in ``max``). Their operations at one point are not those at another, so they must not
be frozen into the program. A staged value notices when a rule reads its contents
(``concrete``, ``float``, comparisons ...): the operations that rule staged are then
dropped, and the program calls the rule itself at run time on plain values instead
(an *opaque* instruction). Reading shapes and dtypes is allowed: they are fixed by the
recording. A rule that only works on plain arrays (a ``custom_vjp`` calling
``np.asarray``) goes opaque the same way. A rule that reads values and returns no
contribution (``None``) at the staging point could return one elsewhere; such sweeps
are not staged at all (``NotStageable``) and the interpreter runs them.
"""

from __future__ import annotations

import keyword
import math
import re

import numpy as np

from ..core import Trace, Tracer, shape_of

__all__ = ["Program", "NotStageable", "stage"]


class NotStageable(Exception):
    """This sweep cannot be written as one straight-line program; interpret it instead."""


class _Const:
    """A constant operand of an instruction."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _Staged(Tracer):
    """A value of the program being staged: its value at the staging point and its slot."""

    __slots__ = ("value", "slot")

    def __init__(self, trace, value, slot):
        self._trace = trace
        self.value = value
        self.slot = slot

    @property
    def primal(self):
        # whoever asks for the contents (concrete(), float(), a comparison) makes a
        # decision that holds at this point only: the rule running now goes opaque
        self._trace.value_reads += 1
        return self.value

    # shapes and dtypes are fixed by the recording: reading them is not a value read
    @property
    def shape(self):
        return shape_of(self.value)

    @property
    def ndim(self):
        return len(shape_of(self.value))

    @property
    def size(self):
        return math.prod(shape_of(self.value))

    @property
    def dtype(self):
        return np.result_type(self.value)

    def __repr__(self):
        return f"_Staged(v{self.slot}, shape={self.shape})"


class _StagingTrace(Trace):
    """Records every primitive applied to a staged value as one instruction."""

    __slots__ = ("instructions", "value_reads", "slots")

    def __init__(self):
        super().__init__()
        # (slot, function, operands, label); an operand is a slot, a _Const, or a keyword
        # argument (name, _Const)
        self.instructions = []
        self.value_reads = 0
        self.slots = 0  # slots handed out; never reused, even for instructions dropped

    def new_input(self, value):
        self.slots += 1
        return _Staged(self, value, self.slots - 1)

    def _emit(self, fn, operands, value, label):
        slot = self.slots
        self.slots += 1
        self.instructions.append((slot, fn, operands, label))
        return _Staged(self, value, slot)

    def process(self, prim, args, params):
        if self.finished:
            raise self.leaked()
        operands, values = [], []
        for a in args:
            if type(a) is _Staged and a._trace is self:
                operands.append(a.slot)
                values.append(a.value)
            elif isinstance(a, Tracer):
                # a value of an enclosing derivative call captured by the recorded function:
                # it changes from call to call, so it is no constant; the interpreter runs this
                raise NotStageable("the tape holds a traced value of an enclosing derivative call")
            else:
                operands.append(_Const(a))
                values.append(a)
        out = prim.impl(*values, **params)
        if params:  # keyword arguments: written into the source, so it reads like NumPy code
            operands += [(key, _Const(value)) for key, value in params.items()]
        return self._emit(prim.impl, operands, out, prim.name)

    def rule(self, fn, *args):
        """``fn(*args)`` for a derivative rule: staged as it runs, or opaque if it reads values."""
        mark, reads = len(self.instructions), self.value_reads
        try:
            result = fn(*args)
        except NotStageable:
            raise
        except Exception:
            # a rule written for plain arrays only (a custom_vjp that calls np.asarray, say):
            # run it at replay time on plain arrays; a genuine error raises again there
            del self.instructions[mark:]
            return self._opaque(fn, args)
        if self.value_reads == reads:
            return result
        del self.instructions[mark:]  # what it staged holds at this point only
        return self._opaque(fn, args)

    def _opaque(self, fn, args):
        template, operands, plain = [], [], []  # plain: the operands' values at this point

        def hole(a):
            if type(a) is _Staged and a._trace is self:
                operands.append(a.slot)
                plain.append(a.value)
                return len(operands) - 1
            if isinstance(a, Tracer):  # an enclosing call's value: no constant (see process)
                raise NotStageable("a rule's operand is a traced value of an enclosing derivative call")
            return _Const(a)

        for a in args:
            if isinstance(a, list | tuple):
                template.append((type(a), [hole(x) for x in a]))
            else:
                template.append((None, hole(a)))

        def rebuild(values):
            def fill(h):
                return h.value if type(h) is _Const else values[h]

            return [kind([fill(h) for h in x]) if kind is not None else fill(x) for kind, x in template]

        result = fn(*rebuild(plain))
        if result is None or (isinstance(result, tuple | list) and any(r is None for r in result)):
            raise NotStageable(f"rule {getattr(fn, '__name__', fn)!r} reads values and returned no contribution")
        name = getattr(fn, "__name__", "rule")
        if isinstance(result, tuple | list):
            like = [_zeros_like(r) for r in result]

            def call(*values):
                # no contribution at this point is a zero one of the staged shape
                return tuple(z() if r is None else r for r, z in zip(fn(*rebuild(values)), like))

            packed = self._emit(call, list(operands), tuple(result), f"opaque {name}")
            return tuple(self._emit(_item(k), [packed.slot], r, "item") for k, r in enumerate(result))

        zeros = _zeros_like(result)

        def call(*values):
            r = fn(*rebuild(values))
            return zeros() if r is None else r

        return self._emit(call, list(operands), result, f"opaque {name}")


def _zeros_like(value):
    shape, dtype = shape_of(value), np.result_type(value)
    return lambda: np.zeros(shape, dtype)


def _item(k):
    def item(t):
        return t[k]

    return item


# Programs longer than this are run by ``_Steps`` instead of being compiled: Python's
# compiler takes time and memory that grow faster than the source (a 100,000-line function
# took 25 s and 1.3 GB), where a list of steps costs a tuple per operation and about 0.3 us
# more per operation and call than compiled code, which NumPy's own call costs dwarf in
# a program that long.
COMPILE_LIMIT = 2000


class Program:
    """A staged sweep: a Python function of plain NumPy calls, and its source.

    Up to ``COMPILE_LIMIT`` operations the source is compiled; longer programs run as a
    list of steps (the same calls in the same order, freeing intermediates as the source
    does). ``source`` is written out either way (for a long one, when first asked for).
    """

    def __init__(self, inputs, instructions, outputs):
        kept = _live(instructions, outputs)
        self.instructions = kept
        self.inputs = inputs  # the slots the function takes, in order
        self._outputs = outputs
        self._source = None
        self.compiled = len(kept) <= COMPILE_LIMIT
        if self.compiled:
            self._source, namespace = _generate(inputs, kept, outputs)
            code = compile(self._source, "<admodes staged program>", "exec")
            exec(code, namespace)  # noqa: S102 - the source is generated here, from slots and names only
            self.fn = namespace["program"]
        else:
            self.fn = _Steps(inputs, kept, outputs)

    @property
    def source(self) -> str:
        if self._source is None:
            self._source = _generate(self.inputs, self.instructions, self._outputs)[0]
        return self._source

    def __len__(self):
        return len(self.instructions)

    def __call__(self, *inputs):
        return self.fn(*inputs)

    def __repr__(self):
        return f"<Program: {len(self)} operations>\n{self.source}"


class _Steps:
    """A long program as a list of steps ``(function, operands, keywords, slot, dead slots)``,
    run by one loop over a list of values indexed by slot."""

    __slots__ = ("inputs", "steps", "outputs", "size")

    def __init__(self, inputs, instructions, outputs):
        last_use = {}
        for index, (_, _, operands, _) in enumerate(instructions):
            for o in operands:
                if type(o) is int:
                    last_use[o] = index
        live_out = {ref for ref in outputs if type(ref) is int}
        steps = []
        for index, (slot, fn, operands, _) in enumerate(instructions):
            positional = tuple((o, None) if type(o) is int else (-1, _laid_out(o.value)) for o in operands if type(o) is not tuple)
            keywords = {o[0]: o[1].value for o in operands if type(o) is tuple}
            dead = tuple(o for o in set(operands) if type(o) is int and last_use[o] == index and o not in live_out)
            steps.append((fn, positional, keywords or None, slot, dead))
        self.inputs = inputs
        self.steps = steps
        self.outputs = [(ref, None) if type(ref) is int else (-1, ref.value) for ref in outputs]
        slots = [slot for slot, *_ in instructions] + list(inputs) + [ref for ref, _ in self.outputs]
        self.size = max(slots, default=0) + 1

    def __call__(self, *inputs):
        values = [None] * self.size
        for slot, x in zip(self.inputs, inputs):
            values[slot] = x
        for fn, positional, keywords, slot, dead in self.steps:
            args = [values[o] if o >= 0 else c for o, c in positional]
            values[slot] = fn(*args, **keywords) if keywords else fn(*args)
            for o in dead:
                values[o] = None
        return tuple(
            values[ref] if ref >= 0 else (c.copy() if type(c) is np.ndarray else c)
            for ref, c in self.outputs
        )


def _live(instructions, outputs):
    """The instructions the outputs need (dead-code elimination, from the last use back)."""
    needed = {ref for ref in outputs if type(ref) is int}
    kept = []
    for ins in reversed(instructions):
        slot, operands = ins[0], ins[2]
        if slot in needed:
            kept.append(ins)
            needed.update(o for o in operands if type(o) is int)
    kept.reverse()
    return kept


def _literal(value):
    """Python source for a constant that reads well inline (and means the same), or None."""
    if value is None or type(value) in (bool, int, str) or (type(value) is float and math.isfinite(value)):
        return repr(value)
    if type(value) is tuple:
        items = [_literal(v) for v in value]
        if all(i is not None for i in items):
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    return None


def _laid_out(value):
    """A constant in C order, which BLAS reads fastest: a folded ``W.T`` is a transposed view,
    and ``A @ W.T`` costs three times ``A @ ascontiguousarray(W.T)``. Broadcast views (a
    zero stride) stay views: copying them could take any amount of memory."""
    if type(value) is np.ndarray and not value.flags.c_contiguous and 0 not in value.strides:
        return np.ascontiguousarray(value)
    return value


def _generate(inputs, instructions, outputs):
    namespace: dict = {}
    names: dict = {}  # (id(function), label) -> its name in the namespace
    last_use: dict = {}
    for index, (slot, fn, operands, label) in enumerate(instructions):
        for o in operands:
            if type(o) is int:
                last_use[o] = index
    live_out = {ref for ref in outputs if type(ref) is int}

    def fname(fn, label):
        key = (id(fn), label)
        if key not in names:
            base = re.sub(r"\W", "_", label.replace("opaque ", "rule_")) or "op"
            # never a keyword, nor a name the generated code uses for values (v3, c0)
            if keyword.iskeyword(base) or base[0].isdigit() or re.fullmatch(r"[vc]\d+|program", base):
                base = "op_" + base
            name, k = base, 1
            while name in namespace:
                k += 1
                name = f"{base}_{k}"
            names[key] = name
            namespace[name] = fn
        return names[key]

    constants: dict = {}  # id(value) -> its name: a constant used twice is named once

    def const(value):
        literal = _literal(value)
        if literal is not None:
            return literal
        name = constants.get(id(value))
        if name is None:
            name = constants[id(value)] = f"c{len(constants)}"
            namespace[name] = _laid_out(value)
        return name

    args = ", ".join(f"v{i}" for i in inputs)
    lines = [f"def program({args}):"]
    for index, (slot, fn, operands, label) in enumerate(instructions):
        call_args = ", ".join(
            f"v{o}" if type(o) is int else f"{o[0]}={const(o[1].value)}" if type(o) is tuple else const(o.value)
            for o in operands
        )
        lines.append(f"    v{slot} = {fname(fn, label)}({call_args})")
        dead = sorted(o for o in set(operands) if type(o) is int and last_use[o] == index and o not in live_out)
        if dead:  # free intermediates as soon as they are used up, as the interpreter does
            lines.append("    del " + ", ".join(f"v{o}" for o in dead))
    # an array constant is returned as a copy: the caller may write into its result, and
    # the next call must not see that
    results = [f"v{ref}" if type(ref) is int else const(ref.value) + (".copy()" if type(ref.value) is np.ndarray else "")
               for ref in outputs]
    lines.append(f"    return ({', '.join(results)}{',' if len(results) == 1 else ''})")
    return "\n".join(lines) + "\n", namespace


def stage(sweep, example_inputs, split=None):
    """Run ``sweep(trace, *staged_inputs)`` once on staged values and return its program.

    ``sweep`` returns a list of outputs (staged values or constants); it must call
    derivative rules through ``trace.rule(fn, *args)``.

    ``split=(k, j)`` cuts the program in two where the inputs after the first ``k``
    arrive later (the cotangents of a VJP): the first program takes the first ``k``
    inputs and returns the first ``j`` outputs followed by the *residuals*, the values
    the second part needs; the second program takes the residuals and the late inputs
    and returns the other outputs. Everything that can run early does.
    """
    trace = _StagingTrace()
    staged = [trace.new_input(x) for x in example_inputs]
    try:
        outputs = sweep(trace, *staged)
    finally:
        trace.finished = True
    refs = [o.slot if type(o) is _Staged and o._trace is trace else _Const(o) for o in outputs]
    if split is None:
        return Program(list(range(len(staged))), trace.instructions, refs)
    k, j = split
    late_inputs = list(range(k, len(staged)))
    late = set(late_inputs)
    early_ins, late_ins = [], []
    for ins in trace.instructions:
        if any(type(o) is int and o in late for o in ins[2]):
            late.add(ins[0])
            late_ins.append(ins)
        else:
            early_ins.append(ins)
    second = _live(late_ins, refs[j:])
    residuals = {o for ins in second for o in ins[2] if type(o) is int and o not in late}
    residuals.update(r for r in refs[j:] if type(r) is int and r not in late)
    residuals = sorted(residuals)
    first = Program(list(range(k)), early_ins, refs[:j] + residuals)
    return first, Program(residuals + late_inputs, second, refs[j:])
