"""Arrays that are not plain ndarrays, and outputs that have no derivative: refused, never zeros.

np.matrix (whose * is a matrix product), masked arrays (whose mean skips masked entries),
other ndarray subclasses, object arrays filled with traced values, and bool or integer
outputs all gave wrong or zero derivatives silently once. Each is refused wherever it enters:
as a differentiated input of every transformation, as a constant operand of a traced value,
and as an output.
"""

import numpy as np
import pytest

import admodes as ad
from admodes import AdmodesError


class Meters(np.ndarray):
    """A user's own ndarray subclass."""


def _subclasses():
    base = np.array([[1.0, 2.0], [3.0, 4.0]])
    return {
        "matrix": (np.matrix(base), "np.matrix"),
        "masked": (np.ma.masked_array(base, mask=[[0, 1], [0, 0]]), "masked array"),
        "masked, no mask": (np.ma.masked_array(base), "masked array"),
        "own subclass": (base.view(Meters), "subclass Meters"),
    }


SUBCLASSES = _subclasses()

TRANSFORMS = {
    "grad": lambda f, x: ad.grad(lambda v: np.sum(f(v)))(x),
    "grad forward": lambda f, x: ad.grad(lambda v: np.sum(f(v)), mode="forward")(x),
    "jacfwd": lambda f, x: ad.jacfwd(f)(x),
    "jacrev": lambda f, x: ad.jacrev(f)(x),
    "jacobian auto": lambda f, x: ad.jacobian(f)(x),
    "jvp": lambda f, x: ad.jvp(f, (x,), (np.ones((2, 2)),)),
    "vjp": lambda f, x: ad.vjp(f, x),
    "hessian": lambda f, x: ad.hessian(lambda v: np.sum(f(v)))(x),
    "record": lambda f, x: ad.record(f, x),
    "trace": lambda f, x: ad.trace(f, x),
}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("kind", list(SUBCLASSES))
def test_a_subclass_input_is_refused(kind, transform):
    value, words = SUBCLASSES[kind]
    with pytest.raises(AdmodesError, match=words):
        TRANSFORMS[transform](lambda v: v * v, value)


CONSTANT_USES = {
    "c * x": lambda c, x: c * x,
    "x * c": lambda c, x: x * c,
    "x + c": lambda c, x: x + c,
    "np.multiply(c, x)": lambda c, x: np.multiply(c, x),
    "np.where(mask, x, c)": lambda c, x: np.where(np.array([[True, False], [False, True]]), x, c),
    "np.concatenate([x, c])": lambda c, x: np.concatenate([x, c]),
    "np.maximum(x, c)": lambda c, x: np.maximum(x, c),
}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("use", list(CONSTANT_USES))
@pytest.mark.parametrize("kind", list(SUBCLASSES))
def test_a_subclass_constant_is_refused(kind, use, mode):
    value, words = SUBCLASSES[kind]
    if kind.startswith("masked") and use == "c * x":
        # np.ma's own operator runs first and asks for the traced value's data
        words = "escaped into raw NumPy"
    with pytest.raises(AdmodesError, match=words):
        ad.jacobian(lambda x: CONSTANT_USES[use](value, x), mode=mode)(np.ones((2, 2)))


def _object_array(x):
    out = np.empty(2, dtype=object)
    out[0] = x[0]
    out[1] = x[1] * 2.0
    return out


BAD_OUTPUTS = {
    "object array of traced values": (_object_array, "object array"),
    "bool": (lambda x: x > 1.0, "dtype bool"),
    "int": (lambda x: np.floor(x).astype(int), "dtype int"),
    "Python int": (lambda x: 3, "dtype int"),
    "masked": (lambda x: np.ma.masked_array(np.ones(2)), "masked"),
    "object in a pytree": (lambda x: {"a": x * 2.0, "b": _object_array(x)}, "object array"),
}


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "jacobian auto", "vjp", "jvp"])
@pytest.mark.parametrize("name", list(BAD_OUTPUTS))
def test_an_output_without_a_derivative_is_refused(name, transform):
    fun, words = BAD_OUTPUTS[name]
    x = np.array([1.0, 2.0])
    call = {
        "jacfwd": lambda: ad.jacfwd(fun)(x),
        "jacrev": lambda: ad.jacrev(fun)(x),
        "jacobian auto": lambda: ad.jacobian(fun)(x),
        "vjp": lambda: ad.vjp(fun, x),
        "jvp": lambda: ad.jvp(fun, (x,), (np.ones(2),)),
    }[transform]
    with pytest.raises(AdmodesError, match=words):
        call()


def test_a_bool_output_can_still_travel_as_aux():
    (jac, aux) = ad.jacobian(lambda x: (x * 2.0, x > 1.5), has_aux=True)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(jac, 2.0 * np.eye(2))
    np.testing.assert_array_equal(aux, [False, True])


def test_plain_constants_of_every_real_kind_still_work():
    x = np.array([1.0, 2.0])
    for c in (np.array([1, 2]), np.array([True, False]), np.float32(2.0), np.int64(3), 2, True):
        for mode in ("forward", "reverse"):
            np.testing.assert_allclose(ad.jacobian(lambda v: v * c, mode=mode)(x), np.diag(x * 0 + c))


def test_trace_names_each_argument_once():
    # argnums=(0, 0) once gave two inputs with wrong adjoints; the API refuses it
    with pytest.raises(AdmodesError, match="more than once"):
        ad.trace(lambda x, y: x * y, 2.0, 3.0, argnums=(0, 0))
    g = ad.trace(lambda x, y: x * y, 2.0, 3.0, argnums=-1)
    assert [n.name for n in g.inputs] == ["y"]
