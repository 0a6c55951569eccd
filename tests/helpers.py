"""What the tests share: the course folder, grading a notebook once, building submissions."""

from __future__ import annotations

import functools
import gzip
import os
import struct
from pathlib import Path

import nbformat
import numpy as np

from course.grader.engine import GradingInputs, grade_notebook
from course.grader.kernel import Limits
from course.grader.results import Report
from course.grader.sandbox import choose
from course.labs import discover_labs, is_answer_cell, nbgrader_meta, read_notebook

ROOT = Path(__file__).resolve().parents[1]
LABS = discover_labs(ROOT)
# CI installs bubblewrap, so there every grading test runs sandboxed (and fails if the box cannot start).
SANDBOX = choose("bwrap" if os.environ.get("CI") else "auto")


def grade(path: Path, lab_id: str | None = None, **limits) -> Report:
    """Grade a notebook or source of the repository's course, sandboxed like the CLI."""
    path = Path(path)
    lab_id = lab_id or (path.stem if path.stem in LABS else read_notebook(path).metadata.course.lab)
    inputs = GradingInputs.from_lab(LABS[lab_id], protect=[path.parent.resolve()])
    return grade_notebook(path, inputs, Limits(**limits), SANDBOX)


@functools.lru_cache(maxsize=None)
def graded(path: str, cell_timeout: float = 120):
    """Grade a notebook once per session (grading runs a whole kernel)."""
    return grade(Path(path), cell_timeout=cell_timeout)


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


def submission(lab_id: str, answers: dict[str, str] | None = None, edit=None, lang: str = "en") -> nbformat.NotebookNode:
    """A student submission: the released lab (``lang="zh"``: the Chinese one) with some answer
    cells filled in.

    Args:
        lab_id: which lab.
        answers: ``{grade_id: source}`` replacing answer cells.
        edit: optional function ``nb -> None`` applied last (to break or tamper with it).
        lang: ``"en"`` or ``"zh"``.
    """
    nb = read_notebook(ROOT / "labs" / ("zh" if lang == "zh" else "") / f"{lab_id}.ipynb")
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if is_answer_cell(cell) and answers and grade_id in answers:
            cell.source = answers[grade_id]
    if edit:
        edit(nb)
    return nb


def write_submission(lab_id: str, folder: Path, name: str, answers: dict[str, str] | None = None, edit=None,
                     lang: str = "en") -> Path:
    """Write :func:`submission` to ``folder/name.ipynb`` and return the path."""
    path = Path(folder) / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(submission(lab_id, answers, edit, lang), path)
    return path


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    """Write ``array`` (uint8) as an MNIST idx file, gzipped when the name ends in .gz."""
    payload = struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
