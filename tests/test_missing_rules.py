"""A primitive without a rule fails the same way on every path.

Every walker calls rules through ``Primitive.vjp_of`` / ``jvp_of``: eager reverse and
forward mode, replay (staged and interpreted), and the graph view's sweeps all raise the
same ``NotImplementedError`` naming the primitive, never a ``TypeError`` from deep inside
and never a silent zero.
"""

import numpy as np
import pytest

import admodes as ad
from admodes import core

no_vjp = core.Primitive("test_no_vjp", lambda x: 2.0 * x, register=False)
no_vjp.defjvp(lambda t, nb, out, x: 2.0 * t)

no_jvp = core.Primitive("test_no_jvp", lambda x: 3.0 * x, register=False)
no_jvp.defvjp(lambda g, nb, out, x: 3.0 * g)

none_at_all = core.Primitive("test_no_rules", lambda x, y: x * y, register=False)
unary_none = core.Primitive("test_unary_none", np.sin, register=False).defjvp(None).defvjp(None)

X = np.array([0.5, -1.0, 2.0])


def _f(prim):
    if prim is none_at_all:
        return lambda x: np.sum(np.sin(prim(x, x)))
    return lambda x: np.sum(np.sin(prim(x)))


def _staged_grad(f):
    tape = ad.record(f, X)
    return tape.grad(X)


def _interpreted_grad(f):
    tape = ad.record(f, X)
    tape.compile = False
    return tape.grad(X)


def _staged_jvp(f):
    return ad.record(f, X).jvp((X,), (np.ones(3),))


def _interpreted_jvp(f):
    tape = ad.record(f, X)
    tape.compile = False
    return tape.jvp((X,), (np.ones(3),))


REVERSE_PATHS = {
    "grad": lambda f: ad.grad(f)(X),
    "jacrev": lambda f: ad.jacrev(f)(X),
    "vjp": lambda f: ad.vjp(f, X)[1](1.0),
    "replay grad (staged)": _staged_grad,
    "replay grad (interpreted)": _interpreted_grad,
    "graph backward": lambda f: ad.trace(f, X).backward(),
}
FORWARD_PATHS = {
    "forward grad": lambda f: ad.grad(f, mode="forward")(X),
    "jvp": lambda f: ad.jvp(f, (X,), (np.ones(3),)),
    "replay jvp (staged)": _staged_jvp,
    "replay jvp (interpreted)": _interpreted_jvp,
    "graph forward": lambda f: ad.trace(f, X).forward(0),
}


@pytest.mark.parametrize("prim", [no_vjp, none_at_all, unary_none], ids=lambda p: p.name)
@pytest.mark.parametrize("path", list(REVERSE_PATHS))
def test_a_missing_vjp_raises_on_every_reverse_path(path, prim, monkeypatch):
    for shortcuts in (True, False):
        monkeypatch.setattr(core, "SHORTCUTS", shortcuts)
        with pytest.raises(NotImplementedError, match=f"'{prim.name}' not implemented \\(VJP"):
            REVERSE_PATHS[path](_f(prim))


@pytest.mark.parametrize("prim", [no_jvp, none_at_all, unary_none], ids=lambda p: p.name)
@pytest.mark.parametrize("path", list(FORWARD_PATHS))
def test_a_missing_jvp_raises_on_every_forward_path(path, prim, monkeypatch):
    for shortcuts in (True, False):
        monkeypatch.setattr(core, "SHORTCUTS", shortcuts)
        with pytest.raises(NotImplementedError, match=f"'{prim.name}' not implemented \\(JVP"):
            FORWARD_PATHS[path](_f(prim))


def test_the_rule_that_exists_still_works_on_every_path():
    np.testing.assert_allclose(ad.grad(_f(no_vjp), mode="forward")(X), 2.0 * np.cos(2.0 * X))
    np.testing.assert_allclose(ad.grad(_f(no_jvp))(X), 3.0 * np.cos(3.0 * X))
    np.testing.assert_allclose(_staged_grad(_f(no_jvp)), 3.0 * np.cos(3.0 * X))
    np.testing.assert_allclose(ad.trace(_f(no_jvp), X).backward()["x"].adjoint, 3.0 * np.cos(3.0 * X))
