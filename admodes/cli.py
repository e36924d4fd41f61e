"""The command line, for teaching: draw the computation graph of a small formula.

    python -m admodes graph "(a+b)*(b+c)" --at a=-1 b=3 c=4 --out graph.png
    python -m admodes graph "(a+b)*(b+c)" --at a=-1 b=3 c=4 --mode forward --wrt b --out fwd.png
    python -m admodes graph "(a+b)*(b+c)" --at a=-1 b=3 c=4 --name add1=x add2=y --out graph.png
    python -m admodes graph "sin(x)*x" --at x=1 --cost

The first draws the graph of f = (a + b)(b + c) with every value and, after the
backward sweep, every adjoint; the second the forward sweep seeded at b. Without
``--out`` the graph is printed as a table. ``--at`` values are numbers or
comma-separated vectors (``x=1,2,3``).

The formula is never handed to ``eval``: it is parsed with :mod:`ast` and evaluated
by walking the tree, and only numbers, the names given with ``--at``, the operators
``+ - * / ** @`` and a fixed list of NumPy functions (``FUNCTIONS``) are accepted.
Anything else (attribute access, other calls, subscripts, lambdas, comprehensions,
conditionals, strings, statements such as ``import``) is refused with a message
saying what was refused, and so are formulas longer than ``MAX_CHARS`` characters,
with more than ``MAX_NODES`` syntax nodes, or nested deeper than ``MAX_DEPTH``.
``--dpi`` must lie in ``DPI_RANGE`` and a PNG may have at most ``MAX_PIXELS`` pixels
(matplotlib renders the whole image in memory: 4 bytes a pixel).
"""

from __future__ import annotations

import argparse
import ast
import math
import operator
from typing import Callable

import numpy as np

from .core import AdmodesError
from .graph import format_value, trace

__all__ = ["FUNCTIONS", "ExpressionError", "parse_expression", "compile_expression", "parse_at", "main"]

#: The functions a formula may call: name -> (NumPy function, number of arguments).
FUNCTIONS: dict[str, tuple[Callable, int]] = {
    "sin": (np.sin, 1),
    "cos": (np.cos, 1),
    "tan": (np.tan, 1),
    "exp": (np.exp, 1),
    "log": (np.log, 1),
    "sqrt": (np.sqrt, 1),
    "tanh": (np.tanh, 1),
    "abs": (np.abs, 1),
    "square": (np.square, 1),
    "sum": (np.sum, 1),
    "mean": (np.mean, 1),
    "maximum": (np.maximum, 2),
    "minimum": (np.minimum, 2),
}
CONSTANTS = {"pi": math.pi}

DPI_RANGE = (10, 1200)  # --dpi: below 10 nothing is legible, above 1200 is print resolution and more
MAX_PIXELS = 50_000_000  # of a PNG: 200 MB of RGBA while matplotlib renders it
MAX_CHARS = 500  # characters of the formula
MAX_NODES = 200  # syntax-tree nodes
MAX_DEPTH = 40  # nesting depth of the syntax tree
MAX_VALUES = 1000  # entries of one --at vector

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}

