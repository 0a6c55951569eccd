"""Build the student notebooks in ``labs/`` from the instructor sources in ``solutions/``.

The conversion runs nbgrader's own preprocessors in the order
``nbgrader generate_assignment`` uses (minus its database step), so a source
handed to nbgrader gives the same student notebook as ``course build``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import nbformat

from course.labs import Lab, discover_labs, read_source

RELEASE_ID = re.compile(r"[0-9a-f]{12}")


def _preprocessors() -> list:
    """nbgrader's generate_assignment pipeline, without the gradebook database step."""
    try:
        from nbgrader import preprocessors as nbp
    except ImportError:
        raise SystemExit(
            "course build needs nbgrader: pip install 'keras-course[instructor]'"
        ) from None
    return [
        nbp.LockCells(),
        nbp.ClearSolutions(),
        nbp.ClearOutput(),
        nbp.CheckCellMetadata(),
        nbp.ComputeChecksums(),
        nbp.ClearHiddenTests(),
        nbp.ClearMarkScheme(),
        nbp.ComputeChecksums(),
        nbp.CheckCellMetadata(),
    ]


def student_notebook(instructor: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Turn an instructor notebook into the student version.

    Solutions become ``# YOUR CODE HERE`` + ``raise NotImplementedError()``,
    hidden tests are removed, outputs cleared, checksums computed and
    check cells locked.

    Args:
        instructor: the notebook read from a solution source (it is not modified).

    Returns:
        A new notebook.
    """
    nb = nbformat.from_dict(instructor)
    resources: dict = {}
    for preprocessor in _preprocessors():
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook the same way every time (sorted keys, trailing newline)."""
    return nbformat.writes(nb, version=4) + "\n"


def release_id(student: nbformat.NotebookNode) -> str:
    """The release id of a student notebook: the first 12 hex digits of the sha256 of its
    rendered text without ``metadata.course.release``.

    Rebuilding an unchanged lab gives the same id; any change to what students receive
    (prose, stubs, points, checksums) gives a new one. An existing release key is ignored,
    so the id of a released notebook is the id it was released with.
    """
    nb = nbformat.from_dict(student)
    course = nb.get("metadata", {}).get("course")
    if isinstance(course, dict):
        course.pop("release", None)
    return hashlib.sha256(render(nb).encode("utf-8")).hexdigest()[:12]


def notebook_release(nb: nbformat.NotebookNode) -> str | None:
    """The release id stored in a notebook (``metadata.course.release``): 12 lowercase hex
    digits, else None (a notebook built before release ids, or a tampered value)."""
    metadata = nb.get("metadata") if isinstance(nb, dict) else None
    course = metadata.get("course") if isinstance(metadata, dict) else None
    release = course.get("release") if isinstance(course, dict) else None
    return release if isinstance(release, str) and RELEASE_ID.fullmatch(release) else None


def _release(instructor: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The instructor and student notebooks of one release, both carrying its release id."""
    student = student_notebook(instructor)
    release = release_id(student)
    instructor = nbformat.from_dict(instructor)
    for nb in (instructor, student):
        nb.metadata.setdefault("course", {})["release"] = release
    return instructor, student


def expected_lab(lab: Lab) -> str:
    """The text ``labs/<id>.ipynb`` must have for the lab's current source (with its release id)."""
    return render(_release(read_source(lab.source))[1])


def build(root: Path, check: bool = False, only: list[str] | None = None) -> list[str]:
    """Regenerate every ``labs/<id>.ipynb`` from ``solutions/<id>.py``.

    Args:
        root: the course folder.
        check: only compare; write nothing.
        only: lab ids to build (default: all).

    Returns:
        The ids of the labs that were stale (with ``check``) or rewritten.
    """
    changed = []
    for lab in discover_labs(root).values():
        if lab.source is None or (only and lab.id not in only):
            continue
        target = root / "labs" / f"{lab.id}.ipynb"
        text = expected_lab(lab)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(lab.id)
            if not check:
                target.parent.mkdir(exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return changed


def export_nbgrader_sources(root: Path, nbgrader_course: Path, only: list[str] | None = None) -> list[Path]:
    """Write each instructor notebook to ``<nbgrader_course>/source/<id>/<id>.ipynb``.

    ``nbgrader generate_assignment <id>`` run there produces the same student
    notebook as ``course build``: the source carries the release id
    (``metadata.course.release``), which nbgrader passes through unchanged.

    Returns:
        The paths written.
    """
    written = []
    for lab in discover_labs(root).values():
        if lab.source is None or (only and lab.id not in only):
            continue
        target = Path(nbgrader_course) / "source" / lab.id / f"{lab.id}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(_release(read_source(lab.source))[0]), encoding="utf-8")
        written.append(target)
    return written
