"""How the graph view writes numbers, values, sums of contributions and formulas.

>>> import numpy as np
>>> format_value(np.float64(7.0)), format_sum([7.0, 2.0])
('7', '7 + 2 = 9')
"""

from __future__ import annotations

import math

import numpy as np

from ..core import concrete

__all__ = ["format_number", "format_value", "format_sum", "formula", "SHORT_OP"]

# node names (add1, mul2) and formulas use these short forms of primitive names
SHORT_OP = {
    "multiply": "mul", "subtract": "sub", "divide": "div", "negative": "neg", "absolute": "abs",
    "power": "pow", "pow_const": "pow", "reciprocal": "recip", "broadcast_to": "bcast", "concatenate": "concat",
    "getitem": "index",
}
# primitives written between their two arguments in a formula
INFIX = {
    "add": "+", "subtract": "−", "multiply": "×", "divide": "/", "power": "^",
    "matmul": "@", "matvec": "@", "vecmat": "@", "vecvec": "@",
}


def format_number(x) -> str:
    """A scalar, compactly: ``14`` rather than ``14.0000``, ``0.3333`` for 1/3.

    >>> format_number(14.0), format_number(-1.0), format_number(1 / 3), format_number(2.5e-7)
    ('14', '-1', '0.3333', '2.5e-07')
    """
    x = np.asarray(x).item() if isinstance(x, np.ndarray | np.generic) else x
    if isinstance(x, bool | np.bool_):
        return str(bool(x))
    if isinstance(x, int | np.integer):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e12:
        return str(int(x))
    return f"{x:.4g}"


def format_value(value) -> str:
    """A value as a short string: the number for scalars, short vectors in full, else shape and norm.

    >>> import numpy as np
    >>> format_value(np.float64(7.0)), format_value(np.array([1.0, 2.5])), format_value(np.ones((3, 4)))
    ('7', '[1, 2.5]', '3×4, norm 3.464')
    """
    if value is None:
        return "0"
    v = np.asarray(concrete(value))
    if v.size == 1:
        return format_number(v.reshape(()))
    if v.ndim == 1 and v.size <= 4:
        return "[" + ", ".join(format_number(e) if float(e) == int(e) else f"{float(e):.3g}" for e in v) + "]"
    shape = "×".join(map(str, v.shape)) if v.ndim else "scalar"
    if v.dtype.kind == "b":
        return f"{shape} bool"
    norm = float(np.linalg.norm(v.astype(float).ravel())) if v.size else 0.0
    return f"{shape}, norm {format_number(norm)}"


def format_sum(parts) -> str:
    """``"7 + 2 = 9"`` for scalar contributions, ``"sum of 2: …"`` for arrays, one part as is."""
    values = [np.asarray(p) for p in parts]
    total = values[0]
    for v in values[1:]:
        total = total + v
    if len(values) == 1:
        return format_value(total)
    if all(v.size == 1 for v in values):
        text = format_number(values[0].reshape(()))
        for v in values[1:]:
            x = float(v.reshape(()))
            text += (" − " + format_number(-x)) if x < 0 else (" + " + format_number(x))
        return f"{text} = {format_value(total)}"
    return f"{format_value(total)} (sum of {len(values)})"



def formula(node, nodes) -> str:
    """The equation defining operation ``node``: its name, then its primitive applied to the
    names of its arguments (``"f = add1 × add2"``); a scalar constant appears as its number."""

    def ref(i):
        p = nodes[i]
        if p.kind == "const" and p.value.size == 1:
            return format_number(p.value.reshape(()))
        return p.name

    op = node.op
    args = [ref(i) for i in node.parents]
    if op in INFIX and len(args) == 2:
        expr = f"{args[0]} {INFIX[op]} {args[1]}"
    elif op == "negative":
        expr = f"−{args[0]}"
    elif op == "square":
        expr = f"{args[0]}²"
    elif op == "pow_const" and "exponent" in node.params:
        expr = f"{args[0]} ^ {format_number(node.params['exponent'])}"
    elif op == "getitem":
        expr = f"{args[0]}[{_format_index(node.params.get('index'))}]"
    else:
        shown = {k: v for k, v in node.params.items() if k != "index" and v is not None and v is not False}
        extra = [f"{k}={_short_param(v)}" for k, v in shown.items()]
        expr = f"{SHORT_OP.get(op, op)}({', '.join(args + extra)})"
    return f"{node.name} = {expr}"


def _format_index(index) -> str:
    """``(slice(None, 2), 0)`` -> ``":2, 0"``; arrays and anything unusual -> ``…``."""
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for item in items:
        if item is None:
            parts.append("None")
        elif item is Ellipsis:
            parts.append("...")
        elif isinstance(item, int | np.integer):
            parts.append(str(int(item)))
        elif isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop, item.step))
            parts.append(text[:-1] if text.endswith(":") and item.step is None else text)
        else:
            return "…"
    return ", ".join(parts)


def _short_param(v):
    if isinstance(v, tuple) and len(v) == 1:
        return str(v[0])
    if isinstance(v, np.dtype | type):
        return np.dtype(v).name
    text = str(v)
    return text if len(text) <= 16 else text[:15] + "…"

