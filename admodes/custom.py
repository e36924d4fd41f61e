"""User-defined derivative rules: ``custom_jvp`` and ``custom_vjp`` (in the spirit of JAX's).

A decorated function becomes a primitive of its own: its value comes from calling the
function, and its derivative from the rule the user gives, in both engines and at
any nesting depth.

- ``custom_jvp``: the user gives the forward rule ``(primals, tangents) ->
  (primal_out, tangent_out)``. Reverse mode needs the transpose of that linear map in
  the tangents; admodes gets it by running reverse mode over the rule itself (a rule
  is linear in its tangents, so its VJP is exactly the transpose).
- ``custom_vjp``: the user gives ``fwd(*primals) -> (out, residuals)`` and
  ``bwd(residuals, g) -> tuple of cotangents``. The backward sweep calls ``fwd`` again
  for the residuals (the tape keeps only the inputs). Forward mode transposes ``bwd``
  the same way, which needs ``bwd`` to be written with NumPy calls admodes knows.

A batch of directions (``chunk`` > 1) is handled by calling the user's rule once per
direction: rules are written for one tangent or cotangent, as in JAX.

Example: a log-sum-exp whose derivative is the softmax, stable for large inputs.

>>> import numpy as np, admodes as ad
>>> @ad.custom_jvp
... def logsumexp(x):
...     top = np.max(x)
...     return top + np.log(np.sum(np.exp(x - top)))
>>> @logsumexp.defjvp
... def logsumexp_jvp(primals, tangents):
...     (x,), (t,) = primals, tangents
...     out = logsumexp(x)
...     return out, np.sum(np.exp(x - out) * t)
>>> ad.grad(logsumexp)(np.array([1000.0, 1000.0]))
array([0.5, 0.5])
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from .api import vjp
from .core import AdmodesError, Primitive, shape_of
from .tree import tree_flatten, tree_unflatten

__all__ = ["custom_jvp", "custom_vjp"]

_ids = itertools.count()


class _Outputs:
    """A custom rule's output pytree as the one flat array its primitive returns (a primitive has
    one output): leaves raveled and concatenated; ``split`` rebuilds the tree from it (or from a
    tangent or cotangent of it, with ``nb`` batch axes in front)."""

    def __init__(self, out):
        leaves, self.treedef = tree_flatten(out)
        self.single = self.treedef.kind == "leaf"
        self.shapes = [shape_of(leaf) for leaf in leaves]
        self.sizes = [int(np.prod(s, dtype=np.int64)) for s in self.shapes]

    def join(self, tree, nb=0):
        """The flat array of a tree of this structure (the rule's tangents, or the outputs)."""
        if self.single:
            return tree
        leaves, treedef = tree_flatten(tree)
        if treedef != self.treedef:
            raise AdmodesError(f"a custom rule returned outputs of structure {treedef}, the function {self.treedef}.")
        flat = [np.reshape(leaf, shape_of(leaf)[:nb] + (-1,)) for leaf in leaves]
        return np.concatenate(flat, axis=nb) if flat else np.zeros(0)

    def split(self, flat, nb=0):
        if self.single:
            return flat
        leaves, start = [], 0
        batch = shape_of(flat)[:nb]
        for shape, size in zip(self.shapes, self.sizes):
            leaves.append(np.reshape(flat[(slice(None),) * nb + (slice(start, start + size),)], batch + shape))
            start += size
        return tree_unflatten(self.treedef, leaves)


def _split_nondiff(nondiff_argnums, args, name):
    """(static arguments, differentiated arguments) of a call, by position."""
    for i in nondiff_argnums:
        if i >= len(args):
            raise AdmodesError(f"{name}: nondiff_argnums={nondiff_argnums} but the call has {len(args)} arguments.")
    static = tuple(args[i] for i in nondiff_argnums)
    dynamic = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    return static, dynamic


def _merge_nondiff(nondiff_argnums, static, dynamic):
    """The full argument list from its static and differentiated parts."""
    args, s, d = [], iter(static), iter(dynamic)
    for i in range(len(static) + len(dynamic)):
        args.append(next(s) if i in nondiff_argnums else next(d))
    return args


def _per_direction(rule, batched, nb, count_from):
    """Apply a rule written for one direction to each direction of a batch, then stack."""
    if nb == 0:
        return rule(batched)
    k = shape_of(count_from)[0]
    if k == 0:  # no direction (an empty Jacobian): one call on zeros gives the shapes, keep none of it
        one = rule([None if b is None else np.zeros(shape_of(b)[1:], dtype=b.dtype) for b in batched])
        return _none_of(_stack([one]))
    results = [rule([None if b is None else b[i] for b in batched]) for i in range(k)]
    return _stack(results)


def _none_of(stacked):
    if isinstance(stacked, list):
        return [None if s is None else s[:0] for s in stacked]
    return stacked[:0]


def _stack(results):
    if isinstance(results[0], tuple | list):
        return [None if results[0][j] is None else np.stack([r[j] for r in results]) for j in range(len(results[0]))]
    return np.stack(results)


def _first_present(values):
    return next(v for v in values if v is not None)


def _zeros_for(value):
    dtype = np.result_type(value.dtype if hasattr(value, "dtype") else value)
    return np.zeros(shape_of(value), dtype=dtype if dtype.kind == "f" else np.float64)


def _transpose_linear(linear_fun, at_args, cotangent):
    """The VJP of a function linear in its arguments: its transpose applied to ``cotangent``."""
    _, pullback = vjp(linear_fun, *at_args)
    return pullback(cotangent)


class _Layout:
    """Where a custom function records its output structure when it runs (a param of its
    primitive, so replay and every trace share it)."""

    __slots__ = ("outputs",)

    def __init__(self):
        self.outputs = None

    def __repr__(self):
        return "<custom rule output layout>"


class _CustomFunction:
    """What custom_jvp and custom_vjp share: static arguments and pytree outputs around one
    single-output primitive ``prim(*differentiated, static=..., layout=...)``."""

    kind = "custom"

    def __init__(self, fun, nondiff_argnums):
        functools.update_wrapper(self, fun)
        self.fun = fun
        if isinstance(nondiff_argnums, int):
            nondiff_argnums = (nondiff_argnums,)
        self.nondiff_argnums = tuple(sorted(int(i) for i in nondiff_argnums))
        name = f"{self.kind}[{getattr(fun, '__name__', 'fun')}#{next(_ids)}]"
        self.prim = Primitive(name, self._impl, saves="args", register=False)
        self.prim.jvp = self._jvp
        self.prim.vjp = self._vjp

    def _ready(self):  # pragma: no cover - each kind says what is missing
        return True

    def __call__(self, *args):
        self._ready()
        static, dynamic = _split_nondiff(self.nondiff_argnums, args, self.__name__)
        layout = _Layout()
        flat = self.prim(*dynamic, static=static, layout=layout)
        return layout.outputs.split(flat)

    def _impl(self, *dynamic, static, layout):
        out = self.fun(*_merge_nondiff(self.nondiff_argnums, static, dynamic))
        layout.outputs = _Outputs(out)
        return layout.outputs.join(out)


class custom_jvp(_CustomFunction):
    """Give a function its own forward-mode rule (used by both engines).

    ``@f.defjvp`` registers ``rule(*static, primals, tangents) -> (primal_out, tangent_out)``,
    where ``primals`` and ``tangents`` are tuples with one entry per differentiated positional
    argument and ``static`` are the arguments at ``nondiff_argnums`` (as in JAX). The output
    may be a pytree; ``tangent_out`` then has its structure. See the module docstring for an
    example.
    """

    kind = "custom_jvp"

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.rule = None

    def defjvp(self, rule):
        self.rule = rule
        return rule

    def _ready(self):
        if self.rule is None:
            raise AdmodesError(f"{self.__name__}: custom_jvp function has no rule yet; decorate one with @{self.__name__}.defjvp.")

    def _tangent_out(self, primals, tangents, out, static, layout):
        full = [_zeros_for(p) if t is None else t for p, t in zip(primals, tangents)]
        return self._checked_rule(primals, full, out, static, layout)

    def _checked_rule(self, primals, tangents, out, static, layout):
        """The rule's tangent, checked here: a mistake in it would surface deep inside a sweep."""
        result = self.rule(*static, tuple(primals), tuple(tangents))
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise AdmodesError(
                f"{self.__name__}: the custom_jvp rule must return a pair (primal_out, tangent_out), "
                f"got {type(result).__name__}."
            )
        tangent = layout.outputs.join(result[1])
        if shape_of(tangent) != shape_of(out):
            raise AdmodesError(
                f"{self.__name__}: the custom_jvp rule returned a tangent of shape {shape_of(tangent)}, "
                f"but the function's output has shape {shape_of(out)}; the tangent must have the output's shape."
            )
        return tangent

    def _jvp(self, tangents, nb, out, *primals, static, layout):
        if all(t is None for t in tangents):
            return None
        return _per_direction(lambda ts: self._tangent_out(primals, ts, out, static, layout), tangents, nb,
                              _first_present(tangents))

    def _vjp(self, g, nb, out, *primals, static, layout):
        zeros = [_zeros_for(p) for p in primals]

        def one(gs):
            return _transpose_linear(lambda *ts: self._checked_rule(primals, ts, out, static, layout), zeros, gs[0])

        result = _per_direction(one, [g], nb, g)
        return list(result)


class custom_vjp(_CustomFunction):
    """Give a function its own reverse-mode rule (used by both engines).

    ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)`` takes the function's own
    arguments, and ``bwd(*static, residuals, cotangent) -> tuple`` returns one cotangent per
    differentiated positional argument (``static``: the arguments at ``nondiff_argnums``, as in
    JAX). The output may be a pytree; ``cotangent`` then has its structure.

    >>> import numpy as np, admodes as ad
    >>> @ad.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(residuals, g):
    ...     return (np.clip(g, -1.0, 1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> ad.grad(lambda x: 5.0 * clip_gradient(x))(2.0)
    array(1.)
    """

    kind = "custom_vjp"

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = None
        self.bwd = None

    def defvjp(self, fwd, bwd):
        self.fwd = fwd
        self.bwd = bwd

    def _ready(self):
        if self.fwd is None:
            raise AdmodesError(f"{self.__name__}: custom_vjp function has no rule yet; call {self.__name__}.defvjp(fwd, bwd).")

    def _residuals(self, primals, static):
        """Run ``fwd`` once for the residuals its ``bwd`` needs."""
        result = self.fwd(*_merge_nondiff(self.nondiff_argnums, static, primals))
        if not (isinstance(result, tuple | list) and len(result) == 2):
            # unpacking a 2-vector would silently split it into "output" and "residuals"
            raise AdmodesError(
                f"{self.__name__}: fwd must return a pair (output, residuals), got {type(result).__name__}."
            )
        return result[1]

    def _cotangents(self, residuals, primals, g, static, layout):
        cotangents = self.bwd(*static, residuals, layout.outputs.split(g))
        if not isinstance(cotangents, tuple | list) or len(cotangents) != len(primals):
            raise AdmodesError(
                f"{self.__name__}: bwd must return a tuple with one cotangent per differentiated positional "
                f"argument ({len(primals)}), got {type(cotangents).__name__}."
            )
        for j, (c, p) in enumerate(zip(cotangents, primals)):
            if c is not None and shape_of(c) != shape_of(p):
                raise AdmodesError(
                    f"{self.__name__}: bwd returned a cotangent of shape {shape_of(c)} for argument {j}, "
                    f"which has shape {shape_of(p)}; each cotangent must have its argument's shape."
                )
        return list(cotangents)

    def _vjp(self, g, nb, out, *primals, static, layout):
        residuals = self._residuals(primals, static)  # once, whatever the number of directions
        return _per_direction(lambda gs: self._cotangents(residuals, primals, gs[0], static, layout), [g], nb, g)

    def _jvp(self, tangents, nb, out, *primals, static, layout):
        if all(t is None for t in tangents):
            return None
        g0 = _zeros_for(out)
        residuals = self._residuals(primals, static)

        def one(ts):
            total = None
            for j, t in enumerate(ts):
                if t is None:
                    continue
                # forward mode through bwd: the transpose of g -> bwd(res, g)[j], applied to t
                (part,) = _transpose_linear(
                    lambda g, j=j: self._cotangents(residuals, primals, g, static, layout)[j], [g0], t)
                total = part if total is None else total + part
            return total

        return _per_direction(one, tangents, nb, _first_present(tangents))
