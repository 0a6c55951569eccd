"""Grade a folder of submissions into one CSV gradebook (``course grade``).

Each submission is graded in a worker process of its own (``--jobs`` at a
time); a broken or hostile one gets a row saying what happened and never
stops the batch or changes another row. Results are cached beside the
gradebook, keyed by everything a result depends on, so rerunning the command
gives the same CSV and only grades what changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from tqdm.auto import tqdm

import course
from course.data import data_dir
from course.grader.engine import GradingInputs
from course.grader.kernel import Limits
from course.grader.results import Report
from course.grader.sandbox import Sandbox
from course.grader.worker import Job, from_record, grade_in_worker, result_record
from course.labs import MAX_NOTEBOOK_BYTES, NotebookError, graded_cells, too_large

VERSIONED = ("tensorflow", "keras", "numpy", "nbclient", "jupyter_client", "ipykernel", "ipython")
CACHE_FORMAT = 2


@dataclass(frozen=True)
class Options:
    """How to grade each submission: the kernel's limits and its box."""

    limits: Limits
    sandbox: Sandbox


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


def row_status(result: Report | NotebookError) -> str:
    """One short status for a gradebook row, with the reason when something went wrong."""
    if isinstance(result, NotebookError):
        return f"{result.status}: {result}"
    return result.row_status()


