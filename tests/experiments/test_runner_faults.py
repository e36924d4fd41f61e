"""The runner under faults: refused configs, damaged or foreign folders, locks, full disks, Ctrl-C.

Nothing silent, nothing lost: every fault below is refused (or stops the run) with a
message naming the file, line or key, and the finished results are left as they were.
Each table row is one fault; the runs are one- or two-cell configs of a second or less.
"""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
from experiments_helpers import quiet, tiny, tiny_raw

from experiments.__main__ import main
from experiments.config import ConfigError, validate
from experiments.methods import Method, Prepared
from experiments.results import CSV_NAME, JOURNAL_NAME, LOCK_NAME, PROVENANCE_NAME, Journal, ResultsError, inside, lock
from experiments.runner import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, run

ONE_CELL = {"methods": ["admodes_fwd_vec"], "sweeps": [{"family": "worked"}], "memory": False}
TWO_CELLS = {"methods": ["admodes_fwd_vec"], "sweeps": [{"family": "mlp", "n": [2, 3], "m": 2, "size": 3}],
             "memory": False}


def one_cell(**overrides):
    return tiny(**{**ONE_CELL, **overrides})


# ----------------------------------------------------------------------------- configs

REFUSED_CONFIGS = [
    ({"min_time": float("inf")}, "min_time: inf is not a finite number"),
    ({"min_time": float("nan")}, "min_time: nan is not a finite number"),
    ({"budget_s": float("inf")}, "budget_s: inf is not a finite number"),
    ({"rtol": float("nan")}, "rtol: nan is not a finite number"),
    ({"rtol": float("inf")}, "rtol: inf is not a finite number"),
    ({"atol": float("inf")}, "atol: inf is not a finite number"),
    ({"max_memory_fraction": float("inf")}, "max_memory_fraction: inf is not a finite number"),
    ({"max_memory_fraction": 5.0}, "max_memory_fraction: 5.0 must be <= 1"),
    ({"name": "../escape"}, "name: '../escape' is not a plain name"),
    ({"name": "a/b"}, "name: 'a/b' is not a plain name"),
    ({"name": "x<!-- report:end suite -->"}, "is not a plain name"),
    ({"name": ""}, "name: '' is not a plain name"),
    # sizes the dense-Jacobian estimate missed: loops whose tape (or constants) outgrow memory
    ({"sweeps": [{"family": "elementwise", "n": 2, "size": 10**9}]}, "depth=1000000000 needs about"),
    ({"sweeps": [{"family": "poly", "n": 4, "m": 4, "size": 10**9}]}, "steps=1000000000 needs about"),
    ({"sweeps": [{"family": "trajectory", "n": 4, "m": 4, "size": 10**5}]}, "state=100000 needs about"),
]


@pytest.mark.parametrize("overrides, message", REFUSED_CONFIGS, ids=[m for _, m in REFUSED_CONFIGS])
def test_configs_that_cannot_finish_or_mean_anything_are_refused(overrides, message):
    with pytest.raises(ConfigError) as exc:
        validate(tiny_raw(**overrides))
    assert message in str(exc.value)


def test_the_suites_still_validate_under_the_memory_estimate():
    from experiments.config import load

    assert [len(load(s).cells) for s in ("tiny", "quick", "full")] == [5, 28, 88]


# ----------------------------------------------------------------------------- paths


@pytest.mark.parametrize("parts", [("..", "x"), ("../../etc",), ("/tmp",), ("a", "..", "..", "b")])
def test_inside_refuses_paths_that_leave_the_folder(tmp_path, parts):
    with pytest.raises(ResultsError, match="leads outside"):
        inside(tmp_path / "results", *parts)
    assert inside(tmp_path / "results", "quick", "figures") == tmp_path / "results" / "quick" / "figures"


