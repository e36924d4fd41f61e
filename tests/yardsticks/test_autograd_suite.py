"""The autograd-suite yardstick: its check_grads shim, operator mapping and failure classifier.

Everything here runs offline; the full run (which downloads autograd's sdist once) is
marked slow.
"""

import json
import textwrap

import numpy as np
import pytest
import scipy.special

import admodes as ad
from yardsticks.autograd_suite import load_shim
from yardsticks.autograd_suite.classify import classify, read_junit, summarise

ag = load_shim()
tu = ag.test_util
extend = ag.extend


def _message(fun, *args):
    """'<ExceptionType>: <message>' of what fun(*args) raises, as pytest's JUnit XML gives it."""
    with pytest.raises(Exception) as info:
        fun(*args)
    module = "" if info.type.__module__ == "builtins" else info.type.__module__ + "."
    return f"{module}{info.type.__name__}: {info.value}"


def _wrong_sin():
    """sin with a deliberately wrong reverse rule (cos + 0.1)."""

    @ad.custom_vjp
    def bad_sin(x):
        return np.sin(x)

    bad_sin.defvjp(lambda x: (np.sin(x), x), lambda x, g: (g * (np.cos(x) + 0.1),))
    return bad_sin


# ------------------------------------------------------------------ check_grads


@pytest.mark.parametrize("modes", [["fwd"], ["rev"], ["fwd", "rev"]])
def test_check_grads_passes_for_sin_to_second_order(modes):
    np.random.seed(0)
    tu.check_grads(np.sin, modes=modes, order=2)(np.array([0.3, -1.2, 2.0]))
    tu.check_grads(lambda x, y: np.sum(np.sin(x) * y), argnum=1, modes=modes)(np.ones(2), np.array([0.5, 2.0]))


def test_check_grads_passes_on_pytrees():
    np.random.seed(1)
    fun = lambda d: np.sin(d["a"]) * d["b"][0] + d["b"][1] ** 2
    tu.check_grads(fun)({"a": np.array([0.1, 0.2]), "b": (1.5, np.array([0.3, 0.4]))})


@pytest.mark.parametrize("mode, label", [("rev", "(VJP)"), ("fwd", "(JVP)")])
def test_check_grads_fails_for_a_wrong_custom_vjp(mode, label):
    np.random.seed(2)
    with pytest.raises(AssertionError, match=rf"Derivative \{label[:-1]}\) check of bad_sin failed"):
        tu.check_grads(_wrong_sin(), modes=[mode], order=1)(np.array([0.4, 1.1]))


def test_check_grads_order_2_catches_a_wrong_second_derivative():
    # first derivative right (2 x), its own derivative wrong (2.2 instead of 2)
    @ad.custom_vjp
    def double(u):
        return 2.0 * u

    double.defvjp(lambda u: (2.0 * u, None), lambda _, g: (2.2 * g,))

    @ad.custom_vjp
    def square(x):
        return x**2

    square.defvjp(lambda x: (x**2, x), lambda x, g: (g * double(x),))
    np.random.seed(3)
    tu.check_grads(square, modes=["rev"], order=1)(0.7)
    with pytest.raises(AssertionError, match=r"\(VJP\) check of vjp_square failed"):
        tu.check_grads(square, modes=["rev"], order=2)(0.7)


def test_check_grads_is_not_fooled_by_a_linear_function():
    # a zero derivative checked against a nonzero one must fail, not pass by tolerance
    @ad.custom_vjp
    def ident(x):
        return x

    ident.defvjp(lambda x: (x, None), lambda _, g: (0.0 * g,))
    with pytest.raises(AssertionError):
        tu.check_grads(ident, modes=["rev"], order=1)(np.array([3.0]))


def test_combo_check_runs_every_combination():
    seen = []

    def fun(x, k=1.0):
        seen.append((np.ndim(x), k))
        return np.sin(x) * k

    np.random.seed(4)
    tu.combo_check(fun, [0], modes=["rev"], order=1)([0.5, np.ones(2)], k=[1.0, 2.0])
    assert set(seen) >= {(0, 1.0), (0, 2.0), (1, 1.0), (1, 2.0)}