def gradebook_rows(results: dict[str, Report | NotebookError], inputs: GradingInputs) -> tuple[list[str], list[list]]:
    """The CSV header and one row per student; ``max_score`` from the instructor's version."""
    graded = graded_cells(inputs.instructor_notebook())
    max_score = sum(cell.points for cell in graded)
    header = ["student", "score", "max_score", "status", "runtime_s", "notes", *[c.grade_id for c in graded]]
    rows = []
    for student, result in results.items():
        report = result if isinstance(result, Report) else None
        points = {c.grade_id: c.points for c in report.cells} if report else {}
        rows.append([student, f"{sum(points.values()):g}", f"{max_score:g}", row_status(result),
                     report.runtime_s if report else 0, " | ".join(report.notes) if report else "",
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


def feedback_text(student: str, lab_id: str, result: Report | NotebookError) -> str:
    """A student's feedback: status, per-cell points and message, notes (no hidden test code)."""
    lines = [f"# {lab_id}: feedback for {student}", ""]
    if isinstance(result, NotebookError):
        return "\n".join(lines + [f"Your notebook could not be graded: {result}", ""])
    lines += [f"Score: {result.score:g} / {result.max_score:g}", f"Status: {result.row_status()}", "",
              "| check | status | points | message |", "|---|---|---|---|"]
    for c in result.cells:
        message = c.message.replace("|", "\\|")
        lines.append(f"| {c.grade_id} | {c.status} | {c.points:g} / {c.max_points:g} | {message} |")
    if result.incidents or result.notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {i.cell}: {i.status}: {i.message}" for i in result.incidents]
        lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines + [""])


def grading_code_digest() -> str:
    """A hash of everything in this package that decides a grade: all of ``course/``,
    the bundled data, and the versions of the libraries that run the notebook."""
    digest = hashlib.sha256()
    package = Path(course.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    for path in sorted(p for p in data_dir().iterdir() if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    for name in VERSIONED:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent".encode())
    return digest.hexdigest()


def cache_key(content: bytes, inputs_digest: str, code_digest: str, options: Options) -> str:
    """What a cached result depends on: the submission's bytes, the instructor's inputs,
    the grading code and the grading options (limits and sandbox)."""
    digest = hashlib.sha256(content)
    digest.update(json.dumps([inputs_digest, code_digest, asdict(options.limits), options.sandbox.kind,
                              course.__version__]).encode())
    return digest.hexdigest()


def entry_check(key: str, record: dict) -> str:
    """The checksum stored with a cache entry: it ties the result to its key."""
    return hashlib.sha256((key + json.dumps(record, sort_keys=True)).encode()).hexdigest()


def load_cache(path: Path, lab_points: dict[str, float], warn) -> dict[str, Report | NotebookError]:
    """Read cached results; a corrupt or edited cache is ignored with one warning.

    Args:
        path: the cache file.
        lab_points: ``{grade_id: points}`` of the lab's graded cells.
        warn: called with each one-line warning.

    An entry is used only when its checksum matches and its report is
    consistent with the lab (the same graded cells and maximum points, points within them).
    """
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT:
            raise ValueError("another format")
        entries = data["entries"]
        if not isinstance(entries, dict):
            raise TypeError("entries")
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        warn(f"course: ignoring the unreadable grading cache {path.name}; everything is graded again")
        return {}
    cached, rejected = {}, 0
    for key, entry in entries.items():
        try:
            if entry_check(key, entry["result"]) != entry["check"]:
                raise ValueError("checksum")
            result = from_record(entry["result"])
            if isinstance(result, Report) and not consistent(result, lab_points):
                raise ValueError("inconsistent")
        except (ValueError, TypeError, KeyError, AttributeError):
            rejected += 1
            continue
        cached[key] = result
    if rejected:
        warn(f"course: ignoring {rejected} cache entr{'y' if rejected == 1 else 'ies'} in {path.name} "
             "that do not check out; those submissions are graded again")
    return cached


def consistent(report: Report, lab_points: dict[str, float]) -> bool:
    """True when a report covers exactly the lab's graded cells, with the lab's maximum
    points and points within them."""
    return ({c.grade_id: c.max_points for c in report.cells} == lab_points
            and len(report.cells) == len(lab_points)
            and all(0 <= c.points <= c.max_points for c in report.cells)
            and abs(report.score - sum(c.points for c in report.cells)) < 1e-9)


def cache_text(keys: dict[str, str], results: dict[str, Report | NotebookError]) -> str:
    """The cache file's text for this batch's results."""
    entries = {}
    for student, result in results.items():
        record = result_record(result)
        entries[keys[student]] = {"result": record, "check": entry_check(keys[student], record)}
    return json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1, sort_keys=True)


def read_submission(path: Path) -> bytes | NotebookError:
    """A submission's bytes, or why they cannot be read."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return too_large(path.name)
        return path.read_bytes()
    except OSError as error:
        return NotebookError(f"{path.name}: cannot be read ({error.strerror})")


def warn(line: str) -> None:
    """Print a one-line warning to stderr."""
    print(line, file=sys.stderr)


def grade_folder(folder: Path, inputs: GradingInputs, out: Path, options: Options, jobs: int = 1,
                 feedback: Path | None = None, regrade: bool = False) -> dict[str, Report | NotebookError]:
    """Grade every submission in ``folder``; write the gradebook (and feedback).

    Args:
        folder: nbgrader's ``submitted/`` layout or a flat folder of ``<student>.ipynb``.
        inputs: the instructor's side of the lab, read before any submission runs.
        out: the CSV to write (atomically); a cache is kept beside it.
        options: limits and sandbox for each submission.
        jobs: submissions graded at the same time.
        feedback: a folder for one ``<student>.md`` feedback file each.
        regrade: ignore cached results.

    Returns:
        ``{student: Report, or NotebookError for a submission that could not be graded}``.
    """
    out = Path(out)
    cache_path = out.with_name(f".{out.name}.cache.json")
    lab_points = {c.grade_id: c.points for c in graded_cells(inputs.instructor_notebook())}
    cache = {} if regrade else load_cache(cache_path, lab_points, warn)
    code_digest, inputs_digest = grading_code_digest(), inputs.digest()
    contents = {student: read_submission(path) for student, path in find_submissions(folder, inputs.lab_id).items()}
    keys = {s: cache_key(c if isinstance(c, bytes) else str(c).encode(), inputs_digest, code_digest, options)
            for s, c in contents.items()}
    results: dict[str, Report | NotebookError] = {s: c for s, c in contents.items() if isinstance(c, NotebookError)}
    results.update({s: cache[keys[s]] for s in contents if s not in results and keys[s] in cache})
    todo = {s: c for s, c in contents.items() if s not in results}
    with tqdm(total=len(contents), initial=len(results), unit="nb") as bar:
        if todo:
            with ThreadPoolExecutor(max(1, min(jobs, len(todo)))) as pool:
                futures = {pool.submit(grade_in_worker, Job(f"{s}.ipynb", content, inputs, options.limits,
                                                            options.sandbox)): s for s, content in todo.items()}
                for future in as_completed(futures):
                    student = futures[future]
                    results[student] = future.result()
                    bar.write(f"{student}: {row_status(results[student])}")
                    bar.update()
    results = dict(sorted(results.items()))
    write_atomically(out, csv_text(*gradebook_rows(results, inputs)))
    write_atomically(cache_path, cache_text(keys, results))
    if feedback:
        for student, result in results.items():
            write_atomically(Path(feedback) / f"{student}.md", feedback_text(student, inputs.lab_id, result))
    return results
