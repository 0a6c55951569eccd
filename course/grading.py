"""Grade one notebook: restore the instructor's cells, run it in a fresh kernel, score it.

The notebook that runs is the instructor's (setup, prose, check cells with
their hidden tests) with the student's answer cells put in by ``grade_id``, so
a student's edits outside the answer cells do not count. Each graded check
cell ends in one status:

``passed``        the check cell ran without error (full points);
``failed``        a check raised ``CheckFailed`` (or the cell wrote to stderr);
``not_attempted`` the answer is still the ``NotImplementedError`` stub;
``error``         any other exception, or the kernel died;
``timeout``       the cell did not finish within the time limit;
``tampered``      the notebook interfered with the grading (see :mod:`course.guard`),
                  forged this cell's output or edited its nbgrader metadata.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from course.checks.core import one_line
from course.labs import (
    Lab,
    NotebookError,
    defined_names,
    discover_labs,
    find_course_root,
    is_answer_cell,
    is_graded_cell,
    nbgrader_meta,
    notebook_lab_id,
    read_notebook,
)

DEFAULT_CELL_TIMEOUT = 120
DEFAULT_NOTEBOOK_TIMEOUT = 600
DEFAULT_MEMORY_LIMIT_GB = 8
MAX_OUTPUT_CHARS = 200_000
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}
GUARD_METADATA = "course_guard"
NBGRADER_KEYS = ("grade", "grade_id", "locked", "points", "solution", "checksum")


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


@dataclass
class Run:
    """What happened to the cells of one kernel run, by cell index."""

    unfinished: dict[int, str] = field(default_factory=dict)  # "timeout" | "dead" | "skipped"
    reply_status: dict[int, str] = field(default_factory=dict)  # "ok" | "error" | "aborted"
    truncated: set[int] = field(default_factory=set)


class GradingClient(NotebookClient):
    """nbclient that caps each cell's stored output and keeps each cell's reply status."""

    def __init__(self, nb, run: Run, **kwargs):
        super().__init__(nb, **kwargs)
        self.run, self.output_chars = run, {}

    def output(self, outs, msg, display_id, cell_index):
        """Store an output unless the cell already printed more than ``MAX_OUTPUT_CHARS``."""
        if msg["msg_type"] != "error" and cell_index in self.run.truncated:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None and msg["msg_type"] != "error":
            size = self.output_chars.get(cell_index, 0) + len(str(out.get("text", out.get("data", ""))))
            self.output_chars[cell_index] = size
            if size > MAX_OUTPUT_CHARS:
                self.run.truncated.add(cell_index)
                out["text"] = str(out.get("text", ""))[:1000] + "\n[output truncated by the grader]\n"
                out.pop("data", None) if out.get("output_type") == "stream" else None
        return out

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        if exec_reply is not None:
            self.run.reply_status[cell_index] = exec_reply["content"].get("status", "ok")
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)


def resolve_lab(path: Path, nb: nbformat.NotebookNode, lab_id: str | None = None) -> Lab:
    """Find which lab a notebook belongs to: ``lab_id``, its metadata, or its file name.

    Raises:
        NotebookError: the lab cannot be told, is not part of the course, or the
            notebook says it belongs to another lab than ``lab_id``.
    """
    labs = discover_labs(find_course_root(Path(path).parent))
    stored = notebook_lab_id(nb)
    if lab_id and stored and stored != lab_id:
        raise NotebookError(f"{Path(path).name}: this notebook is {stored}, not {lab_id}", "wrong_lab")
    lab_id = lab_id or stored or Path(path).stem
    if lab_id not in labs:
        known = ", ".join(labs) or "none found"
        raise NotebookError(
            f"{Path(path).name}: cannot tell which lab this is ({lab_id!r} is not a lab; "
            f"known labs: {known}); pass --lab"
        )
    return labs[lab_id]


def answer_ids(nb: nbformat.NotebookNode) -> set[str]:
    """The grade_ids of a notebook's answer cells."""
    return {nbgrader_meta(c).get("grade_id") for c in nb.cells if is_answer_cell(c)}


def require_gradable(path: Path, student: nbformat.NotebookNode, lab: Lab) -> None:
    """Refuse an empty notebook, or one whose answer cells all belong to another lab."""
    if not student.cells:
        raise NotebookError(f"{Path(path).name}: the notebook is empty (no cells)")
    mine = answer_ids(lab.instructor_notebook())
    theirs = answer_ids(student)
    if theirs and not theirs & mine:
        raise NotebookError(f"{Path(path).name}: none of its answer cells belong to {lab.id}; "
                            "is it another lab's notebook?", "wrong_lab")


