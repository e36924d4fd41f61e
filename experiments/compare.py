"""Compare two pytest-benchmark JSON files: a table of new/old time ratios and a verdict.

    python -m experiments compare OLD.json NEW.json [--threshold 1.10] [--stat median]

Benchmarks are matched by ``fullname`` (file, test and parameters). For each pair the
table shows the chosen statistic of the old and new run and their ratio new/old
(> 1: slower), with the range the two runs' interquartile ranges allow for it (new q1 /
old q3 to new q3 / old q1). A benchmark counts as slower only when its ratio exceeds
``--threshold`` *and* the two interquartile ranges do not overlap (new q1 > old q3): a
ratio over the threshold inside the runs' own spread is shown as ``noise?`` and does not
fail, since two runs of the same code on a shared machine differ by that much. Files
without quartiles (q1, q3) are judged on the ratio alone. The exit code is 1 when any
benchmark is slower, else 0; a
file that cannot be read, is not a pytest-benchmark JSON, or shares no benchmark with
the other is an error (exit 2). Benchmarks found in only one file are listed and do
not count as regressions.

The JSON comes from ``bash scripts/bench.sh`` (``results/benchmarks/<date>.json``) or
``python -m pytest benchmarks --benchmark-json FILE``. Both runs should come from the same
machine and thread settings (their ``machine_info`` is shown when it differs).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_SLOWER",
    "STATS",
    "CompareError",
    "Row",
    "compare",
    "format_table",
    "load_benchmarks",
    "main",
]

EXIT_OK, EXIT_SLOWER, EXIT_ERROR = 0, 1, 2
STATS = ("median", "min", "mean")


class CompareError(ValueError):
    """A benchmark file that cannot be compared; the message names the file and the problem."""


@dataclass(frozen=True)
class Row:
    name: str
    group: str | None
    old_s: float
    new_s: float
    old_q: tuple | None = None  # (q1, q3) of the old run's rounds, if the file has them
    new_q: tuple | None = None

    @property
    def ratio(self) -> float:
        if self.old_s > 0:
            return self.new_s / self.old_s
        return math.inf if self.new_s > 0 else 1.0

    @property
    def ratio_range(self) -> tuple | None:
        """(new q1 / old q3, new q3 / old q1): the ratios the two interquartile ranges allow."""
        if self.old_q is None or self.new_q is None or min(self.old_q) <= 0:
            return None
        return self.new_q[0] / self.old_q[1], self.new_q[1] / self.old_q[0]

    def verdict(self, threshold: float) -> str:
        """"SLOWER", "faster", "noise?" (over the threshold within the runs' spread) or ""."""
        spread = self.ratio_range
        if self.ratio > threshold:
            return "SLOWER" if spread is None or spread[0] > 1.0 else "noise?"
        if self.ratio < 1 / threshold:
            return "faster" if spread is None or spread[1] < 1.0 else ""
        return ""


def load_benchmarks(path, stat: str = "median") -> tuple[dict, dict]:
    """``({fullname: (group, seconds, (q1, q3) or None)}, machine_info)`` of a pytest-benchmark JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CompareError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CompareError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CompareError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise CompareError(f"{path}: not a pytest-benchmark JSON file (no 'benchmarks' list); "
                           "write one with pytest --benchmark-json FILE")
    out = {}
    for i, bench in enumerate(data["benchmarks"]):
        try:
            name = bench.get("fullname") or bench["name"]
            value = float(bench["stats"][stat])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CompareError(f"{path}: benchmark #{i} has no name or no stats.{stat}") from None
        if name in out:
            raise CompareError(f"{path}: benchmark {name!r} appears twice")
        stats = bench["stats"]
        try:
            quartiles = (float(stats["q1"]), float(stats["q3"]))
        except (KeyError, TypeError, ValueError):
            quartiles = None
        out[name] = (bench.get("group"), value, quartiles)
    return out, data.get("machine_info") or {}


def compare(old: dict, new: dict) -> tuple[list[Row], list[str], list[str]]:
    """Rows of the benchmarks in both (in the new file's order), and the names only in old / only in new."""
    rows = [Row(name, group, old[name][1], seconds, old[name][2], quartiles)
            for name, (group, seconds, quartiles) in new.items() if name in old]
    only_old = [name for name in old if name not in new]
    only_new = [name for name in new if name not in old]
    return rows, only_old, only_new


def _time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"


def _short(name: str) -> str:
    return name.split("::", 1)[1] if "::" in name else name


def format_table(rows: list[Row], threshold: float, stat: str = "median") -> str:
    """A plain-text table: name, old, new, ratio, and a flag on the ratios over ``threshold``."""
    header = ("benchmark", f"old ({stat})", f"new ({stat})", "new/old", "IQR range", "")
    body = [(_short(r.name), _time(r.old_s), _time(r.new_s), f"{r.ratio:.3f}",
             "" if r.ratio_range is None else f"{r.ratio_range[0]:.2f}-{r.ratio_range[1]:.2f}",
             r.verdict(threshold))
            for r in rows]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    align = ["<", ">", ">", ">", ">", "<"]

    def fmt(line):
        return "  ".join(f"{v!s:{a}{w}}" for v, a, w in zip(line, align, widths)).rstrip()

    sep = "  ".join("-" * w for w in widths).rstrip()
    return "\n".join([fmt(header), sep, *(fmt(line) for line in body)])


def _machine_note(old_info: dict, new_info: dict) -> str | None:
    keys = ("node", "processor", "machine", "python_version", "cpu")
    diff = []
    for key in keys:
        a, b = old_info.get(key), new_info.get(key)
        if isinstance(a, dict):
            a = a.get("brand_raw")
        if isinstance(b, dict):
            b = b.get("brand_raw")
        if a != b and a is not None and b is not None:
            diff.append(f"{key}: {a!r} -> {b!r}")
    return ("note: the two runs come from different machines or Pythons (" + "; ".join(diff) + "); ratios mix "
            "code changes with machine differences") if diff else None


def run(old_path, new_path, threshold: float = 1.10, stat: str = "median", out=print, err=None) -> int:
    """Print the comparison; return the exit code (0 ok, 1 slower than ``threshold``, 2 error)."""
    import sys

    err = err or (lambda msg: print(msg, file=sys.stderr))
    if not (isinstance(threshold, int | float) and math.isfinite(threshold) and threshold > 0):
        err(f"error: --threshold must be a positive number (got {threshold!r})")
        return EXIT_ERROR
    if stat not in STATS:
        err(f"error: --stat must be one of {', '.join(STATS)} (got {stat!r})")
        return EXIT_ERROR
    try:
        old, old_info = load_benchmarks(old_path, stat)
        new, new_info = load_benchmarks(new_path, stat)
    except CompareError as exc:
        err(f"error: {exc}")
        return EXIT_ERROR
    rows, only_old, only_new = compare(old, new)
    if not rows:
        err(f"error: {old_path} and {new_path} share no benchmark (matched by fullname); "
            f"{len(old)} in the old file, {len(new)} in the new one")
        return EXIT_ERROR
    out(format_table(rows, threshold, stat))
    note = _machine_note(old_info, new_info)
    if note:
        out(note)
    for label, names in (("only in the old file (not compared)", only_old), ("only in the new file (not compared)", only_new)):
        if names:
            out(f"{label}: " + ", ".join(_short(n) for n in names))
    noisy = [r for r in rows if r.verdict(threshold) == "noise?"]
    if noisy:
        out(f"{len(noisy)} benchmark(s) over the threshold within the runs' own spread (noise?, not counted): "
            + ", ".join(_short(r.name) for r in noisy) + "; rerun both, interleaved, to tell")
    slower = [r for r in rows if r.verdict(threshold) == "SLOWER"]
    if slower:
        worst = max(slower, key=lambda r: r.ratio)
        out(f"FAIL: {len(slower)} of {len(rows)} benchmark(s) with new/old above the threshold {threshold:g} "
            f"(worst: {_short(worst.name)} at {worst.ratio:.3f})")
        return EXIT_SLOWER
    out(f"ok: {len(rows)} benchmark(s), none with new/old above the threshold {threshold:g} "
        f"(largest ratio {max(r.ratio for r in rows):.3f})")
    return EXIT_OK


def add_arguments(parser) -> None:
    parser.add_argument("old", metavar="OLD.json", help="the baseline pytest-benchmark JSON")
    parser.add_argument("new", metavar="NEW.json", help="the pytest-benchmark JSON to check")
    parser.add_argument("--threshold", type=float, default=1.10,
                        help="fail (exit 1) when a benchmark's new/old ratio exceeds this (default: 1.10)")
    parser.add_argument("--stat", choices=STATS, default="median", help="the statistic compared (default: median)")


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="experiments compare", description=__doc__.splitlines()[0])
    add_arguments(p)
    args = p.parse_args(argv)
    return run(args.old, args.new, args.threshold, args.stat)
