"""A stand-in for the ``autograd`` package that runs autograd's test suite on admodes.

``autograd.numpy`` (and its ``random``, ``linalg``, ``fft``) is plain NumPy and
``autograd.scipy.*`` plain SciPy: admodes differentiates unmodified NumPy code, so the
functions under test are NumPy's own. The differential operators are admodes' (see
``_ops``), ``autograd.test_util.check_grads`` checks admodes' jvp and vjp against finite
differences, and autograd's containers (``autograd.tuple`` ...) are Python's, which
admodes traces through as pytrees. Public names with nothing to map onto raise
``NoCounterpart``; autograd-internal APIs (tracer, vspaces, primitive tables) raise
``NotApplicable``, so the runner can count those tests apart.
"""

import sys as _sys

import numpy as numpy
import numpy.fft
import numpy.linalg
import numpy.random

_sys.modules[__name__ + ".numpy"] = numpy
_sys.modules[__name__ + ".numpy.random"] = numpy.random
_sys.modules[__name__ + ".numpy.linalg"] = numpy.linalg
_sys.modules[__name__ + ".numpy.fft"] = numpy.fft

from ._ops import (  # noqa: E402
    NoCounterpart,
    NotApplicable,
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_jvp_reversemode,
    make_vjp,
    multigrad_dict,
    not_applicable,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)

# autograd boxes its containers so it can trace through them; admodes traces Python's own
from .builtins import dict, isinstance, list, tuple, type  # noqa: E402

primitive = not_applicable("primitive")
