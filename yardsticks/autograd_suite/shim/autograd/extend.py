"""autograd.extend: user-defined primitives, mapped onto ``ad.custom_vjp`` / ``ad.custom_jvp``.

``primitive(f)`` marks ``f`` as a function with its own derivative; ``defvjp(f, maker0,
maker1, ...)`` gives, per positional argument, ``maker(ans, *args, **kwargs) -> (g ->
cotangent)``, and ``defjvp(f, maker0, ...)`` gives ``maker(g, ans, *args, **kwargs) ->
tangent of the output``. A call whose arguments are traced becomes one admodes custom
rule over the traced arguments (the others are held fixed); with no rule for a traced
argument, differentiating raises ``NotImplementedError`` as autograd does. Forward mode
uses the JVP makers when there are any, else admodes transposes the VJP.

vspaces and boxes are autograd's machinery and stay not applicable.
"""

from __future__ import annotations

import functools

import admodes as ad
from admodes.core import Tracer

from ._ops import not_applicable

__all__ = ["primitive", "defvjp", "defjvp", "defvjp_argnum", "defjvp_argnum", "Primitive"]


def _traced(value):
    leaves, _ = ad.tree_flatten(value) if isinstance(value, tuple | list | dict) else ([value], None)
    return any(isinstance(leaf, Tracer) for leaf in leaves)


class Primitive:
    def __init__(self, fun):
        self.fun = fun
        self.vjp_makers: dict[int, object] = {}
        self.jvp_makers: dict[int, object] = {}
        functools.update_wrapper(self, fun)
        self.__name__ = getattr(fun, "__name__", "primitive")

    def __call__(self, *args, **kwargs):
        traced = [k for k, a in enumerate(args) if _traced(a)]
        if not traced:
            return self.fun(*args, **kwargs)

        def full(values):
            new = list(args)
            for k, v in zip(traced, values):
                new[k] = v
            return new

        def of_traced(*values):
            return self.fun(*full(values), **kwargs)

        of_traced.__name__ = self.__name__
        if self.jvp_makers and not self.vjp_makers:
            rule = ad.custom_jvp(of_traced)

            @rule.defjvp
            def _jvp(primals, tangents):
                ans = self.fun(*full(primals), **kwargs)
                total = None
                for k, t in zip(traced, tangents):
                    part = self._jvp(k, t, ans, full(primals), kwargs)
                    total = part if total is None else total + part
                return ans, total

            return rule(*(args[k] for k in traced))
        if not self.vjp_makers:
            raise NotImplementedError(f"VJP of {self.__name__} wrt argnum {traced[0]} not defined")
        rule = ad.custom_vjp(of_traced)

        def fwd(*values):
            ans = self.fun(*full(values), **kwargs)
            return ans, (values, ans)

        def bwd(residuals, g):
            values, ans = residuals
            return tuple(self._vjp(k, ans, full(values), kwargs)(g) for k in traced)

        rule.defvjp(fwd, bwd)
        return rule(*(args[k] for k in traced))

    def _vjp(self, argnum, ans, args, kwargs):
        maker = self.vjp_makers.get(argnum)
        if maker is None:
            raise NotImplementedError(f"VJP of {self.__name__} wrt argnum {argnum} not defined")
        return maker(ans, args, kwargs)

    def _jvp(self, argnum, g, ans, args, kwargs):
        maker = self.jvp_makers.get(argnum)
        if maker is None:
            raise NotImplementedError(f"JVP of {self.__name__} wrt argnum {argnum} not defined")
        return maker(g, ans, args, kwargs)


def primitive(fun):
    return Primitive(fun)


def defvjp_argnum(prim, vjp_maker):
    """``vjp_maker(argnum, ans, args, kwargs) -> (g -> cotangent)`` for every argument."""
    prim.vjp_makers = _AllArgs(lambda k: (lambda ans, args, kwargs: vjp_maker(k, ans, args, kwargs)))


def defjvp_argnum(prim, jvp_maker):
    prim.jvp_makers = _AllArgs(lambda k: (lambda g, ans, args, kwargs: jvp_maker(k, g, ans, args, kwargs)))


class _AllArgs(dict):
    def __init__(self, make):
        super().__init__()
        self.make = make

    def __bool__(self):
        return True

    def get(self, k, default=None):
        return self.make(k)


def defvjp(prim, *makers, argnums=None):
    for k, maker in zip(argnums if argnums is not None else range(len(makers)), makers):
        if maker is not None:
            prim.vjp_makers[k] = (lambda m: lambda ans, args, kwargs: m(ans, *args, **kwargs))(maker)


def defjvp(prim, *makers, argnums=None):
    for k, maker in zip(argnums if argnums is not None else range(len(makers)), makers):
        if maker is not None:
            prim.jvp_makers[k] = (lambda m: lambda g, ans, args, kwargs: m(g, ans, *args, **kwargs))(maker)


vspace = not_applicable("extend.vspace")
VSpace = not_applicable("extend.VSpace")
Box = not_applicable("extend.Box")
SparseObject = not_applicable("extend.SparseObject")
notrace_primitive = not_applicable("extend.notrace_primitive")
