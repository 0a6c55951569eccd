"""The class report: pure parts on hand-built results, then a graded batch in headless Chromium."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import statistics
from dataclasses import asdict
from pathlib import Path

import pytest

from course.cli import main
from course.grader import gradebook, report, worker
from course.grader.results import CellResult, Incident, Report
from course.labs import GradedCell, NotebookError

LAB = "lab01_perceptron"
CELLS = [GradedCell("check_a", 1.0), GradedCell("check_b", 2.0)]
BATCH = {"lab": LAB, "cells": [asdict(c) for c in CELLS], "graded_at": "2025-01-06T09:00:00+01:00",
         "folder": "/courses/submitted", "course": "0.1.0", "python": "3.11.7",
         "versions": {"tensorflow": "2.21.0", "keras": "3.15.1"},
         "options": {"cell_timeout": 120, "notebook_timeout": 600, "memory_gb": 8,
                     "sandbox": {"kind": "bwrap", "reason": "bubblewrap works here"}, "jobs": 2, "regrade": False},
         "reused": 1}
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_MESSAGE = "ValueError: <script>alert('x')</script>"


def cell(grade_id: str, status: str, message: str = "") -> CellResult:
    points = {c.grade_id: c.points for c in CELLS}[grade_id]
    return CellResult(grade_id, status, points if status == "passed" else 0.0, points, message or status)


def graded(a: str = "passed", b: str = "passed", a_message: str = "", b_message: str = "", runtime_s: float = 2.0,
           incidents=(), notes=()) -> Report:
    cells = [cell("check_a", a, a_message), cell("check_b", b, b_message)]
    return Report(LAB, "x.ipynb", sum(c.points for c in cells), 3.0, runtime_s, cells, list(incidents), list(notes))


# --- grouping, counts, rows that need a person ------------------------------------------------------------------


@pytest.mark.parametrize("first, second", [
    ("sigmoid(0.5) gave 0.3775, expected 0.6225", "sigmoid(-2) gave 0.88, expected 0.1192"),
    ("W has shape (3, 2): it should be (2, 3)", "W has shape (5, 4): it should be (4, 5)"),
    ("returned [0.1, 0.2, 0.3]", "returned [1e-05 2.5]"),
    ("loss was nan", "loss was -inf"),
])
def test_number_free_groups_messages_that_differ_only_in_numbers(first, second):
    assert report.number_free(first) == report.number_free(second)


def test_number_free_keeps_names_with_digits_and_the_words():
    assert report.number_free("conv2d on float32 in lab01 (x2 = 3.5)") == "conv2d on float32 in lab01 (x2 = #)"
    assert report.number_free("AND_WEIGHTS gives 1") != report.number_free("OR_WEIGHTS gives 1")
    assert report.number_free("information about infinity") == "information about infinity"


def test_check_summary_counts_every_student_and_groups_failures():
    results = {
        "ann": graded(),
        "bob": graded("failed", a_message="a(2) gave 5, expected 4"),
        "cy": graded("failed", a_message="a(7) gave 1, expected 9"),
        "dan": graded("error", a_message="NameError: name 'a' is not defined"),
        "eve": NotebookError("eve.ipynb: not a notebook"),
    }
    summary = report.check_summary(CELLS[0], results)
    assert summary.counts == {"passed": 1, "failed": 2, "error": 1, "not_graded": 1}
    assert summary.students == 5 and summary.pass_rate == pytest.approx(0.2)
    assert summary.mean_points == pytest.approx(1 / 5)
    assert summary.mistakes == [
        report.Mistake("failed", "a(2) gave 5, expected 4", ["bob", "cy"], 2),
        report.Mistake("error", "NameError: name 'a' is not defined", ["dan"], 1),
    ]
    assert report.check_summary(CELLS[1], results).mean_points == pytest.approx(4 * 2 / 5)


def test_the_same_message_under_another_status_is_another_group():
    results = {"ann": graded("failed", a_message="x is 1"), "bob": graded("timeout", a_message="x is 2")}
    assert [m.status for m in report.check_summary(CELLS[0], results).mistakes] == ["failed", "timeout"]


def test_attention_rows_worst_first_with_the_gradebook_reason_and_further_evidence():
    results = {
        "ann": graded(notes=["check_a: its nbgrader metadata was edited (points)"]),
        "bob": NotebookError("bob.ipynb: this notebook is lab03_loss", "wrong_lab"),
        "cy": graded(incidents=[Incident("timeout", "b", "ran past the 120 s limit")]),
        "dan": graded("tampered", "tampered", "tampering detected: `np.allclose` (line 3)", "tampering detected: gc",
                      incidents=[Incident("out_of_memory", "b", "ran out of memory")]),
        "eve": NotebookError("eve.ipynb: not a notebook"),
        "fay": NotebookError("fay.ipynb: the grading process was killed by signal 9", "crashed"),
    }
    rows = report.attention_rows(results)
    assert [(r.student, r.status) for r in rows] == [
        ("dan", "tampered"), ("fay", "crashed"), ("cy", "timeout"), ("eve", "invalid"), ("bob", "wrong_lab")]
    for r in rows:
        assert f"{r.status}: {r.reason}" == gradebook.row_status(results[r.student])
    assert rows[0].reason == "check_a: tampering detected: `np.allclose` (line 3)"
    assert rows[0].evidence == ["tampered: check_b: tampering detected: gc", "out_of_memory: b: ran out of memory"]
    assert rows[0].score == 0 and rows[2].evidence == []


def test_score_bins_one_per_whole_score_else_twenty():
    bins = report.score_bins([0, 3, 3, 1], 3)
    assert bins == [(-0.5, 0.5, 1), (0.5, 1.5, 1), (1.5, 2.5, 0), (2.5, 3.5, 2)]
    halves = report.score_bins([0.5, 10, 9.99], 10)
    assert len(halves) == 20 and sum(count for *_, count in halves) == 3 and halves[-1][2] == 2


# --- the page ---------------------------------------------------------------------------------------------------


def sample_results() -> dict:
    return {"ann": graded(), "bob": graded("failed", a_message="a(2) gave 5"), "cy": graded(runtime_s=90.0),
            HOSTILE_NAME: NotebookError(f"{HOSTILE_NAME}.ipynb: not a notebook"),
            "dee": graded(b="error", b_message=HOSTILE_MESSAGE, notes=["<b>a note</b>"])}


def test_page_escapes_everything_a_student_controls():
    page = report.report_html(sample_results(), BATCH)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 3  # attention table, runtime table and chart
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert f'content="{report.esc(report.POLICY)}"' in page and "default-src 'none'" in report.POLICY
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert report.esc("a\x00b\x1bc\u202e") == "abc\u202e"


def test_page_shows_the_counts_and_how_it_was_graded():
    page = report.report_html(sample_results(), BATCH)
    assert 'id="submissions">5<' in page and 'id="mean">1.8<' in page and 'id="median">2<' in page
    assert "Needs a person (1)" in page
    assert page.count("3 of 5 passed (60%)") == 2  # check_a: ann, cy, dee; check_b: ann, bob, cy
    for fact in ("2025-01-06T09:00:00+01:00", "tensorflow 2.21.0", "120 s a cell", "bwrap", "1 result(s) reused"):
        assert fact in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4


def test_page_for_a_thousand_students_folds_long_tables():
    results = {f"student{i:04}": graded("failed", a_message=f"a({i}) gave {i + 1}", runtime_s=i / 100)
               for i in range(1000)}
    results.update({f"broken{i:02}": NotebookError(f"broken{i:02}.ipynb: not a notebook") for i in range(30)})
    page = report.report_html(results, BATCH)
    assert len(page) < 2_000_000
    assert "Needs a person (30)" in page and f"and {30 - report.SHOWN} more" in page
    assert f"and {1000 - report.SHOWN} more" in page  # the names under check_a's one grouped message
    assert page.count('class="bar"') > 1030  # one runtime bar per submission


def test_page_with_no_submissions_says_so():
    page = report.report_html({}, BATCH)
    assert "No submissions were found." in page and "How this was graded" in page


def test_write_report_is_atomic(tmp_path):
    out = tmp_path / "out" / "report.html"
    report.write_report(out, sample_results(), BATCH)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]


# --- reading a graded folder back --------------------------------------------------------------------------------


def write_graded(folder: Path, results: dict) -> Path:
    """A gradebook and its cache as ``course grade`` leaves them (without grading)."""
    out = folder / "grades.csv"
    keys = {student: f"key-{student}" for student in results}
    gradebook.write_atomically(gradebook.cache_path(out), gradebook.cache_text(keys, results, BATCH))
    rows = [[s, f"{gradebook.score_of(r):g}", "3", gradebook.row_status(r)] for s, r in results.items()]
    gradebook.write_atomically(out, gradebook.csv_text(["student", "score", "max_score", "status"], rows))
    return out


def test_read_graded_round_trip_and_the_report_command(tmp_path, capsys):
    results = sample_results()
    out = write_graded(tmp_path, results)
    warnings = []
    read, batch = gradebook.read_graded(out, warnings.append)
    assert {s: worker.result_record(r) for s, r in read.items()} == {
        s: worker.result_record(r) for s, r in results.items()}
    assert list(read) == list(results) and batch == BATCH and warnings == []
    assert main(["report", str(out), "--out", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == report.report_html(results, BATCH)


def test_read_graded_warns_when_the_gradebook_was_edited_by_hand(tmp_path):
    out = write_graded(tmp_path, sample_results())
    out.write_text(out.read_text(encoding="utf-8").replace("bob,2,", "bob,3,"), encoding="utf-8")
    warnings = []
    gradebook.read_graded(out, warnings.append)
    assert warnings == ["course: grades.csv differs from its cache (edited by hand?); the report shows the "
                        "grader's results"]


def test_report_command_without_a_usable_cache_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "grades.csv"
    assert main(["report", str(out)]) == 2
    assert "no grading cache beside it" in capsys.readouterr().err
    out = write_graded(tmp_path, sample_results())
    cache = gradebook.cache_path(out)
    data = json.loads(cache.read_text(encoding="utf-8"))
    del data["entries"]["key-bob"]
    cache.write_text(json.dumps(data), encoding="utf-8")
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no usable result for 1 student(s) (bob)" in err and err.count("\n") == 1
    del data["students"]  # a cache written before reports existed
    cache.write_text(json.dumps(data), encoding="utf-8")
    assert main(["report", str(out)]) == 2
    assert "grade again" in capsys.readouterr().err


# --- a graded batch in a real browser ----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
HOSTILE_RELU = "def relu(z):\n    raise ValueError('<script>window.pwned = 1</script><b onclick=x>bold</b>')"


@pytest.fixture(scope="module")
def graded_batch(tmp_path_factory):
    """Grade good, blank, partly wrong, tampered and broken lab01 submissions with ``--report``.

    Returns:
        ``{"out": the CSV, "report": the page, "rows": the CSV's rows, "results": {student: result}}``.
    """
    import corpus
    from helpers import SANDBOX

    folder = tmp_path_factory.mktemp("report")
    submissions = folder / "submitted"
    submissions.mkdir()
    for name, content in {
        "ann": corpus.notebook(corpus.solved()),
        "bob": corpus.notebook(),
        "cy": corpus.notebook(corpus.solved(sigmoid=corpus.WRONG_SIGMOID, relu=HOSTILE_RELU)),
        "dee": corpus.notebook(corpus.solved(sigmoid=corpus.WRONG_SIGMOID + "\nnp.allclose = lambda *a, **k: True")),
        HOSTILE_NAME: b"this is not a notebook {",
    }.items():
        (submissions / f"{name}.ipynb").write_bytes(content)
    out, page = folder / "grades.csv", folder / "report.html"
    assert main(["grade", str(submissions), "--lab", LAB, "--out", str(out), "--jobs", "2", "--report", str(page),
                 "--sandbox", SANDBOX.kind]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {"out": out, "report": page, "rows": rows, "results": gradebook.read_graded(out, pytest.fail)[0]}


@pytest.mark.slow
def test_report_command_redraws_the_same_page_from_the_cache(graded_batch, tmp_path):
    again = tmp_path / "again.html"
    assert main(["report", str(graded_batch["out"]), "--out", str(again)]) == 0
    assert again.read_bytes() == graded_batch["report"].read_bytes()


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is missing: pip install -e '.[dev]'"
    return None


def texts(page, selector: str) -> list[list[str]]:
    """The cells' text of each table row matched by ``selector`` (folded rows included)."""
    return page.eval_on_selector_all(selector, "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


@pytest.mark.slow
def test_report_renders_in_headless_chromium_with_the_gradebook_counts(graded_batch):
    missing = browser_missing()
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(missing)
    from playwright.sync_api import sync_playwright

    from helpers import LABS

    rows, results = graded_batch["rows"], graded_batch["results"]
    max_points = {c.grade_id: c.points for c in LABS[LAB].graded_cells()}
    url = graded_batch["report"].resolve().as_uri()
    problems, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url)
        page.wait_for_load_state("load")

        sizes = page.eval_on_selector_all("svg", """svgs => svgs.map(s => {
            const box = s.getBoundingClientRect();
            const bars = [...s.querySelectorAll("rect.bar")].filter(b => b.getBBox().width * b.getBBox().height > 0);
            return [s.id, box.width, box.height, bars.length]; })""")
        assert [s[0] for s in sizes] == ["score-histogram", "pass-rates", "points-per-check", "runtimes"]
        assert all(width > 100 and height > 50 and bars > 0 for _, width, height, bars in sizes), sizes
        assert page.eval_on_selector_all("#runtimes rect.bar", "bars => bars.length") == len(rows)
        assert page.evaluate("document.scripts.length") == 0 and page.evaluate("window.pwned") is None
        assert page.eval_on_selector_all("body b, body img", "found => found.length") == 0

        assert page.text_content("#submissions") == str(len(rows))
        assert float(page.text_content("#mean")) == pytest.approx(statistics.mean(float(r["score"]) for r in rows),
                                                                  abs=0.05)
        assert float(page.text_content("#median")) == statistics.median(float(r["score"]) for r in rows)
        statuses = [r["status"].partition(":")[0] for r in rows]
        assert {s.replace(" ", "_"): int(n) for s, n in texts(page, "table.statuses tbody tr")} == {
            s: statuses.count(s) for s in set(statuses)}
        attention = texts(page, "table.attention tbody tr")
        assert sorted((student, status.replace(" ", "_")) for status, student, *_ in attention) == sorted(
            (r["student"], s) for r, s in zip(rows, statuses) if s != "graded")
        assert HOSTILE_NAME in page.text_content("table.attention")

        head = page.eval_on_selector_all("table.checks thead th", "cells => cells.map(c => c.textContent)")
        not_graded = sum(s in ("invalid", "wrong_lab") for s in statuses)
        for values in texts(page, "table.checks tbody tr"):
            count = dict(zip(head, values))
            grade_id = count["check"]
            assert int(count["passed"]) == sum(float(r[grade_id]) == max_points[grade_id] for r in rows)
            assert int(count.get("not graded", 0)) == not_graded
            assert sum(int(count[h]) for h in head[4:]) == len(rows)
            shown = texts(page, f"#check-{grade_id} table.mistakes tbody tr")
            assert sum(int(r[0]) for r in shown) == len(rows) - int(count["passed"]) - not_graded
            examples = page.eval_on_selector_all(f"#check-{grade_id} table.mistakes .message",
                                                 "found => found.map(m => m.textContent)")
            reported = [c.message for r in results.values() if isinstance(r, Report)
                        for c in r.cells if c.grade_id == grade_id and c.status != "passed"]
            assert {report.number_free(m) for m in reported} == {report.number_free(e) for e in examples}
        browser.close()
    assert problems == []
    assert requests == [url]
    page_text = graded_batch["report"].read_text(encoding="utf-8")
    hidden = (Path(__file__).parents[1] / "solutions" / f"{LAB}.py").read_text(encoding="utf-8")
    for block in hidden.split("### BEGIN HIDDEN TESTS")[1:]:
        for line in block.split("### END HIDDEN TESTS")[0].strip().splitlines():
            assert line.strip() not in page_text
