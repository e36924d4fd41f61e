"""Op counts obey the theory exactly where they must.

Forward mode with chunk=1 runs n sweeps of the same program: its op count is
n times a constant, whatever m is. Reverse mode with chunk=1 records one pass
(c ops) and runs m backward sweeps of the same program: its count is c + m times a
constant, whatever n is. These are counts, not timings: they hold exactly.
"""

import pytest

from experiments.families import get_family
from experiments.methods import get_method
from experiments.runner import eval_cost, op_counts


def count(method_name, family, n, m, size):
    problem = get_family(family).build(n, m, size, seed=0)
    method = get_method(method_name)
    prepared = method.prepare(method, problem)
    _, eval_flops = eval_cost(problem)
    return op_counts(prepared.call, method.mode, method.sweeps(problem.n, problem.m), eval_flops)


@pytest.mark.parametrize("family,size", [("mlp", 4), ("poly", 2), ("trajectory", 2)])
def test_forward_chunk1_ops_grow_linearly_with_n_at_fixed_m(family, size):
    ns = [1, 2, 3, 5, 8]
    for m in (2, 3):
        ops = [count("admodes_fwd_chunk1", family, n, m, size)["ops_total"] for n in ns]
        per = ops[0]
        assert ops == [per * n for n in ns]  # exactly n sweeps of the same cost
    # and the per-sweep cost does not depend on n
    assert len({count("admodes_fwd_chunk1", family, n, 3, size)["ops_per_sweep"] for n in ns}) == 1


@pytest.mark.parametrize("family,size", [("mlp", 4), ("poly", 2)])
def test_forward_chunk1_ops_do_not_grow_with_m_when_the_function_does_not(family, size):
    assert len({count("admodes_fwd_chunk1", family, 3, m, size)["ops_total"] for m in (1, 2, 5, 9)}) == 1


@pytest.mark.parametrize("family,size", [("mlp", 4), ("poly", 2)])
def test_reverse_chunk1_ops_grow_linearly_with_m_at_fixed_n(family, size):
    ms = [1, 2, 3, 5, 8]
    for n in (2, 3):
        counts = [count("admodes_rev_chunk1", family, n, m, size) for m in ms]
        ops = [c["ops_total"] for c in counts]
        tape = counts[0]["tape_length"]
        assert all(c["tape_length"] == tape for c in counts)  # one recorded pass of c ops
        per = ops[0] - tape
        assert ops == [tape + per * m for m in ms]  # plus m backward sweeps of the same cost
    # and the count does not depend on n
    assert len({count("admodes_rev_chunk1", family, n, 3, size)["ops_total"] for n in (1, 2, 5, 9)}) == 1


def test_elementwise_both_chunk1_modes_are_linear_in_n_equals_m():
    ns = [1, 2, 4, 7]
    fwd = [count("admodes_fwd_chunk1", "elementwise", n, n, 3)["ops_total"] for n in ns]
    assert fwd == [fwd[0] * n for n in ns]
    rev = [count("admodes_rev_chunk1", "elementwise", n, n, 3) for n in ns]
    tape = rev[0]["tape_length"]
    assert [r["ops_total"] for r in rev] == [tape + (rev[0]["ops_total"] - tape) * n for n in ns]


def test_vectorised_sweeps_run_a_constant_number_of_ops():
    for name in ("admodes_fwd_vec", "admodes_rev_vec"):
        assert len({count(name, "mlp", n, m, 4)["ops_total"] for n, m in [(1, 1), (4, 2), (2, 7), (9, 9)]}) == 1


def test_worked_example_counts():
    # forward: 3 sweeps; reverse: one recorded pass and a single backward sweep (m = 1)
    fwd = count("admodes_fwd_chunk1", "worked", 3, 1, 1)
    rev = count("admodes_rev_chunk1", "worked", 3, 1, 1)
    assert fwd["ops_total"] == 3 * fwd["ops_per_sweep"]
    assert rev["ops_total"] == rev["tape_length"] + rev["ops_per_sweep"]
    assert rev["ops_total"] < fwd["ops_total"]
