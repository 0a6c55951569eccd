"""nbgrader interop, for real: nbgrader's own generate_assignment and autograde score a
correct, a blank and a partly correct submission exactly as `course grade` does."""

from __future__ import annotations

import csv
import subprocess

import pytest

from course.build import export_nbgrader_sources
from course.grader.engine import GradingInputs
from course.grader.gradebook import Options, grade_folder
from course.grader.kernel import Limits
from helpers import LABS, ROOT, SANDBOX, answer_sources, write_submission

LAB = "lab01_perceptron"


def nbgrader(*args, cwd):
    subprocess.run(["nbgrader", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.mark.slow
def test_nbgrader_autograde_agrees_with_course_grade(tmp_path):
    from nbgrader.api import Gradebook

    export_nbgrader_sources(ROOT, tmp_path, only=[LAB])
    nbgrader("generate_assignment", LAB, "--force", cwd=tmp_path)
    answers = answer_sources(LAB)
    partial = {k: answers[k] for k in ("sigmoid", "perceptron", "gate_weights")}
    for student, filled in {"correct": answers, "blank": {}, "partial": partial}.items():
        write_submission(LAB, tmp_path / "submitted" / student / LAB, LAB, filled)
    nbgrader("autograde", LAB, "--create", "--force", cwd=tmp_path)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        nbgrader_scores = {s: gradebook.find_submission(LAB, s).score for s in ("correct", "blank", "partial")}

    out = tmp_path / "course.csv"
    grade_folder(tmp_path, GradingInputs.from_lab(LABS[LAB], protect=[tmp_path]), out, Options(Limits(), SANDBOX))
    course_scores = {row["student"]: float(row["score"]) for row in csv.DictReader(out.open())}

    assert nbgrader_scores == {"correct": 10, "blank": 0, "partial": 5}
    assert course_scores == nbgrader_scores


@pytest.mark.slow
def test_nbgrader_autograde_agrees_with_course_grade_on_the_chinese_lab(tmp_path):
    from nbgrader.api import Gradebook

    lab_id = LAB
    export_nbgrader_sources(ROOT, tmp_path, only=[lab_id])
    assignment = f"{lab_id}_zh"
    nbgrader("generate_assignment", assignment, "--force", cwd=tmp_path)
    answers = answer_sources(lab_id)
    partial = {k: answers[k] for k in ("sigmoid", "perceptron", "gate_weights")}
    for student, filled in {"correct": answers, "partial": partial}.items():
        write_submission(lab_id, tmp_path / "submitted" / student / assignment, lab_id, filled, lang="zh")
    nbgrader("autograde", assignment, "--create", "--force", cwd=tmp_path)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        nbgrader_scores = {s: gradebook.find_submission(assignment, s).score for s in ("correct", "partial")}

    out = tmp_path / "course.csv"
    grade_folder(tmp_path, GradingInputs.from_lab(LABS[lab_id], protect=[tmp_path]), out, Options(Limits(), SANDBOX))
    course_scores = {row["student"]: float(row["score"]) for row in csv.DictReader(out.open())}

    assert nbgrader_scores == {"correct": 10, "partial": 5}
    assert course_scores == nbgrader_scores
