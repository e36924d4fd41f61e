"""Which plain values admodes accepts next to traced ones, and why it refuses the others.

admodes differentiates real floating-point code on plain ndarrays. Some values look like
arrays but would silently change what the derivative means, so they are refused where
they enter, with a message that says what to pass instead:

- complex numbers: the rules are those of real calculus; ``abs(x * 1j)`` would get the
  slope of a real ``abs`` (until complex support lands, every complex value is refused);
- ``np.matrix``: its ``*`` is a matrix product and it stays 2-d;
- masked arrays (``np.ma``): their reductions skip masked entries, which the rules ignore;
- object arrays: typically filled with traced values entry by entry, whose derivatives
  would be hidden from the trace;
- other ndarray subclasses, whose operators may mean something else.

>>> import numpy as np
>>> from admodes.values import refusal
>>> refusal(np.ones(2)) is None
True
>>> print(refusal(np.matrix(np.eye(2))).split(":")[0])
an np.matrix
"""

from __future__ import annotations

import numpy as np

__all__ = ["refusal", "COMPLEX_ADVICE"]

COMPLEX_ADVICE = (
    "admodes differentiates real-valued code only, and a derivative through complex values "
    "would be wrong. Keep the computation real: carry real and imaginary parts as two real "
    "arrays ((a + ib) x = a x + i b x, |z| = np.hypot(re, im))."
)


def refusal(value) -> str | None:
    """Why ``value`` cannot meet a traced value (a message naming what to do), or ``None``."""
    t = type(value)
    if t is float or t is int or t is bool:
        return None
    if t is np.ndarray or isinstance(value, np.generic):
        return _dtype_refusal(value.dtype)
    if t is complex:
        return f"a complex number ({value!r}): " + COMPLEX_ADVICE
    if isinstance(value, np.matrix):
        return (
            "an np.matrix: its * is a matrix product and its results stay 2-d, which the "
            "derivative rules do not follow. Pass np.asarray(m) and write products with @."
        )
    if isinstance(value, np.ma.MaskedArray):
        return (
            "a masked array (np.ma): its reductions skip the masked entries, which the "
            "derivative rules would not. Pass m.filled(value) or m.data, and apply the mask "
            "yourself, e.g. np.where(m.mask, 0.0, x) and a sum divided by the count."
        )
    if isinstance(value, np.ndarray):
        return (
            f"an instance of the ndarray subclass {t.__name__}, whose operators may not mean "
            "what plain NumPy's do. Pass np.asarray(value)."
        )
    return None


def _dtype_refusal(dtype) -> str | None:
    kind = dtype.kind
    if kind in "fiub":
        return None
    if kind == "c":
        return f"a complex array or number (dtype {dtype}): " + COMPLEX_ADVICE
    if kind == "O":
        return (
            "an object array (dtype object), often one filled entry by entry with traced "
            "values, whose derivatives would be hidden. Build arrays of traced values with "
            "np.stack, np.concatenate or np.where instead."
        )
    return f"an array of dtype {dtype}, which has no derivative. Pass a float array."
