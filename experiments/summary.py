"""A README for a results directory: where the numbers came from, the key tables, the figures.

``write_readme(DIR)`` is called by ``plots.make_all``; it reads ``results.csv``,
``provenance.json`` and the tables ``plots`` wrote, so a reader of ``results/quick/``
sees the findings without running anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from . import analysis
from .results import CSV_NAME, PROVENANCE_NAME, load

__all__ = ["write_readme", "headline"]

FIGURES = [
    ("time_vs_n", "Wall time against n at fixed m, every method (log-log; bars: IQR)"),
    ("time_vs_m", "Wall time against m at fixed n"),
    ("ratio_heatmap", "Forward/reverse time ratio over the (n, m) grid, measured crossover and n = m"),
    ("ops_vs_theory", "Engine op counts and flops against the theory's n·c and m·c"),
    ("tape_memory", "Reverse-mode tape memory against function size; peak memory of one Jacobian"),
]


def headline(df: pd.DataFrame) -> list[str]:
    """A few sentences of the main measured numbers."""
    lines = []
    co = analysis.crossovers(df)
    tb = co[co["pair"].str.startswith("admodes chunk=1")] if not co.empty else co
    if not tb.empty:
        parts = [f"m = {r.m}: n* ≈ {r.n_star:.3g}" if pd.notna(r.n_star) else f"m = {r.m}: {r.note}" for r in tb.itertuples()]
        lines.append("Measured crossover of the textbook methods (admodes chunk=1, forward vs reverse) on "
                     f"`{tb['family'].iloc[0]}`: " + "; ".join(parts) + " (theory: n* ≈ m times the ratio of a "
                     "backward to a forward sweep's cost).")
    th = analysis.theory_ratios(df)
    if not th.empty:
        f = th[th["method"] == "admodes_fwd_chunk1"]
        r = th[th["method"] == "admodes_rev_chunk1"]
        if not f.empty:
            lines.append("Forward chunk=1 op counts are exactly n·c times a constant per family "
                         f"({', '.join(f'{x.family} {x.ratio_min:.3g}' for x in f.itertuples())}); reverse chunk=1 "
                         "counts are c plus m·c times a constant "
                         f"({', '.join(f'{x.family} {x.ratio_min:.3g}' for x in r.itertuples())}).")
    se = analysis.scaling_exponents(df)
    if not se.empty:
        pick = []
        for method, axis in (("admodes_fwd_chunk1", "n"), ("admodes_rev_chunk1", "m"), ("admodes_rev_chunk1", "n"), ("admodes_fwd_chunk1", "m")):
            s = se[(se["method"] == method) & (se["axis"] == axis)]
            if not s.empty:
                pick.append(f"{method} vs {axis}: time {s['time_exponent'].median():.2f}, ops {s['ops_exponent'].median():.2f}")
        if pick:
            lines.append("Median fitted exponents over the families' sweeps: " + "; ".join(pick) + ".")
    bad = df[df["status"] != "ok"]
    lines.append(f"{len(df)} rows, {df['cell'].nunique()} cells, {df['method'].nunique()} methods; "
                 f"{len(bad)} not ok (Jacobians checked against jax.jacrev in 64-bit).")
    return lines


def write_readme(directory) -> Path:
    out = Path(directory)
    df = load(out)
    prov = {}
    if (out / PROVENANCE_NAME).exists():
        prov = json.loads((out / PROVENANCE_NAME).read_text())
    v = prov.get("versions", {})
    env = prov.get("threads", {}).get("env", {})
    git = prov.get("git", {})
    md = [f"# Results: suite `{prov.get('suite', out.name)}`", ""]
    md += [
        f"Measured {prov.get('date_utc', '?')} on {prov.get('cpu_model', '?')} ({prov.get('cpu_count', '?')} cores), "
        f"threads pinned: OMP/OpenBLAS = {env.get('OPENBLAS_NUM_THREADS')}, XLA_FLAGS = `{env.get('XLA_FLAGS')}`; "
        f"git {str(git.get('commit'))[:10]}{' (dirty)' if git.get('dirty') else ''}; seed {prov.get('seed')}; "
        f"measurement wall time {prov.get('wall_time_s', '?')} s (figures excluded).",
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + ".",
        "",
    ]
    if prov.get("skipped_methods"):
        md += ["Skipped: " + "; ".join(prov["skipped_methods"]), ""]
    cmd = prov.get("command_line")
    if cmd:
        md += ["Command: `" + " ".join(cmd) + "`", ""]
    md += ["## Findings", ""] + [f"- {line}" for line in headline(df)] + [""]
    md += ["## Files", "",
           f"- `{CSV_NAME}`: tidy, one row per (cell, method); columns documented in `experiments/results.py`",
           f"- `{PROVENANCE_NAME}`: versions, CPU, threads, git commit, seed, date, command line, config",
           "- `scaling_exponents.{csv,md}`, `crossover.{csv,md}`, `op_theory.{csv,md}`: derived tables",
           "- `figures/*.png`, `figures/*.svg`", ""]
    for name, caption in FIGURES:
        if (out / "figures" / f"{name}.png").exists():
            md += [f"### {caption}", "", f"![{caption}](figures/{name}.png)", ""]
    for table in ("crossover", "op_theory"):
        path = out / f"{table}.md"
        if path.exists():
            md += [path.read_text().replace("### ", "### Table: ", 1), ""]
    path = out / "README.md"
    path.write_text("\n".join(md))
    return path
