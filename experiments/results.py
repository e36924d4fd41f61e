"""Results on disk: a per-cell journal and the tidy CSV derived from it.

``DIR/cells.jsonl``   the journal: one JSON line per finished cell (all its method rows),
                      written with a single write + flush + fsync. A line cut short by a
                      crash is ignored when read and removed before the next append.
``DIR/results.csv``   tidy long format, one row per (cell, method), columns ``COLUMNS``;
                      rewritten from the journal after every cell (temp file + rename).
``DIR/provenance.json``, ``DIR/figures/``, ``DIR/scaling_exponents.{csv,md}``,
``DIR/crossover.{csv,md}``: see ``provenance``, ``plots`` and ``analysis``.

``DIR/.lock``         held while a run writes into DIR (the pid of that run): two runs into one
                      folder would interleave their rows.

``load(DIR)`` returns the CSV as a DataFrame, checked by ``check_results`` (columns, one row
per (cell, method), finite positive times of ok rows, plain names): what ``plot`` and
``report`` start from. Every problem with a results folder is a ``ResultsError`` naming
the file (and line) and what to do.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
from contextlib import contextmanager
from pathlib import Path

from .config import ConfigError

__all__ = ["COLUMNS", "COLUMN_DOCS", "OPTIONAL_COLUMN_DOCS", "Journal", "write_csv", "load", "check_results", "inside", "lock",
           "ResultsError", "CSV_NAME", "JOURNAL_NAME", "PROVENANCE_NAME", "LOCK_NAME", "STATUSES"]

CSV_NAME = "results.csv"
JOURNAL_NAME = "cells.jsonl"
PROVENANCE_NAME = "provenance.json"
LOCK_NAME = ".lock"
STATUSES = ("ok", "failed", "error")


class ResultsError(ConfigError):
    """A results folder that cannot be used as asked (damaged, in use, or outside its root).

    A ``ConfigError``, so the command line reports it the same way: one message, exit 2.
    """


def inside(root, *parts) -> Path:
    """``root/parts...``, refused if it would resolve outside ``root`` (``..``, absolute parts, links).

    >>> inside("results", "quick").as_posix()
    'results/quick'
    """
    root = Path(root)
    path = root.joinpath(*parts)
    base = root.resolve()
    if not path.resolve().is_relative_to(base):
        shown = "/".join(str(p) for p in parts)
        raise ResultsError(f"{shown!r} leads outside {root}/ (to {path.resolve()}); "
                           f"use a plain name without '..', '/' or links")
    return path

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
# columns added after results were committed: written by every new run, absent from older ones
OPTIONAL_COLUMN_DOCS = {
    "load_1min": "the machine's 1-minute load average when the row's timing started (runnable processes)",
    "load_1min_after": "the same when it ended; above the core count, other work shared the CPUs",
}


class Journal:
    """Append-only per-cell record, robust to a crash in the middle of a write."""

    def __init__(self, directory):
        self.path = inside(directory, JOURNAL_NAME)

    def entries(self) -> list[dict]:
        """Every complete line; a cut-off last line (a crash mid-write) is skipped.

        Any other damage (a line that is not JSON, not an object with ``cell`` and a
        list of ``rows``, each with ``cell`` and ``method``) is a ``ResultsError`` naming
        ``cells.jsonl:LINE``: resuming over it would silently drop or re-measure cells.
        """
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if not line.endswith("\n"):
                    break
                out.append(self._entry(line, number))
        return out

    def _entry(self, line: str, number: int) -> dict:
        where = f"{self.path}:{number}"
        fix = (f"; repair or delete that line (its cell is then measured again by --resume), "
               f"or start afresh without --resume")
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{where}: not JSON ({exc.msg} at column {exc.colno}){fix}") from None
        if not isinstance(entry, dict):
            raise ResultsError(f"{where}: a JSON {type(entry).__name__}, not an object with 'cell' and 'rows'{fix}")
        missing = [k for k in ("cell", "rows") if k not in entry]
        if missing:
            raise ResultsError(f"{where}: missing key(s) {', '.join(map(repr, missing))}{fix}")
        rows = entry["rows"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ResultsError(f"{where}: 'rows' must be a list of objects{fix}")
        for k, row in enumerate(rows):
            absent = [key for key in ("cell", "method", "status") if key not in row]
            if absent:
                raise ResultsError(f"{where}: row {k} lacks {', '.join(map(repr, absent))}{fix}")
        return entry

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


@contextmanager
def lock(directory):
    """Hold ``DIR/.lock`` (created exclusively, holding this pid) while a run writes into ``DIR``.

    Another live run's lock is a ``ResultsError``; so is a lock whose run is gone (a
    crash or ``kill -9``): the message says how to remove it once no run uses the folder.
    """
    path = inside(directory, LOCK_NAME)
    me = f"{os.getpid()} {socket.gethostname()}\n"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        raise ResultsError(_lock_message(path)) from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(me)
    except OSError:  # a full disk: no half-written lock left to puzzle the next run
        path.unlink(missing_ok=True)
        raise
    try:
        yield path
    finally:
        try:
            if path.read_text() == me:
                path.unlink()
        except OSError:
            pass


def _lock_message(path: Path) -> str:
    try:
        pid_text, _, host = path.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return (f"{path.parent} is locked by {path}, which names no run (unreadable); if no run writes into "
                f"{path.parent}, remove it: rm {path}")
    if host and host != socket.gethostname():
        return (f"{path.parent} is in use by pid {pid} on {host} (lock {path}); wait for that run, or use "
                f"another --out; if it is gone, remove the lock: rm {path}")
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    except PermissionError:  # exists, owned by someone else
        alive = True
    if alive:
        return (f"{path.parent} is in use by another run (pid {pid}, lock {path}): two runs into one folder "
                "would mix their rows; wait for it to finish, or give another --out")
    return (f"{path.parent} has a stale lock {path} from pid {pid}, which is no longer running (it crashed or "
            f"was killed); check no run writes into {path.parent}, then remove it: rm {path} "
            "(and continue with --resume)")


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
    try:
        df.to_csv(tmp, index=False)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:  # a full disk: the old CSV stays whole, no half-written temp file beside it
        tmp.unlink(missing_ok=True)
        raise


def load(directory):
    """The results of ``directory`` as a DataFrame (from results.csv, else the journal)."""
    import pandas as pd

    directory = Path(directory)
    path = directory / CSV_NAME
    if path.exists():
        text = path.read_text(encoding="utf-8", errors="replace")
        _check_csv_text(text, path)
        df = pd.read_csv(io.StringIO(text), dtype={"chunk": str, "cell": str})
        where = str(path)
    else:
        rows = Journal(directory).rows()
        if not rows:
            raise FileNotFoundError(f"no results in {directory} (neither {CSV_NAME} nor {JOURNAL_NAME})")
        df = pd.DataFrame(rows)
        for col in COLUMNS:  # as write_csv writes them
            if col not in df.columns:
                df[col] = None
        where = str(directory / JOURNAL_NAME)
    check_results(df, where)
    return df


def _check_csv_text(text: str, path) -> None:
    """Every record of the CSV complete: the file ends with a newline and each line has the header's fields."""
    if text and not text.endswith("\n"):
        line = text.count("\n") + 1
        raise ResultsError(f"{path}:{line}: the file is cut off in the middle of a line (no newline at its end); "
                           f"it was not fully written: regenerate it from the journal with "
                           f"`python -m experiments run --resume --out {Path(path).parent}`, or rerun the suite")
    records = list(csv.reader(io.StringIO(text)))
    if not records:
        raise ResultsError(f"{path}: empty (not even a header)")
    width = len(records[0])
    line = 1
    for record in records[1:]:
        line += 1
        if len(record) != width:
            raise ResultsError(f"{path}:{line}: {len(record)} fields where the header has {width}; "
                               "the file is damaged: rerun the suite")


