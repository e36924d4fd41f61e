"""Numbers derived from results: scaling exponents, forward/reverse ratios and crossovers.

All functions take the tidy DataFrame of ``results.load`` and return DataFrames, so
figures (``plots``) and a later ``report`` share them.

- ``scaling_exponents``: the slope of log cost against log n (at fixed m and size),
  log m (at fixed n and size), log n where m = n (elementwise) and log size (at fixed
  n and m), for time, ops and flops, over all points and over the largest three.
- ``ratio_grid``: t_forward / t_reverse of a method pair over a family's (n, m) grid.
- ``crossovers``: for each m, the n at which the forward method becomes slower than the
  reverse one (log-log interpolation of the ratio through 1).
- ``theory_ratios``: op counts over the theory's n*c and m*c (c = ops of one evaluation).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "PAIRS", "ok_rows", "scaling_exponents", "ratio_grid", "crossovers", "theory_ratios",
    "to_markdown", "fmt",
]

# (label, forward method, reverse method)
PAIRS = [
    ("admodes chunk=1 (textbook)", "admodes_fwd_chunk1", "admodes_rev_chunk1"),
    ("admodes vectorised", "admodes_fwd_vec", "admodes_rev_vec"),
    ("JAX jit", "jax_jacfwd_jit", "jax_jacrev_jit"),
    ("JAX eager", "jax_jacfwd_eager", "jax_jacrev_eager"),
    ("torch.func", "torch_jacfwd", "torch_jacrev"),
]

_AXES = {"n": ("m", "size"), "m": ("n", "size"), "size": ("n", "m")}


def ok_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"].copy()


def _slope(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    x, y = x[keep], y[keep]
    if len(np.unique(x)) < 2:
        return math.nan, math.nan
    lx, ly = np.log(x), np.log(y)
    slope, icept = np.polyfit(lx, ly, 1)
    resid = ly - (slope * lx + icept)
    ss = np.sum((ly - ly.mean()) ** 2)
    r2 = 1 - np.sum(resid**2) / ss if ss > 0 else 1.0
    return float(slope), float(r2)


def scaling_exponents(df: pd.DataFrame, min_points: int = 3) -> pd.DataFrame:
    """One row per (family, method, axis, fixed values) with >= ``min_points`` distinct values."""
    df = ok_rows(df)
    rows = []
    for (family, method), g in df.groupby(["family", "method"], sort=False):
        tied = bool((g["n"] == g["m"]).all()) and g["n"].nunique() > 1
        axes = {"n=m": ("size",)} if tied else dict(_AXES)
        if tied:
            axes["size"] = ("n", "m")
        for axis, fixed in axes.items():
            col = "n" if axis == "n=m" else axis
            for key, h in g.groupby(list(fixed), sort=True):
                h = h.sort_values(col)
                if h[col].nunique() < min_points:
                    continue
                key = key if isinstance(key, tuple) else (key,)
                size_name = h["size_name"].iloc[0] if "size_name" in h else "size"
                label = ", ".join(f"{size_name if f == 'size' else f}={v}" for f, v in zip(fixed, key))
                tail = h.tail(3)
                t_exp, t_r2 = _slope(h[col], h["time_median_s"])
                rows.append({
                    "family": family,
                    "method": method,
                    "axis": axis if axis != "size" else f"size ({size_name})",
                    "fixed": label,
                    "points": int(h[col].nunique()),
                    "from": int(h[col].min()),
                    "to": int(h[col].max()),
                    "time_exponent": t_exp,
                    "time_exponent_top3": _slope(tail[col], tail["time_median_s"])[0],
                    "time_r2": t_r2,
                    "ops_exponent": _slope(h[col], h["ops_total"])[0] if "ops_total" in h else math.nan,
                    "flops_exponent": _slope(h[col], h["flops_total"])[0] if "flops_total" in h else math.nan,
                })
    return pd.DataFrame(rows)


def ratio_grid(df: pd.DataFrame, family: str, fwd: str, rev: str, size=None) -> pd.DataFrame | None:
    """t_fwd / t_rev as a DataFrame indexed by m (rows) and n (columns), or None."""
    d = ok_rows(df)
    d = d[d["family"] == family]
    if size is None and len(d):
        size = d["size"].mode().iloc[0]
    d = d[d["size"] == size]
    t = d.pivot_table(index=["n", "m"], columns="method", values="time_median_s")
    if fwd not in t or rev not in t:
        return None
    ratio = (t[fwd] / t[rev]).unstack("n")
    # a real grid: >= 2 values of each of n and m, and at least 3/4 of the cells measured
    if ratio.shape[0] < 2 or ratio.shape[1] < 2 or ratio.notna().values.mean() < 0.75:
        return None
    return ratio.sort_index().sort_index(axis=1)


def _crossing(ns, ratios):
    """The first n where log ratio goes from <= 0 to > 0 (log-log interpolation)."""
    ns, lr = np.asarray(ns, float), np.log(np.asarray(ratios, float))
    for i in range(1, len(ns)):
        if np.isfinite(lr[i - 1]) and np.isfinite(lr[i]) and lr[i - 1] <= 0 < lr[i]:
            a, b = math.log(ns[i - 1]), math.log(ns[i])
            return math.exp(a + (b - a) * (-lr[i - 1]) / (lr[i] - lr[i - 1]))
    return math.nan


def crossovers(df: pd.DataFrame) -> pd.DataFrame:
    """For every family with an (n, m) grid and every method pair: the crossover n* at each m."""
    rows = []
    for family in df["family"].unique():
        for label, fwd, rev in PAIRS:
            grid = ratio_grid(df, family, fwd, rev)
            if grid is None:
                continue
            for m, r in grid.iterrows():
                r = r.dropna()
                if len(r) < 2:
                    continue
                nstar = _crossing(r.index.values, r.values)
                if math.isnan(nstar):
                    note = "forward faster at every n" if (r <= 1).all() else ("reverse faster at every n" if (r > 1).all() else "no single crossing")
                else:
                    note = ""
                rows.append({
                    "family": family, "pair": label, "m": int(m), "n_star": nstar,
                    "n_star_over_m": nstar / m if not math.isnan(nstar) else math.nan,
                    "ratio_at_n_min": float(r.iloc[0]), "ratio_at_n_max": float(r.iloc[-1]), "note": note,
                })
    return pd.DataFrame(rows)


def theory_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """ops / (n c) for forward chunk=1 and (ops - c) / (m c) for reverse chunk=1, per family."""
    d = ok_rows(df)
    rows = []
    for method, sweeps_col in (("admodes_fwd_chunk1", "n"), ("admodes_rev_chunk1", "m")):
        g = d[(d["method"] == method) & d["ops_total"].notna() & (d["eval_ops"] > 0)]
        for family, h in g.groupby("family", sort=False):
            work = h["ops_total"] - (h["tape_length"] if method.startswith("admodes_rev") else 0)
            ratio = work / (h[sweeps_col] * h["eval_ops"])
            rows.append({
                "family": family, "method": method, "theory": f"{sweeps_col} * c",
                "cells": len(h), "ratio_min": float(ratio.min()), "ratio_max": float(ratio.max()),
            })
    return pd.DataFrame(rows)


def fmt(v, digits=3):
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return ""
        if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-2):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return str(v)


def to_markdown(df: pd.DataFrame, title: str | None = None) -> str:
    """A GitHub Markdown table (no extra dependency)."""
    lines = [f"### {title}", ""] if title else []
    if df.empty:
        return "\n".join(lines + ["(no data)", ""])
    cols = list(df.columns)
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---" for c in cols) + "|")
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"
