"""Grade one notebook: restore the instructor's cells, screen and run it, read the results.

Everything the grading needs from the instructor (the instructor's notebook,
the released lab, what to keep hidden) is read into :class:`GradingInputs`
before any student code runs and passed down, so nothing a submission does
while it runs can change how it, or the next one, is graded.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from course.build import notebook_release
from course.grader import integrity, reading, screen
from course.grader.kernel import Limits, PrivateFolder, run_cells
from course.grader.results import CellStatus, Report
from course.i18n import notebook_language, translate
from course.grader.sandbox import Sandbox
from course.labs import (
    Lab,
    NotebookError,
    is_answer_cell,
    is_graded_cell,
    nbgrader_meta,
    notebook_lab_id,
    parse_notebook,
    read_notebook,
)


@dataclass(frozen=True)
class GradingInputs:
    """The instructor's side of grading one lab, read once.

    Attributes:
        lab_id: the lab.
        instructor: the instructor's notebook (solutions and hidden tests), as a dict.
        released: the released student notebook, as a dict (None when there is none).
        released_zh: the Chinese edition of the released notebook, as a dict (None when there is none).
        protected: folders the notebook may not read (the solutions, other submissions).
        hidden: folders the sandbox must not show (the course folder, the submissions, the home).
    """

    lab_id: str
    instructor: dict
    released: dict | None
    protected: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    released_zh: dict | None = None

    @classmethod
    def from_lab(cls, lab: Lab, protect: list[Path] = (), hide: list[Path] = ()) -> "GradingInputs":
        """Read a lab's instructor inputs now.

        Args:
            lab: the lab.
            protect: more folders the notebook may not read (besides ``solutions/``).
            hide: more folders the sandbox must not show (besides the course folder and the home).
        """
        protected = [Path(p).resolve() for p in protect]
        hidden = [Path(p).resolve() for p in hide] + [Path.home().resolve()]
        if lab.source is not None:
            protected.append(lab.source.parent.resolve())
            hidden.append(lab.source.parent.parent.resolve())
        if lab.released is not None and lab.released.parent.name == "labs":  # a course folder's labs/
            hidden.append(lab.released.parent.parent.resolve())
        released = read_notebook(lab.released) if lab.released else None
        chinese = lab.released.parent / "zh" / lab.released.name if lab.released else None  # labs/zh/
        chinese = read_notebook(chinese) if chinese and chinese.is_file() else None
        return cls(lab.id, dict(lab.instructor_notebook()), dict(released) if released else None,
                   tuple(dict.fromkeys(map(str, protected))), tuple(dict.fromkeys(map(str, hidden))),
                   dict(chinese) if chinese else None)

    def instructor_notebook(self) -> nbformat.NotebookNode:
        """A fresh copy of the instructor's notebook."""
        return nbformat.from_dict(self.instructor)

    def digest(self) -> str:
        """A hash of what grading reads from the instructor (for cache keys)."""
        return hashlib.sha256(json.dumps([self.lab_id, self.instructor, self.released, self.released_zh],
                                         sort_keys=True).encode()).hexdigest()


@dataclass
class Answers:
    """A submission's answer cells, made ready to run.

    Attributes:
        sources: ``{grade_id: code to run}``: shell lines and magics skipped, flagged cells not run.
        findings: ``{grade_id: [what the screen found]}``.
        notes: what the instructor should see (skipped shell lines, ...).
    """

    sources: dict[str, str]
    findings: dict[str, list[str]]
    notes: list[str]


def prepare_answers(student: nbformat.NotebookNode) -> Answers:
    """Skip shell lines and magics in the answer cells, and screen them.

    A cell the screen flags is not run at all (it prints why instead), so a
    bypass in it never takes effect; its checks are graded ``tampered``.
    """
    sources, findings, notes = {}, {}, []
    for cell in student.cells:
        if not is_answer_cell(cell):
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in sources:
            continue
        source, skipped = screen.neutralize_shell(cell.source)
        notes += [f"{grade_id}: skipped `{s}` (shell commands and magics do not run while grading)" for s in skipped]
        found = [str(f) for f in screen.screen(source)]
        if found:
            findings[grade_id] = found
            source = f"print({('grader: this answer cell was not run: it ' + '; '.join(found))!r})"
        sources[grade_id] = source
    return Answers(sources, findings, notes)


def require_gradable(name: str, student: nbformat.NotebookNode, inputs: GradingInputs) -> None:
    """Refuse an empty notebook, another lab's, or one whose answer cells all belong to another lab.

    Raises:
        NotebookError: with status ``invalid`` or ``wrong_lab``.
    """
    if not student.cells:
        raise NotebookError(f"{name}: the notebook is empty (no cells)")
    stored = notebook_lab_id(student)
    if stored and stored != inputs.lab_id:
        raise NotebookError(f"{name}: this notebook is {stored}, not {inputs.lab_id}", "wrong_lab")
    mine = answer_ids(inputs.instructor_notebook())
    theirs = answer_ids(student)
    if theirs and not theirs & mine:
        raise NotebookError(f"{name}: none of its answer cells belong to {inputs.lab_id}; "
                            "is it another lab's notebook?", "wrong_lab")


def answer_ids(nb: nbformat.NotebookNode) -> set[str]:
    """The grade_ids of a notebook's answer cells."""
    return {nbgrader_meta(c).get("grade_id") for c in nb.cells if is_answer_cell(c)}


