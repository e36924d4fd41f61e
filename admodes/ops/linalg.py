"""Linear algebra primitives: solve, inv, det, log|det|, cholesky, eigh, qr, svd.

Every rule is the standard matrix-calculus result (Giles 2008, "An extended collection
of matrix derivative results"; Murray 2016 for Cholesky; Townsend 2016 for the SVD),
written with primitives (``solve``, ``inv``, ``matmul``, ...) so it can be
differentiated again. Where a derivative has a convention, it is JAX's (which the
tests check against) unless said here:

- ``cholesky``, ``eigh`` and ``eigvalsh`` differentiate what NumPy computes, and NumPy
  reads one triangle only (the lower one; the upper one for ``UPLO='U'`` and
  ``cholesky(upper=True)``), without checking symmetry. The function is therefore
  ``A -> f(P(A))`` with ``P(A) = tril(A) + tril(A, -1)^T`` (``read_triangle``): a
  tangent acts through ``P(dA)``, and a cotangent ``X`` of the symmetric matrix comes
  back as ``P^T(X)`` (``onto_triangle``): the read triangle gets ``X_ij + X_ji`` off the
  diagonal, ``X_ii`` on it, the unread triangle exactly 0. At a symmetric point along a
  symmetric direction this is JAX's derivative too; along other directions JAX, which
  symmetrizes its input (``A -> (A + A^T) / 2``, ``symmetrize_input=True``), differentiates
  a different function (its value also differs from NumPy's for a non-symmetric input).
- A structurally zero part of an output (the upper triangle of a Cholesky factor, the
  lower one of QR's ``R``) is constant, so whatever cotangent arrives there (inf, from
  ``sqrt`` at 0) is dropped with a ``select`` before any arithmetic: ``inf * 0`` would
  be NaN and spread to every entry. JAX's Cholesky rule drops it too; its QR rule does
  not (its gradient is NaN there), and we give the gradient of ``triu(R)`` instead.
- ``qr`` is differentiable in reduced mode for ``m >= n`` and ``svd`` with
  ``full_matrices=False`` (or square input), as in JAX; other cases raise.
- Eigen- and singular vectors need distinct eigen- / singular values; where two are
  exactly equal the coupling term ``1 / (w_j - w_i)`` is set to 0 instead of inf, so a
  function of the values alone (``sum(w)``, a 2-norm) still gets a finite derivative
  in reverse mode (JAX reaches the same result through its symbolic zeros).

Multi-output decompositions
---------------------------
The engines differentiate single-output primitives. A decomposition that NumPy returns
as several arrays is therefore ONE primitive whose output *packs* them, computed once
per call; the NumPy-facing handlers (``admodes.numpy_layer.linalg``) unpack it with
``getitem``/``reshape``, whose rules route the cotangents back into the packed array:

- ``eigh_packed(a)``: shape ``(..., n + 1, n)``; row 0 holds the eigenvalues ``w``, rows
  ``1:`` the eigenvectors ``V`` (columns).
- ``qr_packed(a)`` (``m >= n``): shape ``(..., m + n, n)``; rows ``:m`` hold ``Q``, rows
  ``m:`` hold ``R`` (reduced QR).
- ``svd_packed(a)``: shape ``(..., m*k + k + k*n)`` with ``k = min(m, n)``: ``U``, ``s`` and
  ``Vt`` flattened and concatenated along the last axis.
- ``slogdet``: the sign has zero derivative, so it is computed on plain values; only
  ``logabsdet`` is a primitive.

The value-only functions ``eigvalsh`` and ``svdvals`` are primitives of their own:
their rules need the vectors, which they get from the packed primitive (a second
decomposition, in the rule only), and never touch the ``1 / (w_j - w_i)`` terms.
"""

from __future__ import annotations

import numpy as np

from ..core import Primitive, decide, shape_of
from .contractions import matmul, matrix_transpose
from .elementwise import add, div, mul, neg, reciprocal, select, sub
from .indexing import concatenate, getitem
from .reductions import sum_
from .shape import align, reshape, unbroadcast

__all__ = [
    "solve", "inv", "det", "logabsdet", "cholesky", "eigh_packed", "eigvalsh", "qr_packed",
    "svd_packed", "svdvals", "unpack_eigh", "unpack_qr", "unpack_svd", "read_triangle",
    "onto_triangle",
]

mT = matrix_transpose


def _dtype(x):
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def _ndim(x):
    return len(shape_of(x))


