"""autograd.builtins: autograd's traced containers are Python's own under admodes (pytrees).

autograd's ``isinstance`` and ``type`` look through a traced value to the value it
carries; here they look through admodes' tracers to their primal.
"""

import builtins as _b

from admodes.core import Tracer as _Tracer

tuple = _b.tuple
list = _b.list
dict = _b.dict


def _primal(x):
    while _b.isinstance(x, _Tracer):
        x = x.primal
    return x


def isinstance(x, classinfo):
    return _b.isinstance(_primal(x), classinfo)


def type(x):
    return _b.type(_primal(x))
