"""Per-primitive sparsity rules: which output entries of a primitive depend on which entries
of each traced argument, for every value of the traced arguments (a *global* pattern).

A rule is ``rule(out, args, params, traced)``: ``out`` is the output's ``ShapeDtype``,
``args[j]`` the constant argument itself where ``traced[j]`` is false and the argument's
``ShapeDtype`` where it is true (a rule never reads traced values: the pattern must hold
at every point), ``params`` the primitive's parameters. It returns one item per argument:
``None`` (the output does not depend on it) or a local pattern ``(r, c)``, two index
arrays over the flattened output and argument ("output entry ``r[k]`` depends on argument
entry ``c[k]``"). ``rule_for(prim)`` finds a primitive's rule: ``RULES`` by name, then the
elementwise registries (``ops.elementwise.UNARY`` and ``BINARY``: an op declared there is
elementwise, so the other op families' new declarations are covered as they are made);
``None`` where there is none, and the caller falls back to a dense pattern and says so.

Exact by index arithmetic: the shape and indexing primitives (reshape, transpose,
broadcast_to, getitem, setitem, concatenate, scatter_add) run their own ``impl`` on arrays
of entry numbers, so whatever NumPy does with the index, the rule does the same.
Contractions go by their einsum structure, dense in the contracted letters except where a
constant operand is zero there. Value-dependent choices (``where``, ``maximum``, ``max``,
``abs``) take the union over the branches: every argument entry that can be chosen.
Linear algebra is dense per matrix of a stack.
"""

from __future__ import annotations

import sys

import math

import numpy as np

from ..core import PRIMITIVES
from ..ops.contractions import normalize_einsum
from ..ops.elementwise import BINARY, UNARY
from ..ops.indexing import batched_index
from ..ops.shape import kept_shape

__all__ = ["RULES", "rule_for", "einsum_pattern"]

_INT = np.int64


def _numbers(shape, offset=0):
    """Each entry's flat number (plus ``offset``), laid out in ``shape``."""
    return np.arange(offset, offset + math.prod(shape), dtype=_INT).reshape(shape)


def _all(size):
    return np.arange(size, dtype=_INT)


# ---------------------------------------------------------------- elementwise


def elementwise(out, args, params, traced, skip=()):
    """Output entry k depends on the entry of each argument that broadcasting puts at k."""
    result = []
    size = math.prod(out.shape)
    for j, a in enumerate(args):
        if not traced[j] or j in skip:
            result.append(None)
            continue
        c = np.broadcast_to(_numbers(a.shape), out.shape).ravel()
        result.append((_all(size), c))
    return result


def _multiply(out, args, params, traced):
    """x * c with a constant c: no dependency where c is zero (at every point)."""
    result = elementwise(out, args, params, traced)
    for j in (0, 1):
        other = args[1 - j]
        if result[j] is not None and not traced[1 - j]:
            nonzero = np.broadcast_to(np.asarray(other) != 0, out.shape).ravel()
            r, c = result[j]
            result[j] = (r[nonzero], c[nonzero])
    return result


def _pow_const(out, args, params, traced):
    if params["exponent"] == 0:
        return [None]
    return elementwise(out, args, params, traced)


def _where(out, args, params, traced):
    # the condition has no derivative; both branches count (the global pattern: the
    # condition is a constant on the tape, but it was computed at the recording point)
    return elementwise(out, args, params, traced, skip=(0,))


def _no_dependency(out, args, params, traced):
    return [None] * len(args)


# ---------------------------------------------------------------- shape and indexing, by index arithmetic


def _gather(prim):
    """A one-argument op that picks entries: its ``impl`` on entry numbers says which."""

    def rule(out, args, params, traced):
        picked = np.asarray(prim.impl(_numbers(args[0].shape), **params)).ravel()
        return [(_all(picked.size), picked)] + [None] * (len(args) - 1)

    return rule


def _encoded(args, traced):
    """Entry numbers of every argument, consecutive over the traced ones; -1 for constants."""
    encoded, offsets, offset = [], [], 0
    for a, t in zip(args, traced):
        shape = np.shape(a) if not t else a.shape
        if t:
            encoded.append(_numbers(shape, offset))
            offsets.append(offset)
            offset += math.prod(shape)
        else:
            encoded.append(np.full(shape, -1, _INT))
            offsets.append(None)
    return encoded, offsets


