"""Ctrl-C that is never lost: a SIGINT handler that remembers it was pressed.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be, and where
that is a garbage-collector callback or a ``__del__`` (JAX registers one, and
importing JAX runs it) Python prints "Exception ignored" and carries on: the run
went on to finish and exit 0. ``watch()`` installs a handler that records the press
before raising, and ``check()`` re-raises at the runner's checkpoints (after start-up,
before every cell, after every method), so a swallowed Ctrl-C still stops the run
with exit code 130.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

__all__ = ["watch", "check", "pressed", "reset"]

_state = {"pressed": False, "depth": 0}


def _handler(signum, frame):
    _state["pressed"] = True
    raise KeyboardInterrupt


def pressed() -> bool:
    """Whether Ctrl-C was pressed since ``reset()`` (even if the interrupt was swallowed)."""
    return _state["pressed"]


def reset() -> None:
    _state["pressed"] = False


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed, whatever became of the first one."""
    if _state["pressed"]:
        raise KeyboardInterrupt


@contextmanager
def watch():
    """Record Ctrl-C presses while the block runs (main thread only; elsewhere a no-op).

    The outermost ``watch`` forgets earlier presses; a nested one (``run`` inside the
    command line's) keeps a press made during the command's start-up.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _state["depth"] == 0:
        reset()
    previous = signal.signal(signal.SIGINT, _handler)
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        signal.signal(signal.SIGINT, previous)
