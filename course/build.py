"""Build the student notebooks in ``labs/`` from the instructor sources in ``solutions/``.

The conversion runs nbgrader's own preprocessors in the order
``nbgrader generate_assignment`` uses (minus its database step), so a source
handed to nbgrader gives the same student notebook as ``course build``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from course.labs import Lab, discover_labs, read_source


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


def expected_lab(lab: Lab) -> str:
    """The text ``labs/<id>.ipynb`` must have for the lab's current source."""
    return render(student_notebook(read_source(lab.source)))


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
    (root / "labs").mkdir(exist_ok=True)
    for lab in discover_labs(root).values():
        if lab.source is None or (only and lab.id not in only):
            continue
        target = root / "labs" / f"{lab.id}.ipynb"
        text = expected_lab(lab)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(lab.id)
            if not check:
                target.write_text(text, encoding="utf-8")
    return changed


def export_nbgrader_sources(root: Path, nbgrader_course: Path, only: list[str] | None = None) -> list[Path]:
    """Write each instructor notebook to ``<nbgrader_course>/source/<id>/<id>.ipynb``.

    ``nbgrader generate_assignment <id>`` run there produces the same student
    notebook as ``course build``.

    Returns:
        The paths written.
    """
    written = []
    for lab in discover_labs(root).values():
        if lab.source is None or (only and lab.id not in only):
            continue
        target = Path(nbgrader_course) / "source" / lab.id / f"{lab.id}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(read_source(lab.source)), encoding="utf-8")
        written.append(target)
    return written
