"""Greedy colourings of a Jacobian pattern: which columns (forward mode) or rows (reverse
mode) can share one sweep.

Two columns may share a colour when no row has a nonzero in both (a distance-2 colouring
of the bipartite row/column graph, which is a colouring of the *column intersection
graph*: columns adjacent when they share a row). Seeding the sum of a colour's columns
then gives, in each row, the one nonzero of that colour: J S with S the n x C colour
matrix holds every nonzero of J. Rows likewise, for u^T J in reverse mode, with the
pattern transposed.

The colouring is greedy (each vertex takes the smallest colour none of its neighbours
has) in one of the standard vertex orderings, computed on the intersection graph:
``natural``, ``largest_first`` (by degree), ``smallest_last``, ``incidence_degree`` and
``dynamic_largest_first``; ``best`` runs them all and keeps the fewest colours. The
number of colours is at least the largest number of nonzeros in a row (those columns
are pairwise adjacent: ``lower_bound``) and at most the graph's largest degree + 1.

>>> import numpy as np
>>> from admodes.sparse import SparsityPattern, color_columns
>>> tridiagonal = SparsityPattern.from_dense(np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1))
>>> c = color_columns(tridiagonal, "natural")
>>> c.ncolors, c.lower_bound, c.colors.tolist()
(3, 3, [0, 1, 2, 0, 1, 2])
>>> c.seeds().astype(int)  # one forward direction per colour
array([[1, 0, 0, 1, 0, 0],
       [0, 1, 0, 0, 1, 0],
       [0, 0, 1, 0, 0, 1]])
"""

from __future__ import annotations

import numpy as np

from ..core import AdmodesError

__all__ = ["Coloring", "ORDERINGS", "color_columns", "color_rows", "intersection_graph", "is_valid", "order_vertices"]

ORDERINGS = ("natural", "largest_first", "smallest_last", "incidence_degree", "dynamic_largest_first")

_PAIRS_LIMIT = 20_000_000  # above this many row pairs, the intersection graph is made densely


class Coloring:
    """A colouring of the columns (``side="column"``) or rows (``"row"``) of a pattern.

    ``colors[k]`` is the colour of column (row) k, -1 for one without nonzeros (it needs
    no direction); ``ncolors`` the number of sweeps;
    ``lower_bound`` the largest number of nonzeros in a row (for columns) or column (for
    rows), which no colouring can beat; ``upper_bound`` the intersection graph's largest
    degree + 1, which greedy never exceeds.
    """

    def __init__(self, colors, side, ordering, lower_bound, upper_bound):
        self.colors = np.asarray(colors, np.int64)
        self.side = side
        self.ordering = ordering
        self.ncolors = int(self.colors.max()) + 1 if self.colors.size else 0
        self.lower_bound = int(lower_bound)
        self.upper_bound = int(upper_bound)

    def groups(self):
        """The columns (rows) of each colour, one index array per colour."""
        return [np.nonzero(self.colors == c)[0] for c in range(self.ncolors)]

    def seeds(self, dtype=np.float64):
        """The ``(ncolors, k)`` 0/1 matrix whose row c is the sum of colour c's unit vectors."""
        out = np.zeros((self.ncolors, self.colors.size), dtype)
        used = np.nonzero(self.colors >= 0)[0]
        out[self.colors[used], used] = 1
        return out

    def __repr__(self):
        return (f"<Coloring of {self.colors.size} {self.side}s: {self.ncolors} colours "
                f"({self.ordering}; lower bound {self.lower_bound})>")


def intersection_graph(pattern):
    """The column intersection graph of ``pattern`` as CSR ``(indptr, indices)`` over its n
    columns: j and k adjacent when some row has nonzeros in both (no self loops)."""
    m, n = pattern.shape
    counts = pattern.row_counts()
    npairs = int((counts.astype(np.int64) ** 2).sum())
    if npairs <= _PAIRS_LIMIT:
        rows = pattern.rows
        lens = counts[rows]
        a = np.repeat(pattern.indices, lens)
        total = int(lens.sum())
        ends = np.cumsum(lens)
        positions = np.arange(total, dtype=np.int64) - np.repeat(ends - lens - pattern.indptr[rows], lens)
        b = pattern.indices[positions]
        keep = a != b
        keys = np.unique(a[keep] * n + b[keep])
        first, second = keys // n, keys % n
    else:  # many dense rows: P^T P as a product of dense 0/1 matrices
        if n * n > 400_000_000:
            raise AdmodesError(f"the pattern ({m} x {n}, {pattern.nnz} nonzeros) is too dense to colour; use ad.jacobian.")
        dense = pattern.toarray().astype(np.float32)
        adjacent = (dense.T @ dense) > 0
        np.fill_diagonal(adjacent, False)
        first, second = np.nonzero(adjacent)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(first, minlength=n), out=indptr[1:])
    return indptr, second.astype(np.int64)


