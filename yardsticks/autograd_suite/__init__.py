"""A yardstick: autograd 1.9.1's own test suite, run against admodes through a thin adapter.

``python -m yardsticks.autograd_suite`` fetches autograd's source distribution into a
cache outside the repository, runs its ``tests/`` with pytest with the shim package in
``shim/autograd`` first on ``sys.path`` (``autograd.numpy`` is NumPy, the operators and
``check_grads`` are admodes'), sorts the failures by reason (``classify``) and writes
``results/yardsticks/autograd_suite.md`` and ``.json``.
"""

from pathlib import Path

SHIM = Path(__file__).resolve().parent / "shim"
AUTOGRAD_VERSION = "1.9.1"

__all__ = ["SHIM", "AUTOGRAD_VERSION"]
