"""``vmap``: a function mapped over a batch axis of its arguments, with JAX's ``in_axes`` and
``out_axes``.

admodes maps by calling the function once per batch entry and stacking the results
(JAX's ``lax.map`` strategy): every primitive, custom rule and transformation then works
under it unchanged, so ``vmap`` composes with ``grad``, ``jvp``, ``vjp``, ``jacobian``,
``hessian`` and itself in any order (``vmap(grad(f))`` gives per-example gradients). The cost
is one Python call of the function per entry, not one vectorised call: a batching trace with
batching rules beside the primitives (the rules' leading batch of *directions* is the linear
half of that mechanism: it batches tangents and cotangents, not primal values) would remove
it, and is left for later.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable

import numpy as np

from .core import AdmodesError, shape_of
from .tracebacks import api_boundary
from .tree import tree_flatten, tree_unflatten

__all__ = ["vmap"]


def _check_axis_spec(spec, name):
    leaves, _ = tree_flatten(spec)
    for leaf in leaves:
        if leaf is not None and not isinstance(leaf, int | np.integer):
            raise AdmodesError(f"vmap: {name} entries must be ints or None, got {leaf!r} ({type(leaf).__name__}).")


def _axes_for(prefix, tree, name, path="args"):
    """One axis (int or None) per leaf of ``tree``: ``prefix`` is a pytree prefix of ``tree``
    whose leaves are ints or None (JAX's in_axes/out_axes)."""
    axes = []
    _collect(prefix, tree, axes, name, path)
    return axes


def _collect(prefix, tree, axes, name, path):
    if prefix is None or isinstance(prefix, int | np.integer):
        axes.extend([None if prefix is None else int(prefix)] * len(tree_flatten(tree)[0]))
        return
    if isinstance(prefix, dict) and isinstance(tree, dict):
        if set(prefix) != set(tree):
            raise AdmodesError(f"vmap: {name} at {path} has keys {sorted(prefix)}, the argument {sorted(tree)}.")
        for k in sorted(tree):
            _collect(prefix[k], tree[k], axes, name, f"{path}[{k!r}]")
        return
    if isinstance(prefix, tuple | list) and isinstance(tree, tuple | list):
        if len(prefix) != len(tree):
            raise AdmodesError(f"vmap: {name} at {path} has {len(prefix)} entries, the argument {len(tree)}; "
                               "give one entry per element (or one int or None for all).")
        for k, (p, t) in enumerate(zip(prefix, tree)):
            _collect(p, t, axes, name, f"{path}[{k}]")
        return
    raise AdmodesError(f"vmap: {name} at {path} is {type(prefix).__name__} but the argument is "
                       f"{type(tree).__name__}; {name} must be a prefix of the arguments' structure.")


def _take(leaf, i, axis):
    return leaf[(slice(None),) * axis + (i,)]


def vmap(fun: Callable, in_axes=0, out_axes=0):
    """``fun`` mapped over axis ``in_axes`` of its arguments, results stacked along ``out_axes``.

    ``in_axes`` is an int, ``None`` (not mapped) or a tuple with one entry per positional
    argument, each a pytree prefix of that argument with int or None leaves; ``out_axes``
    likewise for the output. Negative axes count from the end. As ``jax.vmap``.

    >>> import numpy as np, admodes as ad
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> ad.vmap(ad.grad(lambda w, x: np.sum(w * x) ** 2), in_axes=(None, 0))(np.ones(2), X)
    array([[  6.,  12.],
           [ 42.,  56.],
           [110., 132.]])
    """
    if not callable(fun):
        raise AdmodesError(f"vmap(fun): fun must be callable, got {type(fun).__name__}.")
    _check_axis_spec(in_axes, "in_axes")
    _check_axis_spec(out_axes, "out_axes")

    @api_boundary
    @wraps(fun)
    def vmapped(*args):
        if isinstance(in_axes, tuple | list):
            if len(in_axes) != len(args):
                raise AdmodesError(f"vmap: in_axes has {len(in_axes)} entries for {len(args)} positional "
                                   "arguments; give one per argument (or one int or None for all).")
            axes = []
            for k, (p, a) in enumerate(zip(in_axes, args)):
                _collect(p, a, axes, "in_axes", f"argument {k}")
        else:
            axes = _axes_for(in_axes, args, "in_axes")
        leaves, treedef = tree_flatten(args)
        sizes = {}
        normalized = []
        for k, (leaf, ax) in enumerate(zip(leaves, axes)):
            if ax is None:
                normalized.append(None)
                continue
            ndim = len(shape_of(leaf))
            if not -ndim <= ax < ndim:
                raise AdmodesError(f"vmap: in_axes={ax} for an argument leaf of {ndim} dimensions "
                                   f"(shape {shape_of(leaf)}).")
            ax %= ndim
            normalized.append(ax)
            sizes.setdefault(shape_of(leaf)[ax], k)
        if not sizes:
            raise AdmodesError("vmap: in_axes maps no argument (all None); at least one must have a batch axis.")
        if len(sizes) > 1:
            raise AdmodesError(f"vmap: the mapped axes have different sizes {sorted(sizes)}; they must agree.")
        (n,) = sizes
        if n == 0:
            raise AdmodesError("vmap over an axis of size 0: admodes maps by calling the function per entry, "
                               "so it cannot learn the output's shape; pass at least one entry.")
        results = []
        for i in range(n):
            sliced = [leaf if ax is None else _take(leaf, i, ax) for leaf, ax in zip(leaves, normalized)]
            results.append(fun(*tree_unflatten(treedef, sliced)))
        out_leaves, out_def = tree_flatten(results[0])
        per_leaf = [[leaf] for leaf in out_leaves]
        for r in results[1:]:
            r_leaves, r_def = tree_flatten(r)
            if r_def != out_def:
                raise AdmodesError(f"vmap: the function returned {r_def} for one entry and {out_def} for another.")
            for column, leaf in zip(per_leaf, r_leaves):
                column.append(leaf)
        o_axes = _axes_for(out_axes, results[0], "out_axes")
        stacked = []
        for column, ax in zip(per_leaf, o_axes):
            if ax is None:
                stacked.append(column[0])  # not mapped: the entries' common value, as JAX requires
                continue
            ndim = len(shape_of(column[0])) + 1
            if not -ndim <= ax < ndim:
                raise AdmodesError(f"vmap: out_axes={ax} for an output of {ndim - 1} dimensions.")
            stacked.append(np.stack(column, axis=ax % ndim))
        return tree_unflatten(out_def, stacked)

    return vmapped
