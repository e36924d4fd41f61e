"""The user-facing transformations grad, value_and_grad, jvp, vjp and hvp (jacobian, hessian
and choose_mode are in ``admodes.jacobians``; the sweeps both are built from, in ``sweeps``).

Each transformation opens one trace (``ForwardTrace`` or ``ReverseTrace``) with its own
level, wraps the differentiated inputs, calls the user's function, and reads the
derivatives off the outputs. Shapes follow JAX: ``jacobian(f)(x).shape ==
f(x).shape + x.shape``; inputs and outputs may be pytrees (nested tuples, lists and
dicts of arrays).
"""

from __future__ import annotations

from functools import wraps
from typing import Callable, Sequence

import numpy as np

from .core import AdmodesError, concrete, shape_of
from .sweeps import (MODES, Inputs, Recording, check_callable, check_chunk, check_flag, check_mode, cotangent_leaves, direction,
                     forward_jacobian, forward_sweep, scalar_output)
from .ops.elementwise import stop_gradient as stop_gradient_op
from .tracebacks import api_boundary
from .tree import tree_flatten, tree_map, tree_unflatten
from .values import check_argnums_type

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "hvp", "stop_gradient", "linearize", "linear_transpose"]


@api_boundary
def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Forward mode: the value of ``fun(*primals)`` and its directional derivative.

    Returns ``(out, out_tangent)`` where ``out_tangent = J @ tangents`` (one forward
    sweep of dual numbers); with ``has_aux``, ``fun`` returns ``(out, aux)`` and jvp
    ``(out, out_tangent, aux)``, as in JAX. ``primals`` and ``tangents`` are tuples with one
    entry per argument; tangents have the shapes (and get the dtypes) of their primals.

    >>> import numpy as np, admodes as ad
    >>> ad.jvp(lambda x, y: x * y, (-2.0, 3.0), (1.0, 0.0))
    (array(-6.), array(3.))
    """
    check_callable(fun, "jvp")
    check_flag(has_aux, "has_aux", "jvp")
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise AdmodesError("jvp(fun, primals, tangents): primals and tangents must be tuples, one entry per argument.")
    if len(primals) != len(tangents):
        raise AdmodesError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal.")
    inputs = Inputs(tuple(primals), tuple(range(len(primals))), "jvp")
    t_leaves, t_def = tree_flatten(tuple(tangents))
    if t_def != inputs.treedef:
        raise AdmodesError(f"jvp: tangents have structure {t_def}, primals {inputs.treedef}; they must match.")
    t_checked = []
    for k, (t, x) in enumerate(zip(t_leaves, inputs.leaves)):
        t = direction(t, x, "tangent", k, "jvp")
        if shape_of(t) != shape_of(x):
            raise AdmodesError(
                f"jvp: tangent {k} has shape {shape_of(t)} but its primal has shape {shape_of(x)}; "
                "a tangent must have the shape of its primal."
            )
        t_checked.append(t)
    out, out_t, treedef, aux = forward_sweep(fun, inputs, t_checked, 0, has_aux, name="jvp")
    if has_aux:
        return tree_unflatten(treedef, out), tree_unflatten(treedef, out_t), aux
    return tree_unflatten(treedef, out), tree_unflatten(treedef, out_t)

@api_boundary
def vjp(fun: Callable, *primals, has_aux: bool = False):
    """Reverse mode: the value of ``fun(*primals)`` and a function that pulls cotangents back.

    Records ``fun`` on a tape once; ``vjp_fun(cotangent)`` sweeps the tape backwards
    and returns a tuple with one cotangent per primal (``cotangent @ J``). ``vjp_fun``
    may be called many times (one backward sweep each).

    >>> import numpy as np, admodes as ad
    >>> out, vjp_fun = ad.vjp(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0)
    >>> out, vjp_fun(1.0)
    (array(14.), (array(7.), array(9.), array(2.)))
    """
    check_callable(fun, "vjp")
    check_flag(has_aux, "has_aux", "vjp")
    if not primals:
        raise AdmodesError("vjp(fun, *primals): give at least one primal argument.")
    inputs = Inputs(primals, tuple(range(len(primals))), "vjp")
    # vjp_fun sweeps later, after the caller may have written to its inputs: record on copies
    inputs.leaves = [leaf.copy() if type(leaf) is np.ndarray and leaf.flags.writeable else leaf
                     for leaf in inputs.leaves]
    recording = Recording(fun, inputs, has_aux, "vjp")

    @api_boundary
    def vjp_fun(cotangent):
        cots = cotangent_leaves(recording, cotangent, "vjp_fun")
        adjoints = recording.backward(cots, 0)
        return tuple(inputs.unflatten(adjoints))

    out = tree_unflatten(recording.treedef, recording.primals)
    if has_aux:
        return out, vjp_fun, recording.aux
    return out, vjp_fun

@api_boundary
def value_and_grad(fun: Callable, argnums=0, *, mode: str = "reverse", has_aux: bool = False,
                   chunk: int | None = None):
    """A function returning ``(fun(*args), gradient)`` (``((value, aux), gradient)`` with ``has_aux``).

    ``mode="reverse"``: one forward pass onto a tape and one backward sweep, whatever
    the number of inputs. ``mode="forward"``: vectorised forward sweeps carrying ``chunk``
    tangent directions each (the same numbers, at a cost that grows with n); ``chunk=None``
    takes all n at once while their seeds fit in ``sweeps.SEED_BYTES`` (256 MiB), and the
    most that fit otherwise.

    >>> import admodes as ad
    >>> ad.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(-2.0, 3.0)
    (array(-6.), (array(3.), array(-2.)))
    """
    check_mode(mode, MODES, "value_and_grad")
    check_callable(fun, "grad")
    check_argnums_type(argnums, "grad")
    check_flag(has_aux, "has_aux", "grad")
    check_chunk(chunk, "grad")

    @api_boundary
    @wraps(fun)
    def value_and_grad_fun(*args, **kwargs):
        f = (lambda *a: fun(*a, **kwargs)) if kwargs else fun
        inputs = Inputs(args, argnums, "grad")
        if mode == "reverse":
            recording = Recording(f, inputs, has_aux, "grad")
            if recording.treedef.num_leaves != 1 or recording.treedef.kind != "leaf":
                raise AdmodesError("grad needs a function that returns a single scalar (use has_aux=True for extras).")
            value = recording.primals[0]
            scalar_output(value, "grad")
            seed = np.ones((), dtype=np.result_type(concrete(value)))
            gradient = inputs.unflatten(recording.backward([seed], 0))
            aux = recording.aux
        else:
            out, jac, aux, _ = forward_jacobian(f, inputs, chunk, has_aux, "grad")
            if len(out) != 1:
                raise AdmodesError("grad needs a function that returns a single scalar (use has_aux=True for extras).")
            value = out[0]
            scalar_output(value, "grad")
            gradient = inputs.unflatten([np.reshape(j, shape_of(x)) for j, x in zip(jac[0], inputs.leaves)])
        if isinstance(value, np.generic):
            value = np.asarray(value)
        return ((value, aux) if has_aux else value), gradient

    return value_and_grad_fun

@api_boundary
def grad(fun: Callable, argnums=0, *, mode: str = "reverse", has_aux: bool = False, chunk: int | None = None):
    """The gradient of a scalar function, with respect to argument(s) ``argnums``.

    >>> import numpy as np, admodes as ad
    >>> f = lambda a, b, c: (a + b) * (b + c)
    >>> ad.grad(f, argnums=(0, 1, 2))(-1.0, 3.0, 4.0)
    (array(7.), array(9.), array(2.))
    >>> ad.grad(f, argnums=1, mode="forward")(-1.0, 3.0, 4.0)
    array(9.)
    """
    vg = value_and_grad(fun, argnums, mode=mode, has_aux=has_aux, chunk=chunk)

    @api_boundary
    @wraps(fun)
    def grad_fun(*args, **kwargs):
        (value_aux, gradient) = vg(*args, **kwargs)
        return (gradient, value_aux[1]) if has_aux else gradient

    return grad_fun

@api_boundary
def hvp(fun: Callable, primals: Sequence, tangents: Sequence, argnums=None):
    """Hessian-vector product ``H @ v`` by forward-over-reverse, without forming H.

    One forward sweep through one reverse sweep: about the cost of a few gradients.
    ``argnums`` (default: every primal) says which arguments the Hessian is taken in;
    ``tangents`` has one entry per such argument and so has the result.

    >>> import numpy as np, admodes as ad
    >>> ad.hvp(lambda x: np.sum(x ** 3), (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    array([6., 0.])
    >>> ad.hvp(lambda x, w: np.sum(w * x ** 3), (np.array([1.0, 2.0]), 2.0), (np.array([1.0, 0.0]),), argnums=0)
    array([12.,  0.])
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise AdmodesError("hvp(fun, primals, tangents): primals and tangents must be tuples, one entry per argument.")
    primals = tuple(primals)
    if argnums is None:
        argnums = tuple(range(len(primals)))
    check_argnums_type(argnums, "hvp")
    chosen = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if len(tangents) != len(chosen):
        raise AdmodesError(f"hvp: {len(tangents)} tangents for argnums={argnums!r}; give one tangent per "
                           "differentiated argument.")
    fixed = list(primals)

    def gradient(*xs):
        args = list(fixed)
        for i, x in zip(chosen, xs):
            args[i] = x
        g = grad(fun, chosen)(*args)
        return g if len(chosen) > 1 else g[0]

    result = jvp(gradient, tuple(primals[i] for i in chosen), tuple(tangents))[1]
    return result


def stop_gradient(x):
    """``x`` itself, with a zero derivative in every mode and at every order (JAX's
    ``lax.stop_gradient``). On pytrees, leaf by leaf.

    >>> import admodes as ad
    >>> ad.grad(lambda x: x * ad.stop_gradient(x))(3.0)
    array(3.)
    """
    return tree_map(stop_gradient_op, x)


@api_boundary
def linearize(fun: Callable, *primals):
    """``(fun(*primals), f_jvp)``: ``f_jvp(*tangents)`` is the JVP at ``primals``, as ``jax.linearize``.

    ``fun`` is recorded once on a tape (``ad.record``); each ``f_jvp`` call is one forward
    sweep of that tape, with no Python re-run of ``fun``.

    >>> import numpy as np, admodes as ad
    >>> out, f_jvp = ad.linearize(np.sin, 0.5)
    >>> round(float(out), 6), round(float(f_jvp(2.0)), 6)
    (0.479426, 1.755165)
    """
    from .tape.replay import record

    check_callable(fun, "linearize")
    if not primals:
        raise AdmodesError("linearize(fun, *primals): give at least one primal argument.")
    tape = record(fun, *primals, argnums=tuple(range(len(primals))) if len(primals) > 1 else 0)
    out = tape(*primals, check_branches=False)

    @api_boundary
    def f_jvp(*tangents):
        if len(tangents) != len(primals):
            raise AdmodesError(f"linearize's f_jvp: {len(tangents)} tangents for {len(primals)} primals; "
                               "give one tangent per primal.")
        return tape.jvp(primals, tangents, check_branches=False)[1]

    return out, f_jvp


@api_boundary
def linear_transpose(fun: Callable, *primals):
    """The transpose of a linear ``fun``: ``f_t(cotangent)`` returns a tuple with one entry per
    primal, ``cotangent @ J`` (``jax.linear_transpose``). ``primals`` give the input shapes and
    dtypes; ``fun`` must be linear in them (its VJP is taken at zero).

    >>> import numpy as np, admodes as ad
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> ad.linear_transpose(lambda x: A @ x, np.zeros(2))(np.array([1.0, 0.0]))
    (array([1., 2.]),)
    """
    check_callable(fun, "linear_transpose")
    zeros = [tree_map(lambda p: np.zeros_like(np.asarray(p, dtype=float) if np.ndim(p) == 0 else p), p)
             for p in primals]
    _, pullback = vjp(fun, *zeros)
    return pullback
