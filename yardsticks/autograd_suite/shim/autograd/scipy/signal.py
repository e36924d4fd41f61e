"""autograd.scipy.signal: ``convolve`` is autograd's own tensor convolution when given axes or dot_axes."""

import scipy.signal as _signal

from .._ops import NoCounterpart


def convolve(A, B, axes=None, dot_axes=[(), ()], mode="full"):
    if axes is not None or any(dot_axes):
        raise NoCounterpart(
            "autograd.scipy.signal.convolve(axes=..., dot_axes=...) has no admodes counterpart "
            "(autograd's own tensor convolution; scipy.signal.convolve has no such arguments)"
        )
    return _signal.convolve(A, B, mode=mode)
