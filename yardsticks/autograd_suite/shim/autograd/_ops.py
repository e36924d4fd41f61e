"""autograd's differential operators, each written with admodes' grad/jvp/vjp/jacobian.

autograd's operators take ``(fun, argnum=0)`` and return a function of all of ``fun``'s
arguments that differentiates with respect to one of them (or a tuple of them, taken
together as one pytree). ``_nary`` does that argument plumbing; the operators
themselves are functions of a one-argument function and its input ``x``.
"""

from __future__ import annotations

import functools

import numpy as np

import admodes as ad
from admodes.core import Tracer

__all__ = [
    "NotApplicable", "NoCounterpart", "nary", "make_vjp_unary", "make_jvp_unary",
    "grad", "elementwise_grad", "deriv", "jacobian", "holomorphic_grad", "grad_named",
    "hessian", "make_hvp", "hessian_tensor_product", "hessian_vector_product",
    "tensor_jacobian_product", "vector_jacobian_product", "make_jvp_reversemode",
    "make_ggnvp", "value_and_grad", "grad_and_aux", "multigrad_dict", "checkpoint",
    "make_vjp", "make_jvp", "isbox", "no_counterpart", "not_applicable",
]


class NoCounterpart(NotImplementedError):
    """An autograd public name that admodes has nothing to map onto."""


class NotApplicable(NotImplementedError):
    """An autograd-internal API (tracer, core, extend, vspaces): the test examines autograd itself."""


def no_counterpart(name, why):
    def raiser(*args, **kwargs):
        raise NoCounterpart(f"autograd.{name} has no admodes counterpart ({why})")

    raiser.__name__ = name.rsplit(".", 1)[-1]
    return raiser


def not_applicable(name):
    def raiser(*args, **kwargs):
        raise NotApplicable(f"autograd.{name} is an autograd-internal API (not applicable to admodes)")

    raiser.__name__ = name.rsplit(".", 1)[-1]
    return raiser


def nary(unary_op):
    """``unary_op(f, x, *extra)`` -> ``op(fun, argnum=0, *extra)(*args, **kwargs)``."""

    @functools.wraps(unary_op)
    def operator(fun, argnum=0, *op_args, **op_kwargs):
        if not isinstance(argnum, int | tuple | list):
            raise TypeError(f"argnum must be an int or a tuple of ints, got {argnum!r}")

        def applied(*args, **kwargs):
            def unary(x):
                new = list(args)
                if isinstance(argnum, int):
                    new[argnum] = x
                else:
                    for k, xk in zip(argnum, x):
                        new[k] = xk
                return fun(*new, **kwargs)

            unary.__name__ = getattr(fun, "__name__", "fun")
            x = args[argnum] if isinstance(argnum, int) else tuple(args[k] for k in argnum)
            return unary_op(unary, x, *op_args, **op_kwargs)

        applied.__name__ = f"{unary_op.__name__}_of_{getattr(fun, '__name__', 'fun')}"
        return applied

    return operator


def _tree_ones(tree):
    return ad.tree_map(lambda leaf: np.ones_like(leaf), tree)


def _tree_zeros(tree):
    return ad.tree_map(lambda leaf: np.zeros_like(leaf), tree)


def _size(tree):
    leaves, _ = ad.tree_flatten(tree)
    return sum(int(np.size(leaf)) for leaf in leaves)


# ---------------------------------------------------------------- unary operators


def make_vjp_unary(f, x):
    """autograd's ``make_vjp(f, x)``: ``(vjp, f(x))`` with ``vjp(g)`` the cotangent of x."""
    out, pull = ad.vjp(f, x)
    return (lambda g: pull(g)[0]), out


def make_jvp_unary(f, x):
    """autograd's ``make_jvp(f, x)``: ``jvp(v) -> (f(x), J v)``."""
    return lambda v: ad.jvp(f, (x,), (v,))


def _grad(f, x):
    pull, out = make_vjp_unary(f, x)
    if _size(out) != 1:
        raise TypeError("grad only applies to real scalar-output functions (autograd's rule)")
    return pull(_tree_ones(out))


def _elementwise_grad(f, x):
    pull, out = make_vjp_unary(f, x)
    return pull(_tree_ones(out))


