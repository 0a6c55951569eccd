"""What grading produces: statuses, one result per graded cell, one report per notebook.

A graded check cell ends in one :class:`CellStatus`; a notebook (a gradebook
row) in one :class:`RowStatus`, the worst thing that happened to any of its
cells. Both are plain data so that reports travel between processes as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class CellStatus(str, Enum):
    """How one graded check cell ended."""

    PASSED = "passed"  # ran without error: full points
    FAILED = "failed"  # a check raised CheckFailed (or the cell wrote to stderr)
    NOT_ATTEMPTED = "not_attempted"  # the answer is still the NotImplementedError stub
    ERROR = "error"  # any other exception, or the kernel died before it ran
    TIMEOUT = "timeout"  # did not finish in time
    TAMPERED = "tampered"  # the notebook interfered with grading; the evidence is in the message


class RowStatus(str, Enum):
    """How grading one submission ended, worst first after ``GRADED``."""

    GRADED = "graded"  # every cell ran to its end
    INVALID = "invalid"  # not a notebook, empty, too large: nothing ran
    WRONG_LAB = "wrong_lab"  # another lab's notebook: nothing ran
    TAMPERED = "tampered"  # the notebook interfered with grading
    CRASHED = "crashed"  # the kernel or the grading process died
    TIMEOUT = "timeout"  # a cell (answer or check) or the whole notebook ran out of time
    OUT_OF_MEMORY = "out_of_memory"  # a cell ran out of memory (MemoryError) and the kernel survived


ROW_PRIORITY = (RowStatus.TAMPERED, RowStatus.CRASHED, RowStatus.TIMEOUT, RowStatus.OUT_OF_MEMORY)


@dataclass
class CellResult:
    """The outcome of one graded cell."""

    grade_id: str
    status: str
    points: float
    max_points: float
    message: str


@dataclass(frozen=True)
class Incident:
    """Something that went wrong in one cell, answer cells included.

    Attributes:
        status: the row status it stands for (timeout, out_of_memory, crashed).
        cell: the cell's grade_id, or ``cell N`` for an unnamed cell.
        message: one line saying what happened.
    """

    status: str
    cell: str
    message: str


@dataclass
class Report:
    """The outcome of grading one notebook.

    ``to_dict`` is the JSON of ``course check --json``; ``incidents`` and
    ``notes`` (things the instructor should see that cost no points) travel with
    the report into the gradebook and the feedback.
    """

    lab: str
    notebook: str
    score: float
    max_score: float
    runtime_s: float
    cells: list[CellResult] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The report in the ``course check --json`` contract (no incidents or notes)."""
        data = asdict(self)
        del data["incidents"], data["notes"]
        return data

    def to_record(self) -> dict:
        """Everything in the report, as JSON-ready data (for caches and workers)."""
        return asdict(self)

    @classmethod
    def from_record(cls, data: dict) -> "Report":
        """The inverse of :meth:`to_record`.

        Raises:
            TypeError, KeyError: the data is not a report record.
        """
        data = dict(data)
        cells = [CellResult(**c) for c in data.pop("cells")]
        incidents = [Incident(**i) for i in data.pop("incidents")]
        return cls(**data, cells=cells, incidents=incidents)

    def row_status(self) -> str:
        """One short status for a gradebook row, with the reason after a colon."""
        tampered = next((c for c in self.cells if c.status == CellStatus.TAMPERED), None)
        for status in ROW_PRIORITY:
            if status == RowStatus.TAMPERED and tampered:
                return f"tampered: {tampered.grade_id}: {tampered.message}"
            incident = next((i for i in self.incidents if i.status == status), None)
            if incident:
                return f"{status.value}: {incident.cell}: {incident.message}"
        return RowStatus.GRADED.value
