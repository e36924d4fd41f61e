"""Pytrees: nested tuples, namedtuples, lists and dicts of arrays, flattened to a list of leaves (as in JAX).

Dict keys are visited in sorted order; ``None`` is an empty subtree; a namedtuple is
rebuilt with its own type.
"""

from __future__ import annotations

import numpy as np

from .core import Tracer

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "TreeDef"]


class TreeDef:
    """The structure of a pytree with its leaves taken out."""

    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind, meta, children):
        self.kind = kind  # "leaf", "none", "tuple", "namedtuple", "list", "dict"
        self.meta = meta  # dict keys, or the namedtuple's type
        self.children = children

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return (
            isinstance(other, TreeDef)
            and self.kind == other.kind
            and self.meta == other.meta
            and self.children == other.children
        )

    def __hash__(self):  # hashable, so a structure can be part of a cache key
        return hash((self.kind, self.meta, self.children))

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children))
            return "{" + inner + "}"
        if self.kind == "namedtuple":
            return f"{self.meta.__name__}({inner})"
        return f"({inner})" if self.kind == "tuple" else f"[{inner}]"


_LEAF = TreeDef("leaf", None, ())

# Types that are always leaves, recognised by one set lookup before the general walk.
_LEAF_TYPES = frozenset({np.ndarray, float, int, np.float64, np.float32})


def tree_flatten(tree):
    """``(leaves, treedef)`` of a pytree."""
    if type(tree) in _LEAF_TYPES or isinstance(tree, Tracer):  # one array: the common case
        return [tree], _LEAF
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if tree is None:
        return TreeDef("none", None, ())
    if isinstance(tree, tuple):
        if hasattr(tree, "_fields"):  # a namedtuple (parameters, np.linalg results): a node, as in JAX
            return TreeDef("namedtuple", type(tree), tuple(_flatten(t, leaves) for t in tree))
        return TreeDef("tuple", None, tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, list):
        return TreeDef("list", None, tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, dict):
        keys = tuple(sorted(tree))
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return _LEAF


def tree_unflatten(treedef: TreeDef, leaves):
    """The pytree of structure ``treedef`` holding ``leaves`` in order."""
    if treedef is _LEAF:
        return next(iter(leaves))
    iterator = iter(leaves)
    tree = _unflatten(treedef, iterator)
    return tree


def _unflatten(treedef, leaves):
    kind = treedef.kind
    if kind == "leaf":
        return next(leaves)
    if kind == "none":
        return None
    children = [_unflatten(c, leaves) for c in treedef.children]
    if kind == "tuple":
        return tuple(children)
    if kind == "namedtuple":
        return treedef.meta(*children)
    if kind == "list":
        return children
    return dict(zip(treedef.meta, children))


def tree_map(f, tree, *rest):
    """Apply ``f`` to each leaf (and the matching leaves of ``rest``)."""
    leaves, treedef = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])
