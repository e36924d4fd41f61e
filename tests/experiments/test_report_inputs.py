"""``experiments report`` on results it must refuse: each row damages a copy of results/quick.

The report validates the results (complete CSV records, columns, one row per cell and
method, finite positive times, plain names) and their provenance (a finished run, its
row count, its suite), and refuses text that would put a comment marker into paper.md.
Every refusal names the problem and leaves paper/ byte for byte as it was.
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from experiments.__main__ import main
from experiments.results import ResultsError, check_results, load

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "results" / "quick"


@pytest.fixture
def results(tmp_path):
    dest = tmp_path / "results"
    shutil.copytree(QUICK, dest, ignore=shutil.ignore_patterns("figures", "*.md", "*.png", "*.svg"))
    return dest


@pytest.fixture
def paper(tmp_path):
    dest = tmp_path / "paper"
    dest.mkdir()
    for name in ("paper.md", "paper.bib"):
        shutil.copy(ROOT / "paper" / name, dest / name)
    return dest


def files(directory):
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def csv_text(results):
    return (results / "results.csv").read_text()


def set_csv(results, text):
    (results / "results.csv").write_text(text)


def edit_df(fn):
    def edit(results):
        df = pd.read_csv(results / "results.csv", dtype={"chunk": str})
        fn(df)
        df.to_csv(results / "results.csv", index=False)

    return edit


def edit_prov(fn):
    def edit(results):
        p = json.loads((results / "provenance.json").read_text())
        fn(p)
        (results / "provenance.json").write_text(json.dumps(p))

    return edit


def _first_ok(df):
    return df.index[df["status"] == "ok"][0]


def _set(col, value, row=_first_ok):
    def fn(df):
        df[col] = df[col].astype(object)
        df.loc[row(df), col] = value

    return fn


BAD_RESULTS = [
    ("cut mid-line", lambda r: set_csv(r, csv_text(r)[:-150]), "results.csv:393: the file is cut off in the middle of a line"),
    ("a short record", lambda r: set_csv(r, "\n".join(
        line.rsplit(",", 3)[0] if i == 10 else line for i, line in enumerate(csv_text(r).split("\n")))),
     "results.csv:11: 39 fields where the header has 42"),
    ("header only", lambda r: set_csv(r, csv_text(r).split("\n", 1)[0] + "\n"), "results.csv: no rows"),
    ("every row twice", lambda r: set_csv(r, csv_text(r) + csv_text(r).split("\n", 1)[1]),
     "392 duplicated (cell, method) row(s)"),
    ("one row twice", edit_df(lambda df: df.loc.__setitem__(len(df), df.loc[7])), "1 duplicated (cell, method) row(s)"),
    ("zero time", edit_df(_set("time_median_s", 0.0)), "time_median_s 0 in an ok row (lines 2)"),
    ("negative time", edit_df(_set("time_median_s", -1e-3)), "time_median_s -0.001 in an ok row"),
    ("infinite time", edit_df(_set("time_median_s", float("inf"))), "time_median_s inf in an ok row"),
    ("no time in an ok row", edit_df(_set("time_median_s", float("nan"))), "time_median_s nan in an ok row"),
    ("negative spread", edit_df(_set("time_iqr_s", -1.0)), "time_iqr_s -1 in an ok row"),
    ("zero fastest repeat", edit_df(_set("time_min_s", 0.0)), "time_min_s 0 in an ok row"),
    ("missing column", edit_df(lambda df: df.pop("time_median_s")),
     "missing column(s) time_median_s"),
    ("unknown status", edit_df(_set("status", "great")), "status 'great' (lines 2) is not one of ok, failed, error"),
    ("n = 0", edit_df(_set("n", 0)), "n 0 (lines 2) is not a positive integer"),
    ("method with a marker", edit_df(lambda df: df.__setitem__("method", df["method"].replace(
        "admodes_auto", "auto<!-- report:end rows -->"))), "method 'auto<!-- report:end rows -->'"),
    ("suite with markup", edit_df(lambda df: df.__setitem__("suite", "`quick`")), "suite '`quick`'"),
    ("family with a path", edit_df(_set("family", "../mlp")), "family '../mlp' (lines 2) is not a plain name"),
    ("provenance row count", edit_prov(lambda p: p.__setitem__("rows", 10)),
     "provenance.json records 10 rows but the results have 392"),
    ("unfinished run", edit_prov(lambda p: [p.pop("rows"), p.__setitem__("status", "running")]),
     "provenance.json records no row count (status 'running')"),
    ("another suite", edit_prov(lambda p: p.__setitem__("suite", "full")),
     "is for the suite 'full' but the results hold 'quick'"),
    ("provenance not an object", lambda r: (r / "provenance.json").write_text("[]"), "is not a provenance record"),
    ("provenance not JSON", lambda r: (r / "provenance.json").write_text("{"), "provenance.json cannot be read"),
    ("marker in the CPU name", edit_prov(lambda p: p.__setitem__("cpu_model", "fast --> <!-- report:begin x")),
     "would write '-->' into the paper (...fast -->"),
    ("marker in the command line", edit_prov(lambda p: p.__setitem__("command_line", ["run", "--out", "<!--"])),
     "generator provenance would write '<!--'"),
]


@pytest.mark.parametrize("damage, message", [row[1:] for row in BAD_RESULTS], ids=[row[0] for row in BAD_RESULTS])
def test_report_refuses_bad_results_and_leaves_the_paper(results, paper, damage, message, capsys):
    damage(results)
    before = files(paper)
    assert main(["report", "--results", str(results), "--paper", str(paper)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert files(paper) == before  # paper.md untouched, no figures drawn


def test_the_committed_results_pass_and_failed_rows_may_lack_times(results):
    df = load(results)
    assert len(df) == 392
    df.loc[0, "status"] = "failed"
    df.loc[0, ["time_median_s", "time_min_s"]] = float("nan")
    check_results(df, "edited")  # a failed row has no timing to check
    df.loc[1, "time_median_s"] = 0.0
    with pytest.raises(ResultsError, match="time_median_s 0 in an ok row"):
        check_results(df, "edited")


def test_plot_refuses_the_same_results(results, capsys):
    set_csv(results, csv_text(results) + csv_text(results).split("\n", 1)[1])
    assert main(["plot", "--out", str(results)]) == 2
    assert "duplicated (cell, method)" in capsys.readouterr().err
    assert not (results / "figures").exists()


@pytest.mark.parametrize("ref", ["figures/../ratio_heatmap.png", "figures/sub/ratio_heatmap.png"])
def test_a_figure_reference_with_a_path_is_refused(results, paper, ref, capsys):
    md = paper / "paper.md"
    md.write_text(md.read_text() + f"\n![x]({ref})\n")
    before = files(paper)
    assert main(["report", "--results", str(results), "--paper", str(paper)]) == 1
    assert "references figures the report does not draw" in capsys.readouterr().err
    assert files(paper) == before