def test_a_config_name_with_dotdot_writes_nothing_outside_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.toml").write_text('name = "../../outside"\n[[sweeps]]\nfamily = "worked"\n')
    assert main(["run", "--config", "evil.toml", "--no-progress", "--no-plot"]) == 2
    assert "name: '../../outside' is not a plain name" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.toml"]


# ----------------------------------------------------------------------------- a finished folder


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished")
    assert run(one_cell(), out, progress=False, plot=False, log=quiet) == EXIT_OK
    return out


@pytest.fixture
def folder(finished, tmp_path):
    """A copy of a finished one-cell run, and a snapshot of its files."""
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    return out


def snapshot(out):
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def _empty_journal(out):
    (out / JOURNAL_NAME).write_text("")


def _no_journal(out):
    (out / JOURNAL_NAME).unlink()


def _garbled_provenance(out):
    (out / PROVENANCE_NAME).write_text('{"config": ')


def _provenance_not_a_record(out):
    (out / PROVENANCE_NAME).write_text("[1, 2]\n")


def _no_provenance(out):
    (out / PROVENANCE_NAME).unlink()


REFUSED_RESUMES = [
    (_empty_journal, {}, f"but the journal {JOURNAL_NAME} is empty: resuming would measure every cell again"),
    (_no_journal, {}, f"but the journal {JOURNAL_NAME} is missing"),
    (_garbled_provenance, {}, f"{PROVENANCE_NAME} cannot be read"),
    (_provenance_not_a_record, {}, "is not a provenance record"),
    (_no_provenance, {}, f"but no {PROVENANCE_NAME}, so --resume cannot check"),
    (None, {"repeats": 2}, "was measured with another config (repeats 1 -> 2)"),
    (None, {"name": "othersuite"}, "name 'tinytest' -> 'othersuite'"),
    (None, {"sweeps": [{"family": "mlp", "n": 2, "m": 2, "size": 3}]}, "sweeps differ"),
    (None, {"rtol": 1e-3}, "rtol 1e-08 -> 0.001"),
]


@pytest.mark.parametrize("damage, overrides, message", REFUSED_RESUMES, ids=[m for *_, m in REFUSED_RESUMES])
def test_resume_refuses_what_it_cannot_continue_and_keeps_the_files(folder, damage, overrides, message):
    if damage:
        damage(folder)
    before = snapshot(folder)
    with pytest.raises(ResultsError) as exc:
        run(one_cell(**overrides), folder, resume=True, progress=False, plot=False, log=quiet)
    assert message in str(exc.value)
    assert snapshot(folder) == before  # nothing measured, nothing replaced
    assert not (folder / LOCK_NAME).exists()  # the lock went with the refusal


JOURNAL_DAMAGE = [
    ("not json\n", "not JSON"),
    ("[1, 2]\n", "a JSON list, not an object"),
    ('"text"\n', "a JSON str, not an object"),
    ('{"cell": "x"}\n', "missing key(s) 'rows'"),
    ('{"rows": []}\n', "missing key(s) 'cell'"),
    ('{"cell": "x", "rows": {"a": 1}}\n', "'rows' must be a list of objects"),
    ('{"cell": "x", "rows": [{"cell": "x"}]}\n', "row 0 lacks 'method', 'status'"),
]


@pytest.mark.parametrize("line, message", JOURNAL_DAMAGE, ids=[m for _, m in JOURNAL_DAMAGE])
def test_a_damaged_journal_line_is_named_by_file_and_line(folder, line, message, capsys):
    journal = folder / JOURNAL_NAME
    with open(journal, "a") as f:
        f.write(line)
    with pytest.raises(ResultsError) as exc:
        Journal(folder).entries()
    assert f"{journal}:2: {message}" in str(exc.value)
    cfg = folder / "one.toml"
    cfg.write_text('name = "tinytest"\nrepeats = 1\nmin_time = 0.0001\nmemory = false\n'
                   'methods = ["admodes_fwd_vec"]\n[[sweeps]]\nfamily = "worked"\n')
    before = snapshot(folder)
    code = main(["run", "--config", str(cfg), "--out", str(folder), "--resume", "--no-progress", "--no-plot"])
    err = capsys.readouterr().err
    assert code == 2 and f"error: {journal}:2: {message}" in err and "Traceback" not in err
    assert snapshot(folder) == before