def merge_answers(instructor: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The instructor's notebook with the student's answer code put in by ``grade_id``.

    An answer cell the submission lacks runs empty, so its check reports the missing name.
    """
    merged = nbformat.from_dict(instructor)
    for cell in merged.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_answer_cell(cell):
            cell.source = answers.get(nbgrader_meta(cell)["grade_id"], "")
    return merged


def graded_cells_by_id(nb: nbformat.NotebookNode | None) -> dict:
    """``{grade_id: cell}`` for a notebook's graded cells (empty for None)."""
    return {nbgrader_meta(c).get("grade_id"): c for c in (nb.cells if nb else []) if is_graded_cell(c)}


def submission_notes(student: nbformat.NotebookNode, inputs: GradingInputs, cells) -> list[str]:
    """Notes about the submission's own check cells: edited metadata, stored ``✔`` that
    did not pass again. They cost nothing: the instructor's cells are what ran."""
    released = inputs.released_zh if notebook_language(student) == "zh" else inputs.released
    released = nbformat.from_dict(released) if released else None
    theirs, mine = notebook_release(student), notebook_release(released) if released else None
    notes = []
    if theirs and mine and theirs != mine:
        notes.append(f"made from an earlier release of the lab ({theirs}; now {mine}): "
                     "its cells' metadata was not compared")
        released = None
    submitted, released_cells = graded_cells_by_id(student), graded_cells_by_id(released)
    for result in cells:
        edits = integrity.metadata_edits(submitted.get(result.grade_id), released_cells.get(result.grade_id))
        if edits:
            notes.append(f"{result.grade_id}: its nbgrader metadata was edited ({', '.join(edits)}); "
                         "ignored, the instructor's cell was graded")
        cell = submitted.get(result.grade_id)
        if cell is not None and integrity.shows_passing(cell) and result.status != CellStatus.PASSED:
            notes.append(f"{result.grade_id}: the submitted notebook showed this check passing; "
                         f"graded here it is {result.status}")
    return notes


def grade_notebook(path: Path, inputs: GradingInputs, limits: Limits, sandbox: Sandbox,
                   content: bytes | None = None) -> Report:
    """Grade one notebook (or solution source) against its lab's instructor version.

    Args:
        path: the ``.ipynb`` submission, a released lab, or a ``solutions/*.py`` source.
        inputs: the instructor's side, read before this call.
        limits: time, memory and disk limits of the kernel.
        sandbox: the box the kernel runs in.
        content: the notebook's bytes, when they were read already (``path`` then only names it).

    Returns:
        The report; every graded cell of the instructor version has one result.

    Raises:
        NotebookError: the file cannot be graded at all (not a notebook, empty, another lab's).
    """
    start = time.monotonic()
    path = Path(path)
    student = parse_notebook(content, path.name) if content is not None else read_notebook(path)
    require_gradable(path.name, student, inputs)
    answers = prepare_answers(student)
    language = notebook_language(student)
    merged = merge_answers(inputs.instructor_notebook(), answers.sources)
    owners = integrity.checks_after_answers(merged)
    key = integrity.new_key()
    with tempfile.TemporaryDirectory(prefix="course-grade-") as folder:
        private = PrivateFolder(Path(folder))
        key_file = private / "work" / ".guard-key"
        key_file.write_bytes(key)
        nb = integrity.with_guard(merged, str(key_file), list(inputs.protected), str(private.root))
        run = run_cells(nb, private, limits, sandbox, [Path(h) for h in inputs.hidden], language)
    guard = integrity.read_guard(nb, key)
    flagged = {check: answers.findings[answer] for answer, checks in owners.items()
               if answer in answers.findings for check in checks}
    cells, notes = [], list(answers.notes)
    for index, cell in enumerate(nb.cells):
        if not is_graded_cell(cell):
            continue
        grade_id = nbgrader_meta(cell)["grade_id"]
        evidence = [f"the answer cell {answer_of(owners, grade_id)} {f}" for f in flagged.get(grade_id, [])]
        report = guard.get(grade_id)
        if report is not None:
            evidence += report.tampering
            notes += report.notes
        elif index not in run.unfinished and index + 1 not in run.unfinished:  # +1: the guard's own cell
            evidence.append("the grader's integrity check did not report after this cell")
        result = reading.cell_result(cell, index, run, limits.cell_timeout, evidence)
        result.message = translate(result.message, language)  # the grader's own words; the checks' are already
        cells.append(result)
    if path.suffix == ".ipynb":
        notes += submission_notes(student, inputs, cells)
    return Report(
        lab=inputs.lab_id,
        notebook=str(path),
        score=sum(c.points for c in cells),
        max_score=sum(c.max_points for c in cells),
        runtime_s=round(time.monotonic() - start, 2),
        cells=cells,
        incidents=[replace(i, message=translate(i.message, language))
                   for i in reading.incidents(nb, run, limits.cell_timeout, limits.notebook_timeout)],
        notes=list(dict.fromkeys(notes)),
    )


def answer_of(owners: dict[str, list[str]], grade_id: str) -> str:
    """The answer cell a check cell belongs to."""
    return next((f"`{answer}`" for answer, checks in owners.items() if grade_id in checks), "above")
