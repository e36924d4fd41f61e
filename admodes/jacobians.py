"""Jacobians and Hessians: ``jacobian`` in either mode or chosen per call (``mode="auto"``),
``jacfwd``/``jacrev``, ``hessian`` (forward over reverse), and ``choose_mode``, the sweep count
of each mode for a call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import wraps
from typing import Callable

import numpy as np

from . import core
from .core import Tracer, concrete, shape_of
from .sweeps import (MODES, Inputs, Recording, array_jacobian, assemble, check_callable, check_chunk, check_flag,
                     check_mode, forward_jacobian, reverse_jacobian, split_aux)
from .tracebacks import api_boundary
from .tree import tree_flatten
from .values import check_argnums_type

__all__ = ["jacobian", "jacfwd", "jacrev", "hessian", "choose_mode", "ModeChoice"]


@dataclass(frozen=True)
class ModeChoice:
    """What ``jacobian(mode="auto")`` picks for a call, and the numbers behind it.

    A full Jacobian costs about n forward sweeps (one per input direction) or m
    backward sweeps (one per output direction) after one recorded forward pass.
    ``auto`` picks the mode with fewer sweeps, forward on ties (no tape to keep).
    """

    mode: str
    n: int
    m: int
    forward_sweeps: int
    reverse_sweeps: int
    rule: str = "forward if n <= m else reverse"

    def __str__(self):
        return (
            f"{self.mode} (n = {self.n} inputs, m = {self.m} outputs: "
            f"{self.forward_sweeps} forward sweeps vs {self.reverse_sweeps} reverse sweeps; rule: {self.rule})"
        )

def _decide(n, m):
    mode = "forward" if n <= m else "reverse"
    return ModeChoice(mode=mode, n=n, m=m, forward_sweeps=n, reverse_sweeps=m)

@api_boundary
def choose_mode(fun: Callable, *args, argnums=0, has_aux: bool = False) -> ModeChoice:
    """What ``jacobian(fun, argnums, mode="auto", has_aux=has_aux)`` would pick for ``args``, and why.

    >>> import numpy as np, admodes as ad
    >>> ad.choose_mode(lambda x: np.sum(x ** 2), np.ones(1000)).mode
    'reverse'
    >>> ad.choose_mode(lambda x: x * np.ones((50, 1)), np.ones(2)).mode
    'forward'
    """
    inputs = Inputs(args, argnums, "choose_mode")
    out, _ = split_aux(fun(*args), has_aux, "choose_mode")  # aux is not differentiated: not counted
    leaves, _ = tree_flatten(out)
    m = sum(math.prod(shape_of(concrete(leaf))) for leaf in leaves)
    return _decide(inputs.size, m)

@api_boundary
def jacobian(fun: Callable, argnums=0, *, mode: str = "auto", chunk: int | None = None, has_aux: bool = False):
    """The Jacobian of ``fun`` with respect to argument(s) ``argnums``.

    ``mode="forward"`` pushes n tangent directions through forward sweeps,
    ``mode="reverse"`` pulls m cotangent directions back through one tape, and
    ``mode="auto"`` picks the one with fewer sweeps (see ``choose_mode``).
    ``chunk`` directions go through each sweep: ``None`` = all in one vectorised
    sweep, ``1`` = the textbook one direction per sweep.

    The result has shape ``out.shape + in.shape`` (JAX's convention), nested as the
    output pytree of input pytrees.

    >>> import numpy as np, admodes as ad
    >>> ad.jacobian(lambda x: np.sin(x) * 2.0, mode="forward")(np.zeros(2))
    array([[2., 0.],
           [0., 2.]])
    """
    check_mode(mode, MODES + ("auto",), "jacobian")
    check_chunk(chunk, "jacobian")
    check_callable(fun, "jacobian")
    check_argnums_type(argnums, "jacobian")
    check_flag(has_aux, "has_aux", "jacobian")
    decisions: dict = {}
    one_sweep = type(argnums) is int and argnums == 0 and chunk is None and not has_aux

    @api_boundary
    @wraps(fun)
    def jacobian_fun(*args, **kwargs):
        if one_sweep and len(args) == 1 and not kwargs and core.SHORTCUTS:
            x = args[0]
            if type(x) is np.ndarray and x.dtype.kind == "f":  # f(x) on one float array
                chosen = decisions.get(((x.shape, x.dtype),)) if mode == "auto" else mode  # _auto_key's key
                if chosen is not None:
                    return array_jacobian(fun, x, chosen)
        f = (lambda *a: fun(*a, **kwargs)) if kwargs else fun
        inputs = Inputs(args, argnums, "jacobian")
        chosen = mode
        recording = None
        if mode == "auto":
            key = _auto_key(args, kwargs)
            chosen = decisions.get(key) if key is not None else None
            if chosen is None:
                # the output size is known only after one pass: record it on a tape, which
                # reverse mode reuses and forward mode discards
                recording = Recording(f, inputs, has_aux, "jacobian")
                m = sum(math.prod(shape_of(concrete(p))) for p in recording.primals)
                chosen = _decide(inputs.size, m).mode
                if key is not None:
                    if len(decisions) >= 256:  # an int argument that changes every call (a step count)
                        decisions.clear()      # must not grow the cache without bound
                    decisions[key] = chosen
        if chosen == "forward":
            out, jac, aux, treedef = forward_jacobian(f, inputs, chunk, has_aux, "jacobian")
            result = assemble(jac, out, treedef, inputs, "in-first")
        else:
            out, jac, aux, treedef = reverse_jacobian(f, inputs, chunk, recording, has_aux, "jacobian")
            result = assemble(jac, out, treedef, inputs, "out-first")
        return (result, aux) if has_aux else result

    return jacobian_fun

def _auto_key(args, kwargs):
    """What the output size of a call may depend on, to cache ``auto``'s pick by.

    Every argument counts, not only the differentiated ones (``f(x, v)`` may return
    ``v.size`` entries): arrays by shape and dtype, other hashable values by value
    (floats by type: they do not set sizes). ``None`` (no caching) for unhashable ones.
    An output size that depends on values (``x[x > 0]``) can still make a pick stale:
    the derivatives stay right, only the cost is not the lower one.
    """
    if not kwargs and all(type(a) is np.ndarray for a in args):
        # the common call f(x) or f(x, y) on arrays: a key of shapes and dtypes alone, which
        # cannot equal a key of the general form below (that one starts with a TreeDef)
        return tuple([(a.shape, a.dtype) for a in args])
    leaves, treedef = tree_flatten((args, kwargs))
    key = [treedef]
    for leaf in leaves:
        if isinstance(leaf, np.ndarray):
            key.append((leaf.shape, leaf.dtype))
        elif isinstance(leaf, Tracer | np.generic):
            key.append((shape_of(leaf), np.result_type(concrete(leaf)).str))
        elif isinstance(leaf, float):
            key.append(float)
        else:
            try:
                hash(leaf)
            except TypeError:
                return None
            key.append(leaf)
    return tuple(key)

def jacfwd(fun: Callable, argnums=0, *, chunk: int | None = None, has_aux: bool = False):
    """``jacobian(fun, argnums, mode="forward", chunk=chunk)``: n directions pushed forward."""
    return jacobian(fun, argnums, mode="forward", chunk=chunk, has_aux=has_aux)

def jacrev(fun: Callable, argnums=0, *, chunk: int | None = None, has_aux: bool = False):
    """``jacobian(fun, argnums, mode="reverse", chunk=chunk)``: m directions pulled back."""
    return jacobian(fun, argnums, mode="reverse", chunk=chunk, has_aux=has_aux)

@api_boundary
def hessian(fun: Callable, argnums=0, *, has_aux: bool = False, chunk: int | None = None):
    """The Hessian of a scalar function: forward-over-reverse (``jacfwd(jacrev(fun))``).

    The shape is ``in.shape + in.shape`` (``out.shape + in.shape + in.shape`` in general).
    With ``has_aux``, ``fun`` returns ``(out, aux)`` and hessian ``(H, aux)``; ``chunk`` is the
    number of forward directions per sweep (``None``: all, within ``sweeps.SEED_BYTES``).

    >>> import numpy as np, admodes as ad
    >>> ad.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    check_flag(has_aux, "has_aux", "hessian")
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux), argnums, chunk=chunk, has_aux=has_aux)
