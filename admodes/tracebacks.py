"""Tracebacks that end in the user's code: admodes' own frames left out, as JAX does.

An error raised in a differentiated function, or by admodes about the user's input, would
otherwise show 5-13 frames of admodes (the transformation, the sweep, the trace, the NumPy
layer, the primitive) between the user's call and the user's line. ``api_boundary`` wraps
each public transformation: on an exception it removes every frame of a file inside the
admodes package from the traceback and adds a note saying so. ``ADMODES_TRACEBACK_FILTERING=off``
shows everything (for debugging admodes itself).
"""

from __future__ import annotations

import functools
import os
import types

__all__ = ["api_boundary", "FILTERING"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
FILTERING = os.environ.get("ADMODES_TRACEBACK_FILTERING", "on").lower() not in ("off", "0", "false", "no")
_NOTE = "(admodes removed its own frames from this traceback; ADMODES_TRACEBACK_FILTERING=off shows them)"


def _internal(frame) -> bool:
    return frame.f_code.co_filename.startswith(_PACKAGE)


def filtered(tb):
    """``tb`` without the frames of admodes' own files (``None`` if nothing else is left)."""
    kept = []
    while tb is not None:
        if not _internal(tb.tb_frame):
            kept.append(tb)
        tb = tb.tb_next
    result = None
    for entry in reversed(kept):
        result = types.TracebackType(result, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return result


def api_boundary(fun):
    """``fun`` whose exceptions leave with admodes' frames filtered out of their traceback.

    Nested transformations filter again on the way out (the frames between two boundaries are
    admodes' too); the note is added once.
    """

    @functools.wraps(fun)
    def boundary(*args, **kwargs):
        try:
            return fun(*args, **kwargs)
        except Exception as error:
            if not FILTERING:
                raise
            if _NOTE not in getattr(error, "__notes__", ()):
                try:
                    error.add_note(_NOTE)
                except (AttributeError, TypeError):  # an exception type that takes no notes
                    pass
            raise error.with_traceback(filtered(error.__traceback__))

    return boundary
