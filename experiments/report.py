"""The paper's numbers, tables and figures, regenerated from a results directory.

    python -m experiments report [--results results/quick] [--paper paper] [--check] [--pdf]

``paper/paper.md`` holds marker comments around every generated part::

    <!-- report:begin op_theory -->
    (a table, rewritten by every run)
    <!-- report:end op_theory -->

    reverse mode was <!-- report:begin loss_speedup -->656<!-- report:end loss_speedup -->
    times faster

Each NAME is a generator of this module (``GENERATORS``): a *block* generator writes a
Markdown table (with a pandoc ``Table:`` caption) on lines of its own, an *inline* one a
single value inside a sentence. ``report`` reads ``RESULTS/results.csv`` and
``RESULTS/provenance.json``, rewrites every marked region, and draws the figures of
``plots`` that the paper references into ``paper/figures/`` (PNG). Nothing in the Results section is typed by
hand, so rerunning the suite and the report updates the paper.

It refuses, naming the problem, with exit code 1 (and writes nothing):

- missing results (no results.csv / cells.jsonl, or no provenance.json);
- results that cannot mean what they say (``results.check_results``): a CSV cut off
  mid-line or with a short record, missing columns, a (cell, method) row twice, an ok
  row whose time is zero, negative or not finite, names that are not plain; and results
  whose provenance disagrees (another row count or suite, or a run that never finished);
- generated text that would contain a marker comment (``<!--`` or ``-->``), which would
  corrupt the paper for every later run;
- a marker that is unknown, unclosed, nested or misspelt, or a generator whose marker
  is missing from the paper;
- a figure referenced by the paper (``](figures/NAME.png)``) that the report does not
  draw.

A generator that finds no data for its part (a small suite without that family) writes
``n/a`` or a one-line note and the report lists it as a warning; the tables still
regenerate. ``--check`` writes nothing and exits 1 if paper.md differs from what the
results give (the test suite runs it on the committed paper). ``--pdf`` then builds
``paper/paper.pdf`` with pandoc (``--citeproc``) and a LaTeX engine; without them it
says what to install and exits 3.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "EXIT_ERROR",
    "EXIT_NO_PDF",
    "EXIT_OK",
    "GENERATORS",
    "PAPER_FIGURES",
    "Context",
    "Generator",
    "Region",
    "ReportError",
    "build",
    "build_pdf",
    "main",
    "parse_markers",
    "render_regions",
]

EXIT_OK, EXIT_ERROR, EXIT_NO_PDF = 0, 1, 3

# the figures of ``plots`` the paper may show; the report draws those it references into paper/figures/ (PNG)
PAPER_FIGURES = ("ratio_heatmap", "ops_vs_theory", "time_vs_n", "time_vs_m", "tape_memory")

PAPER_NAME = "paper.md"


class ReportError(RuntimeError):
    """The report cannot be produced; the message says why and what to do."""


# ----------------------------------------------------------------------------- markers

_MARKER = re.compile(r"<!--\s*report:(?P<kind>\S*)\s*(?P<name>[^\s>]*)\s*-->")


@dataclass(frozen=True)
class Region:
    """One marked region of the paper: ``text[start:end]`` is its current content."""

    name: str
    start: int  # just after the begin marker
    end: int  # at the end marker
    line: int  # line of the begin marker (1-based)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def parse_markers(text: str, where: str = PAPER_NAME) -> list[Region]:
    """Every ``report:begin NAME`` ... ``report:end NAME`` region; ``ReportError`` on a malformed marker."""
    regions, errors = [], []
    open_name, open_at, open_end = None, 0, 0
    for m in _MARKER.finditer(text):
        kind, name, line = m.group("kind"), m.group("name"), _line(text, m.start())
        if kind not in ("begin", "end") or not name:
            errors.append(f"{where}:{line}: unrecognised marker {m.group(0)!r} "
                          "(write <!-- report:begin NAME --> ... <!-- report:end NAME -->)")
            continue
        if kind == "begin":
            if open_name is not None:
                errors.append(f"{where}:{line}: report:begin {name} inside the region {open_name} "
                              f"opened on line {open_at} (regions do not nest; close {open_name} first)")
                continue
            open_name, open_at, open_end = name, line, m.end()
        else:
            if open_name is None:
                errors.append(f"{where}:{line}: report:end {name} without a report:begin {name}")
            elif name != open_name:
                errors.append(f"{where}:{line}: report:end {name} closes the region {open_name} "
                              f"opened on line {open_at}")
                open_name = None
            else:
                regions.append(Region(name, open_end, m.start(), open_at))
                open_name = None
    if open_name is not None:
        errors.append(f"{where}:{open_at}: report:begin {open_name} has no report:end {open_name}")
    if errors:
        raise ReportError("malformed markers:\n  " + "\n  ".join(errors))
    return regions


def render_regions(text: str, regions: list[Region], contents: dict[str, str]) -> str:
    """``text`` with each region's content replaced by ``contents[name]``."""
    out, pos = [], 0
    for r in sorted(regions, key=lambda r: r.start):
        out += [text[pos:r.start], contents[r.name]]
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


# ----------------------------------------------------------------------------- context


