"""``python -m experiments report``: the paper's tables, numbers and figures come from results.

A small suite is run once into a temporary directory; the report then rewrites a copy of
the committed paper/paper.md from it. Also: the committed paper is up to date with the
committed results/quick (``--check``), the ``tiny`` suite plus ``report`` runs end to end
(what CI does on tiny sizes), and every refusal names its problem.
"""

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from experiments_helpers import quiet

from experiments import report
from experiments.__main__ import main
from experiments.config import validate
from experiments.runner import EXIT_OK, run

ROOT = Path(__file__).resolve().parents[2]
PAPER = ROOT / "paper"
QUICK = ROOT / "results" / "quick"

SMALL = {
    "name": "reporttest",
    "repeats": 1,
    "min_time": 1e-4,
    "memory": False,
    "methods": ["admodes_fwd_chunk1", "admodes_rev_chunk1", "admodes_fwd_vec", "admodes_rev_vec"],
    "sweeps": [
        {"family": "mlp", "n": [1, 2, 4], "m": [1, 2, 4], "size": 3},
        {"family": "loss", "n": [4, 8, 16], "size": 4},
        {"family": "poly", "n": 2, "m": [2, 4, 8], "size": 2},
        {"family": "worked"},
    ],
}


@pytest.fixture(scope="module")
def small_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    config = validate(dict(SMALL))
    config.source = "test"
    assert run(config, out, progress=False, plot=False, log=quiet, argv=["experiments", "run", "(test)"]) == EXIT_OK
    return out


@pytest.fixture
def paper_copy(tmp_path):
    """A copy of the committed paper (markdown, bibliography; figures are regenerated)."""
    dest = tmp_path / "paper"
    dest.mkdir()
    for name in ("paper.md", "paper.bib"):
        shutil.copy(PAPER / name, dest / name)
    return dest


def outside_markers(text):
    """The paper with every generated region emptied: what the report must never touch."""
    return re.sub(r"(<!-- report:begin (\S+) -->).*?(<!-- report:end \2 -->)", r"\1\3", text, flags=re.DOTALL)


def region(text, name):
    m = re.search(rf"<!-- report:begin {name} -->(.*?)<!-- report:end {name} -->", text, flags=re.DOTALL)
    assert m, f"no region {name}"
    return m.group(1)


def test_report_regenerates_the_tables_from_a_small_suite(small_results, paper_copy, capsys):
    before = (paper_copy / "paper.md").read_text()
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy)]) == 0
    out = capsys.readouterr().out
    after = (paper_copy / "paper.md").read_text()
    assert outside_markers(after) == outside_markers(before)  # the prose is untouched
    df = pd.read_csv(small_results / "results.csv")

    # inline numbers: this suite's, not the committed ones
    assert region(after, "cells") == str(df["cell"].nunique()) == "16"
    assert region(after, "rows") == str(len(df))
    assert region(after, "methods") == "4"
    assert region(after, "loss_n") == "16"
    assert region(after, "poly_m") == "8" and region(after, "poly_n") == "2"
    assert region(after, "suite") == "`reporttest`"
    assert float(region(after, "loss_speedup")) > 1  # reverse beats forward on a scalar loss

    # block tables
    prov = region(after, "provenance")
    assert "`reporttest`: 16 cells" in prov and "Threads" in prov and "XLA_FLAGS" in prov
    theory = region(after, "op_theory")
    for family in ("mlp", "loss", "poly", "worked"):
        assert f"| {family} |" in theory
    assert theory.count("| yes |") == 4  # one constant per family: the counts are exact
    fwd_row = next(line for line in region(after, "scaling").splitlines() if line.startswith("| admodes forward, chunk=1 |"))
    cells = [c.strip() for c in fwd_row.strip("|").split("|")]
    assert cells[2] == "1.00" and cells[4] == "0.00"  # forward chunk=1 ops: exactly linear in n, flat in m
    crossover = region(after, "crossover")
    assert "| m = 1 | m = 2 | m = 4 |" in crossover and "predicted from op counts" in crossover
    assert "| `loss` |" in region(after, "sweeps")
    assert "7 + 2 = 9" in region(after, "worked_example")
    shown = re.findall(r"\]\(figures/(\w+)\.png\)", after)
    assert len(shown) >= 3
    for name in shown:
        assert (paper_copy / "figures" / f"{name}.png").stat().st_size > 1000
    assert "regions regenerated" in out

    # idempotent, and --check agrees
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy), "--no-figures"]) == 0
    assert (paper_copy / "paper.md").read_text() == after
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy), "--check"]) == 0

    # a number edited by hand is caught by --check, and the next report puts it back
    edited = after.replace("<!-- report:begin loss_n -->16<", "<!-- report:begin loss_n -->17<")
    (paper_copy / "paper.md").write_text(edited)
    capsys.readouterr()
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy), "--check"]) == 1
    assert "loss_n" in capsys.readouterr().err
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy), "--no-figures"]) == 0
    assert (paper_copy / "paper.md").read_text() == after


