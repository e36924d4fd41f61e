"""The coverage table users read agrees with the dispatch tables, and every primitive has both rules."""

import numpy as np
import pytest

import admodes as ad
from admodes import coverage


def test_docs_table_is_up_to_date():
    committed = coverage.DEFAULT_PATH.read_text()
    assert committed == coverage.coverage_markdown(), (
        "docs/coverage.md is out of date: run `python -m admodes.coverage --write` and commit it"
    )


def test_every_primitive_has_a_rule_for_each_mode():
    assert coverage.missing_rules() == []


def test_caveats_name_supported_functions():
    names = {row[0] for row in coverage.coverage_rows()}
    assert set(coverage.CAVEATS) <= names


@pytest.mark.parametrize("name", ["np.sin", "np.sum", "np.matmul", "np.concatenate"])
def test_listed_functions_really_work_in_both_modes(name):
    rows = {row[0]: row for row in coverage.coverage_rows()}
    assert rows[name][2:4] == ("yes", "yes")
    f = {"np.sin": lambda x: np.sum(np.sin(x)), "np.sum": lambda x: np.sum(x * x),
         "np.matmul": lambda x: np.sum(np.matmul(np.ones((2, 3)), x)),
         "np.concatenate": lambda x: np.sum(np.concatenate([x, x * 2.0]))}[name]
    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(ad.grad(f, mode="forward")(x), ad.grad(f)(x))


def test_unlisted_function_is_refused_with_its_name():
    names = {row[0] for row in coverage.coverage_rows()}
    assert "np.fft.fft" not in names
    with pytest.raises(ad.AdmodesError, match="np.fft"):
        ad.grad(lambda x: np.sum(np.fft.fft(x).real))(np.ones(3))
