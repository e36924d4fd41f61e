"""Figures (PNG and SVG) and tables from a results directory.

``make_all(DIR)`` reads ``DIR/results.csv`` and writes into ``DIR/figures/``:

- ``time_vs_n``     log-log time against n at fixed m (and size), every method, one panel
                    per family and fixed m (the smallest and largest m of a grid)
- ``time_vs_m``     the same against m at fixed n
- ``ratio_heatmap`` t_forward / t_reverse over the (n, m) grid for each method pair, with
                    the measured crossover (ratio = 1 contour) and the n = m line
- ``ops_vs_theory`` admodes op counts and flops against the theory's n*c (forward) and
                    m*c (reverse) lines, c = one evaluation of the function
- ``tape_memory``   reverse-mode tape bytes against function size (flops of one
                    evaluation), and peak memory of one Jacobian against m*n

and into ``DIR/``: ``scaling_exponents.{csv,md}``, ``crossover.{csv,md}``,
``op_theory.{csv,md}`` and a ``README.md`` summing them up (``summary``). Matplotlib
runs headless (Agg).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import analysis
from .results import load

__all__ = ["make_all", "make_figures", "FIGURE_NAMES", "METHOD_STYLE", "style", "write_tables"]

os.environ.setdefault("MPLBACKEND", "Agg")

METHOD_STYLE = {
    "admodes_fwd_chunk1": dict(color="#1f77b4", marker="o", ls="-"),
    "admodes_fwd_vec": dict(color="#1f77b4", marker="s", ls="--"),
    "admodes_rev_chunk1": dict(color="#d62728", marker="o", ls="-"),
    "admodes_rev_vec": dict(color="#d62728", marker="s", ls="--"),
    "admodes_auto": dict(color="#2ca02c", marker="D", ls="-"),
    "admodes_replay_fwd": dict(color="#1f77b4", marker="*", ls="-."),
    "admodes_replay_rev": dict(color="#d62728", marker="*", ls="-."),
    "jax_jacfwd_jit": dict(color="#17becf", marker="^", ls="-."),
    "jax_jacrev_jit": dict(color="#ff7f0e", marker="^", ls="-."),
    "jax_jacfwd_eager": dict(color="#17becf", marker="v", ls=":"),
    "jax_jacrev_eager": dict(color="#ff7f0e", marker="v", ls=":"),
    "autograd_jacobian": dict(color="#9467bd", marker="P", ls=":"),
    "torch_jacfwd": dict(color="#7f7f7f", marker="X", ls=":"),
    "torch_jacrev": dict(color="#8c564b", marker="X", ls=":"),
}
FAMILY_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def style(method: str) -> dict:
    return METHOD_STYLE.get(method, dict(color="black", marker="x", ls="-"))


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 130, "font.size": 8, "axes.titlesize": 9, "legend.fontsize": 7})
    return plt


FORMATS = ("png", "svg")


def _save(fig, figdir: Path, name: str, formats=FORMATS) -> list[Path]:
    out = []
    for ext in formats:
        path = figdir / f"{name}.{ext}"
        fig.savefig(path, **({"metadata": {"Date": None}} if ext == "svg" else {}))
        out.append(path)
    _plt().close(fig)
    return out


def _grid(plt, panels, ncols=3, w=3.4, h=2.7):
    nrows = max(1, math.ceil(panels / ncols))
    ncols = min(ncols, max(panels, 1))
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, h * nrows), squeeze=False)
    for ax in axes.flat[panels:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _sweep_panels(df, axis):
    """(family, fixed dict, rows) for every family and fixed values where ``axis`` varies (>= 2 points)."""
    other = "m" if axis == "n" else "n"
    panels = []
    for family, g in df.groupby("family", sort=False):
        tied = bool((g["n"] == g["m"]).all())
        if tied:
            if axis == "n" and g["n"].nunique() >= 2:
                for size, h in g.groupby("size"):
                    if h["n"].nunique() >= 2:
                        panels.append((family, {"m": "n", "size": size}, h))
            continue
        candidates = []
        for (o, size), h in g.groupby([other, "size"]):
            if h[axis].nunique() >= 2:
                candidates.append((o, size, h))
        if not candidates:
            continue
        # the grid's extremes of the other axis are the informative panels
        chosen = {candidates[0][0], candidates[-1][0]} if len(candidates) > 1 else {candidates[0][0]}
        for o, size, h in candidates:
            if o in chosen:
                panels.append((family, {other: o, "size": size}, h))
    return panels


def _time_figure(plt, df, axis, figdir, formats=FORMATS):
    panels = _sweep_panels(df, axis)
    if not panels:
        return []
    fig, axes = _grid(plt, len(panels))
    handles = {}
    for ax, (family, fixed, g) in zip(axes, panels):
        size_name = g["size_name"].iloc[0]
        for method, h in g.groupby("method", sort=False):
            h = h.sort_values(axis)
            st = style(method)
            err = np.vstack([h["time_median_s"] - h["time_q25_s"], h["time_q75_s"] - h["time_median_s"]]).clip(min=0)
            line = ax.errorbar(h[axis], h["time_median_s"], yerr=err, color=st["color"], marker=st["marker"], ls=st["ls"],
                               ms=3.5, lw=1.1, capsize=1.5, label=method)
            handles[method] = line
        xs = np.array(sorted(g[axis].unique()), float)
        ref = g[g["method"] == "admodes_fwd_chunk1" if axis == "n" else g["method"] == "admodes_rev_chunk1"]
        if len(ref) and len(xs) > 1:  # a slope-1 guide through the textbook method's largest point
            ref = ref.sort_values(axis).iloc[-1]
            ax.plot(xs, ref["time_median_s"] * xs / xs[-1], color="0.6", lw=0.8, ls=(0, (1, 2)), zorder=0)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        fixed_label = ", ".join(f"{size_name if k == 'size' else k}={v}" for k, v in fixed.items())
        ax.set_title(f"{family} ({fixed_label})")
        ax.set_xlabel(axis if fixed.get("m") != "n" else "n = m")
        ax.set_ylabel("time per Jacobian [s]")
        ax.grid(True, which="major", alpha=0.3)
    rows = math.ceil(len(handles) / 6)
    legend_h = (0.16 * rows + 0.1) / fig.get_figheight()
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=min(6, len(handles)), frameon=False)
    fig.suptitle(f"Wall time against {axis} (median, bars: IQR; dotted: slope 1)")
    fig.tight_layout(rect=(0, legend_h, 1, 1))
    return _save(fig, figdir, f"time_vs_{axis}", formats)


def _heatmap_figure(plt, df, figdir, formats=FORMATS):
    from matplotlib.colors import TwoSlopeNorm

    panels = []
    for family in df["family"].unique():
        for label, fwd, rev in analysis.PAIRS:
            grid = analysis.ratio_grid(df, family, fwd, rev)
            if grid is not None:
                panels.append((family, label, grid))
    if not panels:
        return []
    fig, axes = _grid(plt, len(panels), ncols=3, w=3.3, h=3.0)
    for ax, (family, label, grid) in zip(axes, panels):
        ns, ms = np.array(grid.columns, float), np.array(grid.index, float)
        lr = np.log2(grid.values.astype(float))
        lim = max(1.0, float(np.nanmax(np.abs(lr))))
        xi, yi = np.log2(ns), np.log2(ms)
        im = ax.imshow(lr, origin="lower", cmap="RdBu_r", norm=TwoSlopeNorm(0, -lim, lim), aspect="auto",
                       extent=_extent(xi, yi))
        for i in range(len(ms)):
            for j in range(len(ns)):
                v = grid.values[i, j]
                if np.isfinite(v):
                    ax.text(xi[j], yi[i], f"{v:.2g}", ha="center", va="center", fontsize=6.5,
                            color="white" if abs(lr[i, j]) > 0.6 * lim else "black")
        if np.nanmin(lr) < 0 < np.nanmax(lr):
            cs = ax.contour(xi, yi, lr, levels=[0.0], colors="black", linewidths=1.4)
            cs.set_label("measured crossover")
        lo, hi = min(xi.min(), yi.min()), max(xi.max(), yi.max())
        ax.plot([lo, hi], [lo, hi], color="0.2", ls="--", lw=0.9, label="n = m")
        ax.set_xlim(*_extent(xi, yi)[:2])
        ax.set_ylim(*_extent(xi, yi)[2:])
        ax.set_xticks(xi, [f"{int(v)}" for v in ns])
        ax.set_yticks(yi, [f"{int(v)}" for v in ms])
        ax.set_xlabel("n (inputs)")
        ax.set_ylabel("m (outputs)")
        size = df[df["family"] == family]["size"].mode().iloc[0]
        ax.set_title(f"{family}, {label}\n(size {size})")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03, label="log2(t_fwd / t_rev)")
    from matplotlib.lines import Line2D

    fig.legend([Line2D([], [], color="black", lw=1.4), Line2D([], [], color="0.2", ls="--", lw=0.9)],
               ["measured crossover (ratio 1)", "n = m"], loc="lower center", ncol=2, frameon=False)
    fig.suptitle("Forward / reverse time ratio (red: reverse faster; black line: ratio 1, the measured crossover; dashed: n = m)")
    fig.tight_layout(rect=(0, 0.35 / fig.get_figheight(), 1, 1))
    return _save(fig, figdir, "ratio_heatmap", formats)


def _extent(xi, yi):
    def edges(v):
        step = (v[1] - v[0]) if len(v) > 1 else 1.0
        return v[0] - step / 2, v[-1] + step / 2

    return (*edges(xi), *edges(yi))


def _ops_figure(plt, df, figdir, formats=FORMATS):
    d = df[df["library"] == "admodes"]
    d = d[d["ops_total"].notna() & (d["eval_ops"] > 0)]
    if d.empty:
        return []
    fig, axes = plt.subplots(2, 2, figsize=(8.6, 7.0), squeeze=False)
    families = list(dict.fromkeys(d["family"]))
    colors = {f: FAMILY_COLORS[i % len(FAMILY_COLORS)] for i, f in enumerate(families)}
    spec = [
        (0, 0, "forward", "n", "ops_total", "eval_ops", "ops"),
        (0, 1, "reverse", "m", "ops_total", "eval_ops", "ops"),
        (1, 0, "forward", "n", "flops_total", "eval_flops", "flops"),
        (1, 1, "reverse", "m", "flops_total", "eval_flops", "flops"),
    ]
    for r, c, mode, var, ycol, ccol, unit in spec:
        ax = axes[r][c]
        short = "fwd" if mode == "forward" else "rev"
        allx = []
        for family in families:
            for method, filled in ((f"admodes_{short}_chunk1", True), (f"admodes_{short}_vec", False)):
                h = d[(d["family"] == family) & (d["method"] == method)]
                if h.empty:
                    continue
                x = h[var] * h[ccol]
                allx += list(x)
                ax.scatter(x, h[ycol], s=16, marker="o" if filled else "s", edgecolors=colors[family],
                           facecolors=colors[family] if filled else "none", lw=0.9,
                           label=f"{family} ({'chunk=1' if filled else 'vectorised'})")
        if allx:
            xs = np.array([min(allx), max(allx)], float)
            ax.plot(xs, xs, color="black", lw=0.9, label=f"{var}·c (theory)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{var} · c   (c = {unit} of one evaluation)")
        ax.set_ylabel(f"{unit} counted for one Jacobian")
        ax.set_title(f"{mode} mode: {unit} against {var}·c")
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    h2, l2 = axes[0][1].get_legend_handles_labels()
    for h_, l_ in zip(h2, l2):
        if l_ not in labels:
            handles.append(h_)
            labels.append(l_)
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    fig.suptitle("Engine op counts: chunk=1 lies on a line parallel to n·c (forward) and m·c (reverse);\n"
                 "vectorised sweeps run few ops but the same flops")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return _save(fig, figdir, "ops_vs_theory", formats)


def _tape_figure(plt, df, figdir, formats=FORMATS):
    d = df[(df["method"] == "admodes_rev_vec") & df["tape_bytes"].notna() & (df["eval_flops"] > 0)]
    if d.empty:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(8.8, 3.5), squeeze=False)
    ax = axes[0][0]
    families = list(dict.fromkeys(df["family"]))
    colors = {f: FAMILY_COLORS[i % len(FAMILY_COLORS)] for i, f in enumerate(families)}
    for family, h in d.groupby("family", sort=False):
        ax.scatter(h["eval_flops"], h["tape_bytes"], s=18, color=colors[family], label=family)
    x = np.array([d["eval_flops"].min(), d["eval_flops"].max()], float)
    ax.plot(x, 8 * x, color="black", lw=0.8, ls="--", label="8 bytes per flop")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("function size: flops of one evaluation")
    ax.set_ylabel("tape bytes at peak")
    ax.set_title("reverse mode: tape memory against function size")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)

    ax = axes[0][1]
    mem = df[df["mem_peak_bytes"].notna() & df["library"].isin(["admodes", "autograd"])]
    for method, h in mem.groupby("method", sort=False):
        st = style(method)
        ax.scatter(h["n"] * h["m"], h["mem_peak_bytes"], s=12, marker=st["marker"], color=st["color"],
                   facecolors=st["color"] if st["ls"] == "-" else "none", label=method)
    if not mem.empty:
        x = np.array([mem["n"].mul(mem["m"]).min(), mem["n"].mul(mem["m"]).max()], float)
        ax.plot(x, 8 * x, color="black", lw=0.8, ls="--", label="one dense float64 Jacobian")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("m · n (Jacobian entries)")
    ax.set_ylabel("peak bytes during one Jacobian (tracemalloc)")
    ax.set_title("peak memory of one Jacobian")
    ax.grid(True, alpha=0.3)
    if not mem.empty:
        ax.legend(frameon=False, fontsize=6)
    else:
        ax.text(0.5, 0.5, "memory not measured (memory = false)", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return _save(fig, figdir, "tape_memory", formats)


def write_tables(df: pd.DataFrame, out: Path) -> list[Path]:
    written = []
    se = analysis.scaling_exponents(df)
    for col in ("time_exponent", "time_exponent_top3", "time_r2", "ops_exponent", "flops_exponent"):
        if col in se:
            se[col] = se[col].round(3) + 0.0  # + 0.0: no "-0.0"
    co = analysis.crossovers(df)
    th = analysis.theory_ratios(df)
    for name, table, title in (
        ("scaling_exponents", se, "Fitted scaling exponents: slope of log cost against log n, log m or log size"),
        ("crossover", co, "Measured forward/reverse crossover: n* where t_fwd = t_rev, at each m"),
        ("op_theory", th, "admodes op counts over the theory's n*c (forward, chunk=1) and m*c (reverse, chunk=1, recorded pass excluded)"),
    ):
        csv = out / f"{name}.csv"
        table.to_csv(csv, index=False)
        md = out / f"{name}.md"
        md.write_text(analysis.to_markdown(table, title))
        written += [csv, md]
    return written


_FIGURES = {
    "time_vs_n": lambda plt, ok, figdir, formats: _time_figure(plt, ok, "n", figdir, formats),
    "time_vs_m": lambda plt, ok, figdir, formats: _time_figure(plt, ok, "m", figdir, formats),
    "ratio_heatmap": _heatmap_figure,
    "ops_vs_theory": _ops_figure,
    "tape_memory": _tape_figure,
}
FIGURE_NAMES = tuple(_FIGURES)


def make_figures(df: pd.DataFrame, figdir, names=None, formats=FORMATS) -> dict[str, list[Path]]:
    """Draw the figures ``names`` (default: all) of the results ``df`` into ``figdir``.

    Returns ``{name: paths written}``; a figure without data (no grid for the heatmap,
    say) maps to an empty list. Used by ``make_all`` and by ``report`` (for paper/figures).
    """
    figdir = Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    ok = analysis.ok_rows(df)
    plt = _plt()
    with plt.rc_context({"svg.hashsalt": "admodes"}):  # stable SVG ids: rerunning changes no byte
        return {name: _FIGURES[name](plt, ok, figdir, tuple(formats)) for name in (names or FIGURE_NAMES)}


def make_all(directory) -> list[Path]:
    """Every figure and table for the results in ``directory``; returns the paths written."""
    out = Path(directory)
    df = load(out)
    written = [path for paths in make_figures(df, out / "figures").values() for path in paths]
    written += write_tables(df, out)
    from .summary import write_readme

    written.append(write_readme(out))
    return written
