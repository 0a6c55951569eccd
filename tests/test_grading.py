"""The grading engine and the `course` command: contract, exit codes, timeouts, layouts."""

from __future__ import annotations

import csv
import json

import pytest

from course.cli import main
from course.grader.gradebook import find_submissions
from helpers import LABS, answer_sources, grade, write_submission

LAB = "lab01_perceptron"


@pytest.mark.slow
def test_check_json_is_one_object_with_the_contract_keys(tmp_path, capsys):
    notebook = write_submission(LAB, tmp_path, LAB)
    assert main(["check", str(notebook), "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)  # exactly one JSON object: json.loads fails on anything extra
    assert set(report) == {"lab", "notebook", "score", "max_score", "runtime_s", "cells"}
    assert report["lab"] == LAB and report["score"] == 0 and report["max_score"] == 10
    assert {tuple(sorted(c)) for c in report["cells"]} == {
        ("grade_id", "max_points", "message", "points", "status")}


@pytest.mark.parametrize("content, message", [
    (b"not json", "not valid JSON"),
    (b'{"cells": 3}', "not a notebook"),
])
def test_check_exits_2_with_one_line_when_it_cannot_grade(tmp_path, capsys, content, message):
    path = tmp_path / f"{LAB}.ipynb"
    path.write_bytes(content)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_check_exits_2_for_an_unknown_lab_and_a_missing_file(tmp_path, capsys):
    notebook = write_submission(LAB, tmp_path, "mystery")
    assert main(["check", str(notebook), "--lab", "lab99_nothing"]) == 2
    assert "lab99_nothing" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "nope.ipynb")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_lab_comes_from_metadata_not_file_name(tmp_path):
    answers = answer_sources(LAB)
    notebook = write_submission(LAB, tmp_path, "alice", {"sigmoid": answers["sigmoid"]})
    report = grade(notebook)
    assert report.lab == LAB and report.score == 1


@pytest.mark.slow
def test_notebook_timeout_stops_a_notebook_that_resists_interrupts(tmp_path):
    stubborn = ("def relu(z):\n    while True:\n        try:\n            while True:\n                pass\n"
                "        except KeyboardInterrupt:\n            pass")
    notebook = write_submission(LAB, tmp_path, "stubborn", {**answer_sources(LAB), "relu": stubborn})
    report = grade(notebook, cell_timeout=20, notebook_timeout=60)  # lab01's Setup needs ~7 s on a slow machine
    statuses = {c.grade_id: c.status for c in report.cells}
    assert statuses["check_sigmoid"] == "passed"
    assert statuses["check_relu"] == "timeout" and statuses["check_MyDenseLayer"] == "timeout"
    assert report.runtime_s < 120


def test_find_submissions_reads_nbgrader_and_flat_layouts(tmp_path):
    write_submission(LAB, tmp_path / "submitted" / "bob" / LAB, "whatever")
    write_submission(LAB, tmp_path / "submitted" / "ann" / LAB, LAB)
    (tmp_path / "submitted" / "cy" / "other_lab").mkdir(parents=True)
    assert list(find_submissions(tmp_path, LAB)) == ["ann", "bob"]
    flat = tmp_path / "flat"
    write_submission(LAB, flat, "zoe")
    write_submission(LAB, flat, "adam")
    assert list(find_submissions(flat, LAB)) == ["adam", "zoe"]


@pytest.mark.slow
def test_grade_command_on_nbgrader_layout(tmp_path, capsys):
    answers = answer_sources(LAB)
    write_submission(LAB, tmp_path / "submitted" / "ann" / LAB, LAB, answers)
    write_submission(LAB, tmp_path / "submitted" / "bob" / LAB, LAB)
    out = tmp_path / "grades.csv"
    assert main(["grade", str(tmp_path), "--lab", LAB, "--out", str(out), "--jobs", "2"]) == 0
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert (rows["ann"]["score"], rows["bob"]["score"]) == ("10", "0")
    assert rows["ann"]["status"] == "graded"
    assert not list(tmp_path.glob(".grades.csv.*.tmp"))  # written atomically, no leftovers


def test_grade_command_refuses_an_unknown_lab(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--lab", "lab99_x", "--out", str(tmp_path / "g.csv")]) == 2
    assert "unknown lab" in capsys.readouterr().err


def test_list_json_names_cells_points_and_objects(capsys):
    assert main(["list", "--json"]) == 0
    listing = {entry["lab"]: entry for entry in json.loads(capsys.readouterr().out)}
    lab01 = listing[LAB]
    assert lab01["objects"][:4] == ["sigmoid", "perceptron", "tanh", "relu"]
    assert "MyDenseLayer" in lab01["objects"] and "AND_WEIGHTS" in lab01["objects"]
    assert sum(c["points"] for c in lab01["cells"]) == 10
    assert set(listing) == set(LABS)


@pytest.mark.slow
def test_check_a_folder_prints_one_table_with_a_total(tmp_path, capsys):
    write_submission(LAB, tmp_path, LAB, answer_sources(LAB))
    (tmp_path / "notes.txt").write_text("not a lab")
    assert main(["check", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{LAB}  ") and "score 10/10" in lines[0]
    assert lines[-1] == "total  score 10/10"
    assert main(["check", str(tmp_path / "nothing_here")]) == 2


@pytest.mark.slow
def test_inputs_are_read_once_so_deleting_the_course_mid_batch_changes_nothing(tmp_path):
    import shutil

    from course.grader.engine import GradingInputs
    from course.grader.gradebook import Options, grade_folder
    from course.grader.kernel import Limits
    from course.labs import discover_labs
    from helpers import ROOT, SANDBOX

    course_folder = tmp_path / "course"
    for sub, name in (("solutions", f"{LAB}.py"), ("labs", f"{LAB}.ipynb")):
        (course_folder / sub).mkdir(parents=True)
        shutil.copy(ROOT / sub / name, course_folder / sub / name)
    inputs = GradingInputs.from_lab(discover_labs(course_folder)[LAB])
    shutil.rmtree(course_folder)  # what a hostile notebook would do, if it could reach the folder
    submissions = tmp_path / "submissions"
    write_submission(LAB, submissions, "ann", answer_sources(LAB))
    write_submission(LAB, submissions, "bob")
    out = tmp_path / "grades.csv"
    grade_folder(submissions, inputs, out, Options(Limits(), SANDBOX), jobs=2)
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert [(rows[s]["score"], rows[s]["status"]) for s in ("ann", "bob")] == [("10", "graded"), ("0", "graded")]


@pytest.mark.slow
def test_a_stray_labs_folder_above_the_submissions_does_not_choose_the_course(tmp_path, monkeypatch, capsys):
    from helpers import ROOT

    stray = tmp_path / "stray"
    (stray / "labs").mkdir(parents=True)
    (stray / "labs" / f"{LAB}.ipynb").write_text("{}")  # not even a notebook
    write_submission(LAB, stray / "submissions", "ann", answer_sources(LAB))
    monkeypatch.chdir(ROOT)
    out = tmp_path / "grades.csv"
    assert main(["grade", str(stray / "submissions"), "--lab", LAB, "--out", str(out)]) == 0
    assert next(csv.DictReader(out.open()))["score"] == "10"
    capsys.readouterr()
    assert main(["grade", str(stray / "submissions"), "--lab", LAB, "--out", str(out), "--course", str(stray)]) == 2
    err = capsys.readouterr().err
    assert "cannot read the instructor's lab" in err and "not a notebook" in err and err.count("\n") == 1
