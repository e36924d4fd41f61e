"""The two walkers over a recorded computation: one per direction.

A recorded computation is a list of entries ``(prim, params, parents, args, out)`` in
execution order (``admodes.tape.entries``); ``parents[j]`` is the index of the entry
that made argument ``j``, or ``-1`` for a constant. Eager reverse mode keeps in ``args``
and ``out`` only what the rules read; a recording for replay keeps every constant in
``args`` and passes the values of one evaluation as ``values`` (entry ``i``'s output is
``values[i]``, and argument ``j`` of a traced parent is ``values[parents[j]]``).

Every client walks with these two functions: eager reverse mode (``ReverseTrace``),
replay (interpreted, or staged into a program with ``call=trace.rule``), and the graph
view (``on_contribution`` sees each edge's contribution). A rule is called in one
place, ``Primitive.vjp_of`` / ``Primitive.jvp_of``, so a missing rule fails the same way
on every path.

>>> import numpy as np
>>> from admodes.ops.elementwise import mul, sin
>>> entries = [(None, None, (), (), None),                          # 0: input x
...            (sin, {}, (0,), [None], None),                       # 1: sin(x)
...            (mul, {}, (1, 0), [None, None], None)]               # 2: sin(x) * x
>>> x = np.array(0.5)
>>> values = [x, np.sin(x), np.sin(x) * x]
>>> round(float(backward(entries, [(2, np.array(1.0))], [0], 0, values=values)[0]), 6)  # sin x + x cos x
0.918217
"""

from __future__ import annotations

from .. import core
from ..forward import push_tangents
from ..ops.elementwise import add

__all__ = ["backward", "forward", "values"]


def backward(entries, seeds, inputs, nb, *, values=None, call=None, on_contribution=None, start=None):
    """Walk ``entries`` from the last to the first, pulling cotangents back.

    ``seeds`` is a list of ``(index, cotangent)`` (shape ``B + out.shape``, ``nb`` batch
    axes ``B``); returns the adjoints of the indices in ``inputs`` (``None`` where zero).
    ``values`` are one evaluation's outputs when the entries keep constants only;
    ``call(fn, *args)`` calls each rule (staging's ``trace.rule``: the rules become program
    instructions); ``on_contribution(i, j, c)`` hears the contribution of argument ``j``
    of entry ``i`` (the graph view annotates its edges with it). Adjoints of entries that
    are not ``inputs`` are freed as soon as they have been passed on.
    """
    adjoint = [None] * len(entries)
    keep = set(inputs)
    last = -1
    for index, cotangent in seeds:
        adjoint[index] = cotangent if adjoint[index] is None else add(adjoint[index], cotangent)
        last = max(last, index)
    shortcuts = core.SHORTCUTS and call is None and on_contribution is None
    for i in range(last, -1, -1):
        g = adjoint[i]
        if g is None:
            continue
        entry = entries[i]
        prim = entry[0]
        if prim is None:
            continue
        params, parents = entry[1], entry[2]
        if values is None:
            args, out = entry[3], entry[4]
        else:
            args, out = [values[p] if p >= 0 else c for p, c in zip(parents, entry[3])], values[i]
        if shortcuts and len(parents) <= 2 and prim.vjp is None:
            # speed: an op with one traced argument (tanh(x), x.T, W @ x, x * 2.0) has one
            # rule to call; no lists to build (Primitive.vjp_of is the general call)
            if len(parents) == 1:
                j = 0
            elif parents[0] < 0 or parents[1] < 0:
                j = 0 if parents[0] >= 0 else 1
            else:
                j = -1
            if j >= 0:
                p = parents[j]
                if p >= 0:
                    rules = prim.vjps
                    rule = rules[j] if rules is not None else None
                    c = rule(g, nb, out, *args, **params) if rule is not None else prim.vjp_of(j, g, nb, out, args, params)
                    if c is not None:
                        adjoint[p] = c if adjoint[p] is None else add(adjoint[p], c)
                if i not in keep:
                    adjoint[i] = None
                continue
        traced = [j for j, p in enumerate(parents) if p >= 0]
        if call is None:
            contributions = prim.pull(traced, g, nb, out, args, params)
        elif prim.vjp is not None:
            contributions = call(prim.pull, traced, g, nb, out, args, params)
        else:  # one call per argument: a rule that reads values goes opaque alone
            contributions = [call(prim.vjp_of, j, g, nb, out, args, params) for j in traced]
        for j, c in zip(traced, contributions):
            if c is None:
                continue
            if on_contribution is not None:
                c = on_contribution(i, j, c)
            p = parents[j]
            adjoint[p] = c if adjoint[p] is None else add(adjoint[p], c)
        if i not in keep:
            adjoint[i] = None
    return [adjoint[i] for i in inputs]


