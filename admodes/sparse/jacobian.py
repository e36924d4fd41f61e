"""Sparse Jacobians: detect the pattern once, colour it, one sweep direction per colour.

``ad.sparse_jacobian(f)`` returns a ``SparseJacobian``: called at ``x`` it records ``f``
there (``ad.record``), detects the pattern (``detect``), colours columns and rows
(``coloring``), and computes the compressed Jacobian in one vectorised sweep over the
tape with one direction per colour: forward mode ``J S`` (S: the n x C matrix whose
column c is the sum of the unit vectors of colour c's columns) or reverse mode ``R J``
(R: the C x m matrix of the row colours). Each nonzero J[i, j] is then read off the
compressed matrix at (i, colour of j) or (colour of i, j): decompression, with no
arithmetic. ``mode="auto"`` takes the mode with fewer colours (forward on a tie).

Later calls at points of the same shape reuse the tape, the pattern and the colouring,
and run the sweep as the tape's staged program. The tape checks its logged branches at
every point; where one differs it re-records, and the pattern and colouring are detected
again (a Python ``if`` on a value may change the pattern; ``np.where`` does not, its
pattern is the union of both branches).

The result is a ``scipy.sparse.csr_matrix`` (``format="csc"`` for CSC), or with SciPy
missing (it is optional for admodes) a dense ndarray, with a warning saying so;
``format="dense"`` asks for the dense ``(m, n)`` array.

>>> import numpy as np, admodes as ad
>>> f = lambda x: np.concatenate([x[:1], x[1:] ** 2 - x[:-1], x[-1:] * 3])
>>> J = ad.sparse_jacobian(f, format="dense")
>>> J(np.arange(4.0))
array([[ 1.,  0.,  0.,  0.],
       [-1.,  2.,  0.,  0.],
       [ 0., -1.,  4.,  0.],
       [ 0.,  0., -1.,  6.],
       [ 0.,  0.,  0.,  3.]])
>>> J.colors, J.mode
({'forward': 2, 'reverse': 2}, 'forward')
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np

from ..core import AdmodesError
from ..tape.replay import record
from ..tree import tree_flatten
from .coloring import ORDERINGS, color_columns, color_rows
from .detect import pattern_of_tape, scipy_sparse

__all__ = ["SparseJacobian", "sparse_jacobian", "jacobian_sparsity"]

_MODES = ("auto", "forward", "reverse")
_FORMATS = ("csr", "csc", "dense")


def jacobian_sparsity(fun: Callable, argnums=0):
    """``jacobian_sparsity(f)(*args)``: the global ``SparsityPattern`` of f's Jacobian at
    points like ``args``, as an ``m x n`` pattern over the flattened outputs and inputs."""
    if not callable(fun):
        raise AdmodesError(f"jacobian_sparsity: expected a function, got {type(fun).__name__}.")

    def pattern_fun(*args):
        return pattern_of_tape(record(fun, *args, argnums=argnums))

    return pattern_fun


def sparse_jacobian(fun: Callable, *x0, argnums=0, mode: str = "auto", ordering: str = "largest_first",
                    format: str = "csr") -> "SparseJacobian":
    """A function computing f's Jacobian as a sparse matrix by coloured sweeps (see the module).

    ``x0`` (optional) prepares at once (records, detects and colours there); otherwise the
    first call does. The returned ``SparseJacobian`` shows ``pattern``, ``column_coloring``
    (forward), ``row_coloring`` (reverse), ``colors`` (both counts), ``mode`` (the one
    used) and ``sweeps`` (its number of directions).
    """
    sj = SparseJacobian(fun, argnums=argnums, mode=mode, ordering=ordering, format=format)
    if x0:
        sj.prepare(*x0)
    return sj


class SparseJacobian:
    """The sparse Jacobian of a function, prepared once and evaluated at many points."""

    def __init__(self, fun, *, argnums=0, mode="auto", ordering="largest_first", format="csr"):
        if not callable(fun):
            raise AdmodesError(f"sparse_jacobian: expected a function, got {type(fun).__name__}.")
        if mode not in _MODES:
            raise AdmodesError(f"sparse_jacobian: mode={mode!r} is not 'auto', 'forward' or 'reverse'.")
        if ordering != "best" and ordering not in ORDERINGS:
            raise AdmodesError(f"sparse_jacobian: ordering={ordering!r} is not one of {', '.join(ORDERINGS)} or 'best'.")
        if format not in _FORMATS:
            raise AdmodesError(f"sparse_jacobian: format={format!r} is not 'csr', 'csc' or 'dense'.")
        self.fun = fun
        self.argnums = argnums
        self.requested_mode = mode
        self.ordering = ordering
        self.format = format
        self.tape = None
        self.pattern = self.column_coloring = self.row_coloring = None
        self.mode = None
        self.detections = 0  # how often a pattern was detected (1, unless the tape re-recorded)
        self._frozen = None
        self._retapes = 0
        self._token = 0

    # ------------------------------------------------------------ preparing

    def prepare(self, *args):
        """Record ``fun`` at ``args``, detect the pattern and colour it."""
        self.tape = record(self.fun, *args, argnums=self.argnums)
        self._frozen = self._frozen_of(args)
        self._retapes = self.tape.retapes
        self._detect()
        return self

    def _detect(self):
        tape = self.tape
        self.pattern = pattern_of_tape(tape)
        self.column_coloring = color_columns(self.pattern, self.ordering)
        self.row_coloring = color_rows(self.pattern, self.ordering)
        cf, cr = self.column_coloring.ncolors, self.row_coloring.ncolors
        if self.requested_mode == "auto":
            self.mode = "forward" if cf <= cr else "reverse"
        else:
            self.mode = self.requested_mode
        self.detections += 1
        self._token += 1  # a new colouring: the compressed sweep is staged again
        if self.mode == "forward":
            seeds = self.column_coloring.seeds()
            offsets = np.concatenate([[0], np.cumsum(tape.in_sizes)])
            self._seeds = [seeds[:, a:b].reshape((seeds.shape[0],) + tuple(s)).astype(d)
                           for a, b, s, d in zip(offsets[:-1], offsets[1:], tape.in_shapes, tape.in_dtypes)]
        else:
            seeds = self.row_coloring.seeds()
            sizes = [math.prod(s) for s in tape.out_shapes]
            offsets = np.concatenate([[0], np.cumsum(sizes)])
            self._seeds = [seeds[:, a:b].reshape((seeds.shape[0],) + tuple(s)).astype(d)
                           for a, b, s, d in zip(offsets[:-1], offsets[1:], tape.out_shapes, tape.out_dtypes)]

    def _frozen_of(self, args):
        """The arguments outside ``argnums``, which the tape keeps frozen: a call with other
        ones records again."""
        argnums = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        argnums = {a % len(args) if len(args) else a for a in argnums}
        return [a for i, a in enumerate(args) if i not in argnums]

    def _same_frozen(self, args):
        now = self._frozen_of(args)
        if len(now) != len(self._frozen):
            return False
        for a, b in zip(now, self._frozen):
            la, ta = tree_flatten(a)
            lb, tb = tree_flatten(b)
            if ta != tb or any(not np.array_equal(u, v) for u, v in zip(la, lb)):
                return False
        return True

    @property
    def colors(self) -> dict:
        """The number of colours of each mode: the sweeps a forward or a reverse evaluation takes."""
        self._prepared("colors")
        return {"forward": self.column_coloring.ncolors, "reverse": self.row_coloring.ncolors}

    @property
    def sweeps(self) -> int:
        """The number of directions of the chosen mode's one vectorised sweep."""
        self._prepared("sweeps")
        return self.colors[self.mode]

    def _prepared(self, what):
        if self.pattern is None:
            raise AdmodesError(f"SparseJacobian.{what}: call it at a point first, or pass one to sparse_jacobian(f, x0).")

    def __repr__(self):
        if self.pattern is None:
            return "<SparseJacobian (not prepared yet: call it at a point)>"
        return (f"<SparseJacobian {self.pattern.shape[0]} x {self.pattern.shape[1]}, {self.pattern.nnz} nonzeros; "
                f"colours: forward {self.colors['forward']}, reverse {self.colors['reverse']}; mode {self.mode}>")

    # ------------------------------------------------------------ evaluating

    def __call__(self, *args):
        if self.tape is None or not self._same_frozen(args):
            self.prepare(*args)
        tape = self.tape
        chosen = self._chosen(args)
        leaves = tape._leaves(chosen)
        while True:
            if self.sweeps == 0:  # no nonzero: only the branches to check (tape(x) re-records where one differs)
                tape(*chosen)
                compressed = np.zeros((0, 0))
            else:
                compressed = self._compressed(leaves, chosen)
            if tape.retapes == self._retapes:
                break
            # the tape re-recorded itself at this point (it takes another branch): detect again
            self._retapes = tape.retapes
            self._detect()
        return self._decompress(compressed)

    def _chosen(self, args):
        if isinstance(self.argnums, int):
            return (args[self.argnums],)
        return tuple(args[i] for i in self.argnums)

    def _compressed(self, leaves, chosen):
        """The compressed Jacobian, (C, m) for forward mode and (C, n) for reverse; ``None``
        where the tape re-recorded at this point."""
        tape = self.tape
        ncolors = self.sweeps
        check = tape._check(True)
        seeds = self._seeds
        if self.mode == "forward":
            def sweep(xs, trace=None):
                _, tangents = tape._tangents(list(xs), seeds, 1, trace)
                out = []
                for k, (index, _) in enumerate(tape.outputs):
                    t = tangents[index] if index >= 0 else None
                    out.append(np.zeros((ncolors,) + tuple(tape.out_shapes[k]), tape.out_dtypes[k]) if t is None else t)
                return out
        else:
            def sweep(xs, trace=None):
                values = tape._forward(list(xs), trace)
                adjoints = tape._pullback(values, seeds, 1, trace)
                return [np.zeros((ncolors,) + tuple(s), d) if a is None else a
                        for a, s, d in zip(adjoints, tape.in_shapes, tape.in_dtypes)]
        parts = tape._run(f"sparse-{self.mode}-{id(self)}-{self._token}", sweep, leaves, check, chosen)
        if parts is None:
            return None
        return np.concatenate([np.asarray(p).reshape(ncolors, -1) for p in parts], axis=1)

    def _decompress(self, compressed):
        pattern = self.pattern
        rows, cols = pattern.rows, pattern.indices
        if self.mode == "forward":
            data = compressed[self.column_coloring.colors[cols], rows] if pattern.nnz else np.zeros(0)
        else:
            data = compressed[self.row_coloring.colors[rows], cols] if pattern.nnz else np.zeros(0)
        dtype = np.result_type(*self.tape.out_dtypes, *self.tape.in_dtypes)
        data = data.astype(dtype, copy=False)
        sparse = None if self.format == "dense" else scipy_sparse()
        if sparse is None:
            if self.format != "dense":
                warnings.warn("sparse_jacobian: SciPy is not installed, so the Jacobian comes back as a dense "
                              "ndarray of shape (m, n); pip install scipy for a scipy.sparse matrix, or pass "
                              "format='dense' to ask for this.", stacklevel=3)
            out = np.zeros(pattern.shape, dtype)
            out[rows, cols] = data
            return out
        J = sparse.csr_matrix((data, pattern.indices.copy(), pattern.indptr.copy()), shape=pattern.shape)
        return J.tocsc() if self.format == "csc" else J

