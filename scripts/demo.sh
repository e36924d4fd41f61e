#!/usr/bin/env bash
# Set up a virtual environment and run the project's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[experiments]"
exec .venv/bin/python -m admodes.demo "$@"