_REFUSED = {
    ast.Attribute: "attribute access (x.name)",
    ast.Subscript: "subscripts (x[...])",
    ast.Lambda: "lambda",
    ast.IfExp: "conditional expressions (a if b else c)",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators (and, or)",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "strings",
    ast.FormattedValue: "strings",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(ValueError):
    """A formula the ``graph`` command refuses; the message says what and why."""


def _allowed_functions() -> str:
    return ", ".join(sorted(FUNCTIONS))


def parse_expression(text: str) -> tuple[ast.Expression, list[str]]:
    """Parse and check a formula; return its syntax tree and the variable names it uses (in order).

    Raises :class:`ExpressionError` for anything outside the accepted language.

    >>> tree, names = parse_expression("(a+b)*(b+c)")
    >>> names
    ['a', 'b', 'c']
    >>> parse_expression("a.__class__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    admodes.cli.ExpressionError: not allowed (at column 1): attribute access (x.name). A formula may use only ...
    """
    if not isinstance(text, str):
        raise ExpressionError("the formula must be a string")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"the formula is {len(text)} characters long; at most {MAX_CHARS} are accepted")
    if not text.strip():
        raise ExpressionError("the formula is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"not a single arithmetic expression ({exc.msg}); statements such as import or "
            "assignments are not accepted"
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. null bytes, absurd nesting
        raise ExpressionError(f"the formula could not be parsed: {type(exc).__name__}") from None

    names: list[str] = []
    count = 0
    stack = [(tree.body, 1)]
    while stack:  # an explicit stack: a hostile depth cannot exhaust Python's recursion
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"the formula has more than {MAX_NODES} parts; write a smaller one")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the formula is nested more than {MAX_DEPTH} levels deep")
        where = f" (at column {node.col_offset + 1})" if hasattr(node, "col_offset") else ""
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed{where}; use + - * / ** @")
            stack += [(node.right, depth + 1), (node.left, depth + 1)]
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed{where}; use + - * / ** @")
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ExpressionError(f"only numbers are allowed as constants, not {type(value).__name__} {value!r:.20}{where}")
            try:
                float(value)
            except OverflowError:
                raise ExpressionError(f"the number at column {node.col_offset + 1} is too large") from None
        elif isinstance(node, ast.Name):
            _check_name(node.id, where)
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id!r} is a function; call it, as in {node.id}(x){where}")
            if node.id not in CONSTANTS and node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise ExpressionError(
                    f"not allowed{where}: calling anything but the functions {_allowed_functions()} by name"
                )
            if func.id not in FUNCTIONS:
                raise ExpressionError(
                    f"not allowed{where}: calls to {func.id!r}; the functions are {_allowed_functions()}"
                )
            if node.keywords:
                raise ExpressionError(f"keyword arguments are not allowed{where}")
            arity = FUNCTIONS[func.id][1]
            if len(node.args) != arity:
                raise ExpressionError(f"{func.id}() takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}{where}")
            for a in reversed(node.args):
                stack.append((a, depth + 1))
        else:
            what = _REFUSED.get(type(node), type(node).__name__)
            raise ExpressionError(
                f"not allowed{where}: {what}. A formula may use only numbers, variables, "
                f"+ - * / ** @ and the functions {_allowed_functions()}"
            )
    return tree, names


def _check_name(name, where=""):
    if name.startswith("__"):
        raise ExpressionError(f"names starting with '__' are not allowed ({name!r}{where})")


