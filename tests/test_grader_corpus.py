"""`course grade` on a folder mixing honest, partial, broken and hostile submissions:
one row per student, each with the status and score it must get (the submissions that crash,
hang or eat resources beside honest ones: test_grader_disruptive.py)."""

from __future__ import annotations

import csv

import pytest

from corpus import CASES, HONEST, LAB, OPTIONS, PARTIAL_AND_BROKEN, grade_cases
from course.grader.engine import GradingInputs
from course.grader.gradebook import grade_folder
from helpers import LABS


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """Grade the whole corpus once, two submissions at a time."""
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("grades") / "gradebook.csv"
    feedback = out.parent / "feedback"
    rows = grade_cases(folder, [c.name for c in CASES], out, jobs=2, feedback=feedback)
    return {"folder": folder, "out": out, "rows": rows, "feedback": feedback}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_submission_gets_its_status_and_score(gradebook, case):
    row = gradebook["rows"][case.name]
    assert row["status"].startswith(case.status), row["status"]
    assert float(row["score"]) == case.score, row
    assert float(row["max_score"]) == 10  # always the instructor's, whatever the notebook claims
    assert case.note in row["notes"], row["notes"]
    if case.status != "graded":
        assert len(row["status"]) > len(case.status) + 5, "the status says why"


@pytest.mark.slow
def test_an_honest_class_gets_full_marks_and_no_tampering(gradebook):
    honest = {c.name: gradebook["rows"][c.name] for c in HONEST}
    assert {name: (row["score"], row["status"]) for name, row in honest.items()} == {
        name: ("10", "graded") for name in honest}
    assert not any("tamper" in row["status"] for c in PARTIAL_AND_BROKEN for row in [gradebook["rows"][c.name]])


@pytest.mark.slow
def test_gradebook_has_one_row_per_student_and_the_contract_columns(gradebook):
    with open(gradebook["out"], newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    graded_ids = [c.grade_id for c in LABS[LAB].graded_cells()]
    assert header == ["student", "score", "max_score", "status", "runtime_s", "notes", *graded_ids]
    assert sorted(gradebook["rows"]) == sorted(c.name for c in CASES)
    partial = gradebook["rows"]["partial"]
    assert [partial[g] for g in graded_ids] == ["1", "2", "0", "1", "0", "0"]


@pytest.mark.slow
def test_feedback_files_are_readable_and_hide_hidden_tests(gradebook):
    text = (gradebook["feedback"] / "partial.md").read_text(encoding="utf-8")
    assert "Score: 4 / 10" in text and "| check_tanh | not_attempted |" in text
    assert "seed=7" not in text and "HIDDEN" not in text
    noted = (gradebook["feedback"] / "edited_points.md").read_text(encoding="utf-8")
    assert "Score: 10 / 10" in noted and "its nbgrader metadata was edited (points)" in noted
    broken = (gradebook["feedback"] / "not_json.md").read_text(encoding="utf-8")
    assert "could not be graded" in broken and "not valid JSON" in broken


@pytest.mark.slow
def test_rerunning_gives_the_same_csv_without_regrading(gradebook, monkeypatch):
    before = gradebook["out"].read_bytes()
    started = []
    monkeypatch.setattr("course.grader.gradebook.grade_in_worker", lambda job: started.append(job))
    inputs = GradingInputs.from_lab(LABS[LAB], protect=[gradebook["folder"]], hide=[gradebook["folder"]])
    grade_folder(gradebook["folder"], inputs, gradebook["out"], OPTIONS, jobs=2)
    assert started == []  # every result came from the cache: no worker was started
    assert gradebook["out"].read_bytes() == before
