"""The runner on tiny sizes: CSV columns, provenance, resume, the oracle check, exit codes."""

import json

import pandas as pd
import pytest
from experiments_helpers import TINY_METHODS, quiet, tiny, wrong_method

from experiments.__main__ import main
from experiments.methods import Method, Prepared
from experiments.results import COLUMNS, OPTIONAL_COLUMN_DOCS, Journal
from experiments.runner import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, run


def test_tiny_run_writes_the_tidy_csv_and_provenance(tmp_path):
    config = tiny()
    code = run(config, tmp_path, progress=False, plot=False, argv=["test"], log=quiet)
    assert code == EXIT_OK
    df = pd.read_csv(tmp_path / "results.csv", dtype={"chunk": str})
    assert list(df.columns) == COLUMNS + list(OPTIONAL_COLUMN_DOCS)
    assert df["load_1min"].notna().all()  # the machine's load is recorded with each timing
    assert len(df) == len(config.cells) * len(TINY_METHODS)  # one row per cell and method
    assert (df["status"] == "ok").all()
    assert (df["max_rel_err"] < 1e-12).all()
    assert (df["time_median_s"] > 0).all() and (df["time_iqr_s"] >= 0).all()
    adm = df[df["library"] == "admodes"]
    assert adm["ops_total"].notna().all() and (adm["eval_ops"] > 0).all()
    rev = df[df["method"] == "admodes_rev_chunk1"]
    assert (rev["tape_length"] > 0).all() and (rev["tape_bytes"] > 0).all() and (rev["sweeps"] == rev["m"]).all()
    fwd = df[df["method"] == "admodes_fwd_chunk1"]
    assert (fwd["sweeps"] == fwd["n"]).all() and (fwd["tape_length"] == 0).all()
    assert df["mem_peak_bytes"].notna().all()

    prov = json.loads((tmp_path / "provenance.json").read_text())
    for key in ("versions", "cpu_model", "threads", "git", "seed", "date_utc", "command_line", "config", "status", "exit_code"):
        assert key in prov, key
    assert prov["command_line"] == ["test"] and prov["status"] == "complete" and prov["exit_code"] == 0
    for pkg in ("numpy", "jax", "admodes", "python"):
        assert prov["versions"][pkg]
    assert "OMP_NUM_THREADS" in prov["threads"]["env"]
    assert prov["git"]["commit"] is None or len(prov["git"]["commit"]) == 40


def test_wrong_jacobian_is_marked_failed_and_the_run_exits_nonzero(tmp_path):
    bad = wrong_method()
    config = tiny(extra_methods=[bad], methods=["admodes_rev_vec", bad.name])
    code = run(config, tmp_path, progress=False, plot=False, extra_methods=[bad], log=quiet)
    assert code == EXIT_FAILED
    df = pd.read_csv(tmp_path / "results.csv")  # written despite the failure
    assert len(df) == 2 * len(config.cells)
    wrong = df[df["method"] == bad.name]
    assert (wrong["status"] == "failed").all()
    assert wrong["max_abs_err"].to_numpy() == pytest.approx([1e-3] * len(wrong), rel=1e-6)
    assert wrong["error"].str.contains("differs from jax.jacrev").all()
    assert (df[df["method"] == "admodes_rev_vec"]["status"] == "ok").all()
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["exit_code"] == EXIT_FAILED and len(prov["failures"]) == len(config.cells)


def test_a_tiny_error_within_tolerance_passes(tmp_path):
    close = wrong_method(delta=1e-13, name="nearly_right")
    config = tiny(extra_methods=[close], methods=[close.name])
    assert run(config, tmp_path, progress=False, plot=False, extra_methods=[close], log=quiet) == EXIT_OK


def test_a_method_that_raises_is_an_error_row_not_a_crash(tmp_path):
    def prepare(method, problem):
        raise RuntimeError("boom")

    broken = Method("broken", "test", "forward", "1", False, "raises", prepare)
    config = tiny(extra_methods=[broken], methods=["admodes_fwd_vec", "broken"])
    assert run(config, tmp_path, progress=False, plot=False, extra_methods=[broken], log=quiet) == EXIT_FAILED
    df = pd.read_csv(tmp_path / "results.csv")
    rows = df[df["method"] == "broken"]
    assert (rows["status"] == "error").all() and rows["error"].str.contains("RuntimeError: boom").all()


