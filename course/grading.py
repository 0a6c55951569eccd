"""Grade one notebook: restore the instructor's cells, run it in a fresh kernel, score it.

The notebook that runs is the instructor's (setup, prose, check cells with
their hidden tests) with the student's answer cells put in by ``grade_id``, so
a student's edits outside the answer cells do not count. Each graded check
cell ends in one status:

``passed``        the check cell ran without error (full points);
``failed``        a check raised ``CheckFailed`` (or the cell wrote to stderr);
``not_attempted`` the answer is still the ``NotImplementedError`` stub;
``error``         any other exception, or the kernel died;
``timeout``       the cell did not finish within the time limit.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from course.checks.core import one_line
from course.labs import (
    Lab,
    NotebookError,
    discover_labs,
    find_course_root,
    is_answer_cell,
    is_graded_cell,
    nbgrader_meta,
    notebook_lab_id,
    read_notebook,
)

DEFAULT_CELL_TIMEOUT = 120
DEFAULT_NOTEBOOK_TIMEOUT = 900
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}


@dataclass
class CellResult:
    """The outcome of one graded cell."""

    grade_id: str
    status: str
    points: float
    max_points: float
    message: str


@dataclass
class Report:
    """The outcome of grading one notebook (the JSON of ``course check --json``)."""

    lab: str
    notebook: str
    score: float
    max_score: float
    runtime_s: float
    cells: list[CellResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data."""
        return asdict(self)


def resolve_lab(path: Path, nb: nbformat.NotebookNode, lab_id: str | None = None) -> Lab:
    """Find which lab a notebook belongs to: ``lab_id``, its metadata, or its file name.

    Raises:
        NotebookError: the lab cannot be told or is not part of the course.
    """
    labs = discover_labs(find_course_root(Path(path).parent))
    lab_id = lab_id or notebook_lab_id(nb) or Path(path).stem
    if lab_id not in labs:
        known = ", ".join(labs) or "none found"
        raise NotebookError(
            f"{Path(path).name}: cannot tell which lab this is ({lab_id!r} is not a lab; "
            f"known labs: {known}); pass --lab"
        )
    return labs[lab_id]


def merge_answers(
    instructor: nbformat.NotebookNode, student: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The instructor's notebook with the student's answer cells put in by ``grade_id``.

    An answer cell the submission lacks runs empty, so its check reports the
    missing name.
    """
    answers = {
        nbgrader_meta(cell).get("grade_id"): cell
        for cell in student.cells
        if is_answer_cell(cell)
    }
    merged = nbformat.from_dict(instructor)
    for cell in merged.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_answer_cell(cell):
            cell.source = answers.get(nbgrader_meta(cell)["grade_id"], {}).get("source", "")
    return merged


def run_cells(
    nb: nbformat.NotebookNode, cell_timeout: float, notebook_timeout: float
) -> dict[int, str]:
    """Execute a notebook cell by cell in a fresh kernel, outputs stored in ``nb``.

    An error in a cell does not stop the run; a cell that runs past its time
    is interrupted and the run goes on; a kernel that dies ends the run.

    Returns:
        ``{cell_index: "timeout" | "dead" | "skipped"}`` for cells that did not finish.
    """
    unfinished: dict[int, str] = {}
    deadline = time.monotonic() + notebook_timeout
    with tempfile.TemporaryDirectory(prefix="course-grade-") as workdir:
        client = NotebookClient(
            nb,
            timeout=int(cell_timeout),
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": workdir}},
        )
        with client.setup_kernel(env={**os.environ, **KERNEL_ENV}, stderr=subprocess.DEVNULL):
            code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
            for position, index in enumerate(code_cells):
                remaining = deadline - time.monotonic()
                if remaining < 1:
                    unfinished.update({i: "timeout" for i in code_cells[position:]})
                    break
                client.timeout = int(min(cell_timeout, remaining))
                try:
                    client.execute_cell(nb.cells[index], index)
                except CellTimeoutError:
                    unfinished[index] = "timeout"
                    client.km.interrupt_kernel()
                except DeadKernelError:
                    unfinished[index] = "dead"
                    unfinished.update({i: "skipped" for i in code_cells[position + 1 :]})
                    break
    return unfinished


def cell_result(cell, unfinished: str | None, cell_timeout: float) -> CellResult:
    """Read one executed graded cell's outputs into a status, points and message."""
    meta = nbgrader_meta(cell)
    grade_id, max_points = meta["grade_id"], float(meta.get("points", 0))

    def result(status: str, message: str) -> CellResult:
        points = max_points if status == "passed" else 0.0
        return CellResult(grade_id, status, points, max_points, one_line(message))

    if unfinished == "timeout":
        return result("timeout", f"did not finish within {cell_timeout:g} s: look for an "
                      "infinite loop or a step that is far too slow")
    if unfinished in ("dead", "skipped"):
        return result("error", "the Python kernel died (a crash, os._exit, or out of memory), "
                      "so this check could not run")
    lines = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            ename, evalue = output.get("ename", "Error"), output.get("evalue", "")
            if ename == "NotAttempted":
                return result("not_attempted", evalue)
            if ename == "CheckFailed":
                return result("failed", evalue)
            if ename == "NameError":
                return result("error", f"{evalue}: is its answer cell missing, or did it fail?")
            return result("error", f"{ename}: {evalue}")
        if output.output_type == "stream" and output.name == "stderr":
            return result("failed", f"the check wrote to stderr (graded as 0): {output.text}")
        if output.output_type == "stream":
            lines += [line for line in output.text.splitlines() if line.startswith("✔")]
    return result("passed", " ".join(dict.fromkeys(lines)) or "passed")


def grade_notebook(
    path: Path,
    lab_id: str | None = None,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
) -> Report:
    """Grade one notebook (or solution source) against its lab's instructor version.

    Args:
        path: the ``.ipynb`` submission, a released lab, or a ``solutions/*.py`` source.
        lab_id: force the lab (otherwise from the notebook's metadata or file name).
        cell_timeout: seconds one cell may run.
        notebook_timeout: seconds the whole notebook may run.

    Returns:
        The report; every graded cell of the instructor version has one result.

    Raises:
        NotebookError: the file cannot be graded at all (not a notebook, unknown lab).
    """
    start = time.monotonic()
    student = read_notebook(path)
    lab = resolve_lab(path, student, lab_id)
    merged = merge_answers(lab.instructor_notebook(), student)
    unfinished = run_cells(merged, cell_timeout, notebook_timeout)
    cells = []
    for index, cell in enumerate(merged.cells):
        if is_graded_cell(cell):
            cells.append(cell_result(cell, unfinished.get(index), cell_timeout))
    return Report(
        lab=lab.id,
        notebook=str(path),
        score=sum(c.points for c in cells),
        max_score=sum(c.max_points for c in cells),
        runtime_s=round(time.monotonic() - start, 2),
        cells=cells,
    )