@dataclass
class Context:
    """What the generators read: the results, their provenance, and a list of warnings."""

    results: Path
    df: object  # pandas.DataFrame of every row
    prov: dict
    warnings: list = field(default_factory=list)

    def __post_init__(self):
        from . import analysis

        self.ok = analysis.ok_rows(self.df)
        self._cache = {}

    def cached(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def warn(self, name: str, message: str) -> None:
        self.warnings.append(f"{name}: {message}")

    # shared derived tables
    @property
    def theory(self):
        from . import analysis

        return self.cached("theory", lambda: analysis.theory_ratios(self.df))

    @property
    def crossovers(self):
        from . import analysis

        return self.cached("crossovers", lambda: analysis.crossovers(self.df))

    @property
    def exponents(self):
        from . import analysis

        return self.cached("exponents", lambda: analysis.scaling_exponents(self.df))

    @property
    def grid_family(self) -> str | None:
        """The family measured over an (n, m) grid (the crossover and exponent tables use it)."""
        co = self.crossovers
        if co.empty:
            return None
        fams = list(dict.fromkeys(co["family"]))
        return "mlp" if "mlp" in fams else fams[0]

    def times(self, family=None):
        """Median times as a table indexed by (family, n, m, size), one column per method."""
        t = self.cached("times", lambda: self.ok.pivot_table(index=["family", "n", "m", "size"], columns="method",
                                                             values="time_median_s"))
        return t if family is None else t.loc[family] if family in t.index.get_level_values(0) else t.iloc[0:0]


# ----------------------------------------------------------------------------- generators


@dataclass(frozen=True)
class Generator:
    name: str
    kind: str  # "block" (a table on its own lines) or "inline" (one value in a sentence)
    fn: Callable[[Context], str]
    doc: str


GENERATORS: dict[str, Generator] = {}


def generator(name: str, kind: str = "block"):
    def deco(fn):
        GENERATORS[name] = Generator(name, kind, fn, ((fn.__doc__ or "").strip().splitlines() or [""])[0])
        return fn

    return deco


NA = "n/a"


def num(v, digits: int = 3) -> str:
    """A number for prose and tables: 3 significant digits, no exponent below 1e6."""
    if v is None:
        return NA
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return NA
    if math.isinf(v):
        return "inf"
    if v == 0:
        return "0"
    if abs(v) >= 1e6 or abs(v) < 1e-3:
        mant, exp = f"{v:.{digits - 1}e}".split("e")
        return f"{mant}e{int(exp)}"
    magnitude = math.floor(math.log10(abs(v)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{round(v, decimals):.{decimals}f}" if decimals else f"{round(v, digits - 1 - magnitude):.0f}"


def seconds(v) -> str:
    """A duration with its unit (s, ms, µs)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return NA
    v = float(v)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(v) >= scale:
            return f"{num(v / scale)} {unit}"
    return f"{num(v / 1e-9)} ns"


def fixed(v, decimals: int = 2) -> str:
    """A number with fixed decimals and no '-0.00' (for exponents)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return NA
    text = f"{float(v):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def span(values) -> str:
    """'a' if all values round alike, else 'a–b' (min to max)."""
    values = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return NA
    lo, hi = num(min(values)), num(max(values))
    return lo if lo == hi else f"{lo}–{hi}"


def md_table(header: list[str], rows: list[list], align: str | None = None, caption: str | None = None) -> str:
    """A pipe table (GitHub and pandoc) with an optional pandoc ``Table:`` caption."""
    align = align or "l" * len(header)
    sep = ["---:" if a == "r" else ":---:" if a == "c" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(sep) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    if caption:
        lines += ["", f"Table: {caption}"]
    return "\n".join(lines)


def _note(ctx: Context, name: str, message: str) -> str:
    ctx.warn(name, message)
    return f"*(not in these results: {message})*"


METHOD_LABELS = {
    "admodes_fwd_chunk1": "admodes forward, chunk=1",
    "admodes_rev_chunk1": "admodes reverse, chunk=1",
    "admodes_fwd_vec": "admodes forward, vectorised",
    "admodes_rev_vec": "admodes reverse, vectorised",
    "admodes_auto": "admodes auto",
    "admodes_replay_fwd": "admodes forward, replayed tape",
    "admodes_replay_rev": "admodes reverse, replayed tape",
    "jax_jacfwd_jit": "JAX jacfwd, jit",
    "jax_jacrev_jit": "JAX jacrev, jit",
    "jax_jacfwd_eager": "JAX jacfwd, eager",
    "jax_jacrev_eager": "JAX jacrev, eager",
    "autograd_jacobian": "autograd jacobian",
    "torch_jacfwd": "torch.func jacfwd",
    "torch_jacrev": "torch.func jacrev",
}


def label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


# --- the machine


@generator("provenance")
def _provenance(ctx: Context) -> str:
    """Machine, versions, threads, code and command of the measurement."""
    p = ctx.prov
    v = {k: val for k, val in (p.get("versions") or {}).items() if val}
    env = (p.get("threads") or {}).get("env") or {}
    blas = (p.get("blas") or {}).get("blas") or {}
    git = p.get("git") or {}
    cfg = p.get("config") or {}

    def pkg(*names):
        return ", ".join(f"{n} {v[n]}" for n in names if n in v) or NA

    threads = [f"{k.replace('_NUM_THREADS', '')} = {env[k]}" for k in
               ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if env.get(k)]
    torch_threads = (p.get("threads") or {}).get("torch_num_threads")
    if torch_threads is not None:
        threads.append(f"torch = {torch_threads}")
    jax_bits = [f"backend {p['jax_backend']}"] if p.get("jax_backend") else []
    if p.get("jax_enable_x64") is not None:
        jax_bits.append("x64 " + ("on" if p["jax_enable_x64"] else "off"))
    # provenance version 1 recorded this flag as true whatever it was: left out then
    if p.get("jax_cpu_enable_async_dispatch") is not None and p.get("provenance_version", 1) >= 2:
        jax_bits.append("asynchronous CPU dispatch " + ("on" if p["jax_cpu_enable_async_dispatch"] else "off"))
    commit = str(git.get("commit") or "")[:10] or NA
    rows = [
        ["CPU", f"{p.get('cpu_model', NA)}, {p.get('cpu_count', NA)} cores"],
        ["Operating system", p.get("platform", NA)],
        ["Python", v.get("python", NA)],
        ["NumPy (BLAS)", f"{v.get('numpy', NA)} ({blas.get('name', '?')} {blas.get('version', '')})".replace(" )", ")")],
        ["JAX", f"{pkg('jax', 'jaxlib')}; {', '.join(jax_bits)}" if jax_bits else pkg("jax", "jaxlib")],
        ["Peers", pkg("autograd", "torch")],
        ["Analysis", pkg("pandas", "matplotlib")],
        ["Threads", "; ".join(threads) or "environment (not pinned)"],
        ["XLA_FLAGS", f"`{env['XLA_FLAGS']}`" if env.get("XLA_FLAGS") else NA],
        ["Suite", f"`{p.get('suite', NA)}`: {p.get('cells_total', NA)} cells, {cfg.get('repeats', NA)} timed repeats "
                  f"of at least {cfg.get('min_time', NA)} s each, seed {p.get('seed', NA)}"],
        ["Code", f"admodes {v.get('admodes', NA)}, git {commit}" + (" (uncommitted changes)" if git.get("dirty") else "")],
        ["Measured", f"{p.get('date_utc', NA)}, {num(p.get('wall_time_s'))} s"],
        ["Command", "`" + " ".join(p.get("command_line") or []) + "`"],
    ]
    if p.get("skipped_methods"):
        rows.append(["Skipped", "; ".join(p["skipped_methods"])])
    return md_table(["", "measured with"], rows, "ll",
                    caption="Where and how the results were measured (from the suite's provenance.json).")


# --- the grid that was measured


def _values(v) -> str:
    if v is None:
        return ""
    return ", ".join(str(x) for x in v) if isinstance(v, list) else str(v)


# one line per family for the paper (the full descriptions are in families.py)
FAMILY_SHORT = {
    "mlp": "$\\tanh(W_2 \\tanh(W_1 x))$, hidden width $h$",
    "elementwise": "a chain of `depth` smooth elementwise ops ($m = n$, diagonal Jacobian)",
    "loss": "scalar loss ($m = 1$): mean squared error of a small tanh network with $n$ parameters on `batch` points",
    "poly": "Chebyshev polynomial with $n$ coefficients at $m$ points, then `steps` Euler steps",
    "trajectory": "$m$ time steps of a `state`-dimensional system driven by $n$ parameters",
    "worked": "the worked example $(a + b)(b + c)$",
}


@generator("sweeps")
def _sweeps(ctx: Context) -> str:
    """The suite's sweeps (families and their n, m and size values), from provenance.json."""
    from .families import FAMILIES

    sweeps = (ctx.prov.get("config") or {}).get("sweeps") or []
    if not sweeps:
        return _note(ctx, "sweeps", "provenance.json records no config sweeps")
    rows = []
    for sw in sweeps:
        fam = FAMILIES.get(sw.get("family"))
        n = _values(sw.get("n")) or (str(fam.fixed_n) if fam and fam.fixed_n is not None else "")
        if "m" in sw:
            m = _values(sw["m"])
        elif fam and fam.fixed_m is not None:
            m = str(fam.fixed_m)
        else:
            m = "= n" if fam and fam.m_equals_n else ""
        size_name = fam.size_name if fam else "size"
        size = _values(sw.get("size")) or (str(fam.default_size) if fam else "")
        size = "" if size_name == "unused" else f"{size_name} = {size}"
        what = FAMILY_SHORT.get(sw.get("family")) or (fam.description if fam else "")
        rows.append([f"`{sw.get('family')}`", what, n, m, size])
    methods = ", ".join(f"`{m}`" for m in dict.fromkeys(ctx.df["method"]))
    return md_table(["family", "function", "n", "m", "size"], rows, "lllll",
                    caption=f"The sweeps of the suite `{ctx.prov.get('suite', '')}`, from its provenance.json: every "
                            f"combination of the listed $n$, $m$ and size is one cell. Methods: {methods}.")


# --- operation counts


@generator("op_theory")
def _op_theory(ctx: Context) -> str:
    """Op counts over the cost model's n·c and m·c, per family."""
    th = ctx.theory
    if th.empty:
        return _note(ctx, "op_theory", "no admodes chunk=1 rows with op counts")
    rows = []
    for family in dict.fromkeys(th["family"]):
        f = th[(th["family"] == family) & (th["method"] == "admodes_fwd_chunk1")]
        r = th[(th["family"] == family) & (th["method"] == "admodes_rev_chunk1")]
        cells = int(max(f["cells"].max() if len(f) else 0, r["cells"].max() if len(r) else 0))

        def rng(t):
            return span([t["ratio_min"].iloc[0], t["ratio_max"].iloc[0]]) if len(t) else NA

        exact = all(len(t) == 0 or t["ratio_min"].iloc[0] == t["ratio_max"].iloc[0] for t in (f, r))
        rows.append([family, cells, rng(f), rng(r), "yes" if exact else "no"])
    return md_table(["family", "cells", "forward chunk=1: ops / (n·c)", "reverse chunk=1: (ops − c) / (m·c)",
                     "one constant per family"], rows, "lrrrc",
                    caption="Primitive operations counted by the engine for one full Jacobian, over the cost "
                            "model's $n\\,c$ (forward) and $m\\,c$ (reverse, the recorded pass of $c$ ops "
                            "excluded); $c$ = ops of one evaluation. A single number means the same ratio at "
                            "every cell of the family.")


@generator("fwd_const", "inline")
def _fwd_const(ctx):
    """Range over families of forward chunk=1 ops / (n·c)."""
    t = ctx.theory
    t = t[t["method"] == "admodes_fwd_chunk1"] if not t.empty else t
    if t.empty:
        ctx.warn("fwd_const", "no forward chunk=1 op counts")
        return NA
    return span(list(t["ratio_min"]) + list(t["ratio_max"]))


@generator("rev_const", "inline")
def _rev_const(ctx):
    """Range over families of reverse chunk=1 (ops − c) / (m·c)."""
    t = ctx.theory
    t = t[t["method"] == "admodes_rev_chunk1"] if not t.empty else t
    if t.empty:
        ctx.warn("rev_const", "no reverse chunk=1 op counts")
        return NA
    return span(list(t["ratio_min"]) + list(t["ratio_max"]))


# --- scaling exponents

_EXPONENT_METHODS = list(METHOD_LABELS)


def _median_exponent(ctx, method, axis, col="time_exponent", family=None):
    se = ctx.exponents
    if se.empty:
        return math.nan
    family = family or ctx.grid_family
    s = se[(se["method"] == method) & (se["axis"] == axis) & (se["family"] == family)]
    return float(s[col].median()) if len(s) else math.nan


@generator("scaling")
def _scaling(ctx: Context) -> str:
    """Median fitted exponents of time and ops against n and m on the grid family."""
    family = ctx.grid_family
    se = ctx.exponents
    if family is None or se.empty or se[se["family"] == family].empty:
        return _note(ctx, "scaling", "no family with at least 3 values of n and of m")
    g = se[se["family"] == family]
    rows = []
    for method in [m for m in _EXPONENT_METHODS if m in set(g["method"])]:
        cells = []
        for axis in ("n", "m"):
            for col in ("time_exponent", "ops_exponent"):
                s = g[(g["method"] == method) & (g["axis"] == axis)][col]
                cells.append(fixed(s.median()) if s.notna().any() else "")
        rows.append([label(method), *cells])
    along_n = g[g["axis"] == "n"]
    pts = f"{int(along_n['from'].min())}–{int(along_n['to'].max())}" if len(along_n) else "?"
    return md_table(["method", "time vs n", "ops vs n", "time vs m", "ops vs m"], rows, "lrrrr",
                    caption=f"Fitted exponents $p$ of cost $\\propto n^p$ (at fixed $m$) and $\\propto m^p$ (at fixed "
                            f"$n$) on the `{family}` family, $n$ and $m$ from {pts}: the median over the sweeps at "
                            "each fixed value of the other dimension (least squares on log-log points). Op counts "
                            "exist for admodes only.")


def _exponent_inline(name, method, axis):
    def fn(ctx):
        v = _median_exponent(ctx, method, axis)
        if math.isnan(v):
            ctx.warn(name, f"no fitted exponent of {method} against {axis}")
        return fixed(v)

    return fn


for _name, _method, _axis in (("exp_fwd_n", "admodes_fwd_chunk1", "n"), ("exp_fwd_m", "admodes_fwd_chunk1", "m"),
                              ("exp_rev_m", "admodes_rev_chunk1", "m"), ("exp_rev_n", "admodes_rev_chunk1", "n"),
                              ("exp_fwd_vec_n", "admodes_fwd_vec", "n"), ("exp_rev_vec_m", "admodes_rev_vec", "m")):
    GENERATORS[_name] = Generator(_name, "inline", _exponent_inline(_name, _method, _axis),
                                  f"median time exponent of {_method} against {_axis}")


# --- crossovers


def _op_constants(ctx, family):
    """(a, b, tape/c) of the family: forward ops = n·a·c, reverse ops = tape + m·b·c."""
    t = ctx.theory
    if t.empty:
        return None
    f = t[(t["family"] == family) & (t["method"] == "admodes_fwd_chunk1")]
    r = t[(t["family"] == family) & (t["method"] == "admodes_rev_chunk1")]
    d = ctx.ok[(ctx.ok["family"] == family) & (ctx.ok["method"] == "admodes_rev_chunk1") & (ctx.ok["eval_ops"] > 0)]
    if f.empty or r.empty or d.empty:
        return None
    tape = float((d["tape_length"] / d["eval_ops"]).median())
    return float(f["ratio_min"].iloc[0]), float(r["ratio_min"].iloc[0]), tape


def _predicted_nstar(ctx, family, m):
    k = _op_constants(ctx, family)
    if k is None:
        return math.nan
    a, b, tape = k
    return (tape + m * b) / a


@generator("crossover")
def _crossover(ctx: Context) -> str:
    """Measured crossover n* (forward as fast as reverse) at each m, per method pair."""
    co = ctx.crossovers
    family = ctx.grid_family
    if family is None:
        return _note(ctx, "crossover", "no family measured over an (n, m) grid")
    co = co[co["family"] == family]
    ms = sorted(int(m) for m in co["m"].unique())
    times = ctx.times(family)
    ns = sorted({int(n) for n, *_ in times.index}) if len(times) else []
    n_lo, n_hi = (ns[0], ns[-1]) if ns else (None, None)
    rows = []
    for pair in dict.fromkeys(co["pair"]):
        cells = []
        for m in ms:
            r = co[(co["pair"] == pair) & (co["m"] == m)]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            if not math.isnan(r["n_star"]):
                cells.append(num(r["n_star"]))
            elif r["note"] == "reverse faster at every n":
                cells.append(f"< {n_lo}")
            elif r["note"] == "forward faster at every n":
                cells.append(f"> {n_hi}")
            else:
                cells.append("several")
        rows.append([pair, *cells])
    rows.append(["predicted from op counts (chunk=1)", *[num(_predicted_nstar(ctx, family, m)) for m in ms]])
    return md_table(["method pair", *[f"m = {m}" for m in ms]], rows, "l" + "r" * len(ms),
                    caption=f"Measured crossover $n^*$ on the `{family}` family: the number of inputs at which the "
                            "forward-mode Jacobian takes as long as the reverse-mode one (log-log interpolation "
                            f"of the time ratio over $n$ = {', '.join(map(str, ns))}). '< {n_lo}': reverse was "
                            f"faster at every $n$; '> {n_hi}': forward was. The last row is where the engine's op "
                            "counts cross, $n^* = (t + m\\,b)/a$, with $a$ and $b$ from the op-count table and "
                            "$t$ the recorded pass over $c$.")


def _nstar_ratios(ctx):
    co = ctx.crossovers
    family = ctx.grid_family
    if family is None:
        return None
    r = co[(co["family"] == family) & (co["pair"].str.startswith("admodes chunk=1")) & (co["m"] > 1)]
    r = r[r["n_star_over_m"].notna()]
    return r if len(r) else None


@generator("nstar_over_m", "inline")
def _nstar_over_m(ctx):
    """Range of measured n*/m of the textbook pair for m > 1."""
    r = _nstar_ratios(ctx)
    if r is None:
        ctx.warn("nstar_over_m", "no measured textbook crossover at m > 1")
        return NA
    return span(r["n_star_over_m"])


@generator("nstar_over_m_ops", "inline")
def _nstar_over_m_ops(ctx):
    """b/a: the crossover slope the op counts predict."""
    family = ctx.grid_family
    k = _op_constants(ctx, family) if family else None
    if k is None:
        ctx.warn("nstar_over_m_ops", "no op counts on the grid family")
        return NA
    return num(k[1] / k[0])


# --- extremes: where one mode wins by far


def _ratio(times, key, a, b):
    try:
        return float(times.loc[key, a] / times.loc[key, b])
    except KeyError:
        return math.nan


def _extreme_cells(ctx):
    """Per family, the cell with the largest n/m and the one with the largest m/n (largest size first)."""
    t = ctx.times()
    out = []
    if t.empty or "admodes_fwd_chunk1" not in t or "admodes_rev_chunk1" not in t:
        return out, t
    t2 = t[t["admodes_fwd_chunk1"].notna() & t["admodes_rev_chunk1"].notna()]
    for family in dict.fromkeys(t2.index.get_level_values(0)):
        keys = [k for k in t2.index if k[0] == family]
        wide_in = max(keys, key=lambda k: (k[1] / k[2], k[1], k[3]))
        wide_out = max(keys, key=lambda k: (k[2] / k[1], k[2], k[3]))
        square = all(k[1] == k[2] for k in keys)
        if wide_in[1] > wide_in[2] or square:
            out.append(wide_in)
        if wide_out[2] > wide_out[1]:
            out.append(wide_out)
    return out, t


def _ops_ratio(ctx, key):
    d = ctx.ok
    fam, n, m, size = key
    sel = (d["family"] == fam) & (d["n"] == n) & (d["m"] == m) & (d["size"] == size)
    f = d[sel & (d["method"] == "admodes_fwd_chunk1")]["ops_total"]
    r = d[sel & (d["method"] == "admodes_rev_chunk1")]["ops_total"]
    return float(f.iloc[0] / r.iloc[0]) if len(f) and len(r) and r.iloc[0] > 0 else math.nan


@generator("extremes")
def _extremes(ctx: Context) -> str:
    """Forward/reverse time and op ratios at each family's most unbalanced cells."""
    cells, t = _extreme_cells(ctx)
    if not cells:
        return _note(ctx, "extremes", "no cell with both admodes chunk=1 methods")
    rows = []
    for key in cells:
        fam, n, m, size = key
        rows.append([
            fam, n, m, seconds(t.loc[key, "admodes_fwd_chunk1"]), seconds(t.loc[key, "admodes_rev_chunk1"]),
            num(_ratio(t, key, "admodes_fwd_chunk1", "admodes_rev_chunk1")), num(_ops_ratio(ctx, key)),
            num(_ratio(t, key, "admodes_fwd_vec", "admodes_rev_vec")),
            num(_ratio(t, key, "jax_jacfwd_jit", "jax_jacrev_jit")),
        ])
    return md_table(["family", "n", "m", "forward chunk=1", "reverse chunk=1", "time fwd/rev", "ops fwd/rev",
                     "fwd/rev vectorised", "fwd/rev JAX jit"], rows, "lrrrrrrrr",
                    caption="Time of one full Jacobian with `chunk=1` at each family's most unbalanced cells "
                            "(the largest $n/m$ and the largest $m/n$), and the forward/reverse ratios of time and "
                            "of counted ops; above 1, reverse mode was faster. The last two columns are the same "
                            "time ratio for admodes' vectorised sweeps and for jitted JAX.")


def _extreme_inline(name, family, pick, what):
    """An inline value at the extreme cell of ``family``: pick 'wide_in' (max n/m) or 'wide_out' (max m/n)."""

    def fn(ctx):
        cells, t = _extreme_cells(ctx)
        keys = [k for k in cells if k[0] == family]
        if not keys:
            ctx.warn(name, f"family {family!r} not measured with both chunk=1 methods")
            return NA
        key = max(keys, key=(lambda k: k[1] / k[2]) if pick == "wide_in" else (lambda k: k[2] / k[1]))
        if what == "n":
            return str(key[1])
        if what == "m":
            return str(key[2])
        r = _ratio(t, key, "admodes_fwd_chunk1", "admodes_rev_chunk1")
        return num(r if what == "fwd_over_rev" else 1 / r)

    return fn


for _name, _args, _doc in (
    ("loss_n", ("loss", "wide_in", "n"), "n of the largest scalar-loss cell"),
    ("poly_n", ("poly", "wide_out", "n"), "n of the widest-output poly cell"),
    ("loss_speedup", ("loss", "wide_in", "fwd_over_rev"), "forward/reverse chunk=1 time there"),
    ("poly_m", ("poly", "wide_out", "m"), "m of the widest-output poly cell"),
    ("poly_speedup", ("poly", "wide_out", "rev_over_fwd"), "reverse/forward chunk=1 time there"),
):
    GENERATORS[_name] = Generator(_name, "inline", _extreme_inline(_name, *_args), _doc)


# --- replay: what the interpreter costs


def _replay_ratios(ctx):
    """Per cell: eager admodes (auto) and the replayed tape (its faster mode), each over the faster jitted JAX."""
    def build():
        import numpy as np
        import pandas as pd

        t = ctx.times()
        need = ["admodes_auto", "admodes_replay_fwd", "admodes_replay_rev", "jax_jacfwd_jit", "jax_jacrev_jit"]
        if t.empty or any(c not in t for c in need):
            return pd.DataFrame()
        jit = np.fmin(t["jax_jacfwd_jit"], t["jax_jacrev_jit"])
        replay = np.fmin(t["admodes_replay_fwd"], t["admodes_replay_rev"])
        out = pd.DataFrame({"eager": t["admodes_auto"] / jit, "replay": replay / jit,
                            "replay_over_eager": replay / t["admodes_auto"]}).dropna()
        return out

    return ctx.cached("replay_ratios", build)


@generator("replay")
def _replay(ctx: Context) -> str:
    """Eager admodes and the replayed tape against jitted JAX, per family."""
    r = _replay_ratios(ctx)
    if r.empty:
        return _note(ctx, "replay", "no cell with admodes auto, both replay methods and both jitted JAX methods")
    rows = []
    for family in dict.fromkeys(r.index.get_level_values(0)):
        f = r.loc[family]
        rows.append([family, len(f), num(f["eager"].median()), span(f["eager"]), num(f["replay"].median()),
                     span(f["replay"]), num(f["replay_over_eager"].median())])
    return md_table(["family", "cells", "eager / JAX jit", "(range)", "replayed / JAX jit", "(range)", "replayed / eager"],
                    rows, "lrrrrrr",
                    caption="Time of one full Jacobian over that of the faster jitted JAX transform (compile time "
                            "excluded), median and range over each family's cells. Eager is `jacobian(mode=\"auto\")`, "
                            "tracing the function at every call; replayed is the faster mode over a tape recorded once "
                            "and staged into straight-line NumPy code (`ad.record`).")


def _replay_span(name, column):
    """The range of one ratio of ``_replay_ratios`` over the grid family's cells."""

    def fn(ctx):
        r = _replay_ratios(ctx)
        family = ctx.grid_family
        if r.empty or family not in r.index.get_level_values(0):
            ctx.warn(name, "no admodes replay, admodes auto and jitted JAX times on the grid family")
            return NA
        return span(r.loc[family][column])

    return fn


for _name, _column, _doc in (
    ("replay_mlp", "replay", "Replayed tape / jitted JAX over the two-layer network's cells (range)."),
    ("eager_mlp", "eager", "Eager admodes (auto) / jitted JAX over the two-layer network's cells (range)."),
):
    GENERATORS[_name] = Generator(_name, "inline", _replay_span(_name, _column), _doc)


# --- counts, correctness, memory


@generator("cells", "inline")
def _cells(ctx):
    """Number of cells."""
    return str(ctx.df["cell"].nunique())


@generator("methods", "inline")
def _methods(ctx):
    """Number of methods."""
    return str(ctx.df["method"].nunique())


@generator("rows", "inline")
def _rows(ctx):
    """Number of (cell, method) rows."""
    return str(len(ctx.df))


@generator("not_ok", "inline")
def _not_ok(ctx):
    """Rows whose Jacobian failed the oracle check or raised."""
    bad = int((ctx.df["status"] != "ok").sum())
    if bad:
        ctx.warn("not_ok", f"{bad} row(s) are not ok; see results.csv")
    return str(bad)


@generator("max_rel_err", "inline")
def _max_rel_err(ctx):
    """Largest relative error against jax.jacrev over the ok rows."""
    e = ctx.ok["max_rel_err"] if "max_rel_err" in ctx.ok else None
    if e is None or e.notna().sum() == 0:
        ctx.warn("max_rel_err", "no oracle errors recorded")
        return NA
    return num(e.max(), 2)


@generator("tape_bytes_per_flop", "inline")
def _tape_bpf(ctx):
    """Range of tape bytes per flop of one evaluation (reverse, vectorised)."""
    d = ctx.ok[(ctx.ok["method"] == "admodes_rev_vec") & (ctx.ok["eval_flops"] > 0) & ctx.ok["tape_bytes"].notna()]
    if d.empty:
        ctx.warn("tape_bytes_per_flop", "no reverse-mode tape sizes")
        return NA
    return span(d["tape_bytes"] / d["eval_flops"])


@generator("machine", "inline")
def _machine(ctx):
    """CPU and cores, from provenance."""
    p = ctx.prov
    return f"{p.get('cpu_model', NA)} ({p.get('cpu_count', NA)} cores)"


@generator("suite", "inline")
def _suite(ctx):
    """Name of the suite and the directory it was read from."""
    return f"`{ctx.prov.get('suite', ctx.results.name)}`"


# --- the worked example, computed by admodes when the report runs


@generator("worked_example")
def _worked_example(ctx: Context) -> str:
    """Values, local derivatives, adjoints and tangents of f = (a+b)(b+c) at (-1, 3, 4), by admodes.trace."""
    import numpy as np

    import admodes as ad

    def f(a, b, c):
        return (a + b) * (b + c)

    back = ad.trace(f, -1.0, 3.0, 4.0).backward()
    fwd = ad.trace(f, -1.0, 3.0, 4.0).forward((0.0, 1.0, 0.0))
    names = {"add1": "x", "add2": "y"}
    by_index = {node.index: node for node in back.nodes}
    tangents = {node.name: node for node in fwd.nodes}

    def sym(name):
        return names.get(name, name)

    def val(x):
        return f"{float(np.asarray(x)):g}"

    def summed(total, parts, seeded):
        if seeded:
            return f"{val(total)} (seed)"
        values = [p[1] for p in parts or []]
        if len(values) > 1:
            return " + ".join(val(v) for v in values) + f" = {val(total)}"
        return val(total)

    rows = []
    for node in back.nodes:
        formula = "input" if node.kind == "input" else node.formula.split("=", 1)[1].strip()
        for old, new in names.items():
            formula = formula.replace(old, new)
        formula = formula.replace("×", "·")
        local = ", ".join(f"∂{sym(node.name)}/∂{sym(by_index[e.src].name)} = {val(e.local)}" for e in node.in_edges)
        t = tangents[node.name]
        out_seed = bool(node.adjoint_parts) and node.adjoint_parts[0][0] is None
        in_seed = node.kind == "input" and float(np.asarray(t.tangent)) != 0.0
        rows.append([sym(node.name), formula, val(node.value), local or "",
                     summed(node.adjoint, node.adjoint_parts, out_seed), summed(t.tangent, t.tangent_parts, in_seed)])
    return md_table(["node", "computes", "value", "local derivatives", "adjoint ∂f/∂node (reverse)",
                     "tangent ∂node/∂b (forward)"], rows, "llrlrr",
                    caption="The worked example f = (a + b)(b + c) at a = −1, b = 3, c = 4, as admodes.trace "
                            "records it when the report runs. One reverse sweep gives every adjoint (the two "
                            "paths into b add up); one forward sweep seeded at b gives every node's tangent.")


# ----------------------------------------------------------------------------- building


def load_results(results) -> Context:
    """The context of a results directory, or ``ReportError`` saying what is missing."""
    from .results import CSV_NAME, JOURNAL_NAME, PROVENANCE_NAME, ResultsError, load

    results = Path(results)
    if not results.is_dir():
        raise ReportError(f"no results directory {results}: run `python -m experiments run --quick` "
                          f"(or --suite NAME --out {results}) first")
    try:
        df = load(results)  # checked: complete records, columns, no duplicates, finite positive times
    except FileNotFoundError:
        raise ReportError(f"no results in {results} (neither {CSV_NAME} nor {JOURNAL_NAME}): run "
                          f"`python -m experiments run --out {results} ...` first") from None
    except ResultsError as exc:
        raise ReportError(f"{exc}\n(the paper was left as it was)") from None
    prov_path = results / PROVENANCE_NAME
    if not prov_path.exists():
        raise ReportError(f"no {PROVENANCE_NAME} in {results}: the paper must say where the results were "
                          "measured; rerun the suite (the runner writes it)")
    try:
        prov = json.loads(prov_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{prov_path} cannot be read: {exc}") from None
    if not isinstance(prov, dict):
        raise ReportError(f"{prov_path} is not a provenance record (a JSON object)")
    _check_against_provenance(df, prov, prov_path)
    return Context(results, df, prov)


def _check_against_provenance(df, prov: dict, prov_path: Path) -> None:
    """The results are the ones the provenance describes: a finished run, its row count and its suite."""
    problems = []
    rows = prov.get("rows")
    if rows is None:
        problems.append(f"records no row count (status {prov.get('status', '?')!r}): the run that wrote it did not "
                        "finish; resume it (`python -m experiments run --resume --out DIR ...`) first")
    elif rows != len(df):
        problems.append(f"records {rows} rows but the results have {len(df)}: they are not the results it describes "
                        "(rows added, lost or doubled since); rerun the suite")
    suites = sorted(set(df["suite"].astype(str)))
    if prov.get("suite") is not None and suites != [str(prov["suite"])]:
        problems.append(f"is for the suite {prov['suite']!r} but the results hold {', '.join(map(repr, suites))}")
    if problems:
        raise ReportError(f"{prov_path} " + f"\n{prov_path} ".join(problems) + "\n(the paper was left as it was)")


_COMMENT = re.compile(r"<!--|-->")


def _refuse_markup(name: str, value: str) -> str:
    """``value``, unless it holds a comment delimiter: copied into paper.md it would open or close a marker."""
    m = _COMMENT.search(value)
    if m:
        around = value[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
        raise ReportError(f"generator {name} would write {m.group(0)!r} into the paper (...{around}...): a name in "
                          "the results or provenance holds a comment marker, which would corrupt paper.md for every "
                          "later run; rename it (plain names: letters, digits, _ . + -) and rerun the suite "
                          "(the paper was left as it was)")
    return value


def _figure_refs(text: str) -> list[str]:
    return re.findall(r"\]\((?:\./)?figures/([^)\s]+)\)", text)


def _placeholder(path: Path, name: str, results: Path) -> None:
    from .plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{name}: no data for this figure in {results.name}", ha="center", va="center")
    fig.savefig(path)
    plt.close(fig)


@dataclass
class Outcome:
    paper: Path
    changed: list = field(default_factory=list)
    regions: int = 0
    figures: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    written: bool = False


def build(results, paper_dir, *, check: bool = False, figures: bool = True) -> Outcome:
    """Regenerate the marked regions of ``paper_dir/paper.md`` (and the figures) from ``results``.

    With ``check=True`` nothing is written; ``Outcome.changed`` lists the regions that differ.
    Raises ``ReportError`` for missing results, malformed or unknown markers, missing
    generator markers and figures the paper references but the report does not draw.
    """
    paper_dir = Path(paper_dir)
    paper = paper_dir / PAPER_NAME
    if not paper.exists():
        raise ReportError(f"no {paper}: the paper is where the report writes (give --paper DIR)")
    text = paper.read_text(encoding="utf-8")
    regions = parse_markers(text, str(paper))
    names = [r.name for r in regions]
    unknown = sorted({n for n in names if n not in GENERATORS})
    missing = [n for n in GENERATORS if n not in names]
    problems = []
    if unknown:
        problems.append(f"{paper} has markers no generator fills: {', '.join(unknown)} "
                        f"(known: {', '.join(GENERATORS)})")
    if missing:
        problems.append(f"{paper} lacks the markers of: {', '.join(missing)} (add <!-- report:begin NAME --> "
                        "<!-- report:end NAME --> where each belongs; `python -m experiments report --list` "
                        "describes them)")
    bad_refs = [ref for ref in _figure_refs(text) if ref not in {f"{f}.png" for f in PAPER_FIGURES}]  # no paths
    if bad_refs:
        problems.append(f"{paper} references figures the report does not draw: {', '.join(bad_refs)} "
                        f"(it draws {', '.join(f + '.png' for f in PAPER_FIGURES)})")
    if problems:
        raise ReportError("\n".join(problems))

    ctx = load_results(results)
    values = {}
    for name in dict.fromkeys(names):
        gen = GENERATORS[name]
        value = _refuse_markup(name, gen.fn(ctx))
        if gen.kind == "inline":
            if "\n" in value:
                raise ReportError(f"generator {name} is inline but produced several lines")
            values[name] = value
        else:
            values[name] = "\n\n" + value.strip("\n") + "\n\n"
    new_text = render_regions(text, regions, values)
    old_contents = {r.name: text[r.start:r.end] for r in regions}
    out = Outcome(paper, regions=len(regions), warnings=list(ctx.warnings))
    out.changed = [n for n in dict.fromkeys(names) if old_contents[n] != values[n]]
    if check:
        figdir = paper_dir / "figures"
        absent = [ref for ref in dict.fromkeys(_figure_refs(text)) if not (figdir / ref).exists()]
        if absent:
            out.changed += [f"figures/{ref} (missing)" for ref in absent]
        return out

    if figures:
        from . import plots

        figdir = paper_dir / "figures"
        wanted = [name for name in PAPER_FIGURES if f"{name}.png" in _figure_refs(text)]  # what the paper shows
        drawn = plots.make_figures(ctx.df, figdir, wanted, formats=("png",)) if wanted else {}
        for name, paths in drawn.items():
            if not paths:
                path = figdir / f"{name}.png"
                _placeholder(path, name, ctx.results)
                out.warnings.append(f"figure {name}: no data in {ctx.results}; a placeholder was drawn")
                paths = [path]
            out.figures += paths
    if new_text != text:
        tmp = paper.with_name(paper.name + ".tmp")
        tmp.write_text(new_text, encoding="utf-8")
        os.replace(tmp, paper)
        out.written = True
    return out


# ----------------------------------------------------------------------------- PDF

PDF_ENGINES = ("pdflatex", "lualatex", "xelatex", "tectonic")

PDFLATEX_UNICODE = "\n".join(
    f"\\DeclareUnicodeCharacter{{{code}}}{{\\ensuremath{{{tex}}}}}"
    for code, tex in (("2202", "\\partial"), ("2212", "-"), ("221D", "\\propto"), ("00B7", "\\cdot"),
                      ("00B5", "\\mu"), ("2248", "\\approx"), ("2264", "\\leq"), ("2265", "\\geq"))
) + "\n"

PANDOC_HELP = ("pandoc is not installed, so no PDF was built (paper.md and the figures were regenerated). "
               "Install pandoc (https://pandoc.org/installing.html; on Debian/Ubuntu "
               "`apt-get install pandoc texlive-latex-recommended texlive-fonts-recommended lmodern`) and rerun "
               "`python -m experiments report --pdf`; or build the JOSS preview with the Open Journals "
               "`inara` Docker image.")


def build_pdf(paper_dir) -> Path:
    """``paper_dir/paper.pdf`` from paper.md with pandoc and citeproc; ``ReportError`` if it cannot be built."""
    paper_dir = Path(paper_dir)
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        raise ReportError(PANDOC_HELP)
    engine = next((e for e in PDF_ENGINES if shutil.which(e)), None)
    if engine is None:
        raise ReportError(f"pandoc is installed but no LaTeX engine ({', '.join(PDF_ENGINES)}) is, so no PDF was "
                          "built. On Debian/Ubuntu: `apt-get install texlive-latex-recommended "
                          "texlive-fonts-recommended lmodern`.")
    out = paper_dir / "paper.pdf"
    cmd = [pandoc, PAPER_NAME, "--citeproc", "--from", "markdown", "--pdf-engine", engine,
           "-V", "geometry:margin=2.5cm", "-V", "colorlinks=true", "--resource-path", ".", "-o", out.name]
    with tempfile.TemporaryDirectory() as tmp:
        if engine == "pdflatex":  # the tables use a few Unicode symbols pdflatex does not know
            header = Path(tmp) / "unicode.tex"
            header.write_text(PDFLATEX_UNICODE)
            cmd += ["--include-in-header", str(header)]
        proc = subprocess.run(cmd, cwd=paper_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReportError(f"pandoc failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()[-2000:]}")
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
    return out


# ----------------------------------------------------------------------------- command line


def add_arguments(p) -> None:
    p.add_argument("--results", default="results/quick", metavar="DIR",
                   help="the results directory the numbers come from (default: results/quick)")
    p.add_argument("--paper", default="paper", metavar="DIR",
                   help="the directory of paper.md; figures go to DIR/figures (default: paper)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if paper.md is not what the results give")
    p.add_argument("--pdf", action="store_true", help="then build DIR/paper.pdf with pandoc (exit 3 without it)")
    p.add_argument("--no-figures", action="store_true", help="rewrite the tables and numbers only")
    p.add_argument("--list", action="store_true", help="list the generators (marker names) and exit")


def run(args, out=print, err=None) -> int:
    err = err or (lambda msg: print(msg, file=sys.stderr))
    if args.list:
        for g in GENERATORS.values():
            out(f"  {g.name:22s} {g.kind:6s} {g.doc}")
        return EXIT_OK
    try:
        outcome = build(args.results, args.paper, check=args.check, figures=not args.no_figures)
    except ReportError as exc:
        err(f"error: {exc}")
        return EXIT_ERROR
    for w in outcome.warnings:
        err(f"warning: {w}")
    if args.check:
        if outcome.changed:
            err(f"error: {outcome.paper} is stale against {args.results}: {', '.join(outcome.changed)} differ; "
                f"run `python -m experiments report --results {args.results} --paper {args.paper}`")
            return EXIT_ERROR
        out(f"{outcome.paper}: all {outcome.regions} generated regions match {args.results}")
        return EXIT_OK
    changed = f"{len(outcome.changed)} changed ({', '.join(outcome.changed)})" if outcome.changed else "none changed"
    out(f"{outcome.paper}: {outcome.regions} regions regenerated from {args.results}, {changed}")
    if outcome.figures:
        out(f"{len(outcome.figures)} figures in {Path(args.paper) / 'figures'}: "
            + ", ".join(p.name for p in outcome.figures))
    if args.pdf:
        try:
            pdf = build_pdf(args.paper)
        except ReportError as exc:
            err(f"error: {exc}")
            return EXIT_NO_PDF
        out(f"wrote {pdf}")
    return EXIT_OK


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="experiments report", description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args(argv))