def merge_answers(instructor: nbformat.NotebookNode, student: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The instructor's notebook with the student's answer cells put in by ``grade_id``.

    An answer cell the submission lacks runs empty, so its check reports the
    missing name.
    """
    answers = {nbgrader_meta(c).get("grade_id"): c for c in student.cells if is_answer_cell(c)}
    merged = nbformat.from_dict(instructor)
    for cell in merged.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_answer_cell(cell):
            cell.source = answers.get(nbgrader_meta(cell)["grade_id"], {}).get("source", "")
    return merged


def with_guard(nb: nbformat.NotebookNode, report_path: Path, protected: list[Path]) -> nbformat.NotebookNode:
    """Insert the integrity guard's cells: install first, snapshot after Setup,
    verify after each graded cell, and a last cell that writes the guard's report."""
    name = f"_course_guard_{secrets.token_hex(6)}"

    def guard_cell(source: str):
        return nbformat.v4.new_code_cell(source, metadata={GUARD_METADATA: True})

    setup = next((c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "setup"),
                 next((c for c in nb.cells if c.cell_type == "code"), None))
    cells = [guard_cell(f"import course.guard\n{name} = course.guard.install("
                        f"{str(report_path)!r}, {[str(p) for p in protected]!r})")]
    for cell in nb.cells:
        cells.append(cell)
        if cell is setup:
            names = defined_names(cell.source, imports=True)
            cells.append(guard_cell(f"{name}.snapshot(globals(), {names!r})"))
        elif is_graded_cell(cell):
            cells.append(guard_cell(f"{name}.verify({nbgrader_meta(cell)['grade_id']!r})"))
    cells.append(guard_cell(f"{name}.finish()"))
    guarded = nbformat.from_dict(nb)
    guarded.cells = cells
    return guarded


def limit_memory(gigabytes: float):
    """A ``preexec_fn`` capping the kernel's address space (None for no limit)."""
    if not gigabytes:
        return None
    limit = int(gigabytes * 2**30)

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_cells(nb: nbformat.NotebookNode, workdir: Path, cell_timeout: float, notebook_timeout: float,
              memory_limit_gb: float = DEFAULT_MEMORY_LIMIT_GB) -> Run:
    """Execute a notebook cell by cell in a fresh kernel, outputs stored in ``nb``.

    An error in a cell does not stop the run; a cell that runs past its time is
    interrupted and the run goes on; a kernel that dies ends the run.

    Returns:
        What happened to the cells that did not simply finish.
    """
    run = Run()
    deadline = time.monotonic() + notebook_timeout
    client = GradingClient(nb, run, timeout=int(cell_timeout), allow_errors=True,
                           kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    with client.setup_kernel(env={**os.environ, **KERNEL_ENV}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, preexec_fn=limit_memory(memory_limit_gb)):
        for position, index in enumerate(code_cells):
            remaining = deadline - time.monotonic()
            if remaining < 1:
                run.unfinished.update({i: "timeout" for i in code_cells[position:]})
                break
            client.timeout = max(1, int(min(cell_timeout, remaining)))
            try:
                client.execute_cell(nb.cells[index], index)
            except CellTimeoutError:
                run.unfinished[index] = "timeout"
                run_sync(client.km.interrupt_kernel)()
            except DeadKernelError:
                run.unfinished[index] = "dead"
                run.unfinished.update({i: "skipped" for i in code_cells[position + 1:]})
                break
    return run


def stored_checkmarks(cell) -> set[str]:
    """The ``✔`` lines in a cell's stored stdout."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return {line.strip() for line in str(text).splitlines() if line.strip().startswith("✔")}


def forgery(submitted, released) -> str | None:
    """Why a submitted check cell looks forged (edited nbgrader metadata), or None."""
    if submitted is None or released is None:
        return None
    mine, theirs = nbgrader_meta(released), nbgrader_meta(submitted)
    edited = [key for key in NBGRADER_KEYS if key in mine and theirs.get(key) != mine.get(key)]
    return f"its nbgrader metadata was edited ({', '.join(edited)})" if edited else None


def cell_result(cell, index: int, run: Run, cell_timeout: float, tampering: list[str]) -> CellResult:
    """Read one executed graded cell into a status, points and message."""
    meta = nbgrader_meta(cell)
    grade_id, max_points = meta["grade_id"], float(meta.get("points", 0))

    def result(status: str, message: str) -> CellResult:
        points = max_points if status == "passed" else 0.0
        return CellResult(grade_id, status, points, max_points, one_line(message))

    if tampering:
        return result("tampered", "tampering detected, 0 points: " + "; ".join(dict.fromkeys(tampering)))
    unfinished = run.unfinished.get(index)
    if unfinished == "timeout":
        return result("timeout", f"did not finish within {cell_timeout:g} s (or the notebook ran out of "
                      "time): look for an infinite loop or a step that is far too slow")
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
            if ename == "MemoryError":
                return result("error", "ran out of memory (MemoryError): the grader limits memory")
            return result("error", f"{ename}: {evalue}")
        if output.output_type == "stream" and output.name == "stderr":
            return result("failed", f"the check wrote to stderr (graded as 0): {output.text}")
        if output.output_type == "stream":
            lines += [line for line in output.text.splitlines() if line.startswith("✔")]
    if run.reply_status.get(index, "ok") != "ok":
        return result("tampered", "the check cell raised an error whose display was suppressed")
    return result("passed", " ".join(dict.fromkeys(lines)) or "passed")


def tampering_by_cell(nb, run: Run, guard_report: dict | None, submitted: dict, released: dict) -> dict:
    """``{grade_id: [reasons]}`` from the guard's report and the submitted cells."""
    cut_short = bool(run.unfinished)
    reasons: dict[str, list[str]] = {}
    for cell in nb.cells:
        if not is_graded_cell(cell):
            continue
        grade_id = nbgrader_meta(cell)["grade_id"]
        found = []
        if guard_report is None:
            if not cut_short:
                found.append("the grader's integrity check never reported (was it removed?)")
        elif grade_id in guard_report["cells"]:
            found += guard_report["cells"][grade_id]
        elif not cut_short:
            found.append("the grader's integrity check did not run after this cell")
        reason = forgery(submitted.get(grade_id), released.get(grade_id))
        if reason:
            found.append(reason)
        forged = stored_checkmarks(submitted.get(grade_id, {})) - stored_checkmarks(cell)
        if forged:
            found.append("the submitted notebook shows this check passing, but it does not pass "
                         "when graded (forged or stale output)")
        if found:
            reasons[grade_id] = found
    return reasons


def graded_cells_by_id(nb: nbformat.NotebookNode | None) -> dict:
    """``{grade_id: cell}`` for a notebook's graded cells (empty for None)."""
    return {nbgrader_meta(c).get("grade_id"): c for c in (nb.cells if nb else []) if is_graded_cell(c)}


def grade_notebook(
    path: Path,
    lab_id: str | None = None,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
    memory_limit_gb: float = DEFAULT_MEMORY_LIMIT_GB,
    protect: list[Path] | None = None,
) -> Report:
    """Grade one notebook (or solution source) against its lab's instructor version.

    Args:
        path: the ``.ipynb`` submission, a released lab, or a ``solutions/*.py`` source.
        lab_id: force the lab (otherwise from the notebook's metadata or file name).
        cell_timeout: seconds one cell may run.
        notebook_timeout: seconds the whole notebook may run.
        memory_limit_gb: address-space limit of the kernel (0 for none).
        protect: folders the notebook may not read, besides ``solutions/``
            (default: the notebook's own folder, where other submissions may be).

    Returns:
        The report; every graded cell of the instructor version has one result.

    Raises:
        NotebookError: the file cannot be graded at all (not a notebook, empty,
            another lab's, unknown lab).
    """
    start = time.monotonic()
    path = Path(path)
    student = read_notebook(path)
    lab = resolve_lab(path, student, lab_id)
    require_gradable(path, student, lab)
    instructor = lab.instructor_notebook()
    protected = [p.resolve() for p in (protect if protect is not None else [path.parent])]
    if lab.source is not None:
        protected.append(lab.source.parent.resolve())
    with tempfile.TemporaryDirectory(prefix="course-grade-") as workdir:
        report_path = Path(workdir) / "guard.json"
        nb = with_guard(merge_answers(instructor, student), report_path, protected)
        run = run_cells(nb, Path(workdir), cell_timeout, notebook_timeout, memory_limit_gb)
        guard_report = json.loads(report_path.read_text()) if report_path.exists() else None
    released = graded_cells_by_id(read_notebook(lab.released) if lab.released else None)
    submitted = graded_cells_by_id(student) if path.suffix == ".ipynb" else {}
    tampering = tampering_by_cell(nb, run, guard_report, submitted, released)
    cells = [
        cell_result(cell, index, run, cell_timeout, tampering.get(nbgrader_meta(cell)["grade_id"], []))
        for index, cell in enumerate(nb.cells)
        if is_graded_cell(cell)
    ]
    return Report(
        lab=lab.id,
        notebook=str(path),
        score=sum(c.points for c in cells),
        max_score=sum(c.max_points for c in cells),
        runtime_s=round(time.monotonic() - start, 2),
        cells=cells,
    )
