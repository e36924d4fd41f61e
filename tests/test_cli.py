"""python -m admodes graph: the teaching command, and its refusal of anything but arithmetic."""

import builtins
import subprocess
import sys

import numpy as np
import pytest

import admodes as ad
from admodes import cli
from admodes.cli import ExpressionError, compile_expression, main, parse_at, parse_expression

SEED = ["graph", "(a+b)*(b+c)", "--at", "a=-1", "b=3", "c=4"]


def _balanced(leaves):
    """A shallow but large formula: a balanced sum of the leaves."""
    if len(leaves) == 1:
        return leaves[0]
    half = len(leaves) // 2
    return f"({_balanced(leaves[:half])}+{_balanced(leaves[half:])})"


@pytest.fixture
def no_eval(monkeypatch):
    """Make eval and exec fail: the command must not need them (ast.parse itself uses compile)."""

    # matplotlib loads its backends with exec on first use: do that before the ban
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401
    from matplotlib.figure import Figure

    Figure().savefig(__import__("io").BytesIO(), format="png")

    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec called")

    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, refuse)


def test_backward_figure(tmp_path, capsys, no_eval):
    out = tmp_path / "graph.png"
    assert main(SEED + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "f = (a+b)*(b+c) at a = -1, b = 3, c = 4" in text
    assert "7 + 2 = 9" in text and "1 (seed)" in text
    assert f"wrote {out}" in text
    assert out.exists() and out.stat().st_size > 10_000


def test_forward_figure(tmp_path, capsys, no_eval):
    out = tmp_path / "fwd.svg"
    assert main(SEED + ["--mode", "forward", "--wrt", "b", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "tangent" in text and "adjoint" not in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()[2:] if line.strip()}
    assert rows["add1"][-1] == "1" and rows["add2"][-1] == "1" and text.rstrip().splitlines()[-2].endswith("7 + 2 = 9")
    assert "<svg" in out.read_text()


def test_rename_nodes(capsys):
    assert main(SEED + ["--name", "add1=x", "add2=y"]) == 0
    assert "f = x × y" in capsys.readouterr().out
    for bad in (["zz=x"], ["add1=x.y"], ["add1=__x"], ["add1"]):
        with pytest.raises(SystemExit) as exc:
            main(SEED + ["--name", *bad])
        assert exc.value.code == 2
        assert "--name" in capsys.readouterr().err


def test_dot_output_and_cost(tmp_path, capsys):
    out = tmp_path / "graph.dot"
    assert main(SEED + ["--out", str(out), "--cost", "--mode", "both", "--wrt", "a"]) == 0
    text = capsys.readouterr().out
    assert "full Jacobian: ops" in text and "3 (n inputs)" in text
    dot = out.read_text()
    assert dot.startswith("digraph") and "adjoint 7 + 2 = 9" in dot and "tangent" in dot


def test_vectors_and_functions(capsys):
    assert main(["graph", "sum(sin(x) * x) + maximum(y, 0.5) * pi", "--at", "x=1,2,3", "y=2"]) == 0
    text = capsys.readouterr().out
    assert "sin1 = sin(x)" in text


def test_compiled_formula_differentiates():
    fun = compile_expression("exp(-x**2) / sqrt(abs(y)) - tanh(x*y)", ["x", "y"])
    g = ad.grad(fun, argnums=(0, 1))(0.3, -2.0)
    x, y = 0.3, -2.0
    dx = -2 * x * np.exp(-(x**2)) / np.sqrt(2.0) - y / np.cosh(x * y) ** 2
    dy = np.exp(-(x**2)) * 0.5 * 2.0 ** -1.5 - x / np.cosh(x * y) ** 2  # d|y|^-1/2/dy at y < 0
    assert np.allclose(g, (dx, dy))


@pytest.mark.parametrize(
    "expression, message",
    [
        ("__import__('os').system('touch pwned')", "calling anything but the functions"),
        ("a.__class__", "attribute access"),
        ("a.real", "attribute access"),
        ("lambda: 1", "lambda"),
        ("open('f')", "calls to 'open'"),
        ("eval('1')", "calls to 'eval'"),
        ("[x for x in ()]", "comprehensions"),
        ("(x for x in ())", "comprehensions"),
        ("a if b else c", "conditional expressions"),
        ("import os", "not a single arithmetic expression"),
        ("a; b", "not a single arithmetic expression"),
        ("a = 1", "not a single arithmetic expression"),
        ("(a := 1)", "assignment expressions"),
        ("a[0]", "subscripts"),
        ("a < b", "comparisons"),
        ("a and b", "boolean operators"),
        ("'x' * 3", "only numbers"),
        ("f'{a}'", "strings"),
        ("True + a", "only numbers"),
        ("sin(a, b)", "takes 1 argument"),
        ("sin(x=a)", "keyword arguments"),
        ("maximum(a, b, key=c)", "keyword arguments"),
        ("sin", "is a function"),
        ("a // b", "operator FloorDiv"),
        ("a % b", "operator Mod"),
        ("~a", "operator Invert"),
        ("__builtins__", "names starting with '__'"),
        ("(1, 2)", "tuples"),
        ("{}", "dicts"),
        ("*a", "not a single arithmetic expression"),
        ("", "empty"),
        ("a" + "+a" * 300, "characters long"),
        ("+".join(["a"] * 150), "nested more than 40 levels"),
        (_balanced(["-a"] * 70), "more than 200 parts"),
        ("sin(" * 45 + "a" + ")" * 45, "nested more than 40 levels"),
        ("-" * 100 + "a", "nested more than 40 levels"),
        ("a\x00", "could not be parsed|not a single arithmetic expression"),
        ("1" + "0" * 400 + " * a", "too large"),
    ],
)
def test_hostile_formulas_are_refused(expression, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError, match=message):
        parse_expression(expression)
    with pytest.raises(SystemExit) as exc:
        main(["graph", "--at", "a=1", "b=2", "c=3", "--", expression])
    assert exc.value.code == 2
    assert "python -m admodes graph: error:" in capsys.readouterr().err
    assert not (tmp_path / "pwned").exists()


def test_huge_literal_is_refused_or_overflows():
    with pytest.raises(ExpressionError, match="too large"):
        parse_expression("1" + "0" * 400 + " * a")
    # float arithmetic: a tower of powers overflows to inf at once instead of computing a huge int
    assert compile_expression("10**10**10 * a", ["a"])(1.0) == np.inf


def test_unknown_names_and_bad_values(capsys):
    with pytest.raises(ExpressionError, match=r"unknown name 'd': give its value with --at d=VALUE"):
        compile_expression("a + d", ["a"])
    for argv, message in [
        (["graph", "a + d", "--at", "a=1"], "unknown name 'd'"),
        (["graph", "a", "--at", "a=os.system"], "must be numbers"),
        (["graph", "a", "--at", "a"], "NAME=VALUE"),
        (["graph", "a", "--at", "a=1", "a=2"], "twice"),
        (["graph", "a", "--at", "__class__=1"], "names starting with '__'"),
        (["graph", "a", "--at", "sin=1"], "function name"),
        (["graph", "a", "--at", "a.b=1"], "not a valid variable name"),
        (["graph", "2 + 3"], "uses no variables"),
        (["graph", "a*b", "--at", "a=1", "b=2", "--mode", "forward"], "--wrt"),
        (["graph", "a*b", "--at", "a=1", "b=2", "--wrt", "b"], "--mode forward"),
        (["graph", "a*b", "--at", "a=1", "b=2", "--mode", "forward", "--wrt", "z"], "not one of the variables"),
        (["graph", "a*b", "--at", "a=1", "b=2", "--out", "graph.py"], ".png, .svg, .pdf or .dot"),
        (["graph", "x @ y", "--at", "x=1,2", "y=1,2,3"], "error: ValueError"),
    ]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv
        assert message in capsys.readouterr().err, argv


def test_parse_at():
    values = parse_at(["a=-1", "x=1,2.5,1e-3"])
    assert values["a"].shape == () and float(values["a"]) == -1.0
    assert np.array_equal(values["x"], [1.0, 2.5, 1e-3])
    with pytest.raises(ExpressionError, match="at most"):
        parse_at(["x=" + ",".join(["1"] * (cli.MAX_VALUES + 1))])


def test_python_dash_m(tmp_path):
    out = tmp_path / "g.png"
    result = subprocess.run(
        [sys.executable, "-m", "admodes", *SEED, "--out", str(out)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "7 + 2 = 9" in result.stdout and out.exists()
    refused = subprocess.run(
        [sys.executable, "-m", "admodes", "graph", "__import__('os').getcwd()", "--at", "a=1"],
        capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2 and "not allowed" in refused.stderr


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(cli)
    assert result.attempted >= 5 and result.failed == 0


@pytest.mark.parametrize("dpi, message", [
    ("0", "0 is outside 10..1200"), ("9", "9 is outside 10..1200"), ("-300", "-300 is outside 10..1200"),
    ("1201", "1201 is outside 10..1200"), ("100000", "100000 is outside 10..1200"), ("1e3", "'1e3' is not an integer"),
])
def test_dpi_out_of_range_is_refused(tmp_path, capsys, dpi, message):
    out = tmp_path / "g.png"
    with pytest.raises(SystemExit) as exc:
        main([*SEED, "--out", str(out), "--dpi", dpi])
    assert exc.value.code == 2
    assert f"argument --dpi: {message}" in capsys.readouterr().err
    assert not out.exists()


def test_a_png_over_the_pixel_bound_is_refused_before_rendering(tmp_path, capsys, monkeypatch):
    import matplotlib.image

    monkeypatch.setattr(cli, "MAX_PIXELS", 1_000_000)
    out = tmp_path / "g.png"
    with pytest.raises(SystemExit) as exc:
        main([*SEED, "--out", str(out), "--dpi", "300"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "more than 1,000,000 in all" in err and not out.exists()
    fitting = int(err.split("use --dpi ")[1].split()[0])
    assert 10 <= fitting < 300
    assert main([*SEED, "--out", str(out), "--dpi", str(fitting)]) == 0  # the suggested resolution fits
    height, width, _ = matplotlib.image.imread(out).shape
    assert height * width <= 1_000_000
    assert main([*SEED, "--out", str(tmp_path / "g.svg"), "--dpi", "300"]) == 0  # vector output has no pixels