def _triangle(n, upper, strict=False):
    """The boolean mask of the lower (or upper) triangle of an n x n matrix."""
    lower = np.tri(n, k=-1 if strict else 0, dtype=bool)
    return lower.T if upper else lower


def read_triangle(x, upper=False):
    """The symmetric matrix NumPy's eigh/cholesky read from x: ``tril(x) + tril(x, -1)^T``.

    The upper triangle instead when ``upper``. A select, not masks and a sum, so that an
    inf or NaN in the unread triangle stays out of the result.

    >>> read_triangle(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[1., 3.],
           [3., 4.]])
    """
    return select(_triangle(shape_of(x)[-1], upper), x, mT(x))


def onto_triangle(x, upper=False):
    """The adjoint of ``read_triangle``: x + x^T on the read triangle, x on the diagonal, 0 elsewhere.

    >>> onto_triangle(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[1., 0.],
           [5., 4.]])
    """
    n = shape_of(x)[-1]
    both = select(_triangle(n, upper, strict=True), add(x, mT(x)), x)
    return select(_triangle(n, upper), both, 0)


def _trace(x):
    """Sum of the diagonal over the last two axes (a constant identity mask, then a sum)."""
    n = shape_of(x)[-1]
    nd = _ndim(x)
    return sum_(mul(x, np.eye(n, dtype=_dtype(x))), axis=(nd - 2, nd - 1), keepdims=False)


def _expand2(x):
    """Append two size-1 axes (a scalar per matrix -> broadcastable against the matrices)."""
    return reshape(x, shape=tuple(shape_of(x)) + (1, 1))


def _column(x):
    """(..., n) -> (..., n, 1)."""
    return reshape(x, shape=tuple(shape_of(x)) + (1,))


def _row(x):
    """(..., n) -> (..., 1, n)."""
    shape = tuple(shape_of(x))
    return reshape(x, shape=shape[:-1] + (1, shape[-1]))


def _diag_embed(x):
    """(..., n) -> (..., n, n) with x on the diagonal."""
    n = shape_of(x)[-1]
    return mul(_column(x), np.eye(n, dtype=_dtype(x)))


def _diagonal(x):
    """(..., n, n) -> (..., n): the diagonal of the last two axes (a gather)."""
    n = shape_of(x)[-1]
    r = np.arange(n)
    return getitem(x, index=(slice(None),) * (_ndim(x) - 2) + (r, r))


def _last2(index, x):
    """A basic index on the last two axes of x, whatever its leading axes."""
    return getitem(x, index=(Ellipsis,) + index)


def _safe_coupling(d):
    """1 / d off the diagonal, 0 on the diagonal and where d == 0 exactly (d: (..., n, n))."""
    n = shape_of(d)[-1]
    zero = decide(lambda dv: np.broadcast_to(np.eye(n, dtype=bool), np.shape(dv)) | (dv == 0), d)
    return select(zero, 0, reciprocal(select(zero, 1, d)))


def _safe_divide_columns(x, s):
    """x / s[..., None, :], with 0 where s == 0 exactly."""
    zero_s = decide(lambda sv: sv == 0, s)
    if not np.any(zero_s):
        return div(x, _row(s))
    return select(_row(zero_s), 0, div(x, _row(select(zero_s, 1, s))))


# ---------------------------------------------------------------- solve


def _solve_jvp(tangents, nb, out, a, b):
    ta, tb = tangents
    nd = _ndim(out)
    rhs = None
    if tb is not None:
        rhs = align(tb, nb, nd)
    if ta is not None:
        da_x = neg(matmul(align(ta, nb, nd), out))
        rhs = da_x if rhs is None else add(rhs, da_x)
    return None if rhs is None else solve(a, rhs)


def _solve_vjp(g, nb, out, a, b):
    gb = solve(mT(a), g)  # A^{-T} G, broadcast over the stack axes
    ga = neg(matmul(gb, mT(out)))
    return unbroadcast(ga, nb, shape_of(a)), unbroadcast(gb, nb, shape_of(b))


def _solve_flops(out, args, params):
    n = shape_of(args[0])[-1]
    return int(np.size(out)) * 2 * n + int(np.prod(shape_of(args[0])[:-2], dtype=np.int64)) * 2 * n**3 // 3


solve = Primitive("solve", lambda a, b: np.linalg.solve(a, b), flops=_solve_flops, saves="both")
solve.jvp = _solve_jvp
solve.vjp = _solve_vjp


# ---------------------------------------------------------------- inv


def _cubic_flops(out, args, params):
    n = shape_of(args[0])[-1] if _ndim(args[0]) else 1
    return int(np.prod(shape_of(args[0])[:-2], dtype=np.int64)) * 2 * n**3