# names copied into tables, figures and the paper: no markup, no marker comments, no paths
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+\-]*")
_PLAIN_CELL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+\-|=]*")
_TIME_COLUMNS = ("time_median_s", "time_iqr_s", "time_q25_s", "time_q75_s", "time_min_s")


def check_results(df, where: str = CSV_NAME) -> None:
    """Refuse results that cannot mean what they say; ``ResultsError`` naming every problem.

    Columns: every one of ``COLUMNS``. Rows: one per (cell, method); status one of
    ``STATUSES``; names (suite, family, method, cell) plain; n and m positive integers;
    the ok rows' median and minimum times finite and > 0, their spreads finite and >= 0.
    """
    import numpy as np
    import pandas as pd

    problems = []
    absent = [c for c in COLUMNS if c not in df.columns]
    if absent:
        raise ResultsError(f"{where}: missing column(s) {', '.join(absent)}; not a results file of this version "
                           "(rerun the suite)")
    if df.empty:
        raise ResultsError(f"{where}: no rows")

    csv_lines = str(where).endswith(".csv")

    def rows_of(mask, limit=5):
        """Where the rows are: CSV line numbers (header is line 1), else row indices."""
        picked = [str(i + 2 if csv_lines else i) for i in np.flatnonzero(np.asarray(mask))[:limit]]
        more = int(np.asarray(mask).sum()) - len(picked)
        return ("lines " if csv_lines else "rows ") + ", ".join(picked) + (f" and {more} more" if more > 0 else "")

    dup = df.duplicated(subset=["cell", "method"], keep="first")
    if dup.any():
        first = df[dup].iloc[0]
        problems.append(f"{int(dup.sum())} duplicated (cell, method) row(s), e.g. {first['cell']} {first['method']} "
                        f"({rows_of(dup)}): two runs wrote into one folder; rerun the suite into a fresh --out")
    for col, pattern in (("suite", _PLAIN_NAME), ("family", _PLAIN_NAME), ("method", _PLAIN_NAME),
                         ("cell", _PLAIN_CELL)):
        bad = ~df[col].astype(str).map(lambda v, p=pattern: p.fullmatch(v) is not None)
        if bad.any():
            problems.append(f"{col} {df[col][bad].iloc[0]!r} ({rows_of(bad)}) is not a plain name "
                            "(letters, digits, _ . + -); it would be copied into tables and the paper as markup")
    bad_status = ~df["status"].isin(STATUSES)
    if bad_status.any():
        problems.append(f"status {df['status'][bad_status].iloc[0]!r} ({rows_of(bad_status)}) is not one of "
                        f"{', '.join(STATUSES)}")
    for col in ("n", "m"):
        v = pd.to_numeric(df[col], errors="coerce")
        bad = ~(np.isfinite(v) & (v >= 1) & (v == np.round(v)))
        if bad.any():
            problems.append(f"{col} {df[col][bad].iloc[0]} ({rows_of(bad)}) is not a positive integer")
    ok = (df["status"] == "ok").to_numpy()
    for col in _TIME_COLUMNS:
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        strict = col in ("time_median_s", "time_min_s")
        good = np.isfinite(v) & ((v > 0) if strict else (v >= 0))
        if col not in ("time_median_s",):
            good |= np.isnan(v)  # spreads may be absent; a median may not
        bad = ok & ~good
        if bad.any():
            problems.append(f"{col} {v[bad][0]:g} in an ok row ({rows_of(bad)}): times must be finite and "
                            f"{'> 0' if strict else '>= 0'}; the file was edited or damaged: rerun those cells")
    if problems:
        raise ResultsError(f"{where} refused:\n  " + "\n  ".join(problems))