def test_probe_mode_passes_over_unsupported_checks_but_not_wrong_values(monkeypatch):
    monkeypatch.setenv("ADMODES_AUTOGRAD_SUITE_PROBE", "1")
    probe = load_shim("admodes_autograd_shim_probe").test_util
    assert probe.PROBE and not tu.PROBE
    np.random.seed(6)
    probe.check_grads(lambda z: z * 2.0)(1.0 + 0.5j)  # complex: admodes refuses, the probe goes on
    with pytest.raises(ad.AdmodesError):
        tu.check_grads(lambda z: z * 2.0)(1.0 + 0.5j)
    with pytest.raises(AssertionError, match="check of bad_sin failed"):
        probe.check_grads(_wrong_sin(), modes=["rev"], order=1)(np.array([0.4]))


# ------------------------------------------------------------------ operators


def test_operators_against_closed_forms():
    x = np.array([0.3, -0.8])
    assert np.allclose(ag.grad(lambda x: np.sum(np.sin(x)))(x), np.cos(x))
    assert np.allclose(ag.grad(lambda a, b: a * b, 1)(2.0, 5.0), 2.0)
    assert np.allclose(ag.elementwise_grad(np.tanh)(x), 1 - np.tanh(x) ** 2)
    assert np.allclose(ag.jacobian(lambda x: x**2)(x), np.diag(2 * x))
    assert np.allclose(ag.hessian(lambda x: x[0] ** 2 * x[1])(x), [[2 * x[1], 2 * x[0]], [2 * x[0], 0.0]])
    value, g = ag.value_and_grad(lambda x: np.sum(x**3))(x)
    assert np.isclose(value, np.sum(x**3)) and np.allclose(g, 3 * x**2)
    pull, ans = ag.make_vjp(np.exp)(x)
    assert np.allclose(ans, np.exp(x)) and np.allclose(pull(np.array([1.0, 2.0])), np.exp(x) * [1.0, 2.0])
    ans, tangent = ag.make_jvp(np.exp)(x)(np.array([1.0, 2.0]))
    assert np.allclose(tangent, np.exp(x) * [1.0, 2.0])
    assert np.allclose(ag.deriv(np.sin)(x), np.cos(x))
    hvp = ag.hessian_tensor_product(lambda x: np.sum(x**4))(x, np.array([1.0, 0.0]))
    assert np.allclose(hvp, [12 * x[0] ** 2, 0.0])
    with pytest.raises(ag.NoCounterpart, match="holomorphic_grad"):
        ag.holomorphic_grad(lambda z: z**2)(1.0 + 1.0j)


def test_extend_primitive_uses_its_rules_and_refuses_without_one():
    foo = extend.primitive(lambda x: 2.0 * x)
    foo.__name__ = "foo"
    extend.defvjp(foo, lambda ans, x: lambda g: 5.0 * g)  # deliberately not 2: the rule is what counts
    assert ag.grad(foo)(1.0) == 5.0
    assert foo(3.0) == 6.0
    bare = extend.primitive(lambda x: 2.0 * x)
    with pytest.raises(NotImplementedError, match="VJP of"):
        ag.grad(bare)(1.0)
    with_jvp = extend.primitive(lambda x: x**3)
    extend.defjvp(with_jvp, lambda g, ans, x: 7.0 * g)
    assert ag.deriv(with_jvp)(2.0) == 7.0


def test_autograd_builtins_look_through_tracers():
    hits = []
    ag.grad(lambda x: hits.append(ag.isinstance(x, np.ndarray)) or np.sum(x))(np.ones(2))
    assert hits == [True]
    assert ag.type(ad.jvp(lambda x: (hits.append(ag.type(x)), x)[1], (np.ones(2),), (np.ones(2),))[0]) is np.ndarray
    assert hits[-1] is np.ndarray


# ------------------------------------------------------------------ classification


def test_classification_of_admodes_messages():
    grad = ad.grad
    cases = {
        "numpy_no_rule": _message(grad(lambda x: np.i0(x)), 1.0),
        "scipy_no_rule": _message(grad(lambda x: scipy.special.struve(0.0, x)), 1.5),  # a ufunc without a rule
        "complex": _message(grad(lambda z: np.abs(z)), 1.0 + 2.0j),
        "array_from_traced": _message(grad(lambda x: np.sum(np.array([x, x]))), 1.0),
        "inplace_out": _message(grad(lambda x: np.sum(np.sin(x, out=np.zeros(2)))), np.ones(2)),
        "not_applicable": _message(ag.core.vspace, 1.0),
        "no_counterpart": _message(lambda: ag.scipy.signal.convolve(np.ones(2), np.ones(2), axes=([0], [0]))),
    }
    for expected, message in cases.items():
        assert classify("test_x.py::test_y", message)[0] == expected, (expected, message)
    # holomorphic_grad is counted with the complex numbers
    assert classify("t.py::t", _message(ag.holomorphic_grad(lambda z: z), 1.0))[0] == "complex"


