"""The table of NumPy functions admodes differentiates, generated from the dispatch tables.

    python -m admodes.coverage            # print the Markdown table
    python -m admodes.coverage --write    # rewrite docs/coverage.md

Every row comes from ``admodes.numpy_layer`` (``UFUNC_HANDLERS``, ``FUNCTION_HANDLERS``,
``ZERO_DERIVATIVE``): a NumPy function is either routed to a *primitive* (with its own
JVP and VJP rules), to a *composite* (an exact rewrite with primitives, so both modes
follow), or evaluated on plain values with a *zero* derivative (comparisons, argmax,
floor ...). ``tests/test_coverage.py`` fails when docs/coverage.md and the tables
disagree, or when a primitive lacks a rule for one of the modes.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

from .core import PRIMITIVES, Primitive
from .numpy_layer import FUNCTION_HANDLERS, SPECIAL_NAMES, UFUNC_HANDLERS, ZERO_DERIVATIVE

__all__ = ["coverage_rows", "coverage_markdown", "CAVEATS", "missing_rules"]

# What a user should know about a function beyond "both modes work". Keys are the names
# shown in the table; tests check that each key names a supported function.
CAVEATS = {
    "np.absolute": "slope 1 at 0 (JAX's convention)",
    "np.maximum": "ties split the derivative 0.5 / 0.5 (JAX)",
    "np.minimum": "ties split the derivative 0.5 / 0.5 (JAX)",
    "np.max": "ties share the derivative equally (JAX)",
    "np.amax": "ties share the derivative equally (JAX)",
    "np.min": "ties share the derivative equally (JAX)",
    "np.amin": "ties share the derivative equally (JAX)",
    "np.prod": "exact with zero entries (product of the others, no division)",
    "np.power": "d/dy uses log(x) with log(0) taken as 0 (JAX); a Python exponent is static",
    "np.sqrt": "infinite slope at 0",
    "np.where": "the condition is a constant; the one-argument form returns indices",
    "np.clip": "at a bound, the derivative is split as for maximum/minimum",
    "np.dot": "arrays of at most 2 axes (use matmul or einsum for more)",
    "np.reshape": "order='C' only",
    "np.concatenate": "no out=",
    "np.logaddexp": "also np.logaddexp.reduce (shifted by the max: no overflow)",
    "np.median": "ties: the stable sort's order (JAX)",
    "np.percentile": "plain q; method linear/lower/higher/midpoint/nearest; no weights=; ties as np.sort",
    "np.quantile": "plain q; method linear/lower/higher/midpoint/nearest; no weights=; ties as np.sort",
    "np.interp": "plain xp, left, right; no period=; at a grid point the slope of the piece to its right (JAX); "
                 "float32 stays float32 (NumPy returns float64)",
    "np.gradient": "plain spacings (scalars or coordinates); edge_order 1 or 2",
    "np.pad": "every mode but 'empty' and a function; plain end_values; stat modes split ties as max/min/median",
    "np.sinc": "its Taylor polynomial at 0 (derivatives exact there to the fourth)",
    "np.real": "a traced value is real (complex values are refused): the value itself",
    "np.imag": "a traced value is real: zeros, a constant",
    "np.conjugate": "a traced value is real: a copy",
    "np.unwrap": "derivative the identity (the correction is a constant); plain discont and period",
    "np.nanstd": "NaN derivative where a slice has one entry (JAX), unlike np.std's 0",
    "np.cross": "2- and 3-vectors",
    "np.linspace": "traced start and stop (and num, endpoint, axis, retstep)",
    "np.logspace": "traced start, stop and base",
    "np.polyval": "coefficients as an array (no np.poly1d)",
    "np.convolve": "modes full, same, valid; either signal may be traced",
    "np.correlate": "modes full, same, valid (NumPy's window for a shorter first signal)",
}

# scipy.special's rows exist when SciPy is installed (docs/conventions.md has the details)
_SPECIAL_CAVEATS = {
    "scipy.special.xlogy": "d/dx = log(y), d/dy = x/y also at x = 0 (JAX)",
    "scipy.special.xlog1py": "d/dx = log1p(y), d/dy = x/(1+y) also at x = 0 (JAX)",
    "scipy.special.gammainc": "derivative in x only (a must be constant)",
    "scipy.special.gammaincc": "derivative in x only (a must be constant)",
    "scipy.special.entr": "+inf slope at 0, nan for x < 0 (JAX)",
    "scipy.special.rel_entr": "slopes 0 unless p > 0 and q > 0 (JAX)",
    "scipy.special.kl_div": "slopes (-1, 1) unless p > 0 and q > 0 (JAX)",
    "scipy.special.i0": "i0'(0) = 0 (JAX: 1)",
    "scipy.special.i0e": "kink at 0: slope 0 there (JAX)",
    "scipy.special.ndtri": "slope +inf at 0 and 1 (JAX: 0)",
    "scipy.special.digamma": "to any order via polygamma; for polygamma(n, x) itself use admodes.ops.special.polygamma",
    "scipy.special.jv": "derivative in x only (the order v must be constant)",
    "scipy.special.yv": "derivative in x only (the order v must be constant)",
    "scipy.special.iv": "derivative in x only (the order v must be constant)",
    "scipy.special.ive": "derivative in x only (the order v must be constant)",
    "scipy.special.kv": "derivative in x only (the order v must be constant)",
    "scipy.special.kve": "derivative in x only (the order v must be constant)",
    "scipy.special.jn": "derivative in x only (the order v must be constant)",
}
if SPECIAL_NAMES:
    CAVEATS.update(_SPECIAL_CAVEATS)


def _name(f) -> str:
    module = getattr(f, "__module__", None) or ""
    name = getattr(f, "__name__", str(f))
    if module.startswith("numpy.linalg") or getattr(np.linalg, name, None) is f and f is not getattr(np, name, None):
        return f"np.linalg.{name}"
    if module.startswith("numpy.fft"):
        return f"np.fft.{name}"
    return f"np.{name}"


def _kind(handler) -> str:
    if isinstance(handler, Primitive):
        return f"primitive `{handler.name}`"
    return "composite"


def coverage_rows() -> list[tuple[str, str, str, str, str]]:
    """(NumPy name, how it is differentiated, forward, reverse, notes), sorted by name."""
    rows = {}
    for ufunc, handler in UFUNC_HANDLERS.items():
        # scipy.special's ufuncs (when SciPy is installed) under each of their names there
        for name in SPECIAL_NAMES.get(ufunc) or [_name(ufunc)]:
            rows[name] = ("ufunc, " + _kind(handler), "yes", "yes")
    for func, handler in FUNCTION_HANDLERS.items():
        name = _name(func)
        if name not in rows:
            rows[name] = (_kind(handler), "yes", "yes")
    for func in ZERO_DERIVATIVE:
        name = _name(func)
        rows.setdefault(name, ("plain values", "zero", "zero"))
    return [(name, *rows[name], CAVEATS.get(name, "")) for name in sorted(rows)]


def missing_rules() -> list[str]:
    """Primitives of the table without a JVP or a VJP rule (should be empty)."""
    missing = []
    for name, prim in sorted(PRIMITIVES.items()):
        if prim.jvp is None and prim.jvps is None:
            missing.append(f"{name}: JVP")
        if prim.vjp is None and prim.vjps is None:
            missing.append(f"{name}: VJP")
    return missing


def coverage_markdown() -> str:
    rows = coverage_rows()
    counted = sum(1 for r in rows if r[2] == "yes")
    lines = [
        "# NumPy coverage",
        "",
        "Generated by `python -m admodes.coverage --write` from admodes' dispatch tables; "
        "`tests/test_coverage.py` fails when this file is out of date.",
        "",
        f"{counted} NumPy (and, with SciPy installed, scipy.special) functions are differentiated "
        "in both modes (forward and reverse, "
        f"any nesting); {len(rows) - counted} more accept traced values and have a zero "
        f"derivative. The engine has {len(PRIMITIVES)} primitives. A NumPy function that is "
        "not listed raises an error naming it; give such code its own rule with "
        "`ad.custom_jvp` / `ad.custom_vjp`.",
        "",
        "| NumPy | differentiated as | forward | reverse | notes |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {fwd} | {rev} | {note} |" for name, kind, fwd, rev, note in rows]
    return "\n".join(lines) + "\n"


DEFAULT_PATH = pathlib.Path(__file__).resolve().parent.parent / "docs" / "coverage.md"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print or write the NumPy coverage table.")
    parser.add_argument("--write", action="store_true", help=f"write {DEFAULT_PATH}")
    args = parser.parse_args(argv)
    text = coverage_markdown()
    if args.write:
        DEFAULT_PATH.parent.mkdir(parents=True, exist_ok=True)
        DEFAULT_PATH.write_text(text)
        print(f"wrote {DEFAULT_PATH}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
