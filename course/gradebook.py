"""Grade a folder of submissions into one CSV gradebook (``course grade``).

Each submission is graded in its own kernel (``--jobs`` at a time); a broken
or hostile one gets a row saying what happened and never stops the batch.
Results are cached beside the gradebook, keyed by the submission's bytes,
the instructor's version and the grading options, so rerunning the command
gives the same CSV and only grades what changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm.auto import tqdm

import course
from course.grading import CellResult, Report, grade_notebook
from course.labs import Lab, NotebookError

CELL_PROBLEMS = ("tampered", "timeout")  # row statuses taken from cell statuses, worst first


@dataclass
class Options:
    """How to grade each submission."""

    cell_timeout: float
    notebook_timeout: float
    memory_limit_gb: float


def find_submissions(folder: Path, lab_id: str) -> dict[str, Path]:
    """Map each student to their notebook.

    Accepts nbgrader's ``submitted/<student>/<lab>/*.ipynb`` layout (the folder
    given may be ``submitted/`` or its parent) and a flat folder of
    ``<student>.ipynb`` files (the student is the file name).

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


def row_status(report: Report | NotebookError) -> str:
    """One short status for a gradebook row, with the reason when something went wrong."""
    if isinstance(report, NotebookError):
        return f"{report.status}: {report}"
    for problem in CELL_PROBLEMS:
        cell = next((c for c in report.cells if c.status == problem), None)
        if cell:
            return f"{problem}: {cell.grade_id}: {cell.message}"
    died = next((c for c in report.cells if "kernel died" in c.message), None)
    if died:
        return f"crashed: {died.message}"
    return "graded"


def gradebook_rows(results: dict[str, Report | NotebookError], lab: Lab) -> tuple[list[str], list[list]]:
    """The CSV header and one row per student; ``max_score`` from the instructor's version."""
    graded = lab.graded_cells()
    max_score = sum(cell.points for cell in graded)
    header = ["student", "score", "max_score", "status", "runtime_s", *[c.grade_id for c in graded]]
    rows = []
    for student, report in results.items():
        points = {} if isinstance(report, NotebookError) else {c.grade_id: c.points for c in report.cells}
        score = sum(points.values())
        runtime = 0 if isinstance(report, NotebookError) else report.runtime_s
        rows.append([student, f"{score:g}", f"{max_score:g}", row_status(report), runtime,
                     *[f"{points.get(c.grade_id, 0):g}" for c in graded]])
    return header, rows


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that readers see either the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(header: list[str], rows: list[list]) -> str:
    """A CSV document as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def feedback_text(student: str, lab: Lab, report: Report | NotebookError) -> str:
    """A student's feedback: per-cell status, points and message (no hidden test code)."""
    lines = [f"# {lab.id}: feedback for {student}", ""]
    if isinstance(report, NotebookError):
        return "\n".join(lines + [f"Your notebook could not be graded: {report}", ""])
    lines += [f"Score: {report.score:g} / {report.max_score:g}", "",
              "| check | status | points | message |", "|---|---|---|---|"]
    for c in report.cells:
        message = c.message.replace("|", "\\|")
        lines.append(f"| {c.grade_id} | {c.status} | {c.points:g} / {c.max_points:g} | {message} |")
    return "\n".join(lines + [""])


def cache_key(notebook: Path, lab: Lab, options: Options) -> str:
    """What a cached result depends on: the submission, the instructor's version,
    the code that grades it (the lab's checks, the engine) and the grading options."""
    digest = hashlib.sha256(notebook.read_bytes())
    digest.update(json.dumps(lab.instructor_notebook(), sort_keys=True).encode())
    package = Path(course.__file__).parent
    for module in ("checks/core.py", f"checks/{lab.id}.py", "grading.py", "guard.py", "labs.py"):
        if (package / module).exists():
            digest.update((package / module).read_bytes())
    digest.update(json.dumps([course.__version__, asdict(options)]).encode())
    return digest.hexdigest()


def grade_one(notebook: Path, lab_id: str, options: Options, protect: list[Path]) -> Report | NotebookError:
    """Grade one submission; any failure of the grader itself becomes a row, not a crash."""
    try:
        return grade_notebook(notebook, lab_id, options.cell_timeout, options.notebook_timeout,
                              options.memory_limit_gb, protect)
    except NotebookError as error:
        return error
    except Exception as error:  # noqa: BLE001 - the batch must go on
        return NotebookError(f"{notebook.name}: the grader failed on it ({type(error).__name__}: {error})",
                             "error")


def to_cache(result: Report | NotebookError) -> dict:
    """A result as JSON-ready data."""
    if isinstance(result, NotebookError):
        return {"error": str(result), "status": result.status}
    return result.to_dict()


def from_cache(data: dict) -> Report | NotebookError:
    """The inverse of :func:`to_cache`."""
    if "error" in data:
        return NotebookError(data["error"], data["status"])
    cells = [CellResult(**c) for c in data.pop("cells")]
    return Report(**data, cells=cells)


def grade_folder(folder: Path, lab: Lab, out: Path, options: Options, jobs: int = 1,
                 feedback: Path | None = None, regrade: bool = False) -> dict[str, Report | NotebookError]:
    """Grade every submission in ``folder`` for ``lab``; write the gradebook (and feedback).

    Args:
        folder: nbgrader's ``submitted/`` layout or a flat folder of ``<student>.ipynb``.
        lab: the lab being graded.
        out: the CSV to write (atomically); a cache is kept beside it.
        options: timeouts and memory limit for each submission.
        jobs: submissions graded at the same time.
        feedback: a folder for one ``<student>.md`` feedback file each.
        regrade: ignore cached results.

    Returns:
        ``{student: Report, or NotebookError for a submission that could not be graded}``.
    """
    out = Path(out)
    cache_path = out.with_name(f".{out.name}.cache.json")
    cache = {} if regrade or not cache_path.exists() else json.loads(cache_path.read_text())
    submissions = find_submissions(folder, lab.id)
    keys = {student: cache_key(path, lab, options) for student, path in submissions.items()}
    results = {s: from_cache(dict(cache[keys[s]])) for s in submissions if keys[s] in cache}
    todo = {s: p for s, p in submissions.items() if s not in results}
    protect = [Path(folder).resolve()]
    with tqdm(total=len(submissions), initial=len(results), unit="nb") as bar:
        if todo:
            workers = max(1, min(jobs, len(todo)))  # spawn: never fork a process with TF threads
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = {pool.submit(grade_one, path, lab.id, options, protect): s for s, path in todo.items()}
                for future in as_completed(futures):
                    student = futures[future]
                    results[student] = future.result()
                    bar.write(f"{student}: {row_status(results[student])}")
                    bar.update()
    results = dict(sorted(results.items()))
    write_atomically(out, csv_text(*gradebook_rows(results, lab)))
    write_atomically(cache_path, json.dumps({keys[s]: to_cache(r) for s, r in results.items()}, indent=1))
    if feedback:
        for student, result in results.items():
            write_atomically(Path(feedback) / f"{student}.md", feedback_text(student, lab, result))
    return results
