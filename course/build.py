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

LANGUAGES = ("en", "zh")

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


def instructor_notebook(lab: Lab, lang: str = "en") -> nbformat.NotebookNode:
    """A lab's instructor notebook in one language (Chinese from ``solutions/zh/<id>.po``).

    Raises:
        KeyError: (Chinese) a markdown cell has no finished translation.
    """
    nb = read_source(lab.source)
    if lang == "en":
        return nb
    from course import i18n, translations  # noqa: PLC0415 - Babel is an instructor's dependency

    return translations.chinese_notebook(nb, i18n.read_catalog(translations.prose_path(lab.source.parent.parent, lab.id)))


def expected_lab(lab: Lab, lang: str = "en") -> str:
    """The text ``labs/[zh/]<id>.ipynb`` must have for the lab's current source (with its release id)."""
    return render(_release(instructor_notebook(lab, lang))[1])


def lab_path(root: Path, lab_id: str, lang: str = "en") -> Path:
    """Where a released lab lives: ``labs/<id>.ipynb``, the Chinese one in ``labs/zh/``."""
    return Path(root) / "labs" / ("zh" if lang == "zh" else "") / f"{lab_id}.ipynb"


def build(root: Path, check: bool = False, only: list[str] | None = None) -> list[str]:
    """Regenerate every ``labs/<id>.ipynb`` and ``labs/zh/<id>.ipynb`` from ``solutions/``.

    A lab gets its Chinese notebook once it has a prose catalog (``solutions/zh/<id>.po``);
    from then on a markdown cell without a finished translation is an error.

    Args:
        root: the course folder.
        check: only compare; write nothing.
        only: lab ids to build (default: all).

    Returns:
        The labs that were stale (with ``check``) or rewritten, as ``<id>`` or ``zh/<id>``.

    Raises:
        SystemExit: a Chinese markdown cell is missing or older than its English cell.
    """
    from course import translations  # noqa: PLC0415

    changed, untranslated = [], []
    for lab in discover_labs(root).values():
        if lab.source is None or (only and lab.id not in only):
            continue
        languages = ["en"]
        catalog = translations.prose_path(root, lab.id)
        if catalog.is_file():
            missing = translations.problems(catalog, [t for _, t in translations.prose_entries(read_source(lab.source))])
            untranslated += missing
            languages += [] if missing else ["zh"]
        for lang in languages:
            target = lab_path(root, lab.id, lang)
            text = expected_lab(lab, lang)
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                changed.append(lab.id if lang == "en" else f"zh/{lab.id}")
                if not check:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
    if untranslated:
        raise SystemExit("Chinese translations missing or stale (run `course translations`, then translate):\n  "
                         + "\n  ".join(untranslated))
    return changed


def export_nbgrader_sources(root: Path, nbgrader_course: Path, only: list[str] | None = None) -> list[Path]:
    """Write each instructor notebook to ``<nbgrader_course>/source/<id>/<id>.ipynb``, and the
    Chinese one, where the lab has it, to ``source/<id>_zh/<id>.ipynb``.

    ``nbgrader generate_assignment <id>`` (or ``<id>_zh``) run there produces the same student
    notebook as ``course build``: the source carries the release id
    (``metadata.course.release``), which nbgrader passes through unchanged.

    Returns:
        The paths written.
    """
    written = []
    for lab in discover_labs(root).values():
        if lab.source is None or (only and lab.id not in only):
            continue
        for lang in LANGUAGES:
            if lang != "en" and not lab_path(root, lab.id, lang).is_file():
                continue
            assignment = lab.id if lang == "en" else f"{lab.id}_{lang}"
            target = Path(nbgrader_course) / "source" / assignment / f"{lab.id}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(_release(instructor_notebook(lab, lang))[0]), encoding="utf-8")
            written.append(target)
    return written
