"""Forward mode: dual numbers.

A ``Dual`` pairs a primal value with a tangent: the directional derivative of that
value along the input direction(s) chosen by the caller. Applying a primitive to
duals computes the primal result and pushes the tangents forward with the
primitive's JVP rules, one contribution per differentiated argument, summed:

    out = f(x, y)        t_out = df/dx . t_x + df/dy . t_y

A tangent of ``None`` is a symbolic zero: an argument that does not depend on the
inputs costs nothing. One sweep yields the derivative of every value with respect
to the seeded direction(s); with ``nb = 1`` the tangent carries a leading axis of k
directions and one sweep yields k columns of the Jacobian.
"""

from __future__ import annotations

from . import core
from .core import Trace, Tracer, bind, check_real
from .ops.elementwise import add as _add

__all__ = ["Dual", "ForwardTrace", "push_tangents"]


class ForwardTrace(Trace):
    """One forward-mode derivative call; ``nb`` is the number of batch axes of its tangents."""

    __slots__ = ("nb",)

    def __init__(self, nb: int = 0):
        super().__init__()
        self.nb = nb

    def process(self, prim, args, params):
        if self.finished:
            raise self.leaked()
        if core.SHORTCUTS and len(args) == 1 and type(args[0]) is Dual and args[0]._trace is self and prim.jvp is None:
            return self._process_unary(prim, args[0], params)
        primals = []
        tangents = []
        nested = False  # does an argument belong to an enclosing (lower-level) trace?
        for a in args:
            if type(a) is Dual and a._trace is self:
                tangents.append(a.tangent)
                a = a.primal
            else:
                tangents.append(None)
            if isinstance(a, Tracer):
                nested = True
            primals.append(a)
        if nested:
            out = bind(prim, primals, params)
        else:
            out = prim.impl(*primals, **params)
            if core._counter is not None:
                core._counter.record(prim, out, primals, params)
            check_real(prim, out)
        nb = self.nb
        rules = prim.jvps
        if prim.jvp is not None:
            t_out = prim.jvp(tangents, nb, out, *primals, **params)
        elif core.SHORTCUTS and rules is not None and len(rules) == len(tangents) and (
            len(tangents) == 1 or (len(tangents) == 2 and (tangents[0] is None or tangents[1] is None))
        ):
            # The hot path: one differentiated argument (tanh(x), W @ x, x * 2.0). Its rule
            # alone, as push_tangents would call it, without the loop and the sum.
            k = 0 if tangents[0] is not None else len(tangents) - 1
            t = tangents[k]
            if t is None:
                t_out = None
            elif rules[k] is None:
                t_out = prim.jvp_of(k, t, nb, out, primals, params)  # raises the missing-rule error
            else:
                t_out = rules[k](t, nb, out, *primals, **params)
        else:
            t_out = push_tangents(prim, tangents, nb, out, primals, params)
        if t_out is None:
            return out
        return Dual(self, out, t_out)

    def _process_unary(self, prim, x, params):
        """``process`` for one argument, a dual of this trace (tanh(x), x.T, sum(x)): the
        commonest case, without the argument lists and the choice of rules."""
        primal = x.primal
        if isinstance(primal, Tracer):
            out = bind(prim, (primal,), params)
        else:
            out = prim.impl(primal, **params)
            if core._counter is not None:
                core._counter.record(prim, out, (primal,), params)
            check_real(prim, out)
        if x.tangent is None:
            return out
        rule = prim.jvps[0] if prim.jvps is not None else None
        if rule is None:
            return Dual(self, out, prim.jvp_of(0, x.tangent, self.nb, out, (primal,), params))  # raises
        t_out = rule(x.tangent, self.nb, out, primal, **params)
        return out if t_out is None else Dual(self, out, t_out)

    def lift(self, primal, tangent):
        return Dual(self, primal, tangent)


def push_tangents(prim, tangents, nb, out, primals, params):
    """The tangent of ``out = prim(*primals)``: the sum of each argument's JVP contribution.

    ``None`` tangents are symbolic zeros and cost nothing; ``None`` is returned when the
    output does not depend on any tangent.
    """
    if prim.jvp is not None:
        return prim.jvp(tangents, nb, out, *primals, **params)
    t_out = None
    for j, t in enumerate(tangents):
        if t is None:
            continue
        contribution = prim.jvp_of(j, t, nb, out, primals, params)
        if contribution is None:
            continue
        t_out = contribution if t_out is None else _add(t_out, contribution)
    return t_out


class Dual(Tracer):
    """A primal value and its tangent inside one forward-mode call."""

    __slots__ = ("tangent",)

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    def __repr__(self):
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