def test_a_cut_off_last_journal_line_is_still_a_crash_to_repair(folder):
    with open(folder / JOURNAL_NAME, "a") as f:
        f.write('{"cell": "half a li')
    assert len(Journal(folder).entries()) == 1


def test_a_fresh_run_over_finished_results_says_it_replaces_them(folder):
    lines = []
    assert run(one_cell(), folder, progress=False, plot=False, log=lines.append) == EXIT_OK
    assert any(line.startswith(f"warning: starting afresh in {folder}: 1 finished row(s)") for line in lines)


def test_resume_with_the_same_config_and_fewer_methods_is_allowed(folder):
    before = (folder / JOURNAL_NAME).read_text()
    assert run(one_cell(methods=["admodes_fwd_vec"], description="changed"), folder, resume=True,
               progress=False, plot=False, log=quiet) == EXIT_OK
    assert (folder / JOURNAL_NAME).read_text() == before  # nothing left to measure


# ----------------------------------------------------------------------------- locks


def _dead_pid():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_a_second_run_into_a_locked_folder_is_refused(folder):
    with lock(folder):
        before = snapshot(folder)
        with pytest.raises(ResultsError, match=r"in use by another run \(pid %d" % os.getpid()):
            run(one_cell(), folder, resume=True, progress=False, plot=False, log=quiet)
        with pytest.raises(ResultsError, match="in use by another run"):
            run(one_cell(), folder, progress=False, plot=False, log=quiet)  # a fresh run would wipe it
        assert snapshot(folder) == before
    assert not (folder / LOCK_NAME).exists()


@pytest.mark.parametrize("content, message", [
    (lambda: f"{_dead_pid()} {os.uname().nodename}\n", "has a stale lock"),
    (lambda: "garbage", "names no run"),
])
def test_a_left_over_lock_is_reported_with_how_to_remove_it(folder, content, message):
    path = folder / LOCK_NAME
    path.write_text(content())
    with pytest.raises(ResultsError) as exc:
        run(one_cell(), folder, resume=True, progress=False, plot=False, log=quiet)
    assert message in str(exc.value) and f"rm {path}" in str(exc.value)
    assert path.exists()  # never removed behind the user's back
    path.unlink()
    assert run(one_cell(), folder, resume=True, progress=False, plot=False, log=quiet) == EXIT_OK


