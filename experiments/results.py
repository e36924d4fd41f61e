"""Results on disk: a per-cell journal and the tidy CSV derived from it.

``DIR/cells.jsonl``   the journal: one JSON line per finished cell (all its method rows),
                      written with a single write + flush + fsync. A line cut short by a
                      crash is ignored when read and removed before the next append.
``DIR/results.csv``   tidy long format, one row per (cell, method), columns ``COLUMNS``;
                      rewritten from the journal after every cell (temp file + rename).
``DIR/provenance.json``, ``DIR/figures/``, ``DIR/scaling_exponents.{csv,md}``,
``DIR/crossover.{csv,md}``: see ``provenance``, ``plots`` and ``analysis``.

``load(DIR)`` returns the CSV as a DataFrame: what ``plot`` (and later ``report`` and
``compare``) start from.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["COLUMNS", "COLUMN_DOCS", "Journal", "write_csv", "load", "CSV_NAME", "JOURNAL_NAME", "PROVENANCE_NAME"]

CSV_NAME = "results.csv"
JOURNAL_NAME = "cells.jsonl"
PROVENANCE_NAME = "provenance.json"

COLUMN_DOCS = {
    "suite": "suite (config) name",
    "cell": "cell key: family|n|m|size|seed",
    "family": "problem family",
    "n": "number of inputs",
    "m": "number of outputs",
    "size": "the family's size knob (see size_name)",
    "size_name": "what the size knob means for this family",
    "seed": "seed of the constants and x0",
    "method": "method name",
    "library": "admodes, jax, autograd, torch",
    "mode": "forward, reverse or auto",
    "mode_chosen": "the mode that ran (auto: what admodes chose)",
    "chunk": "'1' (one direction per sweep) or 'all' (vectorised)",
    "jit": "compiled before the timings (jitted JAX, an admodes tape staged by replay) or not",
    "sweeps": "sweeps the Jacobian took: n (forward, chunk 1), m (reverse, chunk 1), else 1",
    "status": "ok, failed (Jacobian over tolerance) or error (the method raised)",
    "error": "the exception or the tolerance violation",
    "time_median_s": "median wall time of one Jacobian, seconds",
    "time_iqr_s": "interquartile range of the per-call time over repeats",
    "time_q25_s": "25th percentile",
    "time_q75_s": "75th percentile",
    "time_min_s": "fastest repeat",
    "repeats": "timed repeats",
    "inner_loops": "calls per repeat (autorange)",
    "first_call_s": "the first (warm-up) call, seconds (includes tracing for eager JAX)",
    "compile_s": "compile time, seconds (JAX jit; admodes record + staging), excluded from the timings",
    "ops_total": "primitive operations executed for one Jacobian (admodes count_ops)",
    "ops_per_sweep": "ops per sweep: forward ops_total/sweeps; reverse (ops_total - tape_length)/sweeps",
    "flops_total": "estimated floating-point operations for one Jacobian",
    "flops_per_sweep": "flops per sweep, as ops_per_sweep (reverse: minus the recorded pass)",
    "tape_length": "operations on the largest reverse-mode tape",
    "tape_bytes": "bytes of array data the tape holds at its peak",
    "eval_ops": "ops of one evaluation of the function (c, for the n*c and m*c lines)",
    "eval_flops": "flops of one evaluation of the function",
    "mem_peak_bytes": "peak bytes traced by tracemalloc during one call (NumPy-based methods only; XLA/torch buffers are invisible to it)",
    "rss_peak_bytes": "growth of the process's resident-set high-water mark during one call",
    "max_abs_err": "largest |J - J_ref| against jax.jacrev (x64)",
    "max_rel_err": "max_abs_err / max |J_ref|",
    "rtol": "relative tolerance of the oracle check",
    "atol": "absolute tolerance of the oracle check",
    "oracle_s": "time to compute the oracle Jacobian of this cell (includes compiling jax.jacrev, shared with jax_jacrev_jit)",
    "timestamp_utc": "when the cell finished",
}
COLUMNS = list(COLUMN_DOCS)


class Journal:
    """Append-only per-cell record, robust to a crash in the middle of a write."""

    def __init__(self, directory):
        self.path = Path(directory) / JOURNAL_NAME

    def entries(self) -> list[dict]:
        """Every complete line (a cut-off last line is skipped)."""
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return out

    def rows(self) -> list[dict]:
        return [row for entry in self.entries() for row in entry["rows"]]

    def done(self) -> set[tuple[str, str]]:
        """(cell key, method) pairs already measured."""
        return {(row["cell"], row["method"]) for row in self.rows()}

    def reset(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w"):
            pass

    def repair(self) -> None:
        """Cut a partial last line left by a crash, so the next append starts on a fresh line."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep != len(data):
            with open(self.path, "r+b") as f:
                f.truncate(keep)

    def append(self, cell_key: str, rows: list[dict]) -> None:
        line = json.dumps({"cell": cell_key, "rows": rows}, default=_json_default) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


def _json_default(obj):
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


def write_csv(rows: list[dict], path) -> None:
    """The tidy CSV of ``rows`` (columns ``COLUMNS`` first), written atomically."""
    import pandas as pd

    df = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = None
    df = df[COLUMNS + [c for c in df.columns if c not in COLUMNS]]
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    df.to_csv(tmp, index=False)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(directory):
    """The results of ``directory`` as a DataFrame (from results.csv, else the journal)."""
    import pandas as pd

    directory = Path(directory)
    csv = directory / CSV_NAME
    if csv.exists():
        df = pd.read_csv(csv, dtype={"chunk": str, "cell": str})
    else:
        rows = Journal(directory).rows()
        if not rows:
            raise FileNotFoundError(f"no results in {directory} (neither {CSV_NAME} nor {JOURNAL_NAME})")
        df = pd.DataFrame(rows)
    return df
