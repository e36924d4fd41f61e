#!/usr/bin/env bash
# Set up a virtual environment and run the project's main job: the quick experiment suite
# (forward vs reverse mode as n and m grow; a few minutes) into runs/quick/, then the report
# that regenerates the paper's tables and figures from those results into runs/paper/.
# Nothing tracked is rewritten: results/quick/ and paper/ are the committed reference run
# (regenerate them on purpose with --out results/quick and `experiments report`).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[experiments,peers]"
.venv/bin/python -m experiments run --quick --out runs/quick "$@"
mkdir -p runs/paper
cp paper/paper.md paper/paper.bib runs/paper/
.venv/bin/python -m experiments report --results runs/quick --paper runs/paper
echo "results: runs/quick/   paper regenerated from them: runs/paper/paper.md"
