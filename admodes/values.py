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

from .core import COMPLEX_ADVICE, AdmodesError, Tracer, concrete

__all__ = ["refusal", "COMPLEX_ADVICE", "as_input", "normalize_argnums", "check_argnums_type"]

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


# ------------------------------------------------------------------ differentiated inputs


def as_input(x, where: str):
    """A differentiable input as an array of a real floating dtype (a clear error otherwise)."""
    if isinstance(x, Tracer):
        value = concrete(x)
        dtype = np.result_type(value)
    else:
        if type(x) is np.ndarray and x.dtype.kind == "f":
            return x
        if isinstance(x, np.ndarray) and (reason := refusal(x)) is not None:  # np.matrix, np.ma ...
            raise AdmodesError(f"{where} is {reason}")
        if isinstance(x, str | bytes):
            raise AdmodesError(f"{where} is a string ({x!r}); pass a number or a float array.")
        try:
            value = np.asarray(x)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise AdmodesError(f"{where} is not an array: {type(x).__name__}") from exc
        dtype = value.dtype
    if dtype.kind == "f":
        return x if isinstance(x, Tracer) else value
    if dtype.kind in "iub":
        raise AdmodesError(
            f"{where} has dtype {dtype}; derivatives need real floating-point inputs (as in JAX). "
            "Pass floats, e.g. np.asarray(x, dtype=float), or 3.0 instead of 3; "
            "or leave it out of argnums if it is not differentiated."
        )
    if dtype.kind == "c":
        raise AdmodesError(f"{where} is complex. " + COMPLEX_ADVICE)
    raise AdmodesError(f"{where} has dtype {dtype}, which cannot be differentiated; pass a float array.")


def check_argnums_type(argnums, name):
    """argnums must be an int or a non-empty tuple/list of ints (checked when the transformation is built)."""
    def is_index(i):
        return isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_)

    if is_index(argnums):
        return
    if isinstance(argnums, tuple | list) and not argnums:
        raise AdmodesError(f"{name}: argnums is empty; name at least one argument to differentiate.")
    if isinstance(argnums, tuple | list) and all(is_index(i) for i in argnums):
        return
    raise AdmodesError(
        f"{name}: argnums={argnums!r} ({type(argnums).__name__}) must be an int or a non-empty "
        "tuple of ints naming positional arguments, e.g. argnums=0 or argnums=(0, 2)."
    )


def normalize_argnums(argnums, nargs: int, name: str):
    """``(single, indices)`` for ``argnums`` in a call with ``nargs`` positional arguments:
    negative indices resolved, each argument named at most once, a clear error otherwise."""
    if type(argnums) is int and 0 <= argnums < nargs:  # the default argnums=0: nothing to check
        return True, (argnums,)
    check_argnums_type(argnums, name)
    single = isinstance(argnums, int | np.integer)
    nums = (int(argnums),) if single else tuple(argnums)
    for i in nums:
        if not isinstance(i, int | np.integer) or not -nargs <= i < nargs:
            raise AdmodesError(
                f"{name}: argnums={argnums!r} does not fit a call with {nargs} positional "
                f"argument(s); use an index in 0..{nargs - 1}."
            )
    normalized = tuple(int(i) % nargs for i in nums)
    if len(set(normalized)) != len(normalized):
        # each copy would be its own input, but the call can take only one of them: the
        # other's derivative would silently come out zero
        raise AdmodesError(f"{name}: argnums={argnums!r} names an argument more than once; name each once.")
    return single, normalized
