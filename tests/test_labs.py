"""The pattern every lab passes: (a) the solution gets full marks, with messages that all have
their Chinese translation, (b) the released lab gets zero with every check not attempted,
(c) labs/ is built from solutions/ and leaks nothing."""

from __future__ import annotations

import re

import pytest

from helpers import LABS, ROOT, graded
from course import i18n
from course.build import expected_lab
from course.labs import is_graded_cell, read_notebook

LAB_IDS = sorted(LABS)


def test_the_course_has_labs():
    assert "lab01_perceptron" in LAB_IDS


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_solution_gets_full_marks(lab_id):
    report = graded(str(ROOT / "solutions" / f"{lab_id}.py"))
    assert report.max_score > 0
    failing = [(c.grade_id, c.status, c.message) for c in report.cells if c.status != "passed"]
    assert failing == []  # a check cell writing to stderr would show here as "failed"
    assert report.score == report.max_score
    assert all(c.message.startswith("✔") for c in report.cells)


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_solution_messages_read_in_chinese(lab_id):
    """Every success line of the solution's graded run (the run above, graded once) has its
    Chinese translation, as a Chinese kernel prints it. A cell's message holds its check lines
    one after the other, the last one maybe cut short ("...")."""
    report = graded(str(ROOT / "solutions" / f"{lab_id}.py"))
    lines = [line.strip() for c in report.cells for line in c.message.split("✔")]
    english = [line for line in lines if line and not line.endswith("...")]
    assert len(english) >= len(report.cells)
    assert [line for line in english if not re.search(r"[\u4e00-\u9fff]", i18n.translate(line, "zh"))] == []


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_released_lab_scores_zero_and_not_attempted(lab_id):
    report = graded(str(ROOT / "labs" / f"{lab_id}.ipynb"))
    assert report.score == 0
    assert {c.status for c in report.cells} == {"not_attempted"}
    assert all("NotImplementedError" in c.message for c in report.cells)


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_released_lab_is_built_from_its_source(lab_id):
    released = (ROOT / "labs" / f"{lab_id}.ipynb").read_text(encoding="utf-8")
    assert released == expected_lab(LABS[lab_id]), "labs/ is stale: run `course build`"


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_released_lab_leaks_no_solution_or_hidden_test(lab_id):
    released_text = (ROOT / "labs" / f"{lab_id}.ipynb").read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released_text
    released = {c.get("id"): c.source for c in read_notebook(ROOT / "labs" / f"{lab_id}.ipynb").cells}
    for cell in LABS[lab_id].instructor_notebook().cells:
        student_lines = {line.strip() for line in released.get(cell.get("id"), "").splitlines()}
        for block in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", cell.source, re.S):
            for line in (line.strip() for line in block.splitlines()):
                if re.search(r"\w", line) and not line.startswith("#"):
                    assert line not in student_lines, f"{cell.get('id')}: leaked into labs/: {line!r}"


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_released_lab_has_the_lab_skeleton(lab_id):
    nb = read_notebook(ROOT / "labs" / f"{lab_id}.ipynb")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert text.lstrip().startswith("# Lab"), "title first"
    for heading in ("## Setup", "## Summary", "**Goals**", "**Time:**"):
        assert heading in text
    graded_cells = [c for c in nb.cells if is_graded_cell(c)]
    assert graded_cells and all(c.metadata["nbgrader"]["locked"] for c in graded_cells)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["course"]["lab"] == lab_id