inv = Primitive("inv", np.linalg.inv, flops=_cubic_flops, saves="out")
inv.defjvp(lambda t, nb, out, a: neg(matmul(matmul(out, t), out)))  # -A^{-1} dA A^{-1}
inv.defvjp(lambda g, nb, out, a: neg(matmul(matmul(mT(out), g), mT(out))))  # -A^{-T} G A^{-T}


# ---------------------------------------------------------------- det and log|det|
# d det(A) = det(A) tr(A^{-1} dA);  d log|det(A)| = tr(A^{-1} dA)
# A_bar = g det(A) A^{-T};           A_bar = g A^{-T}
# (a singular A has no inverse: np.linalg raises LinAlgError, where JAX's cofactor rule
# still gives the adjugate.)

det = Primitive("det", np.linalg.det, flops=_cubic_flops, saves="both")
det.defjvp(lambda t, nb, out, a: mul(out, _trace(solve(a, t))))
det.defvjp(lambda g, nb, out, a: mul(_expand2(mul(g, out)), mT(inv(a))))

logabsdet = Primitive("logabsdet", lambda a: np.linalg.slogdet(a)[1], flops=_cubic_flops, saves="args")
logabsdet.defjvp(lambda t, nb, out, a: _trace(solve(a, t)))
logabsdet.defvjp(lambda g, nb, out, a: mul(_expand2(g), mT(inv(a))))


# ---------------------------------------------------------------- cholesky
# A = L L^T, with A = P(A_given) the symmetric matrix read from one triangle. With S = P(dA):
#   dL = L Phi(L^{-1} S L^{-T}),  Phi(X) = tril(X) with the diagonal halved   (Murray 2016)
#   A_bar = P^T(L^{-T} Phi(L^T L_bar) L^{-1})
# ``upper=True`` is NumPy's: it reads the upper triangle and returns U = L^T.


def _phi_mask(n, dtype):
    return (np.tri(n, dtype=dtype) - 0.5 * np.eye(n, dtype=dtype)).astype(dtype)


def _right_solve(x, m):
    """x M^{-1} without forming the inverse: (M^{-T} x^T)^T."""
    return mT(solve(mT(m), mT(x)))


def _cholesky_jvp(t, nb, out, a, upper):
    n = shape_of(out)[-1]
    lower = mT(out) if upper else out
    s = read_triangle(t, upper)
    x = solve(lower, s)  # L^{-1} S
    y = _right_solve(x, mT(lower))  # L^{-1} S L^{-T}
    dl = matmul(lower, mul(y, _phi_mask(n, _dtype(out))))
    return mT(dl) if upper else dl


def _cholesky_vjp(g, nb, out, a, upper):
    n = shape_of(out)[-1]
    lower = mT(out) if upper else out
    # the factor's other triangle is structurally 0: drop its cotangent (maybe inf) first
    g_lower = select(_triangle(n, False), mT(g) if upper else g, 0)
    p = mul(matmul(mT(lower), g_lower), _phi_mask(n, _dtype(out)))  # Phi(L^T L_bar)
    z = solve(mT(lower), p)  # L^{-T} P
    z = _right_solve(z, lower)  # L^{-T} P L^{-1}
    return onto_triangle(z, upper)


cholesky = Primitive("cholesky", lambda a, upper: np.linalg.cholesky(a, upper=upper), flops=_cubic_flops,
                     saves="out")
cholesky.defjvp(_cholesky_jvp)
cholesky.defvjp(_cholesky_vjp)


# ---------------------------------------------------------------- eigh
# A = V diag(w) V^T, A = P(A_given) read from the triangle UPLO names. With S = P(dA),
# M = V^T S V and F_ij = 1 / (w_j - w_i) (0 on the diagonal):  dw = diag(M),  dV = V (F o M).
# Adjoint: A_bar = P^T(V (diag(w_bar) + F o (V^T V_bar)) V^T).


def _eigh_impl(a, UPLO):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return np.concatenate([w[..., None, :], v], axis=-2)


def unpack_eigh(packed):
    """(w, V) from the packed array of ``eigh_packed``."""
    return _last2((0, slice(None)), packed), _last2((slice(1, None), slice(None)), packed)


def _eigh_coupling(w):
    return _safe_coupling(sub(_row(w), _column(w)))  # F_ij = 1 / (w_j - w_i)


