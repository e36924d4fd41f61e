"""autograd.misc: ``flatten`` is a pytree flatten (admodes.tree); ``const_graph`` caches autograd's trace."""

import numpy as np

import admodes as ad

from .._ops import not_applicable

const_graph = not_applicable("misc.const_graph")


def flatten(value):
    """``(flat float vector, unflatten)`` for a pytree of arrays; traced leaves stay traced."""
    leaves, treedef = ad.tree_flatten(value)
    shapes = [np.shape(leaf) for leaf in leaves]
    sizes = [int(np.prod(s, dtype=int)) for s in shapes]
    flat = np.concatenate([np.ravel(leaf) for leaf in leaves]) if leaves else np.zeros(0)

    def unflatten(vector):
        parts, start = [], 0
        for shape, size in zip(shapes, sizes):
            parts.append(np.reshape(vector[start:start + size], shape))
            start += size
        return ad.tree_unflatten(treedef, parts)

    return flat, unflatten


__all__ = ["flatten", "const_graph"]
