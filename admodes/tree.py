"""Pytrees: nested tuples, namedtuples, lists and dicts of arrays, flattened to a list of leaves (as in JAX).

Dict keys are visited in sorted order; ``None`` is an empty subtree; a namedtuple is
rebuilt with its own type. Other containers become nodes by registration, as in JAX:
``register_pytree_node(type, flatten, unflatten)``, ``register_pytree_node_class`` (a class
with ``tree_flatten``/``tree_unflatten`` methods) and ``register_dataclass`` (a dataclass whose
fields are its children).

>>> import dataclasses, numpy as np, admodes as ad
>>> @ad.register_dataclass
... @dataclasses.dataclass
... class Layer:
...     w: np.ndarray
...     b: float
>>> ad.tree_leaves(Layer(np.ones(2), 0.5))
[array([1., 1.]), 0.5]
>>> ad.tree_map(lambda a, b: a + b, {"a": 1, "b": 2}, {"a": 10, "b": 20})
{'a': 11, 'b': 22}
"""

from __future__ import annotations

import numpy as np

from .core import Tracer

__all__ = [
    "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "tree_structure", "TreeDef",
    "register_pytree_node", "register_pytree_node_class", "register_dataclass",
]

# type -> (flatten(node) -> (children, aux_data), unflatten(aux_data, children) -> node)
_NODE_TYPES: dict = {}


class TreeDef:
    """The structure of a pytree with its leaves taken out."""

    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind, meta, children):
        self.kind = kind  # "leaf", "none", "tuple", "namedtuple", "list", "dict", "custom"
        self.meta = meta  # dict keys, the namedtuple's type, or (type, aux_data) of a registered node
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
        if self.kind == "custom":
            return f"{self.meta[0].__name__}({inner})"
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
    node = _NODE_TYPES.get(type(tree))
    if node is not None:
        children, aux = node[0](tree)
        return TreeDef("custom", (type(tree), aux), tuple(_flatten(c, leaves) for c in children))
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
    if kind == "custom":
        node_type, aux = treedef.meta
        return _NODE_TYPES[node_type][1](aux, children)
    return dict(zip(treedef.meta, children))


def tree_leaves(tree) -> list:
    """The leaves of a pytree, in order."""
    return tree_flatten(tree)[0]


def tree_structure(tree) -> TreeDef:
    """The structure of a pytree (``tree_flatten(tree)[1]``)."""
    return tree_flatten(tree)[1]


def tree_map(f, tree, *rest):
    """Apply ``f`` to each leaf (and the matching leaves of ``rest``, which must have ``tree``'s
    structure: a mismatch is refused with the path where the structures part)."""
    leaves, treedef = tree_flatten(tree)
    others = []
    for k, r in enumerate(rest):
        r_leaves, r_def = tree_flatten(r)
        if r_def != treedef:
            raise ValueError(
                f"tree_map: argument {k + 1} does not have the structure of the first: "
                f"{_difference(treedef, r_def, 'tree')}."
            )
        others.append(r_leaves)
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


def _describe(d: TreeDef) -> str:
    if d.kind == "custom":
        return d.meta[0].__name__
    if d.kind == "namedtuple":
        return d.meta.__name__
    if d.kind in ("tuple", "list"):
        return f"a {d.kind} of {len(d.children)}"
    if d.kind == "dict":
        return f"a dict with keys {list(d.meta)}"
    return {"leaf": "a leaf", "none": "None"}[d.kind]


def _difference(a: TreeDef, b: TreeDef, path: str) -> str:
    """Where two structures first differ, as a path (``tree['w'][1]``) and what each has there."""
    if a.kind != b.kind or a.meta != b.meta or len(a.children) != len(b.children):
        return f"at {path} it is {_describe(a)}, there {_describe(b)}"
    for k, (ca, cb) in enumerate(zip(a.children, b.children)):
        if ca != cb:
            key = repr(a.meta[k]) if a.kind == "dict" else str(k)
            return _difference(ca, cb, f"{path}[{key}]")
    return f"at {path}"  # (equal structures: not reached)


def register_pytree_node(node_type, flatten, unflatten):
    """Make ``node_type`` a pytree node: ``flatten(node) -> (children, aux_data)`` and
    ``unflatten(aux_data, children) -> node`` (aux_data must be hashable), as in JAX."""
    if not isinstance(node_type, type):
        raise TypeError(f"register_pytree_node: {node_type!r} is not a type.")
    if node_type in (tuple, list, dict, type(None)):
        raise ValueError(f"register_pytree_node: {node_type.__name__} is a pytree node already.")
    _NODE_TYPES[node_type] = (flatten, unflatten)
    return node_type


def register_pytree_node_class(cls):
    """Class decorator: ``cls.tree_flatten(self) -> (children, aux)`` and the classmethod
    ``cls.tree_unflatten(aux, children)`` make it a pytree node (JAX's decorator of that name)."""
    return register_pytree_node(cls, lambda node: node.tree_flatten(), cls.tree_unflatten)


def register_dataclass(cls=None, *, data_fields=None, meta_fields=()):
    """Make a dataclass a pytree node whose children are its ``data_fields`` (default: every field
    not in ``meta_fields``); ``meta_fields`` are static (part of the structure). Usable as a
    decorator, with or without arguments."""
    import dataclasses

    def register(cls):
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"register_dataclass: {cls.__name__} is not a dataclass (decorate it with @dataclass first).")
        names = [f.name for f in dataclasses.fields(cls)]
        data = [n for n in names if n not in meta_fields] if data_fields is None else list(data_fields)
        meta = list(meta_fields)

        def flatten(node):
            return [getattr(node, n) for n in data], tuple(getattr(node, n) for n in meta)

        def unflatten(aux, children):
            return cls(**dict(zip(data, children)), **dict(zip(meta, aux)))

        return register_pytree_node(cls, flatten, unflatten)

    return register if cls is None else register(cls)