def _eigh_jvp(t, nb, out, a, UPLO):
    w, v = unpack_eigh(out)
    m = matmul(mT(v), matmul(read_triangle(t, UPLO == "U"), v))
    dw = _diagonal(m)
    dv = matmul(v, mul(_eigh_coupling(w), m))
    return concatenate(_row(dw), dv, axis=_ndim(dv) - 2)


def _eigh_vjp(g, nb, out, a, UPLO):
    w, v = unpack_eigh(out)
    gw, gv = unpack_eigh(g)
    inner = add(_diag_embed(gw), mul(_eigh_coupling(w), matmul(mT(v), gv)))
    return onto_triangle(matmul(matmul(v, inner), mT(v)), UPLO == "U")


eigh_packed = Primitive("eigh", _eigh_impl, flops=_cubic_flops, saves="out")
eigh_packed.defjvp(_eigh_jvp)
eigh_packed.defvjp(_eigh_vjp)


def _eigvalsh_vectors(a, UPLO):
    return unpack_eigh(eigh_packed(a, UPLO=UPLO))[1]


def _eigvalsh_jvp(t, nb, out, a, UPLO):
    v = _eigvalsh_vectors(a, UPLO)
    return _diagonal(matmul(mT(v), matmul(read_triangle(t, UPLO == "U"), v)))


def _eigvalsh_vjp(g, nb, out, a, UPLO):
    v = _eigvalsh_vectors(a, UPLO)
    return onto_triangle(matmul(mul(v, _row(g)), mT(v)), UPLO == "U")  # P^T(V diag(g) V^T)


eigvalsh = Primitive("eigvalsh", lambda a, UPLO: np.linalg.eigvalsh(a, UPLO=UPLO), flops=_cubic_flops,
                     saves="args")
eigvalsh.defjvp(_eigvalsh_jvp)
eigvalsh.defvjp(_eigvalsh_vjp)


# ---------------------------------------------------------------- qr (reduced, m >= n)
# A = Q R. With C = Q^T dA R^{-1}, Omega = tril(C, -1) - tril(C, -1)^T (JAX's rule):
#   dQ = Q (Omega - C) + dA R^{-1},   dR = (C - Omega) R.
# Adjoint, with M = R_bar R^T - Q^T Q_bar and N = triu(M) + tril(M^T, -1):
#   A_bar = (Q_bar + Q N) R^{-T}.


def _qr_impl(a):
    q, r = np.linalg.qr(a, mode="reduced")
    return np.concatenate([q, r], axis=-2)


def unpack_qr(packed, m):
    """(Q, R) from the packed array of ``qr_packed`` of an m-row input."""
    return _last2((slice(0, m), slice(None)), packed), _last2((slice(m, None), slice(None)), packed)


def _qr_jvp(t, nb, out, a):
    m, n = shape_of(a)[-2:]
    q, r = unpack_qr(out, m)
    dx_rinv = _right_solve(t, r)  # dA R^{-1}
    c = matmul(mT(q), dx_rinv)
    lower = mul(c, np.tri(n, k=-1, dtype=_dtype(c)))
    omega = sub(lower, mT(lower))
    dq = add(matmul(q, sub(omega, c)), dx_rinv)
    dr = matmul(sub(c, omega), r)
    return concatenate(dq, dr, axis=_ndim(dq) - 2)


def _qr_vjp(g, nb, out, a):
    m, n = shape_of(a)[-2:]
    q, r = unpack_qr(out, m)
    gq, gr = unpack_qr(g, m)
    gr = select(_triangle(n, upper=True), gr, 0)  # R's lower triangle is structurally 0: drop first
    mm = sub(matmul(gr, mT(r)), matmul(mT(q), gq))
    dtype = _dtype(mm)
    nn = add(mul(mm, np.triu(np.ones((n, n), dtype=dtype))), mul(mT(mm), np.tri(n, k=-1, dtype=dtype)))
    return _right_solve(add(gq, matmul(q, nn)), mT(r))  # (Q_bar + Q N) R^{-T}


qr_packed = Primitive("qr", _qr_impl, flops=_cubic_flops, saves="out")
qr_packed.defjvp(_qr_jvp)
qr_packed.defvjp(_qr_vjp)


