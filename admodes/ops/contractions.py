"""Contractions: matrix products and ``einsum``.

``matmul`` here takes operands of at least two axes (NumPy's stacked matrices); the
NumPy-facing ``np.matmul``/``np.dot``/``@`` handlers lift vectors to matrices and drop
the extra axis afterwards, so the rules need only one case:

    d(X @ Y) = dX @ Y + X @ dY          X_bar = G @ Y^T,   Y_bar = X^T @ G

with the cotangents summed over broadcast stack axes.
"""

from __future__ import annotations

import numpy as np

from .. import core
from ..core import Primitive, shape_of
from .elementwise import mul
from .shape import align, reshape, transpose, unbroadcast

__all__ = ["matmul", "matvec", "vecmat", "vecvec", "matrix_transpose"]


def matrix_transpose(x):
    """Swap the last two axes."""
    if type(x) is np.ndarray and x.ndim == 2 and core._counter is None and core.SHORTCUTS:
        # a constant matrix (the W of W @ x in a rule): NumPy's view, without the primitive's
        # call; the op counter, when on, still sees the primitive
        return x.T
    ndim = len(shape_of(x))
    axes = (1, 0) if ndim == 2 else tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)
    return transpose(x, axes=axes)


def _matmul_impl(x, y):
    if type(x) is np.ndarray and type(y) is np.ndarray and 0 < x.ndim <= 2 and 0 < y.ndim <= 2:
        # For matrices and vectors ndarray.dot is the same product (the same BLAS call) without
        # the matmul ufunc's dispatch, which costs as much as the product itself on small arrays.
        return x.dot(y)
    return x @ y


def _matmul_flops(out, args, params):
    x = args[0]
    return 2 * int(getattr(out, "size", 1)) * shape_of(x)[-1]


matmul = Primitive("matmul", _matmul_impl, flops=_matmul_flops, saves="args_only")
matmul.defjvp(
    lambda t, nb, out, x, y: matmul(align(t, nb, len(shape_of(out))), y),
    lambda t, nb, out, x, y: matmul(x, align(t, nb, len(shape_of(out)))),
)
matmul.defvjp(
    lambda g, nb, out, x, y: unbroadcast(matmul(g, matrix_transpose(y)), nb, shape_of(x)),
    lambda g, nb, out, x, y: unbroadcast(matmul(matrix_transpose(x), g), nb, shape_of(y)),
)


# ---------------------------------------------------------------- matrix-vector products
#
# A matrix times a vector is the commonest product in small networks; lifting the vector
# to a matrix and dropping the axis afterwards would put two reshapes around every
# product on the tape. These primitives take 2-D @ 1-D, 1-D @ 2-D and 1-D @ 1-D directly;
# a batch of directions always sits in front, where ``@`` broadcasts it.


def _outer_rows(g, nb, v):
    """g[..., :, None] * v: the cotangent of a matrix whose product with ``v`` gave ``g``."""
    gshape = shape_of(g)
    return mul(reshape(g, shape=gshape + (1,)), v)


def _outer_columns(u, g, nb):
    """u[:, None] * g[..., None, :]: the cotangent of the matrix in ``u @ M``."""
    gshape = shape_of(g)
    return mul(reshape(u, shape=shape_of(u) + (1,)), reshape(g, shape=gshape[:nb] + (1,) + gshape[nb:]))


matvec = Primitive("matvec", _matmul_impl, flops=_matmul_flops, saves="args_only")
_SWAP = (1, 0)  # the axes of a matrix's transpose (matvec's matrix always has two)



def _matvec_jvp_vector(t, nb, out, a, v):
    if type(t) is np.ndarray and type(a) is np.ndarray and core._counter is None and core.SHORTCUTS:
        # plain arrays: what matvec(a, t) or matmul(t, a^T) computes (ndarray.dot, on the
        # transpose's view), without the primitives' calls
        return a.dot(t) if nb == 0 else t.dot(a.T)
    return matvec(a, t) if nb == 0 else matmul(t, transpose(a, axes=_SWAP))


matvec.defjvp(lambda t, nb, out, a, v: matvec(t, v) if nb == 0 else _stacked_matvec(t, v), _matvec_jvp_vector)


def _matvec_vjp_vector(g, nb, out, a, v):
    if type(g) is np.ndarray and type(a) is np.ndarray and core._counter is None and core.SHORTCUTS:
        # plain arrays (g has one or two axes, a two): what vecmat or matmul computes (both
        # run ndarray.dot here), without the primitive's call
        return g.dot(a)
    return vecmat(g, a) if nb == 0 else matmul(g, a)


matvec.defvjp(lambda g, nb, out, a, v: _outer_rows(g, nb, v), _matvec_vjp_vector)

