"""What failures turned out to be, after looking at them (test id, without parameters -> verdict).

The runner prints these beside the failures; a "wrong value" without a note is shown as
not investigated yet.
"""

_ABS_AT_ZERO = (
    "convention difference, not a bug: the test's last check is at x = 0.0, where autograd takes d|x|/dx = 0 "
    "(what the central difference gives) and admodes takes +1 (sign(0) = +1, JAX's choice, "
    "docs/conventions.md, asserted by tests/ops/test_elementwise.py::test_convention); the checks at "
    "x = 1.1 and -1.1, to second order in both modes, pass"
)
_BOOL_OUTPUT = (
    "convention difference: autograd differentiates a comparison (x == y ...) and returns 0; admodes "
    "refuses a bool output with a message (return a float, or pass it as aux)"
)

NOTES: dict[str, str] = {
    "test_scalar_ops.py::test_abs": _ABS_AT_ZERO,
    "test_scalar_ops.py::test_absolute": _ABS_AT_ZERO,
    **{f"test_core.py::test_{op}": _BOOL_OUTPUT for op in ("eq", "neq", "leq", "geq", "lt", "gt")},
}
