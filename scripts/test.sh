#!/usr/bin/env bash
# Set up a virtual environment with the test extras and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,peers]"
# two workers: the JAX oracle compiles a program per spec row, and this machine has 2 cores
.venv/bin/python -m pytest -n 2 "$@"
# the op spec tables once more with every speed shortcut off (admodes.core.SHORTCUTS), so
# the general path that the shortcuts stand in for stays tested
if [ "$#" -eq 0 ]; then
    ADMODES_SHORTCUTS=0 .venv/bin/python -m pytest -n 2 -q tests/ops tests/test_shortcuts.py
fi