vecmat = Primitive("vecmat", _matmul_impl, flops=_matmul_flops, saves="args_only")
vecmat.defjvp(
    lambda t, nb, out, v, b: vecmat(t, b) if nb == 0 else matmul(t, b),
    lambda t, nb, out, v, b: vecmat(v, t) if nb == 0 else _batched_vecmat(v, t),
)
vecmat.defvjp(
    lambda g, nb, out, v, b: matvec(b, g) if nb == 0 else matmul(g, matrix_transpose(b)),
    lambda g, nb, out, v, b: _outer_columns(v, g, nb),
)


def _stacked_matvec(t, v):
    """t[k] @ v for each direction k: (k, n, p) @ (p,) -> (k, n), as one matrix-vector product."""
    tshape = shape_of(t)
    rows = reshape(t, shape=(tshape[0] * tshape[1], tshape[2]))
    return reshape(matvec(rows, v), shape=tshape[:2])


def _batched_vecmat(v, t):
    """v @ t[k] for each direction k: (p,) @ (k, p, q) -> (k, q), as a stacked product."""
    tshape = shape_of(t)
    lifted = matmul(reshape(v, shape=(1, 1) + shape_of(v)), t)  # (k, 1, q)
    return reshape(lifted, shape=tshape[:1] + tshape[2:])


def _dot_flops(out, args, params):
    return 2 * shape_of(args[0])[-1]


vecvec = Primitive("vecvec", _matmul_impl, flops=_dot_flops, saves="args_only")
vecvec.defjvp(
    lambda t, nb, out, u, v: vecvec(t, v) if nb == 0 else matvec(t, v),
    lambda t, nb, out, u, v: vecvec(u, t) if nb == 0 else matvec(t, u),
)
vecvec.defvjp(
    lambda g, nb, out, u, v: mul(g, v) if nb == 0 else mul(reshape(g, shape=shape_of(g) + (1,)), v),
    lambda g, nb, out, u, v: mul(g, u) if nb == 0 else mul(reshape(g, shape=shape_of(g) + (1,)), u),
)


# ---------------------------------------------------------------- einsum
#
# ``einsum`` takes *normalized* subscripts: explicit output, ellipses spelled out as
# letters, and no broadcasting of size-1 axes (a size-1 axis that broadcasts gets a
# letter of its own, summed over). ``normalize_einsum`` turns anything NumPy accepts into
# that form, so the rules below need one case only. Both rules are einsums again:
#
#   JVP of operand j: the same subscripts with the tangent in place of operand j (and a
#   batch letter in front of its term and of the output);
#   VJP of operand j: contract the cotangent with every other operand into the term of
#   operand j. A letter repeated in that term (a diagonal, ``ii``) is renamed and tied to
#   its first copy by an identity matrix; a letter summed out by operand j alone is
#   restored by a vector of ones. Both are constants, so the rule is linear in g and
#   differentiable again.

_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_terms(subscripts):
    lhs, out = subscripts.split("->")
    return lhs.split(","), out


def _fresh_letters(subscripts):
    used = set(subscripts)
    return iter(c for c in _EINSUM_LETTERS if c not in used)


def _einsum_sublist_to_string(args):
    """NumPy's interleaved form einsum(op0, sublist0, op1, sublist1, ..., [out]) as a string."""
    operands = list(args[0::2])
    sublists = list(args[1::2])
    out = None
    if len(args) % 2 == 1:
        out = args[-1]
        operands = operands[:-1]

    def term(sublist):
        pieces = []
        for s in sublist:
            if s is Ellipsis:
                pieces.append("...")
            else:
                s = int(s)
                if not 0 <= s < 52:
                    raise ValueError(f"einsum: subscript {s} is not in [0, 52)")
                pieces.append(_EINSUM_LETTERS[s])
        return "".join(pieces)

    subscripts = ",".join(term(s) for s in sublists)
    if out is not None:
        subscripts += "->" + term(out)
    return subscripts, operands