def _split(picked, args, traced, offsets):
    result = []
    for a, t, start in zip(args, traced, offsets):
        if not t:
            result.append(None)
            continue
        stop = start + math.prod(a.shape)
        r = np.nonzero((picked >= start) & (picked < stop))[0]
        result.append((r, picked[r] - start))
    return result


def _concatenate(prim):
    def rule(out, args, params, traced):
        encoded, offsets = _encoded(args, traced)
        picked = np.asarray(prim.impl(*encoded, **params)).ravel()
        return _split(picked, args, traced, offsets)

    return rule


def _setitem(prim):
    """``x[index] = v``: the written entries come from v (the last write where an index
    repeats, as NumPy keeps it), the others from x."""

    def rule(out, args, params, traced):
        encoded, offsets = _encoded(args, traced)
        picked = np.asarray(prim.impl(*encoded, **params)).ravel()
        return _split(picked, args, traced, offsets)

    return rule


def _scatter_add(out, args, params, traced):
    """``zeros(shape)[index] += g``: each g entry lands where the index sends it."""
    g = args[0]
    index, shape, nb = params["index"], tuple(params["shape"]), params["nb"]
    bindex, position = batched_index(index, nb)
    numbers = _numbers(g.shape)
    if position:
        numbers = np.moveaxis(numbers, tuple(range(nb)), tuple(range(position, position + nb)))
    target = _numbers(shape)[bindex]
    numbers = np.broadcast_to(numbers, np.shape(target))
    return [(np.asarray(target).ravel(), numbers.ravel())]


# ---------------------------------------------------------------- reductions and scans


def _reduction(out, args, params, traced):
    """Each output entry depends on every entry of its reduced group (sum, prod; max and min
    over every entry that can be the extremum)."""
    x = args[0]
    kept = kept_shape(x.shape, params["axis"])
    r = np.broadcast_to(_numbers(kept), x.shape).ravel()
    return [(r, _all(r.size))]


def _scan(out, args, params, traced):
    """cumsum / cumprod: entry i along the axis depends on entries 0..i (i..end reversed)."""
    x = args[0]
    axis = params["axis"]
    length = x.shape[axis]
    lines = np.moveaxis(_numbers(x.shape), axis, -1).reshape(-1, length)
    i, j = np.nonzero(np.tri(length, dtype=bool).T if params.get("reverse") else np.tri(length, dtype=bool))
    return [(lines[:, i].ravel(), lines[:, j].ravel())]


# ---------------------------------------------------------------- contractions


def einsum_pattern(subscripts, args, traced):
    """The local pattern of each traced operand of an einsum with normalized ``subscripts``:
    output entry (letters of the output) depends on operand j's entry (its letters) for
    every assignment of the other letters at which no constant operand is zero."""
    lhs, output = subscripts.split("->")
    terms = lhs.split(",")
    sizes = {}
    for term, shape in zip(terms, _shapes(args)):
        sizes.update(zip(term, shape))
    out_shape = tuple(sizes[ch] for ch in output)
    result = []
    for j, term in enumerate(terms):
        if not traced[j]:
            result.append(None)
            continue
        union = output + "".join(dict.fromkeys(ch for ch in term if ch not in output))
        subs, ops = [], []
        for k, other in enumerate(terms):
            if k != j and not traced[k]:
                subs.append(other)
                ops.append((np.asarray(args[k]) != 0).astype(np.float64))
        covered = set("".join(subs))
        for ch in union:
            if ch not in covered:
                subs.append(ch)
                ops.append(np.ones(sizes[ch]))
        # letters summed by constant operands only: an assignment counts if any of them is nonzero
        reach = np.einsum(",".join(subs) + "->" + union, *ops, optimize=len(ops) > 2) if ops else np.ones(())
        if not union:  # scalars only
            hit = np.zeros(int(reach != 0), _INT)
            result.append((hit, hit))
            continue
        coords = np.nonzero(reach)
        where = dict(zip(union, coords))
        count = coords[0].size
        r = np.ravel_multi_index([where[ch] for ch in output], out_shape) if output else np.zeros(count, _INT)
        shape_j = tuple(sizes[ch] for ch in term)
        c = np.ravel_multi_index([where[ch] for ch in term], shape_j) if term else np.zeros(count, _INT)
        result.append((np.asarray(r, _INT), np.asarray(c, _INT)))
    return result


