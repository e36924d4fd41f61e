"""Run a config's grid: every cell, every method; oracle check, journal, resume, exit code.

For each cell the runner builds the problem, computes the oracle Jacobian
(``jax.jacrev`` of the JAX version of the same function, 64-bit) and the cost of one
evaluation (ops and flops of one recorded pass, the ``c`` of the n*c and m*c lines).
Then, for each method: prepare (compile, for jitted JAX), warm up, check the
Jacobian against the oracle, time (``timing.measure``), count ops (admodes methods,
one extra call under ``admodes.count_ops``), and measure peak memory (two extra
calls). The cell's rows go to the journal in one atomic append and the CSV is
rewritten; Ctrl-C or a crash keeps every finished cell, and ``resume=True`` skips
them (after checking the folder was measured with the same config).

Exit codes: 0 all cells ok, 1 some cell failed (over tolerance, or the method
raised) or a results file could not be written (a full disk: provenance.json says
"write failed"), 130 interrupted. Bad configs never get here (``config.ConfigError``);
a folder that cannot take the run raises ``results.ResultsError`` before anything is
measured or replaced.
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import os
import math
import sys
import time
from pathlib import Path

import numpy as np

from . import interrupts
from . import provenance as prov
from .config import Cell, Config
from .families import get_family
from .methods import METHODS, Method
from .results import CSV_NAME, PROVENANCE_NAME, Journal, ResultsError, lock, write_csv
from .timing import measure, peak_rss_delta, peak_tracemalloc

__all__ = ["run", "measure_cell", "oracle_jacobian", "eval_cost", "op_counts", "EXIT_OK", "EXIT_FAILED", "EXIT_INTERRUPTED"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_CONFIG, EXIT_INTERRUPTED = 0, 1, 2, 130


def _now():
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def oracle_jacobian(problem) -> np.ndarray:
    """``jax.jacrev`` (x64, jitted) of the JAX version of the problem's function, as an (m, n) array."""
    from .methods import jax_compiled

    compiled, _ = jax_compiled(problem, "jacrev")  # shared with the jax_jacrev_jit method
    J = compiled(problem.x("jax"))
    return np.asarray(J, dtype=np.float64).reshape(problem.m, problem.n)


def eval_cost(problem) -> tuple[int, int]:
    """Ops and flops of one evaluation of the function: one reverse-mode recording pass."""
    import admodes as ad

    with ad.count_ops() as c:
        ad.vjp(problem.fun("numpy"), problem.x0)
    return c.ops, c.flops


def op_counts(call, mode: str, sweeps: int, eval_flops: int) -> dict:
    """The engine's own count of one Jacobian: totals, per sweep, and the largest tape."""
    import admodes as ad

    with ad.count_ops() as c:
        call()
    if mode == "reverse":  # one recorded pass, then `sweeps` backward sweeps over it
        per_ops = (c.ops - c.tape_length) / sweeps
        per_flops = (c.flops - eval_flops) / sweeps
    else:
        per_ops, per_flops = c.ops / sweeps, c.flops / sweeps
    return {
        "ops_total": c.ops,
        "ops_per_sweep": per_ops,
        "flops_total": c.flops,
        "flops_per_sweep": per_flops,
        "tape_length": c.tape_length,
        "tape_bytes": c.tape_bytes,
    }


def _errors(J, R):
    if J.shape != R.shape:
        return math.inf, math.inf
    abs_err = float(np.max(np.abs(J - R))) if J.size else 0.0
    scale = float(np.max(np.abs(R))) if R.size else 0.0
    rel_err = abs_err / scale if scale > 0 else (0.0 if abs_err == 0 else math.inf)
    if not np.all(np.isfinite(J)):
        abs_err = rel_err = math.inf
    return abs_err, rel_err


