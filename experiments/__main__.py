"""Command line: ``python -m experiments {run,plot,list,report,compare}`` (also the ``experiments`` console script).

    python -m experiments run --quick                 # results/quick, < 2 minutes
    python -m experiments run                         # the full suite (n, m up to 4096; long)
    python -m experiments run --config my.toml --out results/mine [--resume]
    python -m experiments plot --out results/quick    # figures and tables from results.csv
    python -m experiments list                        # families, methods, suites
    python -m experiments report [--results results/quick] [--paper paper] [--pdf]
    python -m experiments compare OLD.json NEW.json [--threshold 1.10]

Threads are pinned (BLAS, OpenMP, XLA: 1 by default; ``--threads N``, or ``threads``
in the config; 0 leaves the environment alone) before NumPy or JAX is imported.
Exit codes of ``run``: 0 ok, 1 failed cells (or a results file could not be written),
2 refused config or results folder (in use, damaged, another config on --resume),
130 interrupted (also during start-up);
``report`` and ``compare`` document their own (``experiments/report.py``, ``compare.py``).
"""

from __future__ import annotations

import argparse
import sys

from . import interrupts
from . import threads as _threads
from .config import SUITES, ConfigError, raw_config

EXIT_BAD_CONFIG = 2
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="experiments", description="Measure forward- and reverse-mode AD cost as n and m grow.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="measure a suite's grid")
    r.add_argument("--suite", choices=sorted(SUITES), help="a named suite ('full' takes hours)")
    r.add_argument("--quick", action="store_true", help="the quick suite (same as --suite quick)")
    r.add_argument("--config", metavar="FILE.toml", help="a TOML config (see experiments/config.py)")
    r.add_argument("--out", metavar="DIR", help="output directory (default: runs/<suite name>)")
    r.add_argument("--resume", action="store_true", help="keep finished cells in DIR and measure only the rest")
    r.add_argument("--threads", type=int, help="BLAS/XLA threads (default: the config's, 1); 0 = leave the environment alone")
    r.add_argument("--methods", help="comma-separated methods (default: the config's, or all)")
    r.add_argument("--repeats", type=int, help="override the number of timed repeats")
    r.add_argument("--seed", type=int, help="override the seed")
    r.add_argument("--no-plot", action="store_true", help="skip figures and tables at the end")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")

    pl = sub.add_parser("plot", help="figures and tables from a results directory")
    pl.add_argument("--out", metavar="DIR", default="runs/quick", help="results directory (default: runs/quick)")

    sub.add_parser("list", help="families, methods and suites")

    from . import compare, report

    rp = sub.add_parser("report", help="regenerate the paper's tables, numbers and figures from a results directory")
    report.add_arguments(rp)

    c = sub.add_parser("compare", help="ratios of two pytest-benchmark JSON files; exit 1 if slower than --threshold")
    compare.add_arguments(c)
    return p


def _command_line(argv) -> list:
    """The command as typed: ``python -m experiments ...`` rather than the path of __main__.py."""
    if argv is not None:
        return ["experiments", *argv]
    if sys.argv and sys.argv[0].endswith("__main__.py"):
        return ["python", "-m", "experiments", *sys.argv[1:]]
    return list(sys.argv)


def _cmd_run(args, argv=None) -> int:
    with interrupts.watch():  # from the first moment: importing JAX can swallow a Ctrl-C
        try:
            return _run_command(args, argv)
        except KeyboardInterrupt:
            print("interrupted during start-up: nothing was measured", file=sys.stderr)
            return EXIT_INTERRUPTED
        except ConfigError as exc:  # and results.ResultsError: a folder that cannot take the run
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_CONFIG


def _run_command(args, argv) -> int:
    if args.config and (args.suite or args.quick):
        raise ConfigError("give either --config or --suite/--quick, not both")
    suite = "quick" if args.quick else args.suite
    if not (suite or args.config):  # the full suite takes hours: never start it by omission
        raise ConfigError(
            "say what to measure: --quick (about 2 minutes), --suite NAME (one of "
            f"{', '.join(sorted(SUITES))}; 'full' takes hours) or --config FILE.toml"
        )
    raw = raw_config(suite, args.config)  # standard library only: NumPy is not imported yet
    overrides = {"threads": args.threads, "repeats": args.repeats, "seed": args.seed}
    if args.methods:
        overrides["methods"] = [m.strip() for m in args.methods.split(",") if m.strip()]
    raw.update({k: v for k, v in overrides.items() if v is not None})
    threads = raw.get("threads", 1)
    _threads.pin_threads(threads if isinstance(threads, int) and not isinstance(threads, bool) and threads >= 0 else 1)

    try:
        import jax  # noqa: F401  (the oracle every cell is checked against)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"the experiments need {exc.name} (JAX is the oracle each Jacobian is checked against, and a "
            "compared method): pip install 'admodes[experiments]' (from a checkout: pip install -e '.[experiments]')"
        ) from None
    from .methods import configure_jax  # imports NumPy: after pinning

    configure_jax()
    from .config import validate
    from .results import inside
    from .runner import run

    config = validate(raw)
    config.source = args.config or f"suite:{suite or 'full'}"
    out = args.out or inside("runs", config.name)  # untracked: results/ holds the committed reference runs
    interrupts.check()  # a Ctrl-C swallowed while JAX was imported
    print(f"suite {config.name!r}: {len(config.cells)} cells -> {out} (threads: {config.threads or 'environment'})")
    return run(config, out, resume=args.resume, progress=not args.no_progress, plot=not args.no_plot, argv=_command_line(argv))


def _cmd_plot(args) -> int:
    from . import plots

    try:
        written = plots.make_all(args.out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:  # results.ResultsError: damaged or duplicated results
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    for path in written:
        print(path)
    return 0


def _cmd_list(args) -> int:
    _threads.pin_threads(1)
    from .families import FAMILIES
    from .methods import METHODS

    print("families (size knob in brackets):")
    for name, fam in FAMILIES.items():
        shape = []
        if fam.fixed_n is not None:
            shape.append(f"n = {fam.fixed_n}")
        if fam.fixed_m is not None:
            shape.append(f"m = {fam.fixed_m}")
        if fam.m_equals_n:
            shape.append("m = n")
        extra = f"; {', '.join(shape)}" if shape else ""
        print(f"  {name:12s} [{fam.size_name}, default {fam.default_size}{extra}] {fam.description}")
    print("methods:")
    for name, method in METHODS.items():
        ok, note = method.available()
        flag = "" if ok else "   (not installed: skipped)"
        print(f"  {name:20s} {method.summary}{flag}")
    print("suites:")
    for name, suite in SUITES.items():
        print(f"  {name:8s} {len(suite['sweeps'])} sweeps: {suite.get('description', '')}")
    return 0


def _cmd_report(args) -> int:
    _threads.pin_threads(1)  # the worked-example table imports admodes (and NumPy)
    from . import report

    return report.run(args)


def _cmd_compare(args) -> int:
    from . import compare

    return compare.run(args.old, args.new, args.threshold, args.stat)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _cmd_run(args, argv)
    return {"plot": _cmd_plot, "list": _cmd_list, "report": _cmd_report, "compare": _cmd_compare}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
