"""SciPy-style argument handling shared by admodes.scipy: unknown keywords become AdmodesError."""

from __future__ import annotations

import functools
import inspect

from ..core import AdmodesError


def scipy_signature(scipy_name: str):
    """Decorate a function that mirrors ``scipy_name``: a keyword it does not take is refused
    with an AdmodesError naming the keyword and the ones it does take (SciPy's own TypeError
    would not say that the admodes version is the one being called)."""

    def wrap(fn):
        sig = inspect.signature(fn)
        names = [p for p in sig.parameters]

        @functools.wraps(fn)
        def call(*args, **kwargs):
            unknown = [k for k in kwargs if k not in sig.parameters]
            if unknown:
                raise AdmodesError(
                    f"admodes.scipy: {scipy_name} does not take the keyword "
                    f"{', '.join(repr(k) for k in unknown)}; it takes ({', '.join(names)}). "
                    f"For the rest of SciPy's options call {scipy_name} itself on plain arrays."
                )
            return fn(*args, **kwargs)

        call.__signature__ = sig
        return call

    return wrap


def refuse(scipy_name: str, what: str, fix: str):
    """An AdmodesError for a value of an argument admodes.scipy does not implement."""
    return AdmodesError(f"admodes.scipy: {scipy_name}: {what} is not supported; {fix}.")