def _interrupting(after_calls):
    """A method that raises KeyboardInterrupt (like Ctrl-C) in the cell after ``after_calls`` prepares."""
    import admodes as ad

    state = {"prepared": 0}

    def prepare(method, problem):
        state["prepared"] += 1
        if state["prepared"] > after_calls:
            raise KeyboardInterrupt
        jac = ad.jacobian(problem.fun("numpy"))
        return Prepared(call=lambda: jac(problem.x0))

    return Method("ctrl_c", "test", "auto", "all", False, "Ctrl-C on its second cell", prepare)


def test_interrupt_keeps_finished_cells_and_resume_measures_only_the_rest(tmp_path):
    stopper = _interrupting(after_calls=1)
    config = tiny(extra_methods=[stopper], methods=["admodes_fwd_vec", "ctrl_c"])
    code = run(config, tmp_path, progress=False, plot=False, extra_methods=[stopper], log=quiet)
    assert code == EXIT_INTERRUPTED
    journal = Journal(tmp_path)
    first = journal.entries()
    assert len(first) == 1  # the first cell finished, the second was interrupted
    assert len(pd.read_csv(tmp_path / "results.csv")) == 2
    assert json.loads((tmp_path / "provenance.json").read_text())["status"] == "interrupted"

    # a crash in the middle of an append leaves a partial line: it is ignored, then cut
    with open(journal.path, "a") as f:
        f.write('{"cell": "half a line')

    calls = []

    def counting(method, problem):
        calls.append(problem.label)
        return Method.__dict__  # never reached: replaced below

    resumed = tiny(methods=["admodes_fwd_vec"])
    # the cells already done are skipped: count prepares through a wrapped method
    import experiments.methods as methods

    original = methods.METHODS["admodes_fwd_vec"]
    spy = Method(original.name, original.library, original.mode, original.chunk, original.jit, original.summary,
                 lambda m, p: (calls.append(p.label), original.prepare(m, p))[1], counts_ops=True)
    code = run(resumed, tmp_path, resume=True, progress=False, plot=False, extra_methods=[spy], log=quiet)
    assert code == EXIT_OK
    assert len(calls) == len(resumed.cells) - 1  # only the unfinished cells ran
    entries = journal.entries()
    assert entries[0] == first[0]  # the finished cell is kept as it was
    df = pd.read_csv(tmp_path / "results.csv")
    assert set(df["cell"]) == {c.key for c in resumed.cells}
    assert len(df[df["method"] == "admodes_fwd_vec"]) == len(resumed.cells)
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["resumed"] and prov["history"] and prov["history"][-1]["status"] == "interrupted"

    # resuming a finished run measures nothing
    calls.clear()
    assert run(resumed, tmp_path, resume=True, progress=False, plot=False, extra_methods=[spy], log=quiet) == EXIT_OK
    assert calls == []


def test_cli_run_tiny_toml_with_plots(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        'name = "clitiny"\nrepeats = 1\nmin_time = 0.0001\nmemory = false\n'
        'methods = ["admodes_fwd_chunk1", "admodes_rev_chunk1", "admodes_fwd_vec", "admodes_rev_vec"]\n'
        '[[sweeps]]\nfamily = "mlp"\nn = [1, 2, 4]\nm = [1, 4]\nsize = 3\n'
    )
    out = tmp_path / "out"
    assert main(["run", "--config", str(cfg), "--out", str(out), "--no-progress"]) == 0
    assert (out / "results.csv").exists() and (out / "provenance.json").exists()
    for name in ("time_vs_n", "time_vs_m", "ratio_heatmap", "ops_vs_theory", "tape_memory"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 0
        assert (out / "figures" / f"{name}.svg").stat().st_size > 0
    se = pd.read_csv(out / "scaling_exponents.csv")
    fwd = se[(se["method"] == "admodes_fwd_chunk1") & (se["axis"] == "n")]
    assert len(fwd) == 2 and (fwd["ops_exponent"].round(6) == 1.0).all()
    assert (out / "scaling_exponents.md").read_text().startswith("### ")
    assert main(["plot", "--out", str(out)]) == 0
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "mlp" in text and "admodes_fwd_chunk1" in text and "quick" in text


def test_a_family_that_fails_to_build_fails_its_cells_only(tmp_path, monkeypatch):
    from experiments.families import FAMILIES

    def explode(*args, **kwargs):
        raise ValueError("no such problem")

    monkeypatch.setattr(FAMILIES["worked"], "build", explode)
    config = tiny(methods=["admodes_fwd_vec"])
    assert run(config, tmp_path, progress=False, plot=False, log=quiet) == EXIT_FAILED
    df = pd.read_csv(tmp_path / "results.csv")
    assert (df[df["family"] == "worked"]["status"] == "error").all()
    assert (df[df["family"] == "mlp"]["status"] == "ok").all()
