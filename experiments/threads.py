"""Pin BLAS and XLA threads before NumPy and JAX are imported (reproducible timings).

Environment variables are read by OpenBLAS/MKL/OpenMP and XLA when they load, so
``pin_threads`` must run before ``import numpy``/``import jax``; the CLI calls it
first thing. If NumPy was already imported (e.g. inside pytest), the variables are
still set and recorded, with ``numpy_imported_before_pinning = True`` saying they
may not have taken effect for BLAS.
"""

from __future__ import annotations

import os
import sys

__all__ = ["THREAD_VARS", "pin_threads", "thread_settings"]

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "XLA_FLAGS",
    "JAX_PLATFORMS",
)

_state: dict = {"requested": None, "numpy_imported_before_pinning": None, "jax_imported_before_pinning": None}


def pin_threads(threads: int | None) -> dict:
    """Set the thread variables to ``threads`` (``None`` or 0: leave the environment alone).

    Returns the settings now in effect (see ``thread_settings``).
    """
    _state["requested"] = threads
    _state["numpy_imported_before_pinning"] = "numpy" in sys.modules
    _state["jax_imported_before_pinning"] = "jax" in sys.modules
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    if threads:
        t = str(int(threads))
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
            os.environ[var] = t
        multi = "true" if int(threads) > 1 else "false"
        flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith(("--xla_cpu_multi_thread_eigen", "intra_op_parallelism_threads"))]
        flags += [f"--xla_cpu_multi_thread_eigen={multi}", f"intra_op_parallelism_threads={t}"]
        os.environ["XLA_FLAGS"] = " ".join(flags)
    return thread_settings()


def thread_settings() -> dict:
    """The thread-related environment and whether it was set before the libraries loaded."""
    return {
        "requested_threads": _state["requested"],
        "env": {var: os.environ.get(var) for var in THREAD_VARS},
        "numpy_imported_before_pinning": _state["numpy_imported_before_pinning"],
        "jax_imported_before_pinning": _state["jax_imported_before_pinning"],
    }
