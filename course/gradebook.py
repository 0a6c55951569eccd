"""Grade a folder of submissions into one CSV gradebook (``course grade``)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from course.grading import DEFAULT_CELL_TIMEOUT, DEFAULT_NOTEBOOK_TIMEOUT, Report, grade_notebook
from course.labs import Lab, NotebookError


def find_submissions(folder: Path, lab_id: str) -> dict[str, Path]:
    """Map each student to their notebook.

    Accepts nbgrader's ``submitted/<student>/<lab>/*.ipynb`` layout (the folder
    given may be ``submitted/`` or its parent) and a flat folder of
    ``<student>.ipynb`` files.

    Returns:
        ``{student: notebook path}``, sorted by student.
    """
    folder = Path(folder)
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    found: dict[str, Path] = {}
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        notebooks = sorted((student_dir / lab_id).glob("*.ipynb"))
        if notebooks:
            found[student_dir.name] = notebooks[0]
    for notebook in sorted(folder.glob("*.ipynb")):
        found.setdefault(notebook.stem, notebook)
    return dict(sorted(found.items()))


def gradebook_rows(reports: dict[str, Report | str], lab: Lab) -> tuple[list[str], list[list]]:
    """The CSV header and one row per student.

    Args:
        reports: ``{student: Report}``, or a one-line reason when the notebook could not be graded.
        lab: the lab, whose instructor version fixes the graded cells and ``max_score``.

    Returns:
        ``(header, rows)``.
    """
    graded = lab.graded_cells()
    max_score = sum(cell.points for cell in graded)
    header = ["student", "score", "max_score", "status", "runtime_s", *[c.grade_id for c in graded]]
    rows = []
    for student, report in reports.items():
        if isinstance(report, str):
            rows.append([student, 0, max_score, f"error: {report}", 0, *[0] * len(graded)])
            continue
        points = {cell.grade_id: cell.points for cell in report.cells}
        statuses = {cell.status for cell in report.cells}
        status = "graded" if statuses <= {"passed", "failed", "not_attempted"} else "graded with problems: " + ", ".join(
            sorted(statuses - {"passed", "failed", "not_attempted"})
        )
        rows.append([student, report.score, max_score, status, report.runtime_s,
                     *[points.get(c.grade_id, 0) for c in graded]])
    return header, rows


def write_csv_atomically(path: Path, header: list[str], rows: list[list]) -> None:
    """Write a CSV so that readers see either the old file or the whole new one."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.write(buffer.getvalue())
    os.replace(tmp, path)


def grade_folder(
    folder: Path,
    lab: Lab,
    out: Path,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
    progress=None,
) -> dict[str, Report | str]:
    """Grade every submission in ``folder`` for ``lab`` and write the gradebook to ``out``.

    One bad submission never stops the batch: it gets a row with its reason.

    Returns:
        ``{student: Report or one-line reason}``.
    """
    reports: dict[str, Report | str] = {}
    for student, notebook in find_submissions(folder, lab.id).items():
        try:
            reports[student] = grade_notebook(notebook, lab.id, cell_timeout, notebook_timeout)
        except NotebookError as error:
            reports[student] = str(error)
        except Exception as error:  # noqa: BLE001 - the batch must go on
            reports[student] = f"could not be graded ({type(error).__name__}: {error})"
        if progress:
            progress(student, reports[student])
    write_csv_atomically(out, *gradebook_rows(reports, lab))
    return reports
