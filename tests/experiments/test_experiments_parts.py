"""Families, methods, timing and analysis, one small piece at a time."""

import math

import numpy as np
import pandas as pd
import pytest

import admodes as ad
from experiments import analysis, timing
from experiments.families import FAMILIES, Family, get_family
from experiments.methods import METHODS
from experiments.runner import oracle_jacobian


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_matches_jax_under_admodes(name):
    fam = FAMILIES[name]
    n, m = (fam.fixed_n or 4), (fam.fixed_m or (4 if fam.m_equals_n else 3))
    problem = fam.build(n, m, 2 if name != "worked" else None, seed=1)
    assert problem.x0.shape == (problem.n,)
    R = oracle_jacobian(problem)
    assert R.shape == (problem.m, problem.n) and np.abs(R).max() > 0
    for mode in ("forward", "reverse"):
        J = np.asarray(ad.jacobian(problem.fun("numpy"), mode=mode)(problem.x0)).reshape(R.shape)
        np.testing.assert_allclose(J, R, rtol=1e-10, atol=1e-13)


def test_families_are_deterministic_in_the_seed():
    a, b, c = (get_family("mlp").build(3, 2, 4, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.x0, b.x0)
    np.testing.assert_array_equal(a.consts["W1"], b.consts["W1"])
    assert not np.array_equal(a.x0, c.x0)


def test_worked_example_is_the_seeds():
    problem = get_family("worked").build(3)
    np.testing.assert_array_equal(oracle_jacobian(problem), [[7.0, 9.0, 2.0]])


def test_a_family_is_one_small_class():
    class Cubic(Family):
        name = "cubic_test"
        size_name = "unused"

        def constants(self, n, m, size, rng):
            return {"A": rng.standard_normal((m, n))}

        def function(self, xp, c, n, m, size):
            A = c["A"]
            return lambda x: (A @ x) ** 3

    problem = Cubic().build(3, 5)
    J = ad.jacobian(problem.fun())(problem.x0)
    np.testing.assert_allclose(J, oracle_jacobian(problem), rtol=1e-12)


def test_methods_declare_their_sweeps():
    assert METHODS["admodes_fwd_chunk1"].sweeps(7, 3) == 7
    assert METHODS["admodes_rev_chunk1"].sweeps(7, 3) == 3
    assert METHODS["admodes_rev_vec"].sweeps(7, 3) == 1
    assert METHODS["autograd_jacobian"].sweeps(7, 3) == 3


def test_missing_peer_is_skipped_with_a_note():
    from experiments.methods import Method

    ghost = Method("ghost", "ghost", "reverse", "all", False, "", lambda m, p: None, optional=True,
                   requires=("no_such_module_admodes_xyz",), install_hint="pip install ghost")
    ok, note = ghost.available()
    assert not ok and "not installed" in note and "pip install ghost" in note


def test_autorange_reaches_min_time_and_measure_reports_quartiles():
    calls = []
    loops, t = timing.autorange(lambda: calls.append(1), 0.002)
    assert t >= 0.002 and loops >= 1 and len(calls) >= loops
    result = timing.measure(lambda: sum(range(200)), repeats=5, min_time=0.001)
    assert result.repeats == 5 and result.inner_loops >= 1
    assert result.min_s <= result.q25_s <= result.median_s <= result.q75_s
    assert result.iqr_s == pytest.approx(result.q75_s - result.q25_s)


def test_measure_budget_cuts_repeats_of_slow_calls():
    import time

    result = timing.measure(lambda: time.sleep(0.01), repeats=50, min_time=0.001, budget_s=0.05)
    assert 3 <= result.repeats < 50


def test_peak_memory_sees_a_numpy_allocation():
    peak = timing.peak_tracemalloc(lambda: np.ones(1_000_000))
    assert peak >= 8_000_000
    rss = timing.peak_rss_delta(lambda: np.ones(4_000_000) + 1)
    assert math.isnan(rss) or rss >= 0


def test_scaling_exponent_and_crossover_on_synthetic_results():
    rows = []
    for n in (1, 4, 16, 64):
        for m in (1, 4, 16, 64):
            for method, t in (("admodes_fwd_chunk1", 1e-4 * n), ("admodes_rev_chunk1", 1e-4 * m)):
                rows.append(dict(family="synthetic", method=method, n=n, m=m, size=1, size_name="size", status="ok",
                                 time_median_s=t, ops_total=10 * (n if "fwd" in method else m), flops_total=float("nan")))
    df = pd.DataFrame(rows)
    se = analysis.scaling_exponents(df)
    fwd_n = se[(se["method"] == "admodes_fwd_chunk1") & (se["axis"] == "n")]
    assert len(fwd_n) == 4 and np.allclose(fwd_n["time_exponent"], 1.0) and np.allclose(fwd_n["ops_exponent"], 1.0)
    rev_n = se[(se["method"] == "admodes_rev_chunk1") & (se["axis"] == "n")]
    assert np.allclose(rev_n["time_exponent"], 0.0)
    co = analysis.crossovers(df)
    textbook = co[co["pair"].str.startswith("admodes chunk=1")].set_index("m")
    # t_fwd = t_rev exactly at n = m: the ratio crosses 1 there (<= 1 at n = m, > 1 beyond)
    for m in (4, 16):
        assert textbook.loc[m, "n_star"] == pytest.approx(m)
    assert "reverse faster" not in textbook.loc[4, "note"]
    md = analysis.to_markdown(co, "t")
    assert md.startswith("### t") and "| family |" in md
