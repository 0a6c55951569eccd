"""Shared fixtures: the course folder, graded reports cached per session, submissions."""

from __future__ import annotations

import functools
from pathlib import Path

import nbformat
import pytest

from course.grading import grade_notebook
from course.labs import discover_labs, is_answer_cell, nbgrader_meta, read_notebook

ROOT = Path(__file__).resolve().parents[1]
LABS = discover_labs(ROOT)


@functools.lru_cache(maxsize=None)
def graded(path: str, cell_timeout: float = 120):
    """Grade a notebook once per session (grading runs a whole kernel)."""
    return grade_notebook(Path(path), cell_timeout=cell_timeout)


def answer_sources(lab_id: str) -> dict[str, str]:
    """The instructor's solution code of each answer cell, by grade_id (markers stripped)."""
    nb = LABS[lab_id].instructor_notebook()
    sources = {}
    for cell in nb.cells:
        if is_answer_cell(cell):
            lines = [l for l in cell.source.splitlines() if "### BEGIN SOLUTION" not in l
                     and "### END SOLUTION" not in l]
            sources[nbgrader_meta(cell)["grade_id"]] = "\n".join(lines)
    return sources


def submission(lab_id: str, answers: dict[str, str] | None = None, edit=None) -> nbformat.NotebookNode:
    """A student submission: the released lab with some answer cells filled in.

    Args:
        lab_id: which lab.
        answers: ``{grade_id: source}`` replacing answer cells.
        edit: optional function ``nb -> None`` applied last (to break or tamper with it).
    """
    nb = read_notebook(ROOT / "labs" / f"{lab_id}.ipynb")
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if is_answer_cell(cell) and answers and grade_id in answers:
            cell.source = answers[grade_id]
    if edit:
        edit(nb)
    return nb


def write_submission(lab_id: str, folder: Path, name: str, answers: dict[str, str] | None = None) -> Path:
    """Write :func:`submission` to ``folder/name.ipynb`` and return the path."""
    path = Path(folder) / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(submission(lab_id, answers), path)
    return path


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository's course folder."""
    return ROOT
