"""The differentiated arguments of one call, and the seeds of its directions.

``Inputs`` flattens the ``argnums`` arguments of a call to leaves (checked by
``admodes.values``) and rebuilds the call around new leaves; ``basis`` cuts rows of the
identity into one seed per leaf, all directions of a Jacobian or a chunk of them. The
transformations (``admodes.api``) and the replay of a recorded tape share both.

>>> import numpy as np
>>> from admodes.inputs import Inputs, basis
>>> inputs = Inputs((np.zeros(2), 3.0), (0, 1), "jacobian")
>>> inputs.sizes
[2, 1]
>>> [b.tolist() for b in basis(0, 3, inputs.sizes, inputs.leaves)]
[[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .core import AdmodesError, concrete, shape_of
from .tree import tree_flatten, tree_unflatten
from .values import as_input, normalize_argnums

__all__ = ["Inputs", "basis", "dtype_of", "identity"]


class Inputs:
    """The differentiated arguments of one call, flattened to leaves, and a way to rebuild the call."""

    __slots__ = ("args", "single", "argnums", "treedef", "leaves", "sizes", "size")

    def __init__(self, args, argnums, name):
        self.args = args
        self.single, self.argnums = normalize_argnums(argnums, len(args), name)
        chosen = args[self.argnums[0]] if self.single else tuple([args[i] for i in self.argnums])
        leaves, self.treedef = tree_flatten(chosen)
        self.leaves = [
            leaf if type(leaf) is np.ndarray and leaf.dtype.kind == "f"  # no message to format
            else as_input(leaf, f"{name}: argument {self.argnums[0] if self.single else self.argnums} leaf {k}")
            for k, leaf in enumerate(leaves)
        ]
        self.sizes = [leaf.size if type(leaf) is np.ndarray else math.prod(shape_of(leaf)) for leaf in self.leaves]
        self.size = sum(self.sizes)

    def call(self, fun, leaves):
        tree = tree_unflatten(self.treedef, leaves)
        if self.single and len(self.args) == 1:  # f(x): no argument list to rebuild
            return call_user(fun, (tree,))
        args = list(self.args)
        if self.single:
            args[self.argnums[0]] = tree
        else:
            for i, sub in zip(self.argnums, tree):
                args[i] = sub
        return call_user(fun, args)


    def unflatten(self, leaves):
        return tree_unflatten(self.treedef, leaves)


def dtype_of(x):
    """The dtype of an array, a scalar or a traced value (an ndarray's own, without a lookup)."""
    return x.dtype if type(x) is np.ndarray else np.result_type(concrete(x))


@functools.lru_cache(maxsize=64)
def identity(n: int, dtype) -> np.ndarray:
    """A read-only n x n identity, made once per size and dtype (seeds are never written)."""
    eye = np.eye(n, dtype=dtype)
    eye.setflags(write=False)
    return eye


def basis(start, stop, sizes, leaves):
    """Rows ``start:stop`` of the n x n identity, cut into one tangent per input leaf."""
    if len(sizes) == 1 and start == 0 and stop == sizes[0]:  # all directions of one input
        leaf = leaves[0]
        return [identity(stop, dtype_of(leaf)).reshape((stop,) + shape_of(leaf))]
    k = stop - start
    parts = []
    offset = 0
    for size, leaf in zip(sizes, leaves):
        dtype = np.result_type(concrete(leaf))
        block = np.zeros((k, size), dtype=dtype)
        lo, hi = max(start, offset), min(stop, offset + size)
        if lo < hi:
            rows = np.arange(lo - start, hi - start)
            block[rows, np.arange(lo - offset, hi - offset)] = 1
        parts.append(block.reshape((k,) + shape_of(leaf)))
        offset += size
    return parts


_PLAIN_WRITE = "setting an array element with a sequence."


def call_user(fun, args):
    """``fun(*args)`` on traced values, with NumPy's one error admodes cannot intercept explained.

    Writing a traced value into an array made without one (``g = np.zeros(n); g[i] = x[j]``)
    never reaches admodes: NumPy sees a sequence and raises its own ValueError.
    """
    try:
        return fun(*args)
    except ValueError as error:
        if str(error) != _PLAIN_WRITE:
            raise
        raise AdmodesError(
            "NumPy refused to write a value into an array element (\"setting an array element "
            "with a sequence\"). Under admodes this is almost always a traced value written into "
            "a plain array made without one (g = np.zeros(n); g[i] = x[j]), which NumPy does not "
            "let admodes see. Make the array from a traced value, g = np.zeros_like(x, shape=(n,)) "
            "(a traced constant you can write into), or build it with x.at[...].set(...), "
            "np.stack or np.concatenate."
        ) from error
