"""NumPy's products on traced values: matmul (and ``@``), dot, outer, kron, einsum,
tensordot, inner, vdot. matmul picks the primitive by the operands' dimensions (``W @ x``
is ``matvec``); tensordot, inner and vdot are ``transpose`` + ``reshape`` + ``matmul``; cross is products and
differences of the components.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..core import AdmodesError, bind, shape_of
from ..ops import contractions, elementwise
from .dispatch import FUNCTION_HANDLERS, NO_PARAMS, UFUNC_HANDLERS, as_operand, ndim_of, refuse_keywords, implements
from .shapes import moveaxis, reshaped, permuted, astype, ravel, stack

e = elementwise

@implements(np.matmul)
def matmul(a, b, out=None, **kwargs):
    if out is not None or kwargs:  # (checked first: x @ W is among the hottest calls)
        refuse_keywords("matmul", {"out": out, **kwargs})
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 0 or b_nd == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions (use * for scalars)")
    if a_nd >= 2 and b_nd >= 2:
        return contractions.matmul(a, b)
    if a_nd == 2 and b_nd == 1:
        return bind(contractions.matvec, (a, b), NO_PARAMS)  # W @ x: the commonest product
    if a_nd == 1 and b_nd == 2:
        return contractions.vecmat(a, b)
    if a_nd == 1 and b_nd == 1:
        if shape_of(a) != shape_of(b):
            raise ValueError(f"matmul: mismatch in core dimension: {shape_of(a)} and {shape_of(b)}")
        return contractions.vecvec(a, b)
    a2 = reshaped(a, (1,) + shape_of(a)) if a_nd == 1 else a
    b2 = reshaped(b, shape_of(b) + (1,)) if b_nd == 1 else b
    out2 = contractions.matmul(a2, b2)
    shp = shape_of(out2)
    if a_nd == 1:
        return reshaped(out2, shp[:-2] + shp[-1:])
    return reshaped(out2, shp[:-1])

@implements(np.dot)
def dot(a, b, out=None):
    refuse_keywords("dot", {"out": out})
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 0 or b_nd == 0:
        return elementwise.mul(a, b)
    if a_nd <= 2 and b_nd <= 2:
        return matmul(a, b)
    raise AdmodesError(
        "np.dot of arrays with more than 2 axes is not supported on traced values; "
        "use np.matmul (stacked matrices) or np.tensordot/np.einsum when available."
    )

UFUNC_HANDLERS[np.matmul] = matmul

if hasattr(np.linalg, "matmul"):
    FUNCTION_HANDLERS[np.linalg.matmul] = matmul

@implements(np.outer)
def outer(a, b, out=None):
    refuse_keywords("outer", {"out": out})
    a, b = ravel(as_operand(a)), ravel(as_operand(b))
    return e.mul(reshaped(a, (shape_of(a)[0], 1)), reshaped(b, (1, shape_of(b)[0])))

@implements(np.kron)
def kron(a, b):
    a, b = as_operand(a), as_operand(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    ndim = builtins.max(len(sa), len(sb))
    sa = (1,) * (ndim - len(sa)) + sa
    sb = (1,) * (ndim - len(sb)) + sb
    a2 = reshaped(a, tuple(x for s in sa for x in (s, 1)))
    b2 = reshaped(b, tuple(x for s in sb for x in (1, s)))
    return reshaped(e.mul(a2, b2), tuple(p * q for p, q in zip(sa, sb)))

@implements(np.einsum)
def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    refuse_keywords("einsum", {"out": out})
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = contractions._einsum_sublist_to_string(operands)
    ops = [as_operand(o) for o in ops]
    if dtype is not None:
        ops = [astype(o, dtype) for o in ops]
    normalized = contractions.normalize_einsum(subscripts, [shape_of(o) for o in ops])
    return contractions.einsum(*ops, subscripts=normalized)

def _prod(values):
    return int(np.prod(values, dtype=np.int64))

@implements(np.tensordot)
def tensordot(a, b, axes=2):
    a, b = as_operand(a), as_operand(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    if np.ndim(axes) == 0:
        k = int(axes)
        a_axes, b_axes = list(range(len(sa) - k, len(sa))), list(range(k))
    else:
        a_axes, b_axes = axes
        a_axes = [a_axes] if np.ndim(a_axes) == 0 else list(a_axes)
        b_axes = [b_axes] if np.ndim(b_axes) == 0 else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise ValueError("shape-mismatch for sum")
    a_axes = [int(i) % len(sa) for i in a_axes] if sa else list(a_axes)
    b_axes = [int(i) % len(sb) for i in b_axes] if sb else list(b_axes)
    if any(sa[i] != sb[j] for i, j in zip(a_axes, b_axes)):
        raise ValueError("shape-mismatch for sum")
    free_a = [i for i in range(len(sa)) if i not in a_axes]
    free_b = [i for i in range(len(sb)) if i not in b_axes]
    k = _prod([sa[i] for i in a_axes])
    a2 = reshaped(permuted(a, free_a + a_axes), (_prod([sa[i] for i in free_a]), k))
    b2 = reshaped(permuted(b, b_axes + free_b), (k, _prod([sb[i] for i in free_b])))
    return reshaped(contractions.matmul(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))

@implements(np.inner)
def inner(a, b):
    a, b = as_operand(a), as_operand(b)
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return e.mul(a, b)
    return tensordot(a, b, axes=([-1], [-1]))

@implements(np.vdot)
def vdot(a, b):
    a, b = ravel(as_operand(a)), ravel(as_operand(b))
    if shape_of(a) != shape_of(b):
        raise ValueError("cannot reshape array: vdot needs arrays of the same size")
    return matmul(a, b)


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (or 2-vectors, as NumPy: the z component, or a 3-vector when
    the other is a 3-vector), written with products and differences of components."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_operand(a), as_operand(b)
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")

    def part(v, i, n):
        return None if i >= n else v[..., i]

    def times(x, y):
        return None if x is None or y is None else e.mul(x, y)

    def minus(x, y):
        if y is None:
            return x
        return e.neg(y) if x is None else e.sub(x, y)

    a0, a1, a2 = (part(a, i, na) for i in range(3))
    b0, b1, b2 = (part(b, i, nb) for i in range(3))
    z = minus(times(a0, b1), times(a1, b0))
    if na == nb == 2:
        return z
    x, y = minus(times(a1, b2), times(a2, b1)), minus(times(a2, b0), times(a0, b2))
    out = stack([x, y, z], axis=-1)
    return moveaxis(out, -1, axisc)
