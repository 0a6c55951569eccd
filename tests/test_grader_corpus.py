"""`course grade` on a folder mixing good, partial, broken and hostile submissions:
one row per student, each with the status and score it must get."""

from __future__ import annotations

import csv

import pytest

from conftest import LABS
from corpus import CASES, LAB
from course.gradebook import Options, grade_folder

OPTIONS = Options(cell_timeout=20, notebook_timeout=300, memory_limit_gb=8)


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """Grade the whole corpus once, two submissions at a time."""
    folder = tmp_path_factory.mktemp("submissions")
    for case in CASES:
        (folder / f"{case.name}.ipynb").write_bytes(case.build())
    out = tmp_path_factory.mktemp("grades") / "gradebook.csv"
    feedback = out.parent / "feedback"
    results = grade_folder(folder, LABS[LAB], out, OPTIONS, jobs=2, feedback=feedback)
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return {"folder": folder, "out": out, "rows": rows, "results": results, "feedback": feedback}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_submission_gets_its_status_and_score(gradebook, case):
    row = gradebook["rows"][case.name]
    assert row["status"].split(":")[0] == case.status, row["status"]
    assert float(row["score"]) == case.score, row
    assert float(row["max_score"]) == 10  # always the instructor's, whatever the notebook claims
    if case.status not in ("graded",):
        assert len(row["status"]) > len(case.status) + 5, "the status says why"


@pytest.mark.slow
def test_gradebook_has_one_row_per_student_and_the_contract_columns(gradebook):
    with open(gradebook["out"], newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    graded_ids = [c.grade_id for c in LABS[LAB].graded_cells()]
    assert header == ["student", "score", "max_score", "status", "runtime_s", *graded_ids]
    assert sorted(gradebook["rows"]) == sorted(c.name for c in CASES)
    partial = gradebook["rows"]["partial"]
    assert [partial[g] for g in graded_ids] == ["1", "2", "0", "1", "0", "0"]


@pytest.mark.slow
def test_feedback_files_are_readable_and_hide_hidden_tests(gradebook):
    text = (gradebook["feedback"] / "partial.md").read_text(encoding="utf-8")
    assert "Score: 4 / 10" in text and "| check_tanh | not_attempted |" in text
    assert "seed=7" not in text and "HIDDEN" not in text
    broken = (gradebook["feedback"] / "not_json.md").read_text(encoding="utf-8")
    assert "could not be graded" in broken and "not valid JSON" in broken


@pytest.mark.slow
def test_rerunning_gives_the_same_csv_without_regrading(gradebook, monkeypatch):
    before = gradebook["out"].read_bytes()
    calls = []
    monkeypatch.setattr("course.gradebook.grade_one", lambda *a: calls.append(a))
    grade_folder(gradebook["folder"], LABS[LAB], gradebook["out"], OPTIONS, jobs=2)
    assert calls == []  # every result came from the cache
    assert gradebook["out"].read_bytes() == before