def _neighbours(graph, v):
    indptr, indices = graph
    return indices[indptr[v] : indptr[v + 1]]


def order_vertices(graph, ordering):
    """The vertices of ``graph`` (CSR over n vertices) in the named order."""
    indptr, indices = graph
    n = indptr.size - 1
    degree = np.diff(indptr)
    if ordering == "natural":
        return np.arange(n)
    if ordering == "largest_first":
        return np.argsort(-degree, kind="stable")
    if ordering not in ORDERINGS:
        raise AdmodesError(f"ordering={ordering!r} is not one of {', '.join(ORDERINGS)} or 'best'.")
    order = np.empty(n, np.int64)
    done = np.zeros(n, bool)
    if ordering == "smallest_last":
        # repeatedly take out a vertex of smallest degree in what is left; colour in reverse
        left = degree.astype(np.int64).copy()
        big = np.iinfo(np.int64).max
        for k in range(n - 1, -1, -1):
            v = int(np.argmin(np.where(done, big, left)))
            order[k] = v
            done[v] = True
            left[_neighbours(graph, v)] -= 1
        return order
    if ordering == "incidence_degree":
        # next: the vertex with the most neighbours already ordered (ties: the largest degree)
        incidence = np.zeros(n, np.int64)
        key_scale = int(degree.max(initial=0)) + 1
        for k in range(n):
            v = int(np.argmax(np.where(done, -1, incidence * key_scale + degree)))
            order[k] = v
            done[v] = True
            incidence[_neighbours(graph, v)] += 1
        return order
    # dynamic_largest_first: the vertex with the largest degree among the not yet ordered
    left = degree.astype(np.int64).copy()
    for k in range(n):
        v = int(np.argmax(np.where(done, -1, left)))
        order[k] = v
        done[v] = True
        left[_neighbours(graph, v)] -= 1
    return order


def _greedy(graph, order, needed):
    n = order.size
    colors = np.full(n, -1, np.int64)
    stamp = np.full(n + 1, -1, np.int64)
    for v in order[needed[order]]:
        taken = colors[_neighbours(graph, v)]
        taken = taken[taken >= 0]
        stamp[taken] = v
        colors[v] = int(np.argmax(stamp[: taken.size + 1] != v))  # the smallest colour not taken
    return colors


def _color(pattern, side, ordering, lower_bound):
    if ordering != "best" and ordering not in ORDERINGS:
        raise AdmodesError(f"ordering={ordering!r} is not one of {', '.join(ORDERINGS)} or 'best'.")
    graph = intersection_graph(pattern)
    needed = pattern.col_counts() > 0  # a column without nonzeros needs no colour
    upper = int(np.diff(graph[0]).max(initial=-1)) + 1
    candidates = ORDERINGS if ordering == "best" else (ordering,)
    best = None
    for name in candidates:
        colors = _greedy(graph, order_vertices(graph, name), needed)
        c = Coloring(colors, side, name, lower_bound, upper)
        if best is None or c.ncolors < best.ncolors:
            best = c
    return best


def color_columns(pattern, ordering: str = "largest_first") -> Coloring:
    """A column colouring of ``pattern`` for forward mode (columns of one colour share no row)."""
    return _color(pattern, "column", ordering, pattern.row_counts().max(initial=0))


def color_rows(pattern, ordering: str = "largest_first") -> Coloring:
    """A row colouring of ``pattern`` for reverse mode (rows of one colour share no column)."""
    return _color(pattern.transpose(), "row", ordering, pattern.col_counts().max(initial=0))


def is_valid(pattern, coloring) -> bool:
    """Whether no row (for a column colouring; no column for a row colouring) has two
    nonzeros of one colour: the condition for decompression to recover every entry."""
    colors = coloring.colors
    if coloring.side == "column":
        lines, others, count = pattern.rows, pattern.indices, pattern.shape[1]
    else:
        lines, others, count = pattern.indices, pattern.rows, pattern.shape[0]
    if colors.size != count:
        return False
    keys = lines * max(coloring.ncolors, 1) + colors[others]
    return np.unique(keys).size == keys.size
