"""The Jacobian methods compared in every cell: admodes, JAX, and optional peers.

A method turns a ``Problem`` into a ``Prepared``: ``call()`` computes the full m x n
Jacobian once (blocking until it is ready), ``to_numpy`` converts a result. Preparing
a jitted JAX method compiles it, and preparing an admodes replay records the tape and
stages its sweep; that time goes into ``compile_s``, not the timings.

Optional peers (HIPS autograd, torch.func) are detected lazily: ``available()``
returns ``(False, note)`` when the library is missing, and the runner skips the
method with that note instead of failing. To add a method, ``register(Method(...))``;
tests inject deliberately wrong methods the same way.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Method", "Prepared", "METHODS", "register", "get_method", "resolve", "sweeps_of", "jax_compiled", "configure_jax"]


@dataclass
class Prepared:
    """A method ready to run on one problem."""

    call: Callable[[], Any]
    to_numpy: Callable[[Any], np.ndarray] = np.asarray
    compile_s: float | None = None
    mode_chosen: str | None = None


@dataclass(frozen=True)
class Method:
    """One way to compute a Jacobian.

    ``mode``: forward, reverse or auto; ``chunk``: "1" (one direction per sweep) or
    "all" (every direction in one vectorised sweep); ``counts_ops``: the admodes op
    counter sees its work; ``requires``: modules that must be importable.
    """

    name: str
    library: str
    mode: str
    chunk: str
    jit: bool
    summary: str
    prepare: Callable[["Method", Any], Prepared] = field(repr=False, compare=False)
    optional: bool = False
    requires: tuple = ()
    install_hint: str = ""
    counts_ops: bool = False
    numpy_memory: bool = True  # its arrays are NumPy's, which tracemalloc sees (not XLA's or torch's)

    def available(self) -> tuple[bool, str]:
        """Whether the libraries this method needs can be imported, and a note if not."""
        for mod in self.requires:
            try:
                found = importlib.util.find_spec(mod) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                return False, f"{self.name}: skipped, {mod} is not installed ({self.install_hint or 'optional peer'})"
        return True, ""

    def sweeps(self, n: int, m: int, mode_chosen: str | None = None) -> int:
        return sweeps_of(self.mode if mode_chosen is None else mode_chosen, self.chunk, n, m)


def sweeps_of(mode: str, chunk: str, n: int, m: int) -> int:
    """Sweeps a Jacobian needs: n forward or m backward ones with chunk 1, else one vectorised."""
    if chunk != "1":
        return 1
    return n if mode == "forward" else m


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    METHODS[method.name] = method
    return method


def get_method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r} (known: {', '.join(METHODS)})") from None


def resolve(names=None) -> tuple[list[Method], list[str]]:
    """The methods to run (default: all registered) and notes for the unavailable ones."""
    chosen = [get_method(n) for n in (names if names else list(METHODS))]
    ready, notes = [], []
    for method in chosen:
        ok, note = method.available()
        (ready.append(method) if ok else notes.append(note))
    return ready, notes


# ----------------------------------------------------------------------------- admodes


def _admodes(mode, chunk):
    def prepare(method, problem):
        import admodes as ad

        fun, x = problem.fun("numpy"), problem.x("numpy")
        jac = ad.jacobian(fun, mode=mode, chunk=chunk)
        chosen = ad.choose_mode(fun, x).mode if mode == "auto" else mode
        return Prepared(call=lambda: jac(x), mode_chosen=chosen)

    return prepare


for _mode, _short in (("forward", "fwd"), ("reverse", "rev")):
    register(Method(
        f"admodes_{_short}_chunk1", "admodes", _mode, "1", False,
        f"admodes {_mode} mode, chunk=1: {'n forward sweeps' if _mode == 'forward' else 'one tape, m backward sweeps'} (the textbook)",
        _admodes(_mode, 1), counts_ops=True,
    ))
    register(Method(
        f"admodes_{_short}_vec", "admodes", _mode, "all", False,
        f"admodes {_mode} mode, chunk=None: all {'n' if _mode == 'forward' else 'm'} directions in one vectorised sweep",
        _admodes(_mode, None), counts_ops=True,
    ))
register(Method(
    "admodes_auto", "admodes", "auto", "all", False,
    "admodes mode='auto' (forward if n <= m else reverse), chunk=None",
    _admodes("auto", None), counts_ops=True,
))




def _admodes_replay(mode):
    def prepare(method, problem):
        import admodes as ad

        fun, x = problem.fun("numpy"), problem.x("numpy")
        t0 = time.perf_counter()
        tape = ad.record(fun, x)
        tape.jacobian(x, mode=mode)  # the sweep is staged into a program here: replay's "compile"
        compile_s = time.perf_counter() - t0
        return Prepared(call=lambda: tape.jacobian(x, mode=mode), compile_s=compile_s)

    return prepare


for _mode, _short in (("forward", "fwd"), ("reverse", "rev")):
    register(Method(
        f"admodes_replay_{_short}", "admodes", _mode, "all", True,
        f"admodes {_mode} mode over a recorded tape (ad.record), staged once into a NumPy program; "
        "record and staging time in compile_s",
        _admodes_replay(_mode),
    ))


# ----------------------------------------------------------------------------- JAX


def configure_jax():
    """64-bit JAX, and synchronous CPU dispatch: every timed call blocks on its result anyway,
    and without a hop to a worker thread small Jacobians are not timed as thread wake-ups
    (which cost milliseconds on a busy machine). Idempotent; recorded in the provenance."""
    import jax

    jax.config.update("jax_enable_x64", True)
    try:
        jax.config.update("jax_cpu_enable_async_dispatch", False)
    except (AttributeError, KeyError, ValueError):  # pragma: no cover - older/newer JAX without the option
        pass
    return jax


def jax_compiled(problem, transform: str):
    """``jax.jit(jax.<transform>(fun))`` compiled ahead of time for ``problem.x0``, and its compile time.

    Cached on the problem, so the oracle (jacrev) and the ``jax_jacrev_jit`` method share one compile.
    """
    key = f"jax_{transform}_compiled"
    if key not in problem.cache:
        jax = configure_jax()
        fun, x = problem.fun("jax"), problem.x("jax")
        t0 = time.perf_counter()
        compiled = jax.jit(getattr(jax, transform)(fun)).lower(x).compile()
        problem.cache[key] = (compiled, time.perf_counter() - t0)
    return problem.cache[key]


def _jax(transform, jit):
    def prepare(method, problem):
        jax = configure_jax()
        x = problem.x("jax")
        if jit:
            compiled, compile_s = jax_compiled(problem, transform)
            return Prepared(call=lambda: compiled(x).block_until_ready(), compile_s=compile_s)
        jf = getattr(jax, transform)(problem.fun("jax"))
        return Prepared(call=lambda: jf(x).block_until_ready())

    return prepare


for _t, _mode in (("jacfwd", "forward"), ("jacrev", "reverse")):
    for _jit in (True, False):
        register(Method(
            f"jax_{_t}_{'jit' if _jit else 'eager'}", "jax", _mode, "all", _jit,
            f"jax.{_t} ({'jitted; compile time in compile_s' if _jit else 'eager, op by op'}), vmapped over all directions",
            _jax(_t, _jit), requires=("jax",), numpy_memory=False,
        ))


# ----------------------------------------------------------------------------- optional peers


def _autograd(method, problem):
    autograd = importlib.import_module("autograd")
    fun, x = problem.fun("autograd"), problem.x("autograd")
    jf = autograd.jacobian(fun)
    return Prepared(call=lambda: jf(x))


register(Method(
    "autograd_jacobian", "autograd", "reverse", "1", False,
    "HIPS autograd.jacobian: one recorded pass, one backward sweep per output",
    _autograd, optional=True, requires=("autograd",), install_hint="pip install .[peers]",
))


def _torch(transform):
    def prepare(method, problem):
        torch = importlib.import_module("torch")
        import torch.func  # noqa: F401

        fun, x = problem.fun("torch"), problem.x("torch")
        jf = getattr(torch.func, transform)(fun)
        return Prepared(call=lambda: jf(x), to_numpy=lambda t: t.detach().cpu().numpy())

    return prepare


for _t, _mode in (("jacfwd", "forward"), ("jacrev", "reverse")):
    register(Method(
        f"torch_{_t}", "torch", _mode, "all", False,
        f"torch.func.{_t} on CPU (vmapped over all directions)",
        _torch(_t), optional=True, requires=("torch",), install_hint="pip install torch, a CPU build",
        numpy_memory=False,
    ))