def values(entries, leaves, *, staged=False):
    """The value of every entry at the inputs ``leaves`` (entries that keep constants, as a
    recording for replay does): ``forward`` without tangents. ``staged``: the leaves are a
    staging trace's values, and each primitive goes through ``bind`` to become an instruction."""
    out = [None] * len(entries)
    counter = core.counting()
    k = 0
    for i, entry in enumerate(entries):
        prim = entry[0]
        if prim is None:
            out[i] = leaves[k]
            k += 1
            continue
        args = [out[p] if p >= 0 else c for p, c in zip(entry[2], entry[3])]
        if staged:
            out[i] = core.bind(prim, args, entry[1])
        else:
            out[i] = v = prim.impl(*args, **entry[1])
            if counter is not None:
                counter.record(prim, v, args, entry[1])
    return out


def forward(entries, inputs, tangent_leaves, nb, *, leaves=None, values=None, call=None, on_contribution=None):
    """Walk ``entries`` in execution order, pushing tangents (and computing values).

    ``inputs`` are the indices of the seeded entries and ``tangent_leaves`` their tangents
    (``None``: zero). The entries keep constants in ``args`` (a recording for replay, the
    graph view). Either ``leaves`` gives the inputs' values and every other value is
    computed (through ``bind`` when ``call`` is given: the staging trace turns primitives
    into instructions), or ``values`` gives every entry's value already. Rules run through
    ``call`` as in ``backward``; ``on_contribution(i, j, c)`` hears each argument's tangent
    contribution. Returns the lists of values and tangents, one per entry.
    """
    compute = values is None
    if compute:
        values = [None] * len(entries)
        for index, x in zip(inputs, leaves):
            values[index] = x
    tangents = [None] * len(entries)
    for index, t in zip(inputs, tangent_leaves):
        tangents[index] = t
    counter = core.counting()
    for i, entry in enumerate(entries):
        prim = entry[0]
        if prim is None:
            continue
        params, parents = entry[1], entry[2]
        args = [values[p] if p >= 0 else c for p, c in zip(parents, entry[3])]
        if not compute:
            out = values[i]
        elif call is not None:
            out = values[i] = core.bind(prim, args, params)
        else:
            out = values[i] = prim.impl(*args, **params)
            if counter is not None:
                counter.record(prim, out, args, params)
        arg_tangents = [tangents[p] if p >= 0 else None for p in parents]
        if all(t is None for t in arg_tangents):
            continue
        if on_contribution is None:
            if call is None:
                tangents[i] = push_tangents(prim, arg_tangents, nb, out, args, params)
            else:
                tangents[i] = call(push_tangents, prim, arg_tangents, nb, out, args, params)
            continue
        t_out = None  # one contribution per argument, for the graph view's edges
        for j, t in enumerate(arg_tangents):
            if t is None:
                continue
            c = prim.jvp_of(j, t, nb, out, args, params)
            if c is not None:
                c = on_contribution(i, j, c)
                t_out = c if t_out is None else add(t_out, c)
        tangents[i] = t_out
    return values, tangents