def _deriv(f, x):
    return make_jvp_unary(f, x)(_tree_ones(x))[1]


def _jacobian(f, x):
    return ad.jacobian(f, mode="reverse")(x)


def _holomorphic_grad(f, x):
    raise NoCounterpart("autograd.holomorphic_grad has no admodes counterpart (admodes differentiates real-valued code only)")


def _hessian(f, x):
    return ad.jacobian(ad.jacobian(f, mode="reverse"), mode="reverse")(x)


def _make_hvp(f, x):
    return make_vjp_unary(lambda y: _grad(f, y), x)


def _make_jvp_reversemode(f, x):
    pull, out = make_vjp_unary(f, x)
    # the VJP is linear in its cotangent, so the VJP of the VJP is the JVP
    pull_pull, _ = make_vjp_unary(pull, _tree_zeros(out))
    return pull_pull


def _value_and_grad(f, x):
    pull, out = make_vjp_unary(f, x)
    if _size(out) != 1:
        raise TypeError("value_and_grad only applies to real scalar-output functions (autograd's rule)")
    return out, pull(_tree_ones(out))


def _grad_and_aux(f, x):
    ans, pull, aux = ad.vjp(lambda y: tuple(f(y)), x, has_aux=True)
    return pull(_tree_ones(ans))[0], aux


grad = nary(_grad)
grad.__name__ = "grad"
elementwise_grad = nary(_elementwise_grad)
elementwise_grad.__name__ = "elementwise_grad"
deriv = nary(_deriv)
deriv.__name__ = "deriv"
jacobian = nary(_jacobian)
jacobian.__name__ = "jacobian"
holomorphic_grad = nary(_holomorphic_grad)
hessian = nary(_hessian)
hessian.__name__ = "hessian"
make_hvp = nary(_make_hvp)
make_jvp_reversemode = nary(_make_jvp_reversemode)
value_and_grad = nary(_value_and_grad)
value_and_grad.__name__ = "value_and_grad"
grad_and_aux = nary(_grad_and_aux)
make_vjp = nary(make_vjp_unary)
make_vjp.__name__ = "make_vjp"
make_jvp = nary(make_jvp_unary)
make_jvp.__name__ = "make_jvp"


def grad_named(fun, argname):
    import inspect

    return grad(fun, list(inspect.signature(fun).parameters).index(argname))


def hessian_tensor_product(fun, argnum=0):
    """``(*args, v) -> H . v`` contracted over all of v's axes."""
    fun_grad = grad(fun, argnum)

    def grad_dot(*args, **kwargs):
        *rest, v = args
        return np.tensordot(fun_grad(*rest, **kwargs), v, np.ndim(v))

    return grad(grad_dot, argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun, argnum=0):
    """``(*args, v) -> v . J`` contracted over all of v's axes."""

    def dot_fun(*args, **kwargs):
        *rest, v = args
        return np.tensordot(v, fun(*rest, **kwargs), axes=np.ndim(v))

    return jacobian(dot_fun, argnum)


vector_jacobian_product = tensor_jacobian_product


def make_ggnvp(f, g=lambda x: 0.5 * np.sum(x**2, axis=-1), f_argnum=0):
    """Generalised Gauss-Newton products ``J^T H_g J v`` from admodes' jvp and vjp."""

    def unary(f1, x):
        f_x, f_pull = ad.vjp(f1, x)

        def ggnvp(v):
            jv = ad.jvp(f1, (x,), (v,))[1]
            hjv = ad.jvp(ad.grad(g), (f_x,), (jv,))[1]
            return f_pull(hjv)[0]

        return ggnvp

    return nary(unary)(f, f_argnum)


def multigrad_dict(fun):
    import inspect

    names = list(inspect.signature(fun).parameters)

    def gradfun(*args, **kwargs):
        bound = inspect.signature(fun).bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        grads = ad.grad(lambda d: fun(**d))(values)
        return {name: grads[name] for name in names}

    return gradfun


def checkpoint(fun):
    # a memory trade-off in autograd; derivatives are those of fun itself, which is what
    # admodes computes without any wrapper
    return fun


def isbox(x):
    """autograd's "is this a traced value": admodes' tracers."""
    return isinstance(x, Tracer)
