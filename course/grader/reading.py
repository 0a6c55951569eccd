"""Read an executed notebook into results: one per graded cell, plus incidents.

Pure functions of the executed cells and the :class:`~course.grader.kernel.Run`
record; no kernel needed, so they are tested on hand-built notebooks.
"""

from __future__ import annotations

from course.checks.core import one_line
from course.grader.integrity import is_guard_cell
from course.grader.kernel import Run
from course.grader.results import CellResult, CellStatus, Incident, RowStatus
from course.labs import nbgrader_meta

DIED = "the Python kernel died (a crash, os._exit, or out of memory), so this check could not run"


def cell_label(cell, index: int) -> str:
    """A cell's grade_id, or ``cell N`` for an unnamed one.

    Args:
        cell: the cell.
        index: its 0-based position among the lab's cells (the grader's own cells not counted).
    """
    return nbgrader_meta(cell).get("grade_id") or f"cell {index + 1}"


def first_error(cell):
    """The first error output of a cell, or None."""
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def cell_result(cell, index: int, run: Run, cell_timeout: float, tampering: list[str]) -> CellResult:
    """Read one executed graded cell into a status, points and message.

    Args:
        cell: the executed check cell.
        index: its position in the executed notebook.
        run: what happened to the run's cells.
        cell_timeout: the per-cell limit, for the message.
        tampering: evidence of tampering against this cell (empty when none).
    """
    meta = nbgrader_meta(cell)
    grade_id, max_points = meta["grade_id"], float(meta.get("points", 0))

    def result(status: CellStatus, message: str) -> CellResult:
        points = max_points if status == CellStatus.PASSED else 0.0
        return CellResult(grade_id, status.value, points, max_points, one_line(message))

    if tampering:
        return result(CellStatus.TAMPERED, "tampering detected, 0 points: " + "; ".join(dict.fromkeys(tampering)))
    unfinished = run.unfinished.get(index)
    if unfinished == "timeout":
        return result(CellStatus.TIMEOUT, f"did not finish within {cell_timeout:g} s (or the notebook ran out "
                      "of time): look for an infinite loop or a step that is far too slow")
    if unfinished in ("dead", "skipped"):
        return result(CellStatus.ERROR, DIED)
    error = first_error(cell)
    if error is not None:
        ename, evalue = error.get("ename", "Error"), error.get("evalue", "")
        if ename == "NotAttempted":
            return result(CellStatus.NOT_ATTEMPTED, evalue)
        if ename == "CheckFailed":
            return result(CellStatus.FAILED, evalue)
        if ename == "NameError":
            return result(CellStatus.ERROR, f"{evalue}: is its answer cell missing, or did it fail?")
        if ename == "MemoryError":
            return result(CellStatus.ERROR, "ran out of memory (MemoryError): the grader limits memory")
        return result(CellStatus.ERROR, f"{ename}: {evalue}")
    stderr = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    if stderr:
        return result(CellStatus.FAILED, f"the check wrote to stderr (graded as 0): {stderr[0].get('text', '')}")
    if run.reply_status.get(index, "ok") != "ok":
        return result(CellStatus.TAMPERED, "tampering detected, 0 points: the check cell raised an error "
                      "whose display was suppressed")
    lines = [line for o in cell.get("outputs", []) if o.get("output_type") == "stream"
             for line in str(o.get("text", "")).splitlines() if line.startswith("✔")]
    return result(CellStatus.PASSED, " ".join(dict.fromkeys(lines)) or "passed")


def incidents(nb, run: Run, cell_timeout: float, notebook_timeout: float) -> list[Incident]:
    """What went wrong in any cell of the run, answer cells included, in cell order.

    Returns:
        One incident per cell that timed out, ran out of memory, or where the
        kernel died (or was killed by the grader).
    """
    found, lab_cells = [], -1
    for index, cell in enumerate(nb.cells):
        if is_guard_cell(cell):
            continue
        lab_cells += 1
        if cell.get("cell_type") != "code":
            continue
        label, unfinished = cell_label(cell, lab_cells), run.unfinished.get(index)
        if unfinished == "timeout":
            found.append(Incident(RowStatus.TIMEOUT.value, label,
                                  f"ran past the {cell_timeout:g} s limit of one cell or the "
                                  f"{notebook_timeout:g} s limit of the notebook, and was interrupted"))
        elif unfinished == "dead":
            why = run.killed or "the kernel died (a crash, os._exit, a signal, or memory past the limit)"
            found.append(Incident(RowStatus.CRASHED.value, label, why))
        elif (first_error(cell) or {}).get("ename") == "MemoryError":
            found.append(Incident(RowStatus.OUT_OF_MEMORY.value, label,
                                  "ran out of memory (MemoryError) under the grader's memory limit"))
    if run.killed and not any(i.status == RowStatus.CRASHED.value for i in found):
        found.append(Incident(RowStatus.CRASHED.value, "notebook", run.killed))
    return found
