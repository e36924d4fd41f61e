#!/usr/bin/env bash
# Set up a virtual environment with the test extras and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,peers]"
# two workers: the JAX oracle compiles a program per spec row, and this machine has 2 cores
exec .venv/bin/python -m pytest -n 2 "$@"
