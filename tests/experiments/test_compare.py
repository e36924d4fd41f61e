"""``python -m experiments compare OLD.json NEW.json``: ratios, the threshold, and clear errors."""

import json
from pathlib import Path

import pytest

from experiments.__main__ import main
from experiments.compare import CompareError, compare, load_benchmarks


def bench_json(path, medians, group="g", **extra):
    """A minimal pytest-benchmark JSON file with the given {test name: median seconds}."""
    data = {
        "machine_info": {"node": "box", "python_version": "3.11.7"},
        "benchmarks": [
            {"group": group, "name": name, "fullname": f"benchmarks/test_benchmarks.py::{name}",
             "stats": {"median": s, "min": s * 0.9, "mean": s * 1.1}}
            for name, s in medians.items()
        ],
        "datetime": "2026-11-27T00:00:00", "version": "5.1.0",
    }
    data.update(extra)
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def pair(tmp_path):
    old = bench_json(tmp_path / "old.json", {"test_a": 1e-3, "test_b": 2e-3, "test_gone": 1.0})
    new = bench_json(tmp_path / "new.json", {"test_a": 1.05e-3, "test_b": 3e-3, "test_new": 1.0})
    return old, new


def test_ratios_match_by_fullname(pair):
    old, _ = load_benchmarks(pair[0])
    new, _ = load_benchmarks(pair[1])
    rows, only_old, only_new = compare(old, new)
    assert {r.name.split("::")[1]: round(r.ratio, 6) for r in rows} == {"test_a": 1.05, "test_b": 1.5}
    assert [n.split("::")[1] for n in only_old] == ["test_gone"]
    assert [n.split("::")[1] for n in only_new] == ["test_new"]


def test_exit_1_when_a_ratio_exceeds_the_threshold(pair, capsys):
    assert main(["compare", *pair, "--threshold", "1.10"]) == 1
    out = capsys.readouterr().out
    line_b = next(line for line in out.splitlines() if line.startswith("test_b"))
    assert "1.500" in line_b and "SLOWER" in line_b
    line_a = next(line for line in out.splitlines() if line.startswith("test_a"))
    assert "1.050" in line_a and "SLOWER" not in line_a
    assert "FAIL: 1 of 2" in out and "test_b" in out.splitlines()[-1]
    assert "only in the old file" in out and "test_gone" in out


def test_exit_0_under_a_generous_threshold(pair, capsys):
    assert main(["compare", *pair, "--threshold", "1.6"]) == 0
    assert "ok: 2 benchmark(s)" in capsys.readouterr().out


def test_the_statistic_can_be_chosen(tmp_path, capsys):
    old = bench_json(tmp_path / "o.json", {"test_a": 1.0})
    data = json.loads(Path(old).read_text())
    data["benchmarks"][0]["stats"]["min"] = 2.0  # min doubled, median unchanged
    new = tmp_path / "n.json"
    new.write_text(json.dumps(data))
    assert main(["compare", old, str(new)]) == 0
    assert main(["compare", old, str(new), "--stat", "min"]) == 1


@pytest.mark.parametrize("content,message", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ('{"foo": 1}', "not a pytest-benchmark JSON"),
    ('{"benchmarks": [{"name": "x"}]}', "no stats.median"),
])
def test_unreadable_files_are_a_clear_error(tmp_path, capsys, content, message):
    good = bench_json(tmp_path / "good.json", {"test_a": 1.0})
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    assert main(["compare", good, str(bad)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and str(bad) in err and message in err
    with pytest.raises(CompareError):
        load_benchmarks(bad)


def test_no_common_benchmark_is_an_error(tmp_path, capsys):
    a = bench_json(tmp_path / "a.json", {"test_a": 1.0})
    b = bench_json(tmp_path / "b.json", {"test_b": 1.0})
    assert main(["compare", a, b]) == 2
    assert "share no benchmark" in capsys.readouterr().err


def test_bad_threshold_is_refused(pair, capsys):
    assert main(["compare", *pair, "--threshold", "0"]) == 2
    assert "--threshold" in capsys.readouterr().err


def test_different_machines_are_noted(tmp_path, capsys):
    a = bench_json(tmp_path / "a.json", {"test_a": 1.0})
    b = bench_json(tmp_path / "b.json", {"test_a": 1.0}, machine_info={"node": "other", "python_version": "3.11.7"})
    assert main(["compare", a, b]) == 0
    assert "different machines" in capsys.readouterr().out


def _with_quartiles(path, entries):
    """A pytest-benchmark JSON with {name: (median, q1, q3)}."""
    data = {"machine_info": {}, "benchmarks": [
        {"group": "g", "name": n, "fullname": f"b.py::{n}", "stats": {"median": m, "min": q1, "mean": m, "q1": q1, "q3": q3}}
        for n, (m, q1, q3) in entries.items()]}
    path.write_text(json.dumps(data))
    return str(path)


def test_a_ratio_inside_the_runs_spread_is_noise_not_a_slowdown(tmp_path, capsys):
    """Two runs of the same code on a loaded machine: medians 1.37x apart, quartiles overlapping
    (the false alarm of the issue). Only a slowdown beyond both runs' spread fails."""
    old = _with_quartiles(tmp_path / "old.json", {"t_noisy": (1.0e-3, 0.8e-3, 1.5e-3), "t_real": (1.0e-3, 0.98e-3, 1.02e-3)})
    new = _with_quartiles(tmp_path / "new.json", {"t_noisy": (1.37e-3, 0.9e-3, 1.6e-3), "t_real": (1.02e-3, 1.0e-3, 1.04e-3)})
    assert main(["compare", old, new]) == 0
    out = capsys.readouterr().out
    assert "noise?" in next(line for line in out.splitlines() if line.startswith("t_noisy"))
    slow = _with_quartiles(tmp_path / "slow.json", {"t_noisy": (1.37e-3, 0.9e-3, 1.6e-3), "t_real": (1.5e-3, 1.45e-3, 1.55e-3)})
    assert main(["compare", old, slow]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("t_real"))
    assert "SLOWER" in line and "1.42-1.58" in line