def test_a_missing_marker_fails_clearly_and_writes_nothing(small_results, paper_copy, capsys):
    text = (paper_copy / "paper.md").read_text()
    broken = re.sub(r"<!-- report:begin loss_speedup -->.*?<!-- report:end loss_speedup -->", "657", text, flags=re.DOTALL)
    (paper_copy / "paper.md").write_text(broken)
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy)]) == 1
    err = capsys.readouterr().err
    assert "lacks the markers of: loss_speedup" in err
    assert (paper_copy / "paper.md").read_text() == broken
    assert not (paper_copy / "figures").exists()


def test_an_unknown_marker_fails_clearly(small_results, paper_copy, capsys):
    text = (paper_copy / "paper.md").read_text()
    (paper_copy / "paper.md").write_text(text + "\n<!-- report:begin speedup_typo -->1<!-- report:end speedup_typo -->\n")
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy)]) == 1
    assert "markers no generator fills: speedup_typo" in capsys.readouterr().err


@pytest.mark.parametrize("snippet,message", [
    ("<!-- report:begin cells -->", "has no report:end cells"),
    ("<!-- report:end cells -->", "without a report:begin cells"),
    ("<!-- report:begin a --><!-- report:begin b -->", "regions do not nest"),
    ("<!-- report:begin a -->1<!-- report:end b -->", "closes the region a"),
    ("<!-- report:bgin cells -->", "unrecognised marker"),
])
def test_malformed_markers_name_the_line(snippet, message):
    text = "line one\n\n" + snippet + "\n"
    with pytest.raises(report.ReportError, match=message) as info:
        report.parse_markers(text, "paper.md")
    assert "paper.md:3" in str(info.value)


def test_a_figure_the_report_does_not_draw_is_refused(small_results, paper_copy, capsys):
    text = (paper_copy / "paper.md").read_text()
    (paper_copy / "paper.md").write_text(text + "\n![hand-made](figures/my_plot.png)\n")
    assert main(["report", "--results", str(small_results), "--paper", str(paper_copy)]) == 1
    assert "figures the report does not draw: my_plot.png" in capsys.readouterr().err


def test_missing_results_fail_clearly(tmp_path, paper_copy, capsys):
    assert main(["report", "--results", str(tmp_path / "nowhere"), "--paper", str(paper_copy)]) == 1
    assert "no results directory" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", "--results", str(empty), "--paper", str(paper_copy)]) == 1
    assert "no results in" in capsys.readouterr().err
    assert main(["report", "--results", str(QUICK), "--paper", str(tmp_path / "nopaper")]) == 1
    assert "no " in capsys.readouterr().err


def test_missing_provenance_fails_clearly(small_results, paper_copy, tmp_path, capsys):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(small_results / "results.csv", partial / "results.csv")
    assert main(["report", "--results", str(partial), "--paper", str(paper_copy)]) == 1
    assert "no provenance.json" in capsys.readouterr().err


def test_pdf_without_pandoc_says_so(small_results, paper_copy, monkeypatch, capsys):
    monkeypatch.setattr(report.shutil, "which", lambda name: None)
    args = SimpleNamespace(results=str(small_results), paper=str(paper_copy), check=False, pdf=True,
                           no_figures=True, list=False)
    assert report.run(args) == report.EXIT_NO_PDF
    err = capsys.readouterr().err
    assert "pandoc is not installed" in err and "apt-get install pandoc" in err
    assert not (paper_copy / "paper.pdf").exists()


def test_every_generator_is_listed(capsys):
    assert main(["report", "--list"]) == 0
    out = capsys.readouterr().out
    for name in report.GENERATORS:
        assert name in out


def test_committed_paper_matches_the_committed_results(capsys):
    """Nobody edits a number by hand: paper.md is what `report` makes of results/quick."""
    code = main(["report", "--results", str(QUICK), "--paper", str(PAPER), "--check"])
    assert code == 0, capsys.readouterr().err
    prov = json.loads((QUICK / "provenance.json").read_text())
    assert f"`{prov['suite']}`" in region((PAPER / "paper.md").read_text(), "suite")


def test_tiny_suite_and_report_run_end_to_end(tmp_path, paper_copy, capsys):
    """What CI runs on tiny sizes: the tiny suite, then the report on it; fails if the tables cannot be regenerated."""
    out = tmp_path / "tiny"
    assert main(["run", "--suite", "tiny", "--out", str(out), "--no-progress", "--no-plot"]) == 0
    assert main(["report", "--results", str(out), "--paper", str(paper_copy)]) == 0
    text = (paper_copy / "paper.md").read_text()
    prov = region(text, "provenance")
    assert "`tiny`" in prov
    assert "asynchronous CPU dispatch off" in prov  # what the CLI sets for timing, recorded correctly
    assert "| mlp |" in region(text, "op_theory")
    assert main(["report", "--results", str(out), "--paper", str(paper_copy), "--check"]) == 0


def test_number_formatting():
    assert report.num(656.94) == "657"
    assert report.num(0.0039812) == "0.00398"
    assert report.num(2.5) == "2.50"
    assert report.num(6.17e-15, 2) == "6.2e-15"
    assert report.num(float("nan")) == report.NA
    assert report.fixed(-3e-16) == "0.00"
    assert report.span([2.5, 2.5]) == "2.50"
    assert report.span([1.29, 1.81]) == "1.29–1.81"
    assert report.seconds(2.07e-4) == "207 µs"
