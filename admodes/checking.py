"""A gradient checker users can call on their own functions.

``check_grads`` computes the Jacobian of a function with respect to each argument in
each requested mode, and by central finite differences, and raises an
``AssertionError`` naming the argument, the index of the worst entry and the values
that disagree. With ``order=2`` it checks the first derivative again, this time as a
function differentiated in every mode (forward-over-reverse, reverse-over-reverse ...).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .jacobians import jacobian
from .core import AdmodesError
from .tree import tree_flatten

__all__ = ["check_grads"]


def _as_float_array(x):
    # every check runs in float64: in float32 a finite-difference step of 1e-6 is mostly
    # rounding error, and correct derivatives would be reported wrong
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise AdmodesError(
            f"check_grads takes arrays (or numbers) as arguments, got a {type(x.item() if x.ndim == 0 else x).__name__}; "
            "for a pytree, check a function of its leaves."
        )
    return x.astype(np.float64)


def _flat_output(fun):
    """fun's outputs (any pytree) as one flat float vector."""

    def flat(*args):
        leaves, _ = tree_flatten(fun(*args))
        parts = [np.reshape(leaf, (-1,)) for leaf in leaves]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    return flat


def _finite_difference_jacobian(fun, args, argnum, eps):
    x = np.asarray(args[argnum])
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size, dtype=x.dtype)
        step[k] = eps
        step = step.reshape(x.shape)
        plus = list(args)
        minus = list(args)
        plus[argnum] = x + step
        minus[argnum] = x - step
        columns.append((np.asarray(fun(*plus)) - np.asarray(fun(*minus))) / (2 * eps))
    out_size = np.size(fun(*args))
    if not columns:
        return np.zeros((out_size, 0))
    return np.stack([np.reshape(c, (-1,)) for c in columns], axis=1)


def _compare(name, argnum, first, second, label_first, label_second, rtol, atol):
    diff = np.abs(first - second)
    tolerance = atol + rtol * np.abs(second)
    bad = diff > tolerance
    if not np.any(bad):
        return
    worst = np.unravel_index(np.argmax(diff - tolerance), diff.shape)
    raise AssertionError(
        f"check_grads({name}): derivative with respect to argument {argnum} disagrees at "
        f"output entry {worst[0]}, input entry {worst[1]} (flat indices): {label_first} = "
        f"{float(first[worst])!r}, {label_second} = {float(second[worst])!r} (|difference| = {diff[worst]:.3g}, "
        f"tolerance {tolerance[worst]:.3g}); {int(bad.sum())} of {bad.size} entries differ."
    )


def _check_first_order(fun, args, modes, eps, rtol, atol, name):
    flat = _flat_output(fun)
    for argnum in range(len(args)):
        fd = _finite_difference_jacobian(flat, args, argnum, eps)
        found = {}
        for mode in modes:
            jac = jacobian(flat, argnums=argnum, mode=mode)(*args)
            found[mode] = np.reshape(np.asarray(jac), fd.shape)
        for mode, jac in found.items():
            _compare(name, argnum, jac, fd, f"{mode} mode", "finite differences", rtol, atol)
        labels = list(found)
        for other in labels[1:]:
            _compare(name, argnum, found[other], found[labels[0]], f"{other} mode", f"{labels[0]} mode", 1e-10, 1e-12)


def check_grads(
    fun: Callable,
    args: Sequence,
    order: int = 1,
    modes: Sequence[str] = ("forward", "reverse"),
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Check ``fun``'s derivatives at ``args``: every mode against finite differences and each other.

    The arguments are checked as float64 arrays (finite differences need the precision).

    Raises ``AssertionError`` with the argument, the worst entry and the values when they
    disagree beyond ``atol + rtol * |finite difference|``. ``order=2`` also checks the
    derivative of the Jacobian (each mode over each mode) against finite differences of it.

    >>> import numpy as np, admodes as ad
    >>> ad.check_grads(lambda x, y: np.sin(x) * y, (np.array([0.5, 1.0]), 2.0), order=2)
    """
    if order not in (1, 2):
        raise AdmodesError(f"check_grads: order={order!r}; use 1 or 2.")
    if isinstance(modes, str) or not modes:
        raise AdmodesError(
            f"check_grads: modes={modes!r} checks nothing; give a tuple of modes, e.g. ('forward', 'reverse')."
        )
    for mode in modes:
        if mode not in ("forward", "reverse"):
            raise AdmodesError(f"check_grads: mode {mode!r} is not 'forward' or 'reverse'.")
    args = tuple(_as_float_array(a) for a in args)
    name = getattr(fun, "__name__", "fun")
    _check_first_order(fun, args, modes, eps, rtol, atol, name)
    if order == 2:
        argnums = tuple(range(len(args)))
        for inner in modes:
            def derivative(*a, inner=inner):
                blocks = jacobian(_flat_output(fun), argnums=argnums, mode=inner)(*a)
                return np.concatenate([np.reshape(b, (-1,)) for b in blocks])

            derivative.__name__ = f"{inner}-mode derivative of {name}"
            _check_first_order(derivative, args, modes, eps, 10 * rtol, 10 * atol, derivative.__name__)