def test_the_cli_reports_a_locked_folder_without_a_traceback(folder, capsys):
    with lock(folder):
        assert main(["run", "--suite", "tiny", "--out", str(folder), "--no-progress", "--no-plot"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "in use by another run" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- full disk


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "cells.jsonl")


@pytest.mark.parametrize("target", ["experiments.results.Journal.append", "experiments.runner.write_csv"])
def test_a_full_disk_stops_the_run_and_provenance_says_it_failed(tmp_path, monkeypatch, target):
    monkeypatch.setattr(target, _enospc)
    lines = []
    code = run(tiny(**TWO_CELLS), tmp_path, progress=False, plot=False, log=lines.append)
    assert code == EXIT_FAILED
    error = [line for line in lines if line.startswith("error:")]
    assert error and "No space left on device" in error[0] and "--resume" in error[0]
    prov = json.loads((tmp_path / PROVENANCE_NAME).read_text())
    assert prov["status"] == "write failed" and prov["exit_code"] == EXIT_FAILED
    assert "No space left on device" in prov["error"]
    assert not (tmp_path / LOCK_NAME).exists()


# ----------------------------------------------------------------------------- Ctrl-C


def _swallowed_ctrl_c():
    """Ctrl-C delivered where Python ignores the KeyboardInterrupt (as in JAX's gc callback)."""
    try:
        signal.raise_signal(signal.SIGINT)
    except BaseException:  # noqa: BLE001 - what "Exception ignored in" does
        pass


def test_ctrl_c_swallowed_during_start_up_exits_130(tmp_path, monkeypatch, capsys):
    import experiments.methods

    monkeypatch.setattr(experiments.methods, "configure_jax", _swallowed_ctrl_c)
    out = tmp_path / "out"
    assert main(["run", "--suite", "tiny", "--out", str(out), "--no-progress", "--no-plot"]) == EXIT_INTERRUPTED
    assert "interrupted" in capsys.readouterr().err
    assert not (out / CSV_NAME).exists() and not (out / JOURNAL_NAME).exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_ctrl_c_swallowed_mid_run_exits_130_and_resume_continues(tmp_path):
    import admodes as ad

    state = {"prepared": 0}

    def prepare(method, problem):
        state["prepared"] += 1
        if state["prepared"] == 2:
            _swallowed_ctrl_c()
        jac = ad.jacobian(problem.fun("numpy"))
        return Prepared(call=lambda: jac(problem.x0))

    swallow = Method("swallow", "test", "auto", "all", False, "Ctrl-C swallowed in its second cell", prepare)
    config = tiny(extra_methods=[swallow], **{**TWO_CELLS, "methods": ["swallow"]})
    code = run(config, tmp_path, progress=False, plot=False, extra_methods=[swallow], log=quiet)
    assert code == EXIT_INTERRUPTED
    assert len(Journal(tmp_path).entries()) == 1  # the first cell is kept, the interrupted one is not
    assert json.loads((tmp_path / PROVENANCE_NAME).read_text())["status"] == "interrupted"
    assert run(config, tmp_path, resume=True, progress=False, plot=False, extra_methods=[swallow], log=quiet) == EXIT_OK
    assert [e["cell"] for e in Journal(tmp_path).entries()] == [c.key for c in config.cells]


def test_a_full_disk_before_the_first_cell_is_a_refusal_not_a_traceback(folder, monkeypatch):
    monkeypatch.setattr("experiments.results.Journal.reset", _enospc)
    before = snapshot(folder)
    with pytest.raises(ResultsError, match=f"cannot write into {folder}: No space left on device"):
        run(one_cell(), folder, progress=False, plot=False, log=quiet)
    assert snapshot(folder) == before and not (folder / LOCK_NAME).exists()


def test_a_run_while_another_process_holds_the_folder_is_refused(folder):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom experiments.results import lock\n"
         f"with lock({str(folder)!r}):\n    print('held', flush=True)\n    sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(ResultsError, match=rf"in use by another run \(pid {holder.pid}"):
            run(one_cell(), folder, resume=True, progress=False, plot=False, log=quiet)
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0 and not (folder / LOCK_NAME).exists()
    assert run(one_cell(), folder, resume=True, progress=False, plot=False, log=quiet) == EXIT_OK


def test_a_disk_full_for_every_write_leaves_no_temp_files_and_says_provenance_is_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", _enospc)  # every atomic write (journal, CSV, provenance) fails
    lines = []
    assert run(tiny(**TWO_CELLS), tmp_path, progress=False, plot=False, log=lines.append) == EXIT_FAILED
    assert any("No space left on device" in line for line in lines)
    assert any("could not be written either" in line and "'write failed'" in line for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == [JOURNAL_NAME]  # no *.tmp, no lock


def test_a_refused_resume_keeps_even_a_half_written_last_line(folder):
    with open(folder / JOURNAL_NAME, "a") as f:
        f.write('{"cell": "half')
    before = snapshot(folder)
    with pytest.raises(ResultsError, match="another config"):
        run(one_cell(repeats=3), folder, resume=True, progress=False, plot=False, log=quiet)
    assert snapshot(folder) == before