# ---------------------------------------------------------------- svd (reduced)
# A = U diag(s) V^T, k = min(m, n). With dS = U^T dA V and F_ij = 1 / (s_j^2 - s_i^2):
#   ds = diag(dS)
#   dU = U (F o (dS S + S dS^T)) [+ (I - U U^T) dA V S^{-1}   if m > n]
#   dV = V (F o (S dS + dS^T S)) [+ (I - V V^T) dA^T U S^{-1} if n > m]
# Adjoint, with J = F o (U^T U_bar), K = F o (V^T V_bar):
#   A_bar = U (diag(s_bar) + (J + J^T) S + S (K + K^T)) V^T
#           [+ (I - U U^T) U_bar S^{-1} V^T   if m > n]
#           [+ U S^{-1} V_bar^T (I - V V^T)   if n > m]


def _svd_impl(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    batch = s.shape[:-1]
    return np.concatenate([u.reshape(batch + (-1,)), s, vt.reshape(batch + (-1,))], axis=-1)


def unpack_svd(packed, m, n):
    """(U, s, Vt) from the packed array of ``svd_packed`` of an (m, n) input."""
    k = min(m, n)
    batch = tuple(shape_of(packed)[:-1])
    u = reshape(getitem(packed, index=(Ellipsis, slice(0, m * k))), shape=batch + (m, k))
    s = getitem(packed, index=(Ellipsis, slice(m * k, m * k + k)))
    vt = reshape(getitem(packed, index=(Ellipsis, slice(m * k + k, None))), shape=batch + (k, n))
    return u, s, vt


def _pack_svd(u, s, vt):
    batch = tuple(shape_of(s)[:-1])

    def flat(x):
        rows, cols = shape_of(x)[-2:]
        return reshape(x, shape=batch + (rows * cols,))

    return concatenate(flat(u), s, flat(vt), axis=len(batch))


def _svd_coupling(s):
    srow, scol = _row(s), _column(s)
    return _safe_coupling(mul(add(srow, scol), sub(srow, scol)))  # 1 / (s_j^2 - s_i^2)


def _svd_jvp(t, nb, out, a):
    m, n = shape_of(a)[-2:]
    u, s, vt = unpack_svd(out, m, n)
    v = mT(vt)
    dav = matmul(t, v)
    ds_mat = matmul(mT(u), dav)
    ds = _diagonal(ds_mat)
    f = _svd_coupling(s)
    dss = mul(ds_mat, _row(s))  # dS S
    sds = mul(_column(s), ds_mat)  # S dS
    du = matmul(u, mul(f, add(dss, mT(dss))))
    dv = matmul(v, mul(f, add(sds, mT(sds))))
    if m > n:
        du = add(du, _safe_divide_columns(sub(dav, matmul(u, ds_mat)), s))
    if n > m:
        dahu = matmul(mT(t), u)
        dv = add(dv, _safe_divide_columns(sub(dahu, matmul(v, matmul(vt, dahu))), s))
    return _pack_svd(du, ds, mT(dv))


def _svd_vjp(g, nb, out, a):
    m, n = shape_of(a)[-2:]
    u, s, vt = unpack_svd(out, m, n)
    v = mT(vt)
    gu, gs, gvt = unpack_svd(g, m, n)
    gv = mT(gvt)
    f = _svd_coupling(s)
    j = mul(f, matmul(mT(u), gu))
    k = mul(f, matmul(mT(v), gv))
    inner = add(_diag_embed(gs), add(mul(add(j, mT(j)), _row(s)), mul(_column(s), add(k, mT(k)))))
    ga = matmul(matmul(u, inner), vt)
    if m > n:
        ga = add(ga, matmul(_safe_divide_columns(sub(gu, matmul(u, matmul(mT(u), gu))), s), vt))
    if n > m:
        ga = add(ga, matmul(u, mT(_safe_divide_columns(sub(gv, matmul(v, matmul(vt, gv))), s))))
    return ga


svd_packed = Primitive("svd", _svd_impl, flops=_cubic_flops, saves="out")
svd_packed.defjvp(_svd_jvp)
svd_packed.defvjp(_svd_vjp)


def _svdvals_vectors(a):
    m, n = shape_of(a)[-2:]
    u, _, vt = unpack_svd(svd_packed(a), m, n)
    return u, vt


def _svdvals_jvp(t, nb, out, a):
    u, vt = _svdvals_vectors(a)
    return _diagonal(matmul(mT(u), matmul(t, mT(vt))))


def _svdvals_vjp(g, nb, out, a):
    u, vt = _svdvals_vectors(a)
    return matmul(mul(u, _row(g)), vt)  # U diag(g) V^T


svdvals = Primitive("svdvals", lambda a: np.linalg.svd(a, compute_uv=False), flops=_cubic_flops,
                    saves="args")
svdvals.defjvp(_svdvals_jvp)
svdvals.defvjp(_svdvals_vjp)