def _evaluate(node, env):
    """Evaluate a checked syntax tree; ``env`` maps variable names to (traced) values."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, env)
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, env), _evaluate(node.right, env))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, env))
    if isinstance(node, ast.Constant):
        return np.float64(node.value)  # floats, so 10**10**10 overflows to inf instead of hanging
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        if node.id in CONSTANTS:
            return np.float64(CONSTANTS[node.id])
        raise ExpressionError(f"unknown name {node.id!r}: give its value with --at {node.id}=VALUE")
    if isinstance(node, ast.Call):
        func, _ = FUNCTIONS[node.func.id]
        return func(*(_evaluate(a, env) for a in node.args))
    raise ExpressionError(f"{type(node).__name__} is not allowed")  # pragma: no cover - checked before


def compile_expression(text: str, variables) -> Callable:
    """A Python function of ``variables`` (names, in order) that evaluates the formula ``text``.

    Every name the formula uses must be among ``variables`` (or be ``pi``).

    >>> import admodes as ad
    >>> f = compile_expression("(a+b)*(b+c)", ["a", "b", "c"])
    >>> float(f(-1.0, 3.0, 4.0)), ad.grad(f, argnums=(0, 1, 2))(-1.0, 3.0, 4.0)
    (14.0, (array(7.), array(9.), array(2.)))
    """
    tree, used = parse_expression(text)
    variables = list(variables)
    for name in variables:
        _check_variable(name)
    unknown = [n for n in used if n not in variables]
    if unknown:
        raise ExpressionError(
            f"unknown name{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}: give "
            + ("its value" if len(unknown) == 1 else "their values")
            + " with --at " + " ".join(f"{n}=VALUE" for n in unknown)
        )

    def formula(*values):
        if len(values) != len(variables):
            raise TypeError(f"the formula takes {len(variables)} values ({', '.join(variables)}), got {len(values)}")
        with np.errstate(all="ignore"):
            return _evaluate(tree, dict(zip(variables, values)))

    formula.__name__ = "f"
    formula.__qualname__ = "f"
    formula.__doc__ = f"f({', '.join(variables)}) = {text.strip()}"
    return formula


def _check_variable(name):
    if not isinstance(name, str) or not name.isidentifier():
        raise ExpressionError(f"{name!r} is not a valid variable name")
    _check_name(name)
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function name; choose another variable name")


def parse_at(items) -> dict[str, np.ndarray]:
    """``["a=-1", "x=1,2,3"]`` -> ``{"a": array(-1.), "x": array([1., 2., 3.])}`` (numbers only).

    >>> parse_at(["a=-1", "x=1,2.5"])
    {'a': array(-1.), 'x': array([1. , 2.5])}
    """
    values = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise ExpressionError(f"--at {item!r}: write NAME=VALUE, e.g. a=-1 or x=1,2,3")
        _check_variable(name)
        if name in values:
            raise ExpressionError(f"--at gives {name!r} twice")
        parts = text.split(",")
        if len(parts) > MAX_VALUES:
            raise ExpressionError(f"--at {name}: at most {MAX_VALUES} values")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ExpressionError(f"--at {name}={text!r}: values must be numbers (e.g. -1, 2.5, 1e-3, or 1,2,3)") from None
        values[name] = np.asarray(numbers[0] if len(parts) == 1 else numbers, dtype=np.float64)
    return values


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m admodes",
        description="admodes: forward- and reverse-mode automatic differentiation of NumPy code.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    g = sub.add_parser(
        "graph",
        help="draw the computation graph of a formula, with values and a forward or backward sweep",
        description=(
            "Draw the computation graph of a formula with its values, local derivatives and "
            "the adjoints of a backward sweep (or the tangents of a forward sweep). The formula "
            "may use numbers, the variables given with --at, + - * / ** @ and the functions "
            f"{_allowed_functions()}; it is parsed, never eval'd."
        ),
        epilog='example: python -m admodes graph "(a+b)*(b+c)" --at a=-1 b=3 c=4 --out graph.png',
    )
    g.add_argument("expression", help='the formula, e.g. "(a+b)*(b+c)" (one starting with "-" goes after --)')
    g.add_argument("--at", nargs="+", default=[], metavar="NAME=VALUE",
                   help="the value of each variable: a number or comma-separated numbers (a=-1 x=1,2,3)")
    g.add_argument("--mode", choices=("reverse", "forward", "both"), default="reverse",
                   help="which sweep to show (default: reverse, the backward sweep from f with seed 1)")
    g.add_argument("--wrt", metavar="NAME", help="the input the forward sweep is seeded at (tangent 1)")
    g.add_argument("--name", nargs="+", default=[], metavar="NODE=NAME",
                   help="rename intermediate nodes, e.g. --name add1=x add2=y")
    g.add_argument("--out", metavar="FILE", help="write the figure: .png, .svg, .pdf, or .dot (Graphviz text)")
    g.add_argument("--direction", choices=("auto", "LR", "TB"), default="auto",
                   help="layers left to right or top to bottom (default: auto)")
    g.add_argument("--dpi", type=_dpi, default=150,
                   help=f"resolution of a PNG, {DPI_RANGE[0]} to {DPI_RANGE[1]} (default 150)")
    g.add_argument("--cost", action="store_true",
                   help="also print the cost of one sweep and of the full Jacobian in each mode")
    return parser


def _dpi(text: str) -> int:
    """An ``--dpi`` value: an integer in ``DPI_RANGE`` (argparse reports the error and exits 2)."""
    try:
        dpi = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    lo, hi = DPI_RANGE
    if not lo <= dpi <= hi:
        raise argparse.ArgumentTypeError(f"{dpi} is outside {lo}..{hi} (150 is the default; 300 prints well)")
    return dpi


def _save_figure(g, out: str, dpi: int, direction: str) -> None:
    """Draw ``g`` and save it, refusing a PNG of more than ``MAX_PIXELS`` pixels before rendering it."""
    fig = g.draw(dpi=dpi, direction=direction)
    width, height = fig.get_size_inches() * dpi
    if out.lower().endswith(".png") and width * height > MAX_PIXELS:
        fitting = int(dpi * math.sqrt(MAX_PIXELS / (width * height)))
        raise ExpressionError(f"--dpi {dpi}: the PNG would be {width:.0f} x {height:.0f} pixels, more than "
                              f"{MAX_PIXELS:,} in all; use --dpi {fitting} or less, or write .svg or .pdf")
    fig.savefig(out, dpi=dpi, facecolor="white")


def graph_command(args) -> int:
    at = parse_at(args.at)
    variables = list(at)
    formula = compile_expression(args.expression, variables)
    _, used = parse_expression(args.expression)
    if not used:
        raise ExpressionError("the formula uses no variables: there is nothing to differentiate")
    values = [at[n] for n in variables]
    g = trace(formula, *values, names=variables, output_names=["f"])
    g.title = f"f = {args.expression.strip()} at " + ", ".join(
        f"{n} = {_show(v)}" for n, v in at.items()
    )
    if args.name:
        renames = {}
        for item in args.name:
            old, sep, new = item.partition("=")
            if not sep or not new.strip().isidentifier() or new.strip().startswith("__"):
                raise ExpressionError(f"--name {item!r}: write NODE=NAME with NAME a plain identifier, e.g. add1=x")
            renames[old.strip()] = new.strip()
        try:
            g.rename(renames)
        except KeyError as exc:
            raise ExpressionError(f"--name: {exc.args[0]}") from None
    if args.mode in ("forward", "both"):
        wrt = args.wrt
        if wrt is None:
            if len(variables) != 1:
                raise ExpressionError(f"--mode {args.mode}: say which input to seed with --wrt (one of {', '.join(variables)})")
            wrt = variables[0]
        if wrt not in at:
            raise ExpressionError(f"--wrt {wrt}: not one of the variables {', '.join(variables)}")
        g.forward(wrt)
    elif args.wrt is not None:
        raise ExpressionError("--wrt seeds the forward sweep: use it with --mode forward or --mode both")
    if args.mode in ("reverse", "both"):
        out = g.output_nodes[0]
        g.backward(np.ones_like(out.value))
    print(g.title)
    print(g.to_text())
    if args.cost:
        print()
        print(g.cost())
    if args.out:
        out = args.out
        if out.lower().endswith((".dot", ".gv")):
            g.save(out)
        elif out.lower().endswith((".png", ".svg", ".pdf")):
            _save_figure(g, out, args.dpi, args.direction)
        else:
            raise ExpressionError(f"--out {out}: use a file name ending in .png, .svg, .pdf or .dot")
        print(f"wrote {out}")
    return 0


def _show(value):
    return format_value(value)


def main(argv=None) -> int:
    """Run the command line; returns the exit status (2 for a refused formula or bad arguments)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "graph":
            return graph_command(args)
    except (ExpressionError, AdmodesError) as exc:
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")
    except (ValueError, FloatingPointError) as exc:  # e.g. shapes that do not fit (x @ y)
        parser.exit(2, f"{parser.prog} {args.command}: error: {type(exc).__name__}: {exc}\n")
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse checks it
    return 2  # pragma: no cover
