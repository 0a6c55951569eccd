"""Integrity, on the grader's side: the guard's cells, reading its signed reports,
and what a submission's own cells say about it.

Nothing here costs an honest student points. Stored outputs and edited
nbgrader metadata are never evidence by themselves (the instructor's cells
are what runs): they become notes for the instructor. What counts as
tampering is what the guard saw change while the notebook ran, and what the
static screen (:mod:`course.grader.screen`) found in an answer cell.
"""

from __future__ import annotations

import ast
import json
import secrets
from dataclasses import dataclass, field

import nbformat

from course.grader.guard import MARK, sign
from course.labs import defined_names, is_answer_cell, is_graded_cell, nbgrader_meta

GUARD_METADATA = "course_guard"
NBGRADER_KEYS = ("grade", "grade_id", "locked", "points", "solution", "checksum")


@dataclass
class GuardReport:
    """What the guard reported after one graded cell."""

    tampering: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def new_key() -> bytes:
    """A fresh signing key for one run's guard."""
    return secrets.token_bytes(32)


def with_guard(nb: nbformat.NotebookNode, key_file: str, protected: list[str],
               private: str = "") -> nbformat.NotebookNode:
    """Insert the guard's cells: install first, snapshot after Setup, verify after each graded cell.

    Args:
        nb: the merged notebook (instructor cells, student answers).
        key_file: where the kernel finds the signing key (deleted once read).
        protected: folders the notebook may not read.
        private: the run's own folder, readable even when it lies in a protected one.
    """
    name = f"_course_guard_{secrets.token_hex(6)}"

    def guard_cell(source: str):
        return nbformat.v4.new_code_cell(source, metadata={GUARD_METADATA: True})

    setup = next((c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "setup"),
                 next((c for c in nb.cells if c.cell_type == "code"), None))
    cells = [guard_cell(f"import course.grader.guard\n{name} = course.grader.guard.install("
                        f"{key_file!r}, {protected!r}, {private!r})")]
    for cell in nb.cells:
        cells.append(cell)
        if cell is setup:
            used = names_in_checks(nb)
            names = [n for n in defined_names(cell.source, imports=True) if n in used]
            cells.append(guard_cell(f"{name}('snapshot', globals(), {names!r})"))
        elif is_graded_cell(cell):
            cells.append(guard_cell(f"{name}('verify', {nbgrader_meta(cell)['grade_id']!r})"))
    guarded = nbformat.from_dict(nb)
    guarded.cells = cells
    return guarded


def names_in_checks(nb: nbformat.NotebookNode) -> set[str]:
    """Every name the graded check cells use: rebinding one of the Setup cell's names
    matters to grading only when a check cell uses it (``checks``, not ``layers``)."""
    used: set[str] = set()
    for cell in nb.cells:
        if is_graded_cell(cell):
            try:
                used |= {node.id for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Name)}
            except SyntaxError:
                continue
    return used


def is_guard_cell(cell) -> bool:
    """True for a cell the grader inserted."""
    return bool(cell.get("metadata", {}).get(GUARD_METADATA))


def read_guard(nb: nbformat.NotebookNode, key: bytes) -> dict[str, GuardReport]:
    """The guard's reports by grade_id, from the verify cells' outputs.

    A report counts only when its signature matches, it names the cell it
    follows, and its sequence number is higher than the last one's (a replayed
    report is not); anything else is ignored, so a forged or suppressed report
    comes to a missing one.
    """
    reports: dict[str, GuardReport] = {}
    expected, last_seq = None, 0
    for cell in nb.cells:
        if is_graded_cell(cell):
            expected = nbgrader_meta(cell)["grade_id"]
            continue
        if not is_guard_cell(cell) or expected is None:
            continue
        for line in stream_text(cell).splitlines():
            parsed = parse_report(line, key, expected, last_seq)
            if parsed is not None:
                last_seq, reports[expected] = parsed
                break
        expected = None
    return reports


def parse_report(line: str, key: bytes, grade_id: str, after_seq: int) -> tuple[int, GuardReport] | None:
    """One signed report line as ``(sequence number, report)``, or None when it is not a
    genuine report for ``grade_id`` numbered above ``after_seq``."""
    if not line.startswith(MARK + " "):
        return None
    payload, _, signature = line[len(MARK) + 1:].rpartition(" ")
    if not secrets.compare_digest(sign(key, payload), signature):
        return None
    try:
        data = json.loads(payload)
    except json.JSONDecodeError:
        return None
    seq = data.get("seq")
    if data.get("cell") != grade_id or not isinstance(seq, int) or seq <= after_seq:
        return None
    return seq, GuardReport(list(data.get("tampering", [])), list(data.get("notes", [])))


def stream_text(cell) -> str:
    """All stdout a cell printed."""
    return "".join(str(o.get("text", "")) for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def shows_passing(cell) -> bool:
    """True when a submitted check cell's stored output shows a ``✔`` line."""
    return any(line.strip().startswith("✔") for line in stream_text(cell).splitlines())


def metadata_edits(submitted, released) -> list[str]:
    """The nbgrader keys whose values a submitted cell changed from the released cell."""
    if submitted is None or released is None:
        return []
    mine, theirs = nbgrader_meta(released), nbgrader_meta(submitted)
    return [key for key in NBGRADER_KEYS if key in mine and theirs.get(key) != mine.get(key)]


def checks_after_answers(nb: nbformat.NotebookNode) -> dict[str, list[str]]:
    """``{answer grade_id: [grade_ids of the check cells after it, up to the next answer cell]}``."""
    owners: dict[str, list[str]] = {}
    current = None
    for cell in nb.cells:
        if is_answer_cell(cell):
            current = nbgrader_meta(cell).get("grade_id")
            owners.setdefault(current, [])
        elif is_graded_cell(cell) and current is not None:
            owners[current].append(nbgrader_meta(cell)["grade_id"])
    return owners
