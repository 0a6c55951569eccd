"""Where the labs live and what a lab notebook contains.

A course folder holds ``solutions/labNN_*.py`` (instructor sources, jupytext
percent format with nbgrader cell metadata) and ``labs/labNN_*.ipynb`` (the
student notebooks built from them). This module finds that folder, reads
either kind of file into an ``nbformat`` notebook and lists a lab's graded
cells and graded objects.
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

LAB_ID = re.compile(r"^lab\d\d_[a-z0-9_]+$")
MAX_NOTEBOOK_BYTES = 256 * 2**20
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# The first lines of every lab's Setup cell: where the helpers are missing, one line on how to get them.
INSTALL_HINT = '''try:  # the course helpers; without them this cell says in one line how to get them
    import course
except ModuleNotFoundError:
    class CourseHelpersMissing(Exception):
        def _render_traceback_(self):
            return ["The course helpers are not installed in this kernel: run `%pip install keras-course` "
                    "(or what your instructor gave you) in a cell, restart the kernel, then run this cell again."]
    raise CourseHelpersMissing() from None

'''


class NotebookError(ValueError):
    """A file that cannot be graded; the message is one line.

    Attributes:
        status: a short code for gradebooks: ``"invalid"`` (not a notebook, empty,
            unreadable), ``"wrong_lab"`` (a notebook of another lab) or ``"crashed"``
            (the grading process died or failed on it).
    """

    def __init__(self, message: str, status: str = "invalid"):
        super().__init__(message)
        self.status = status

    def __reduce__(self):
        return type(self), (str(self), self.status)


def too_large(name: str) -> NotebookError:
    """The error for a notebook over ``MAX_NOTEBOOK_BYTES``."""
    return NotebookError(f"{name}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MB; clear its outputs")


def find_course_root(explicit: Path | None = None) -> Path | None:
    """Find the course folder once, for a command: ``explicit`` (``--course``),
    else ``$COURSE_ROOT``, else the nearest folder holding ``solutions/`` or
    ``labs/`` at or above the working directory, else this package's own checkout.

    The submissions' folder is never searched: a stray ``labs/`` above it must
    not decide which course grades them.

    Returns:
        The folder, or None when no course folder can be found.
    """
    if explicit is not None:
        return Path(explicit).resolve()
    if os.environ.get("COURSE_ROOT"):
        return Path(os.environ["COURSE_ROOT"]).resolve()
    cwd = Path.cwd().resolve()
    checkout = Path(__file__).resolve().parent.parent
    for folder in [cwd, *cwd.parents, checkout]:
        if (folder / "solutions").is_dir() or (folder / "labs").is_dir():
            return folder
    return None


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata (empty dict when there is none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_answer_cell(cell) -> bool:
    """An answer cell: a code cell the student writes (nbgrader ``solution``)."""
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_graded_cell(cell) -> bool:
    """A graded check cell: a code cell with nbgrader ``grade`` and points."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def normalise(nb: nbformat.NotebookNode, lab_id: str) -> nbformat.NotebookNode:
    """Give a notebook the fixed metadata, stable cell ids and the Setup cell's install hint
    that every lab notebook has."""
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
            "course": {"lab": lab_id},
        }
    )
    for index, cell in enumerate(nb.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        cell["id"] = grade_id if grade_id else f"{cell.cell_type[:2]}-{index:03d}"
        if grade_id == "setup" and not cell.source.startswith(INSTALL_HINT):
            cell.source = INSTALL_HINT + cell.source
    return nb


def read_source(path: Path) -> nbformat.NotebookNode:
    """Read an instructor source (``solutions/labNN_*.py``) into a notebook.

    Returns:
        The instructor notebook: solutions and hidden tests included, no outputs.
    """
    import jupytext  # noqa: PLC0415 - only instructors' commands need it

    try:
        nb = jupytext.read(path, fmt="py:percent")
    except Exception as error:  # noqa: BLE001 - any parse failure becomes one line
        raise NotebookError(f"{path}: not a jupytext percent source ({error})") from None
    return normalise(nb, Path(path).stem)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a ``.ipynb`` (student submission or released lab) or a ``.py`` source.

    Raises:
        NotebookError: the file is missing, not UTF-8 JSON, or not a notebook.
    """
    path = Path(path)
    if not path.is_file():
        raise NotebookError(f"{path}: no such file")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise too_large(path.name)
    if path.suffix == ".py":
        return read_source(path)
    return parse_notebook(path.read_bytes(), path.name)


def parse_notebook(data: bytes, name: str) -> nbformat.NotebookNode:
    """Parse a ``.ipynb`` file's bytes (non-UTF-8 bytes are replaced).

    Args:
        data: the file's content.
        name: how to name the file in errors.

    Raises:
        NotebookError: too large, not JSON, or not a notebook.
    """
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise too_large(name)
    text = data.decode("utf-8", errors="replace")
    try:
        content = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise NotebookError(f"{name}: not a notebook (the file is not valid JSON)") from None
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        raise NotebookError(f"{name}: not a notebook (no list of cells)")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - any malformed notebook becomes one line
        raise NotebookError(f"{name}: not a notebook nbformat can read ({type(error).__name__})") from None
    for cell in nb.cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookError(f"{name}: not a notebook (a cell has no valid cell_type)")
        if not isinstance(cell.get("source", ""), str):
            cell["source"] = "".join(cell["source"]) if isinstance(cell["source"], list) else ""
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = nbformat.NotebookNode()
    return nb


def notebook_lab_id(nb: nbformat.NotebookNode) -> str | None:
    """The lab id stored in a notebook's metadata (``metadata.course.lab``), if any."""
    course = nb.get("metadata", {}).get("course", {})
    lab = course.get("lab") if isinstance(course, dict) else None
    return lab if isinstance(lab, str) and LAB_ID.match(lab) else None


@dataclass(frozen=True)
class GradedCell:
    """One graded check cell: its nbgrader id and how many points it is worth."""

    grade_id: str
    points: float


def graded_cells(nb: nbformat.NotebookNode) -> list[GradedCell]:
    """A notebook's graded check cells with their points, in notebook order."""
    return [GradedCell(nbgrader_meta(cell)["grade_id"], float(nbgrader_meta(cell).get("points", 0)))
            for cell in nb.cells if is_graded_cell(cell)]


@dataclass(frozen=True)
class Lab:
    """One lab of the course: its id, and its instructor and student files."""

    id: str
    source: Path | None
    released: Path | None

    def instructor_notebook(self) -> nbformat.NotebookNode:
        """The instructor's version: the solution source when present, else the released lab."""
        if self.source is not None:
            return read_source(self.source)
        return read_notebook(self.released)

    def title(self) -> str:
        """The lab's title: the first markdown heading of its notebook."""
        for cell in self.instructor_notebook().cells:
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("#"):
                        return line.lstrip("#").strip()
        return self.id

    def graded_cells(self) -> list[GradedCell]:
        """The graded check cells, in notebook order."""
        return graded_cells(self.instructor_notebook())

    def graded_objects(self) -> list[str]:
        """Names the answer cells define (functions, classes, constants), in order."""
        names = []
        for cell in self.instructor_notebook().cells:
            if is_answer_cell(cell):
                names += defined_names(cell.source)
        return names


def defined_names(source: str, imports: bool = False) -> list[str]:
    """Top-level names a cell's source binds: functions, classes, assignments (and imports).

    Args:
        source: the cell's code.
        imports: also list names bound by ``import`` statements.

    Returns:
        The names in order of first appearance; empty when the code does not parse.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif imports and isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(dict.fromkeys(names))


def discover_labs(root: Path | None = None) -> dict[str, Lab]:
    """All labs of a course folder, keyed by id, in order.

    Args:
        root: the course folder (default: :func:`find_course_root`).

    Returns:
        ``{lab_id: Lab}``; empty when no course folder is found.
    """
    root = root or find_course_root()
    if root is None:
        return {}
    sources = {p.stem: p for p in sorted((root / "solutions").glob("lab*.py"))}
    released = {p.stem: p for p in sorted((root / "labs").glob("lab*.ipynb"))}
    ids = sorted(i for i in {*sources, *released} if LAB_ID.match(i))
    return {i: Lab(i, sources.get(i), released.get(i)) for i in ids}


def packaged_labs(lang: str = "en") -> dict[str, Lab]:
    """The released labs shipped inside the package, keyed by id, in order (the Chinese
    edition, from its ``zh/`` folder, with ``lang="zh"``).

    They are ``labs/`` itself (packaged as ``course.released_labs``), so they are
    exactly what ``course build`` wrote: student notebooks with their visible
    checks, never the instructor's solutions or hidden tests.

    Returns:
        ``{lab_id: Lab}`` with no source; empty when the package ships no labs.
    """
    try:
        import course.released_labs as released  # noqa: PLC0415 - a data package, present when installed
    except ImportError:
        folder = Path(__file__).resolve().parent.parent / "labs"
    else:
        folder = Path(next(iter(released.__path__)))
    folder = folder / "zh" if lang == "zh" else folder
    return {p.stem: Lab(p.stem, None, p) for p in sorted(folder.glob("lab*.ipynb")) if LAB_ID.match(p.stem)}
