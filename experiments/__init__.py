"""admodes experiments: how the cost of forward and reverse mode grows with n and m.

    python -m experiments list                 # families, methods, suites
    python -m experiments run --quick          # the quick suite (< 2 min), into results/quick
    python -m experiments run --config my.toml # a suite of your own
    python -m experiments plot --out results/quick
    python -m experiments report               # paper/paper.md and paper/figures from results/quick
    python -m experiments compare OLD.json NEW.json --threshold 1.10   # two benchmark runs

Modules (each small):

- ``families``   problem families, each parameterised by (n, m) and a size knob
- ``methods``    the Jacobian methods compared (admodes, JAX, optional peers)
- ``timing``     autorange + repeats (median, IQR), peak memory
- ``config``     suites as dicts, TOML files, validation before anything runs
- ``runner``     the grid: progress bar, oracle check, per-cell journal, resume, exit code
- ``results``    the journal and the tidy CSV (column list, loading)
- ``analysis``   scaling exponents and measured crossovers (tables)
- ``plots``      the figures (PNG + SVG)
- ``provenance`` versions, CPU, threads, git commit, seed, date, command line
- ``threads``    pinning BLAS/XLA threads before NumPy and JAX are imported
- ``summary``    the README of a results directory
- ``report``     the paper's tables, numbers and figures, between markers in paper.md
- ``compare``    new/old ratios of two pytest-benchmark JSON files, with a threshold

Importing this package does not import NumPy or JAX: the CLI pins threads first.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
