#!/usr/bin/env bash
# Set up a virtual environment and run the project's main job: the quick experiment suite
# (forward vs reverse mode as n and m grow; < 2 minutes), written to results/quick/.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[experiments,peers]"
exec .venv/bin/python -m experiments run --quick "$@"