def measure_method(method: Method, problem, cell: Cell, config: Config, oracle, base: dict) -> dict:
    """One row: time, cost, memory and correctness of ``method`` on ``problem``."""
    row = dict(base)
    row.update(method=method.name, library=method.library, mode=method.mode, mode_chosen=method.mode,
               chunk=method.chunk, jit=method.jit, status="ok", error="")
    try:
        prepared = method.prepare(method, problem)
        chosen = prepared.mode_chosen or method.mode
        sweeps = method.sweeps(problem.n, problem.m, chosen)
        row.update(mode_chosen=chosen, sweeps=sweeps, compile_s=prepared.compile_s)
        t0 = time.perf_counter()
        result = prepared.call()
        row["first_call_s"] = time.perf_counter() - t0
        for _ in range(config.warmup - 1):
            prepared.call()
        J = np.asarray(prepared.to_numpy(result), dtype=np.float64)
        J = J.reshape(problem.m, problem.n) if J.size == problem.m * problem.n else J
        del result
        if oracle is not None:
            abs_err, rel_err = _errors(J, oracle)
            row.update(max_abs_err=abs_err, max_rel_err=rel_err)
            if not (abs_err <= config.atol or rel_err <= config.rtol):
                row["status"] = "failed"
                row["error"] = (
                    f"Jacobian differs from jax.jacrev: max abs {abs_err:.3g}, max rel {rel_err:.3g} "
                    f"(rtol {config.rtol:g}, atol {config.atol:g})"
                    + ("" if J.shape == oracle.shape else f"; shape {J.shape} != {oracle.shape}")
                )
        row["load_1min"] = _load()  # the machine's load while this row was timed (shared machines)
        t = measure(prepared.call, config.repeats, config.min_time, config.budget_s)
        row["load_1min_after"] = _load()
        row.update(time_median_s=t.median_s, time_iqr_s=t.iqr_s, time_q25_s=t.q25_s, time_q75_s=t.q75_s,
                   time_min_s=t.min_s, repeats=t.repeats, inner_loops=t.inner_loops)
        # one more call for the engine's op count and the resident-set peak (counting adds
        # Python work but no arrays), one under tracemalloc (which slows the call down)
        counted = {}

        def counted_call():
            if method.counts_ops:
                counted.update(op_counts(prepared.call, chosen, sweeps, base.get("eval_flops") or 0))
            else:
                prepared.call()

        if config.memory:
            row["rss_peak_bytes"] = peak_rss_delta(counted_call)
            if method.numpy_memory:  # XLA and torch buffers are invisible to tracemalloc: left empty
                row["mem_peak_bytes"] = peak_tracemalloc(prepared.call)
        elif method.counts_ops:
            counted_call()
        row.update(counted)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # a broken method is a failed cell, not a crashed run
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}"[:500]
    return row


def _load():
    """The 1-minute load average (runnable processes), or None where the OS has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def measure_cell(cell: Cell, methods: list[Method], config: Config, suite: str, on_method=None, after_method=None) -> list[dict]:
    """Every row of one cell."""
    fam = get_family(cell.family)
    base = {
        "suite": suite, "cell": cell.key, "family": cell.family, "n": cell.n, "m": cell.m,
        "size": cell.size, "size_name": fam.size_name, "seed": cell.seed,
        "rtol": config.rtol, "atol": config.atol,
    }
    try:
        problem = fam.build(cell.n, cell.m, cell.size, cell.seed)
    except Exception as exc:  # a broken family fails its cells, not the run
        rows = []
        for method in methods:
            row = dict(base, method=method.name, library=method.library, mode=method.mode, chunk=method.chunk,
                       jit=method.jit, status="error", error=f"building the problem failed: {type(exc).__name__}: {exc}"[:500],
                       timestamp_utc=_now())
            rows.append(row)
            if after_method:
                after_method(row)
        return rows
    oracle, oracle_error = None, ""
    t0 = time.perf_counter()
    try:
        oracle = oracle_jacobian(problem)
    except Exception as exc:
        oracle_error = f"oracle (jax.jacrev) failed: {type(exc).__name__}: {exc}"[:500]
    base["oracle_s"] = time.perf_counter() - t0
    try:
        base["eval_ops"], base["eval_flops"] = eval_cost(problem)
    except Exception:  # the admodes methods will report the error themselves
        pass
    rows = []
    for method in methods:
        if on_method:
            on_method(cell, problem, method)
        row = measure_method(method, problem, cell, config, oracle, base)
        if oracle is None and row["status"] == "ok":
            row.update(status="error", error=oracle_error)
        row["timestamp_utc"] = _now()
        rows.append(row)
        if after_method:
            after_method(row)
    return rows


CLEAR_CACHES_ABOVE = 4 << 30


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            import os

            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _clear_jax_caches():
    jax = sys.modules.get("jax")
    if jax is not None:
        try:
            jax.clear_caches()
        except Exception:  # pragma: no cover
            pass


# what a resumed run must share with the run it continues (the rest may change: the
# description, the memory cap, and the methods, whose finished rows are kept)
SAME_ON_RESUME = ("name", "repeats", "warmup", "min_time", "budget_s", "threads", "seed", "rtol", "atol", "memory",
                  "sweeps")


def run(
    config: Config,
    out_dir,
    *,
    resume: bool = False,
    progress: bool = True,
    plot: bool = True,
    argv=None,
    extra_methods=(),
    log=print,
) -> int:
    """Measure every cell of ``config`` into ``out_dir``; return the exit code.

    ``out_dir`` is locked for the run (``DIR/.lock``, ``results.lock``). Refused with a ``ResultsError``
    (nothing measured, nothing replaced): a folder another run holds; with ``resume``, a
    damaged journal, an unreadable provenance, a config that differs from the one that
    measured the folder, or finished results without the journal to resume them from.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with interrupts.watch(), lock(out):
            try:
                return _run(config, out, resume=resume, progress=progress, plot=plot, argv=argv,
                            extra_methods=extra_methods, log=log)
            except KeyboardInterrupt:  # outside the measuring loop (start-up, the final writes)
                log(f"interrupted: the cells finished in {out} are kept; rerun with --resume to continue")
                return EXIT_INTERRUPTED
    except OSError as exc:  # before the first cell (the loop handles its own): no folder, no lock, no space
        raise ResultsError(_write_failed(exc, out)) from None


