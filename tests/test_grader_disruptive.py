"""`course grade` with submissions that crash, hang, or eat memory or disk beside honest ones,
on one worker and on several: each disruptive one gets its own status, and every honest row
comes out exactly as when its submission is graded alone."""

from __future__ import annotations

import pytest

from corpus import CASES, LAB, grade_cases
from helpers import LABS

DISRUPTIVE = ["os_exit", "segfault", "kill_own_group", "answer_cell_hangs", "fill_the_disk", "out_of_memory",
              "signal_to_parent_caught"]
BYSTANDERS = ["correct", "partial", "blank", "wrong_sigmoid"]
EXPECTED = {case.name: case for case in CASES}


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> dict[str, dict]:
    """The bystanders' rows when no disruptive submission is in the batch."""
    folder = tmp_path_factory.mktemp("alone")
    return grade_cases(folder / "class", BYSTANDERS, folder / "alone.csv", jobs=2)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 4])
def test_disruptive_submissions_change_no_other_row(tmp_path, alone, jobs):
    rows = grade_cases(tmp_path / "class", BYSTANDERS + DISRUPTIVE, tmp_path / "mixed.csv", jobs=jobs)
    assert sorted(rows) == sorted(BYSTANDERS + DISRUPTIVE)
    columns = ["score", "status", "notes", *[c.grade_id for c in LABS[LAB].graded_cells()]]
    for student in BYSTANDERS:  # graded exactly as in the batch without the disruptive ones
        assert [rows[student][c] for c in columns] == [alone[student][c] for c in columns], (
            student, rows[student], alone[student])
    for student in DISRUPTIVE:
        expected = EXPECTED[student]
        assert rows[student]["status"].startswith(expected.status), rows[student]["status"]
        assert float(rows[student]["score"]) == expected.score, rows[student]
