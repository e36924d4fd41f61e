#!/usr/bin/env bash
# Set up a virtual environment and run the project's main job: the quick experiment suite
# (forward vs reverse mode as n and m grow; < 2 minutes) into results/quick/, then the
# report that regenerates the paper's tables and figures (paper/) from those results.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[experiments,peers]"
.venv/bin/python -m experiments run --quick --out results/quick "$@"
# regenerate the paper's tables and figures from what was just measured
exec .venv/bin/python -m experiments report --results results/quick