def _csv_rows(path: Path) -> int:
    """Data lines of a CSV (0 if absent), read without pandas."""
    try:
        with open(path, "rb") as f:
            return max(0, sum(1 for _ in f) - 1)
    except FileNotFoundError:
        return 0


def _read_provenance(path: Path) -> dict:
    """The provenance a resumed run continues; ``ResultsError`` if it cannot be read."""
    if not path.exists():
        return {}
    fix = (f"it records the config these results were measured with, so --resume cannot check it: restore it, "
           f"or rerun without --resume (which replaces the results in {path.parent})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path} cannot be read ({exc}); {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ResultsError(f"{path} is not a provenance record (no 'config' object); {fix}")
    return data


def _differences(old: dict, new: dict) -> list[str]:
    new = json.loads(json.dumps(new, default=str))  # as provenance.json holds it (tuples as lists)
    return [f"{key} {old.get(key)!r} -> {new.get(key)!r}" if key != "sweeps" else "sweeps differ"
            for key in SAME_ON_RESUME if old.get(key) != new.get(key)]


def _prepare_folder(out: Path, journal: Journal, config: Config, resume: bool, log) -> dict:
    """Check ``out`` can take this run (see ``run``); return the previous provenance when resuming."""
    csv_rows = _csv_rows(out / CSV_NAME)
    if not resume:
        try:
            kept = sum(len(e["rows"]) for e in journal.entries())
        except ResultsError:
            kept = -1  # damaged: replaced all the same, since the run starts afresh
        if kept or csv_rows:
            what = f"{max(kept, csv_rows)} finished row(s)" if kept >= 0 else "a damaged journal"
            log(f"warning: starting afresh in {out}: {what} there (results.csv, cells.jsonl) are replaced; "
                "stop now (Ctrl-C) and rerun with --resume to continue them instead")
        journal.reset()
        (out / CSV_NAME).unlink(missing_ok=True)
        return {}
    entries = journal.entries()  # a damaged line is a ResultsError naming it
    previous = _read_provenance(out / PROVENANCE_NAME)
    if entries and not previous:
        raise ResultsError(f"{out} has {len(entries)} finished cell(s) in {journal.path.name} but no "
                           f"{PROVENANCE_NAME}, so --resume cannot check they were measured with this config; "
                           f"rerun without --resume (replacing them), or into another --out")
    if previous:
        changed = _differences(previous["config"], config.as_dict())
        if changed:
            raise ResultsError(f"--resume: {out} was measured with another config ({'; '.join(changed)}); "
                               "resuming would merge two suites into one results file. Resume with the config "
                               f"that measured it ({previous.get('config_source', '?')}), or give another --out")
    recorded = previous.get("rows") or 0
    if not entries and (csv_rows or recorded):
        raise ResultsError(f"--resume: {out}/{CSV_NAME} holds {csv_rows or recorded} finished row(s) but the journal "
                           f"{journal.path.name} is {'empty' if journal.path.exists() else 'missing'}: resuming would "
                           "measure every cell again and replace them. Restore the journal, or move the results "
                           "away and rerun without --resume")
    journal.repair()  # only now: a refused resume leaves even a crash's half line in place
    return previous


def _write_failed(exc: OSError, out: Path) -> str:
    return (f"cannot write into {out}: {exc.strerror or exc} ({getattr(exc, 'filename', None) or 'a results file'}); "
            "the cells finished before are kept in the journal: free space, then rerun with --resume")


def _run(config: Config, out: Path, *, resume, progress, plot, argv, extra_methods, log) -> int:
    started = time.perf_counter()
    journal = Journal(out)
    registry = {**METHODS, **{m.name: m for m in extra_methods}}

    # methods: unavailable optional peers are skipped with a note
    wanted = list(dict.fromkeys(name for cell in config.cells for name in cell.methods))
    ready, notes = {}, []
    for name in wanted:
        method = registry[name]
        ok, note = method.available()
        if ok:
            ready[name] = method
        else:
            notes.append(note)
    for note in notes:
        log(f"note: {note}")

    interrupts.check()  # a Ctrl-C during start-up (even a swallowed one) stops here, before anything is replaced
    previous = _prepare_folder(out, journal, config, resume, log)
    done = journal.done() if resume else set()

    plan = []
    for cell in config.cells:
        todo = [ready[name] for name in cell.methods if name in ready and (cell.key, name) not in done]
        if todo:
            plan.append((cell, todo))
    skipped_cells = sum(1 for cell in config.cells if not any((cell.key, n) not in done for n in cell.methods if n in ready))

    history = previous.get("history", [])
    if previous:
        history = history + [{k: previous.get(k) for k in ("date_utc", "command_line", "status", "exit_code", "wall_time_s")}]
    info = prov.collect(config, argv, {
        "status": "running",
        "skipped_methods": notes,
        "methods": {name: {"library": m.library, "mode": m.mode, "chunk": m.chunk, "jit": m.jit, "summary": m.summary} for name, m in ready.items()},
        "cells_total": len(config.cells),
        "cells_resumed": skipped_cells if resume else 0,
        "resumed": bool(resume),
        "history": history,
    })
    status, error = "complete", None
    measured = 0
    bar = None
    try:
        prov.write_json(out / PROVENANCE_NAME, info)
        if resume and skipped_cells:
            log(f"resume: {skipped_cells} finished cell(s) kept, {len(plan)} to measure")
        total = sum(len(todo) for _, todo in plan)
        from tqdm import tqdm

        bar = tqdm(total=total, disable=not progress, unit="meas", file=sys.stderr, dynamic_ncols=True, leave=True)

        def on_method(cell, problem, method):
            interrupts.check()
            bar.set_description_str(problem.label, refresh=False)
            bar.set_postfix_str(method.name, refresh=True)

        for k, (cell, todo) in enumerate(plan):
            interrupts.check()
            if _rss_bytes() > CLEAR_CACHES_ABOVE:  # JAX's compiled code and eager caches (which help nearby cells)
                _clear_jax_caches()
            gc.collect()
            rows = measure_cell(cell, todo, config, config.name, on_method, lambda row: bar.update(1))
            interrupts.check()  # a Ctrl-C swallowed inside the cell: its rows are not kept
            journal.append(cell.key, rows)
            measured += 1  # kept from here on, even if Ctrl-C comes while the CSV is rewritten
            write_csv(journal.rows(), out / CSV_NAME)
            for row in rows:
                if row["status"] != "ok":
                    bar.write(f"{row['status'].upper()}: {cell.key} {row['method']}: {row['error']}")
    except KeyboardInterrupt:
        status = "interrupted"
    except OSError as exc:  # a full disk (ENOSPC), a read-only folder: say so, keep what is written
        status, error = "write failed", _write_failed(exc, out)
    finally:
        if bar is not None:
            bar.close()

    all_rows = journal.rows()
    if all_rows and status != "write failed":
        try:
            write_csv(all_rows, out / CSV_NAME)
        except OSError as exc:
            status, error = "write failed", _write_failed(exc, out)
    bad = [r for r in all_rows if r.get("status") != "ok"]
    if status == "interrupted":
        code = EXIT_INTERRUPTED
        log(f"interrupted: {measured} cell(s) finished in this run are kept in {out}; re-run with --resume to continue")
    elif status == "write failed":
        code = EXIT_FAILED
        log(f"error: {error}")
    else:
        code = EXIT_FAILED if bad else EXIT_OK
        if bad:
            status = "failed cells"
    torch = sys.modules.get("torch")
    if torch is not None:
        info["threads"]["torch_num_threads"] = torch.get_num_threads()
    info.update(
        status=status,
        exit_code=code,
        wall_time_s=round(time.perf_counter() - started, 3),
        cells_measured=measured,
        rows=len(all_rows),
        failures=[{"cell": r["cell"], "method": r["method"], "status": r["status"], "error": r.get("error")} for r in bad],
        finished_utc=_now(),
    )
    if error:
        info["error"] = error
    try:
        prov.write_json(out / PROVENANCE_NAME, info)
    except OSError as exc:
        log(f"error: {out / PROVENANCE_NAME} could not be written either ({exc.strerror or exc}); it still says "
            f"'running': the run ended with status {status!r}")
        code = code or EXIT_FAILED

    if plot and status not in ("interrupted", "write failed") and all_rows:
        try:
            from . import plots

            written = plots.make_all(out)
            log(f"figures and tables: {len(written)} files in {out}")
        except Exception as exc:  # figures must never cost the measurements
            log(f"warning: plotting failed ({type(exc).__name__}: {exc}); the results are intact, run `python -m experiments plot --out {out}`")
    wall = time.perf_counter() - started
    log(f"{len(all_rows)} rows ({measured} cell(s) measured now) in {out / CSV_NAME}; wall time {wall:.1f} s")
    if bad:
        log(f"{len(bad)} row(s) not ok:")
        for r in bad[:20]:
            log(f"  {r['status']}: {r['cell']} {r['method']}: {r.get('error')}")
    return code
