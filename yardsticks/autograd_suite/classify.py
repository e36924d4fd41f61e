"""Sort the failures of autograd's suite under admodes by why they failed.

Reads pytest's JUnit XML, gives every failing test one category and a one-line reason
(the first line of its exception message), and counts tests per file. The categories,
in the order they are tried:

- ``not_applicable``: the test calls an autograd-internal API (the shim raises
  ``NotApplicable``) or examines autograd's own NumPy wrapper or docstrings
  (``NOT_APPLICABLE_TESTS``); it says nothing about admodes, and is left out of the
  applicable count.
- ``wrong_value``: an assertion on numbers failed: admodes returned a derivative (or a
  value) that differs from finite differences or from the test's expected numbers.
- ``scipy_no_rule``: a SciPy function was applied to a traced value (a SciPy ufunc
  without a rule, or SciPy code that converts its input with ``np.asarray``).
- ``numpy_no_rule``: a NumPy function without a derivative rule in admodes.
- ``complex``: admodes refuses complex values (and ``holomorphic_grad``).
- ``array_from_traced``: an array built from traced values (``np.array([x, y])``,
  ``np.r_``, a list of traced values passed where NumPy wants an array).
- ``inplace_out``: writing into an array (in-place operators, ``out=``).
- ``no_counterpart``: an autograd public name with nothing in admodes to map onto
  (the shim raises ``NoCounterpart``, or ``autograd.numpy`` has a name NumPy lacks).
- ``other``: anything else (the reason line says what).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

__all__ = ["CATEGORIES", "NOT_APPLICABLE_TESTS", "Outcome", "classify", "read_junit", "summarise"]

CATEGORIES = {
    "wrong_value": "wrong value (admodes gave different numbers)",
    "complex": "complex numbers",
    "scipy_no_rule": "SciPy function without rule",
    "numpy_no_rule": "NumPy function without rule",
    "array_from_traced": "building arrays from traced values",
    "inplace_out": "in-place / out=",
    "no_counterpart": "autograd name with no admodes counterpart",
    "other": "other",
    "not_applicable": "not applicable (autograd internals)",
}

# tests of autograd's own NumPy wrapper and docstrings rather than of derivatives: under
# the shim, autograd.numpy is NumPy itself and the operators are admodes'
NOT_APPLICABLE_TESTS = {
    "test_wrappers.py::test_custom_where": "autograd.numpy.where's keyword arguments (autograd's wrapper, not NumPy's where)",
    "test_wrappers.py::test_custom_where_dtypes": "the Python types autograd.numpy.where returns (autograd's wrapper)",
    "test_wrappers.py::test_wrapped_name_and_docs": "autograd's own function names and docstrings",
    "test_graphs.py::test_assignment_raises_error": (
        "asserts that writing into a traced array raises; admodes records it as a functional update "
        "(x[i] = v, as NumPy does; README, tests/test_inplace.py), which autograd cannot"),
}

_NUMERIC_ASSERTION = re.compile(
    r"disagrees with finite differences|check_equivalent: values differ|Not equal to tolerance|"
    r"Arrays are not (almost )?equal|allclose|isclose|array_equal|scalar_close|"
    r"assert .*==|Value mismatch",
)
# a frame in SciPy's own code (not the shim's autograd/scipy/ modules)
_SCIPY_FILE = re.compile(r"(?<!autograd)/(scipy/[\w/]+\.py)")
_RULE = re.compile(r"(?:np|scipy\.special)\.(\w+)(\(\.\.\.\))? has no derivative rule")


@dataclass
class Outcome:
    test_id: str
    file: str
    status: str  # "passed", "failed", "skipped"
    category: str | None = None
    reason: str = ""
    detail: str = field(default="", repr=False)


def _scipy_name(name):
    import numpy

    if hasattr(numpy, name):
        return False
    try:
        import scipy.special
    except ImportError:  # pragma: no cover - the suite's SciPy tests need SciPy anyway
        return False
    return hasattr(scipy.special, name)


def _base_id(test_id):
    return test_id.split("[", 1)[0]


def classify(test_id: str, message: str, detail: str = "") -> tuple[str, str]:
    """(category, one-line reason) of a failing test from its exception message and traceback."""
    first = next((line.strip() for line in message.splitlines() if line.strip()), "") or "(no message)"
    reason = first if len(first) <= 200 else first[:197] + "..."
    if _base_id(test_id) in NOT_APPLICABLE_TESTS:
        return "not_applicable", NOT_APPLICABLE_TESTS[_base_id(test_id)]
    if "NotApplicable" in message or "autograd-internal API" in message:
        return "not_applicable", reason
    text = message + "\n" + detail
    through_scipy = _SCIPY_FILE.search(detail.replace("\\", "/")) is not None
    if "NoCounterpart" in message and "holomorphic" in message:
        return "complex", reason
    if re.match(r"(builtins\.)?AssertionError\b", first) or message.startswith("assert"):
        if _NUMERIC_ASSERTION.search(text):
            return "wrong_value", reason
        return "other", reason
    lowered = first.lower()
    rule = _RULE.search(first)
    if rule:
        scipy_named = first[rule.start():].startswith("scipy.")
        return ("scipy_no_rule" if scipy_named or _scipy_name(rule.group(1)) or through_scipy else "numpy_no_rule"), reason
    if "complex" in lowered:
        return "complex", reason
    if "escaped into raw numpy" in lowered:
        if through_scipy:
            where = _SCIPY_FILE.search(detail.replace("\\", "/"))
            return "scipy_no_rule", (f"SciPy code ({where.group(1)}) converts a traced value with np.asarray"
                                     if where else reason)
        return "array_from_traced", reason
    if "out=" in first or "in-place" in lowered or "in place" in lowered or "writing a traced value" in lowered:
        return "inplace_out", reason
    if "NoCounterpart" in message or re.search(r"module 'numpy[.\w]*' has no attribute", first):
        return "no_counterpart", reason
    return "other", reason


def _test_id(case):
    classname = case.get("classname", "")
    name = case.get("name", "")
    parts = classname.split(".")
    # pytest's classname is the module path with dots, then any test classes
    module = [p for p in parts if not p[:1].isupper()]
    classes = [p for p in parts if p[:1].isupper()]
    file = "/".join(module) + ".py" if module else "?"
    return "::".join([file, *classes, name]), file


def read_junit(path) -> list[Outcome]:
    """Every test case of a JUnit XML file as an Outcome (failures classified)."""
    outcomes = []
    for case in ET.parse(path).iter("testcase"):
        test_id, file = _test_id(case)
        problem = next((c for c in case if c.tag in ("failure", "error")), None)
        skipped = next((c for c in case if c.tag == "skipped"), None)
        if problem is not None:
            message = problem.get("message", "") or (problem.text or "")
            detail = problem.text or ""
            category, reason = classify(test_id, message, detail)
            outcomes.append(Outcome(test_id, file, "failed", category, reason, detail))
        elif skipped is not None:
            outcomes.append(Outcome(test_id, file, "skipped", None, skipped.get("message", "")))
        else:
            outcomes.append(Outcome(test_id, file, "passed"))
    return sorted(outcomes, key=lambda o: o.test_id)


def summarise(outcomes: list[Outcome]) -> dict:
    """Counts per file and per category, and the failing tests, as plain data."""
    files = {}
    for o in outcomes:
        row = files.setdefault(o.file, {"passed": 0, "failed": 0, "skipped": 0, "not_applicable": 0, "total": 0})
        row["total"] += 1
        if o.category == "not_applicable":
            row["not_applicable"] += 1
        else:
            row[o.status] += 1
    totals = {k: sum(r[k] for r in files.values()) for k in ("passed", "failed", "skipped", "not_applicable", "total")}
    applicable = totals["passed"] + totals["failed"]
    reasons = {key: 0 for key in CATEGORIES}
    for o in outcomes:
        if o.category:
            reasons[o.category] += 1
    failures = [
        {"id": o.test_id, "category": o.category, "reason": o.reason}
        for o in outcomes if o.status == "failed" and o.category != "not_applicable"
    ]
    not_applicable = [
        {"id": o.test_id, "reason": o.reason} for o in outcomes if o.category == "not_applicable"
    ]
    missing = {"numpy_no_rule": {}, "scipy_no_rule": {}}
    for f in failures:
        if f["category"] in missing:
            rule = _RULE.search(f["reason"])
            where = re.search(r"SciPy code \((scipy/[\w/]+\.py)\)", f["reason"])
            if rule:
                name = f"scipy.special.{rule.group(1)}" if f["category"] == "scipy_no_rule" else f"np.{rule.group(1)}"
            else:
                name = where.group(1) if where else f["reason"][:60]
            missing[f["category"]][name] = missing[f["category"]].get(name, 0) + 1
    missing = {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in missing.items()}
    return {
        "totals": totals,
        "applicable": applicable,
        "pass_rate_applicable": round(totals["passed"] / applicable, 4) if applicable else None,
        "per_file": dict(sorted(files.items())),
        "reasons": reasons,
        "wrong_value": [f for f in failures if f["category"] == "wrong_value"],
        "missing_rules": missing,
        "failures": failures,
        "not_applicable": not_applicable,
        "outcomes": [{"id": o.test_id, "status": o.status, "category": o.category} for o in outcomes],
    }