def test_classification_of_wrong_values_and_others():
    np.random.seed(5)
    wrong = _message(tu.check_grads(_wrong_sin(), modes=["rev"], order=1), np.array([0.2]))
    assert classify("t.py::t", wrong) == ("wrong_value", wrong.splitlines()[0])
    assert classify("t.py::t", "AssertionError: assert <class 'float'> is <class 'int'>")[0] == "other"
    assert classify("t.py::t", "AssertionError: assert False\n where False = np.allclose(a, b)")[0] == "wrong_value"
    assert classify("t.py::t", "ValueError: something else")[0] == "other"
    assert classify("t.py::t", "AttributeError: module 'numpy' has no attribute 'make_diagonal'")[0] == "no_counterpart"
    # SciPy code that converts its input: counted as SciPy, named by its file
    escaped = _message(ad.grad(lambda x: np.sum(np.array([x]))), 1.0)
    detail = "/venv/lib/site-packages/scipy/stats/_distn_infrastructure.py:2000: in pdf\n" + escaped
    category, reason = classify("t.py::t", escaped, detail)
    assert category == "scipy_no_rule" and "scipy/stats/_distn_infrastructure.py" in reason
    # the shim's own autograd/scipy/ modules are not SciPy
    shim_only = "/repo/yardsticks/autograd_suite/shim/autograd/scipy/signal.py:20: in convolve\n" + escaped
    assert classify("t.py::t", escaped, shim_only)[0] == "array_from_traced"
    # a test of autograd's own wrapper, by id (parameters stripped)
    assert classify("test_wrappers.py::test_custom_where_dtypes[int-True-1-2]", "AssertionError")[0] == "not_applicable"


def test_junit_reading_and_counts(tmp_path):
    xml = tmp_path / "j.xml"
    xml.write_text(textwrap.dedent("""\
        <testsuites><testsuite>
          <testcase classname="test_a" name="test_ok"/>
          <testcase classname="test_a" name="test_bad"><failure message="AssertionError: Derivative (VJP) check of f failed: reverse mode disagrees with finite differences: admodes 1.0, numeric 2.0">tb</failure></testcase>
          <testcase classname="test_b" name="test_skip"><skipped message="no scipy"/></testcase>
          <testcase classname="test_b" name="test_internal"><failure message="autograd._ops.NotApplicable: autograd.core.vspace is an autograd-internal API (not applicable to admodes)"/></testcase>
          <testcase classname="test_b" name="test_cplx[1]"><error message="admodes.core.AdmodesError: jvp: argument (0,) leaf 0 is complex."/></testcase>
        </testsuite></testsuites>"""))
    data = summarise(read_junit(xml))
    assert data["per_file"]["test_a.py"] == {"passed": 1, "failed": 1, "skipped": 0, "not_applicable": 0, "total": 2}
    assert data["per_file"]["test_b.py"] == {"passed": 0, "failed": 1, "skipped": 1, "not_applicable": 1, "total": 3}
    assert data["applicable"] == 3 and data["totals"]["passed"] == 1
    assert data["reasons"]["wrong_value"] == 1 and data["reasons"]["complex"] == 1
    assert [f["id"] for f in data["wrong_value"]] == ["test_a.py::test_bad"]
    assert [f["id"] for f in data["not_applicable"]] == ["test_b.py::test_internal"]


@pytest.mark.slow
def test_full_run_writes_consistent_tables(tmp_path):
    from yardsticks.autograd_suite.__main__ import main

    main(["--out", str(tmp_path), "--workers", "2"])
    data = json.loads((tmp_path / "autograd_suite.json").read_text())
    t = data["totals"]
    assert t["total"] == 631 and t["passed"] + t["failed"] + t["skipped"] + t["not_applicable"] == t["total"]
    assert t["passed"] >= 300  # what the first run measured (319): a drop means a regression
    md = (tmp_path / "autograd_suite.md").read_text()
    assert f"**{t['passed']} of {data['applicable']} applicable tests pass" in md
