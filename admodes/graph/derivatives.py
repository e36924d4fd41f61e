"""Local derivatives of the graph's edges, from the primitive table's rules.

The local derivative of edge ``src -> node`` (argument ``j`` of ``node``) is the JVP rule
of that argument applied to unit tangents: the number itself for scalars; for arrays,
the local Jacobian when it is small enough to form, and a one-line summary
(``"12×12 diag"``, ``"3×6 selection"``, ``"1×40000 (not formed)"``) always. The same
``Primitive.jvp_of`` serves the engines, so the graph shows the rules they use.
"""

from __future__ import annotations

import numpy as np

from ..ops import elementwise
from .format import format_number

__all__ = ["JACOBIAN_LIMIT", "local_derivative", "jvp_of_arg", "dense", "float_dtype"]

# local Jacobians of array edges are formed (and summarised) only up to this many entries
# (of the Jacobian and of the identity pushed through the JVP rule to form it)
JACOBIAN_LIMIT = 40_000

# ops whose local Jacobian is diagonal where input and output shapes agree: summarised
# from one JVP with a tangent of ones, without forming the Jacobian
ELEMENTWISE = set(elementwise.UNARY) | set(elementwise.BINARY) | {"where", "pow_const"}


def jvp_of_arg(node, j, t, nb):
    """The tangent contribution of argument ``j`` of ``node`` for tangent ``t`` (``None``: zero)."""
    return node.prim.jvp_of(j, t, nb, node.raw_out, node.raw_args, node.params)


def float_dtype(value):
    """The dtype a derivative of ``value`` has: its own if floating, else float64."""
    dtype = np.asarray(value).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def dense(value, dtype, shape):
    """A rule's contribution as an array of ``shape`` (a ``None`` contribution is zeros)."""
    if value is None:
        return np.zeros(shape, dtype=dtype)
    return np.broadcast_to(np.asarray(value, dtype=dtype), shape)


def local_derivative(node, src, j):
    """``(local, jacobian)`` of edge ``src -> node`` (argument ``j``): the local derivative
    (a float for scalars, else a summary string) and the local Jacobian, or ``None`` where
    it is not formed (elementwise ops, and Jacobians past ``JACOBIAN_LIMIT``)."""
    dtype = node.value.dtype if node.value.dtype.kind == "f" else np.dtype(np.float64)
    n, m = src.value.size, node.value.size
    in_shape, out_shape = src.shape, node.shape
    if n == 1 and m == 1:
        t = np.ones(in_shape, dtype=src.value.dtype)
        c = jvp_of_arg(node, j, t, 0)
        jac = dense(c, dtype, out_shape).reshape(out_shape + in_shape) if out_shape or in_shape else np.asarray(dense(c, dtype, ()))
        return float(np.asarray(jac).reshape(())), jac
    size = f"{m}×{n}"
    if node.op in ELEMENTWISE and in_shape == out_shape:
        d = dense(jvp_of_arg(node, j, np.ones(in_shape, dtype=src.value.dtype), 0), dtype, out_shape)
        if np.all(d == 1):
            return f"{size} identity", None
        if np.all(d == 0):
            return f"{size} zero", None
        return f"{size} diag, norm {format_number(np.linalg.norm(d))}", None
    if n * max(n, m) > JACOBIAN_LIMIT:  # the n x n basis of directions is formed too
        return f"{size} (not formed)", None
    basis = np.eye(n, dtype=src.value.dtype).reshape((n,) + in_shape)
    columns = dense(jvp_of_arg(node, j, basis, 1), dtype, (n,) + out_shape)  # (n,) + out_shape
    jac2 = np.asarray(columns).reshape(n, m).T  # (m, n)
    jac = jac2.reshape(out_shape + in_shape)
    nnz = int(np.count_nonzero(jac2))
    if nnz == 0:
        kind = "zero"
    elif m == n and nnz == np.count_nonzero(np.diag(jac2)):
        kind = "identity" if np.all(np.diag(jac2) == 1) else "diag"
    elif np.all((jac2 == 0) | (jac2 == 1)) and np.all(np.count_nonzero(jac2, axis=1) <= 1):
        kind = "selection" if m < n else "copy"  # each output entry copies one input entry (or is 0)
    else:
        kind = "dense" if nnz == jac2.size else f"{nnz} nonzero"
    if kind in ("identity", "zero", "selection", "copy"):
        return f"{size} {kind}", jac
    return f"{size} {kind}, norm {format_number(np.linalg.norm(jac2))}", jac