def _shapes(args):
    return [a.shape if hasattr(a, "shape") else np.shape(a) for a in args]


def _einsum(out, args, params, traced):
    return einsum_pattern(params["subscripts"], args, traced)


def _product(spec):
    """matmul / matvec / vecmat / vecvec as the einsum they are (NumPy's stack broadcasting
    spelled out by ``normalize_einsum``)."""

    def rule(out, args, params, traced):
        return einsum_pattern(normalize_einsum(spec, _shapes(args)), args, traced)

    return rule


# ---------------------------------------------------------------- linear algebra: dense per matrix


def _stacked_dense(out, args, params, traced):
    """Every output entry of stack item b depends on every entry of stack item b of each
    argument (the stack: the axes before the first argument's last two); fully dense where
    an argument or the output is not stacked the same way."""
    batch = tuple(args[0].shape[:-2]) if len(_shapes(args)[0]) >= 2 else ()
    nb = len(batch)
    out_size = math.prod(out.shape)
    result = []
    for a, t in zip(args, traced):
        if not t:
            result.append(None)
            continue
        shape = tuple(a.shape)
        if nb and shape[:nb] == batch and tuple(out.shape[:nb]) == batch:
            nstack = math.prod(batch)
            per_out, per_in = out_size // nstack, math.prod(shape) // nstack
            b = np.repeat(np.arange(nstack, dtype=_INT), per_out * per_in)
            k = np.arange(per_out * per_in * nstack, dtype=_INT) % (per_out * per_in)
            result.append((b * per_out + k // per_in, b * per_in + k % per_in))
        else:
            size = math.prod(shape)
            result.append((np.repeat(_all(out_size), size), np.tile(_all(size), out_size)))
    return result


def _table():
    p = PRIMITIVES
    rules = {
        "multiply": _multiply,
        "pow_const": _pow_const,
        "where": _where,
        "astype": elementwise,
        "full_like": _no_dependency,
        "reshape": _gather(p["reshape"]),
        "transpose": _gather(p["transpose"]),
        "broadcast_to": _gather(p["broadcast_to"]),
        "getitem": _gather(p["getitem"]),
        "concatenate": _concatenate(p["concatenate"]),
        "setitem": _setitem(p["setitem"]),
        "scatter_add": _scatter_add,
        "sum": _reduction,
        "prod": _reduction,
        "max": _reduction,
        "min": _reduction,
        "cumsum": _scan,
        "cumprod": _scan,
        "einsum": _einsum,
        "matmul": _product("...ij,...jk->...ik"),
        "matvec": _product("...ij,...j->...i"),
        "vecmat": _product("...j,...jk->...k"),
        "vecvec": _product("...i,...i->..."),
    }
    for name in ("solve", "inv", "det", "logabsdet", "cholesky", "eigh", "eigvalsh", "qr", "svd", "svdvals"):
        rules[name] = _stacked_dense
    return rules


RULES: dict = _table()


def rule_for(prim):
    """The sparsity rule of ``prim``, or ``None`` when it has none (a user's custom rule, an
    op added without one): the caller then assumes every output entry depends on
    everything the arguments depend on."""
    if PRIMITIVES.get(prim.name) is not prim:
        return None  # a custom_jvp / custom_vjp primitive, outside the table: no structure known
    rule = RULES.get(prim.name)
    if rule is not None:
        return rule
    if UNARY.get(prim.name) is prim or BINARY.get(prim.name) is prim:
        return elementwise
    special = sys.modules.get("admodes.ops.special")  # scipy.special's rules, when SciPy is installed
    if special is not None and prim.name in special.ELEMENTWISE:
        return elementwise
    return None