def normalize_einsum(subscripts, shapes):
    """Subscripts NumPy accepts, for operands of ``shapes``, in the normalized form above."""
    s = subscripts.replace(" ", "")
    for c in s:
        if c not in _EINSUM_LETTERS and c not in ",->.":
            raise ValueError(f"einsum: invalid subscript character {c!r} in {subscripts!r}")
    explicit = "->" in s
    lhs, out = s.split("->") if explicit else (s, None)
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} subscript terms for {len(shapes)} operands")
    fresh = _fresh_letters(s)
    ell_ndims = []
    for term, shape in zip(terms, shapes):
        n_letters = len(term.replace("...", ""))
        if "..." in term:
            if len(shape) < n_letters:
                raise ValueError(f"einsum: term {term!r} has more subscripts than operand dimensions {len(shape)}")
            ell_ndims.append(len(shape) - n_letters)
        else:
            if "." in term or len(term) != len(shape):
                raise ValueError(
                    f"einsum: term {term!r} does not match an operand of {len(shape)} dimensions"
                )
            ell_ndims.append(0)
    max_ell = max(ell_ndims, default=0)
    ell = "".join(next(fresh) for _ in range(max_ell))
    if explicit:
        if "..." not in out and max_ell and any(ell_ndims):
            raise ValueError(
                "output has more dimensions than subscripts given in einstein sum, but no '...' "
                "ellipsis provided to broadcast the extra dimensions."
            )
        out = out.replace("...", ell)
    else:
        counts = {}
        for c in lhs.replace("...", "").replace(",", ""):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    terms = [t.replace("...", ell[max_ell - k:]) for t, k in zip(terms, ell_ndims)]
    # sizes per letter; size-1 axes that broadcast get their own (summed) letter
    sizes = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            sizes.setdefault(c, set()).add(int(n))
    for c, ns in sizes.items():
        big = ns - {1}
        if len(big) > 1:
            raise ValueError(f"einsum: subscript {c!r} has mismatched sizes {sorted(ns)}")
    renamed = []
    for term, shape in zip(terms, shapes):
        letters = []
        for c, n in zip(term, shape):
            if n == 1 and sizes[c] != {1}:
                letters.append(next(fresh))
            else:
                letters.append(c)
        renamed.append("".join(letters))
    if len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscript repeated in {subscripts!r}")
    present = set("".join(renamed))
    for c in out:
        if c not in present:
            raise ValueError(f"einsum: output subscript {c!r} does not appear in the inputs")
    return ",".join(renamed) + "->" + out


def _einsum_naive_size(subscripts, operands):
    """The product of all letter sizes: the work of one loop over every index combination."""
    terms, _ = _einsum_terms(subscripts)
    sizes = {}
    for term, a in zip(terms, operands):
        sizes.update(zip(term, shape_of(a)))
    return int(np.prod(list(sizes.values()), dtype=np.int64))


def _einsum_impl(*operands, subscripts):
    # NumPy's contraction-order search costs ~50 us: worth it only for larger contractions,
    # where it also hands pairs to BLAS
    large = len(operands) > 1 and _einsum_naive_size(subscripts, operands) > 4096
    return np.einsum(subscripts, *operands, optimize="greedy" if large else False)


def _einsum_flops(out, args, params):
    return 2 * _einsum_naive_size(params["subscripts"], args)


def _einsum_jvp_rule(j):
    def rule(t, nb, out, *operands, subscripts):
        terms, output = _einsum_terms(subscripts)
        if nb:
            b = next(_fresh_letters(subscripts))
            terms = list(terms)
            terms[j] = b + terms[j]
            output = b + output
        ops = list(operands)
        ops[j] = t
        return einsum(*ops, subscripts=",".join(terms) + "->" + output)

    return rule


def _einsum_vjp_rule(j):
    def rule(g, nb, out, *operands, subscripts):
        terms, output = _einsum_terms(subscripts)
        fresh = _fresh_letters(subscripts)
        b = next(fresh) if nb else ""
        target = terms[j]
        shape = shape_of(operands[j])
        dtype = g.dtype if hasattr(g, "dtype") else np.result_type(g)
        letters, deltas = [], []
        for c, n in zip(target, shape):
            if c in letters:
                f = next(fresh)
                letters.append(f)
                deltas.append((c + f, np.eye(n, dtype=dtype)))
            else:
                letters.append(c)
        others = [k for k in range(len(terms)) if k != j]
        present = set(b + output).union(*(terms[k] for k in others)).union(*(d for d, _ in deltas))
        ones = [(c, np.ones(n, dtype=dtype)) for c, n in zip(letters, shape) if c not in present]
        subs = [b + output] + [terms[k] for k in others] + [d for d, _ in deltas] + [c for c, _ in ones]
        ops = [g] + [operands[k] for k in others] + [v for _, v in deltas] + [v for _, v in ones]
        return einsum(*ops, subscripts=",".join(subs) + "->" + b + "".join(letters))

    return rule


_EINSUM_MAX_OPERANDS = 64  # NumPy's own limit on operands

einsum = Primitive("einsum", _einsum_impl, flops=_einsum_flops, saves="args")
einsum.defjvp(*(_einsum_jvp_rule(j) for j in range(_EINSUM_MAX_OPERANDS)))
einsum.defvjp(*(_einsum_vjp_rule(j) for j in range(_EINSUM_MAX_OPERANDS)))
