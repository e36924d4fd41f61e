#!/usr/bin/env bash
# Run the benchmarks (pytest-benchmark) and store their JSON under results/benchmarks/.
# Extra arguments go to pytest, e.g. --benchmark-max-time=0.5 or -k jacobian.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,peers]"
mkdir -p results/benchmarks
out="results/benchmarks/$(date -u +%Y%m%dT%H%M%SZ).json"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m pytest benchmarks -p no:cacheprovider \
    --benchmark-json "$out" "$@"
echo "wrote $out"
echo "compare two runs: python -m experiments compare OLD.json NEW.json --threshold 1.10"
