"""Grade a folder of submissions into one CSV gradebook (``course grade``).

Each submission is graded in a worker process of its own, by a runner: a local pool
(``--jobs`` at a time) or the workers of a Dask cluster (``--cluster``, see
:mod:`~course.grader.cluster`); a broken or hostile one gets a row saying what happened and never
stops the batch or changes another row. Results are cached beside the
gradebook, keyed by everything a result depends on, so rerunning the command
gives the same CSV and only grades what changed. The cache also keeps the roster and
how the batch was graded, so the class report can be drawn from it again (``course report``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Protocol

from tqdm.auto import tqdm

import course
from course.data import data_dir
from course.grader.engine import GradingInputs
from course.grader.kernel import Limits
from course.grader.results import Report
from course.grader.sandbox import Sandbox
from course.grader.worker import Job, from_record, grade_in_worker, result_record
from course.labs import MAX_NOTEBOOK_BYTES, GradedCell, NotebookError, graded_cells, too_large

VERSIONED = ("tensorflow", "keras", "numpy", "nbclient", "jupyter_client", "ipykernel", "ipython")
CACHE_FORMAT = 2
CHECKPOINT_S = 60  # while a batch runs, its results so far are cached at least this often


@dataclass(frozen=True)
class Options:
    """How to grade each submission: the kernel's limits and its box."""

    limits: Limits
    sandbox: Sandbox


class Runner(Protocol):
    """Where a batch's submissions are graded.

    Attributes:
        slots: submissions graded at the same time.
        cluster: the Dask scheduler's address, or None on this machine.
    """

    slots: int
    cluster: str | None

    def grade(self, jobs: dict[str, Job]) -> Iterator[tuple[str, Report | NotebookError]]:
        """Grade ``{student: job}``, yielding ``(student, result)`` as each one finishes."""


class LocalPool:
    """A runner on this machine: ``jobs`` worker processes at a time."""

    cluster = None

    def __init__(self, jobs: int = 1):
        self.slots = max(1, jobs)

    def grade(self, jobs: dict[str, Job]) -> Iterator[tuple[str, Report | NotebookError]]:
        """See :meth:`Runner.grade`."""
        with ThreadPoolExecutor(min(self.slots, len(jobs))) as pool:
            futures = {pool.submit(grade_in_worker, job): student for student, job in jobs.items()}
            for future in as_completed(futures):
                yield futures[future], future.result()


def find_submissions(folder: Path, lab_id: str) -> dict[str, Path]:
    """Map each student to their notebook.

    Accepts nbgrader's ``submitted/<student>/<lab>/*.ipynb`` layout (the folder
    given may be ``submitted/`` or its parent; the Chinese edition's assignment is
    ``<lab>_zh``) and a flat folder of ``<student>.ipynb`` files (the student is the file name).

    Returns:
        ``{student: notebook path}``, sorted by student.
    """
    folder = Path(folder)
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    found: dict[str, Path] = {}
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        notebooks = sorted((student_dir / lab_id).glob("*.ipynb")) or sorted((student_dir / f"{lab_id}_zh").glob("*.ipynb"))
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


def library_versions() -> dict[str, str | None]:
    """``{distribution: version, or None when absent}`` of the libraries that run a notebook."""
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def grading_code_digest() -> str:
    """A hash of everything in this package that decides a grade: all of ``course/``,
    the bundled data, and the versions of the libraries that run the notebook."""
    digest = hashlib.sha256()
    package = Path(course.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    for path in sorted(p for p in data_dir().iterdir() if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    for name, version in library_versions().items():
        digest.update((f"{name}=={version}" if version else f"{name} absent").encode())
    return digest.hexdigest()


def cache_path(out: Path) -> Path:
    """The cache kept beside a gradebook: ``.<name>.cache.json``."""
    out = Path(out)
    return out.with_name(f".{out.name}.cache.json")


def cache_key(content: bytes, inputs_digest: str, code_digest: str, options: Options) -> str:
    """What a cached result depends on: the submission's bytes, the instructor's inputs,
    the grading code, the grading options (limits and sandbox) and a ``COURSE_LANG`` override
    (the language of the messages)."""
    digest = hashlib.sha256(content)
    digest.update(json.dumps([inputs_digest, code_digest, asdict(options.limits), options.sandbox.kind,
                              course.__version__, os.environ.get("COURSE_LANG", "")]).encode())
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


def cache_text(keys: dict[str, str], results: dict[str, Report | NotebookError], batch: dict) -> str:
    """The cache file's text: this batch's results by key, the roster ``[[student, key], ...]``
    in gradebook order and the batch record (see :func:`batch_record`)."""
    entries = {}
    for student, result in results.items():
        record = result_record(result)
        entries[keys[student]] = {"result": record, "check": entry_check(keys[student], record)}
    return json.dumps({"format": CACHE_FORMAT, "entries": entries, "students": [[s, keys[s]] for s in results],
                       "batch": batch}, indent=1, sort_keys=True)


def batch_record(folder: Path, inputs: GradingInputs, options: Options, runner: Runner, regrade: bool,
                 reused: int, finished: bool = True) -> dict:
    """How a batch was graded, as JSON-ready data: the lab and its graded cells, when, the
    course, Python and library versions, the options (``jobs``: how many at a time, ``cluster``:
    the Dask scheduler or None), how many results came from the cache, and whether it finished."""
    return {"lab": inputs.lab_id, "cells": [asdict(c) for c in graded_cells(inputs.instructor_notebook())],
            "graded_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "folder": str(Path(folder).resolve()), "course": course.__version__,
            "python": platform.python_version(), "versions": library_versions(),
            "options": {**asdict(options.limits), "sandbox": asdict(options.sandbox), "jobs": runner.slots,
                        "cluster": runner.cluster, "regrade": regrade},
            "reused": reused, "finished": finished}


def read_graded(out: Path, warn) -> tuple[dict[str, Report | NotebookError], dict]:
    """Every student's result and the batch record, from the cache beside a gradebook.

    Args:
        out: the gradebook CSV; a student list or score there that differs from the cache
            (a hand edit) gets one warning.
        warn: called with each one-line warning.

    Returns:
        ``({student: result} in gradebook order, the batch record of :func:`batch_record`)``.

    Raises:
        ValueError: no cache, one written before it kept the roster, one of a batch that did not
            finish, or one without a usable result for every student (one line).
    """
    out, path = Path(out), cache_path(out)
    again = f"grade again: course grade ... --out {out}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        students, batch = {str(s): str(key) for s, key in data["students"]}, dict(data["batch"])
        cells = [GradedCell(str(c["grade_id"]), float(c["points"])) for c in batch["cells"]]
    except FileNotFoundError:
        raise ValueError(f"{out}: no grading cache beside it ({path.name}); {again}") from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise ValueError(f"{path}: unreadable, or written by a version without reports; {again}") from None
    if not batch.get("finished", True):
        raise ValueError(f"{path.name}: its batch was stopped before it finished; {again}")
    cached = load_cache(path, {c.grade_id: c.points for c in cells}, lambda line: None)
    missing = [student for student, key in students.items() if key not in cached]
    if missing:
        raise ValueError(f"{path.name}: no usable result for {len(missing)} student(s) "
                         f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}); {again}")
    results = {student: cached[key] for student, key in students.items()}
    if out.exists() and csv_scores(out) != {s: f"{score_of(r):g}" for s, r in results.items()}:
        warn(f"course: {out.name} differs from its cache (edited by hand?); the report shows the grader's results")
    return results, batch


def score_of(result: Report | NotebookError) -> float:
    """A result's score in the gradebook: the report's, 0 when it could not be graded."""
    return result.score if isinstance(result, Report) else 0.0


def csv_scores(out: Path) -> dict[str, str] | None:
    """``{student: score as written}`` of a gradebook CSV, or None when it cannot be read as one."""
    try:
        with Path(out).open(encoding="utf-8", newline="") as handle:
            return {row["student"]: row["score"] for row in csv.DictReader(handle)}
    except (OSError, UnicodeDecodeError, KeyError):
        return None


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
                 feedback: Path | None = None, regrade: bool = False,
                 runner: Runner | None = None) -> dict[str, Report | NotebookError]:
    """Grade every submission in ``folder``; write the gradebook, its cache (and feedback).

    Args:
        folder: nbgrader's ``submitted/`` layout or a flat folder of ``<student>.ipynb``.
        inputs: the instructor's side of the lab, read before any submission runs.
        out: the CSV to write (atomically); a cache is kept beside it.
        options: limits and sandbox for each submission.
        jobs: submissions graded at the same time on this machine (when no ``runner`` is given).
        feedback: a folder for one ``<student>.md`` feedback file each.
        regrade: ignore cached results.
        runner: where to grade (default: ``LocalPool(jobs)``); a Dask cluster's is
            :class:`course.grader.cluster.Cluster`.

    Returns:
        ``{student: Report, or NotebookError for a submission that could not be graded}``.

    While the batch runs, the results so far are cached every :data:`CHECKPOINT_S` seconds and
    when it is stopped (Ctrl-C, a lost scheduler), so that a rerun grades only what is missing.
    """
    out, runner = Path(out), runner or LocalPool(jobs)
    lab_points = {c.grade_id: c.points for c in graded_cells(inputs.instructor_notebook())}
    cache = {} if regrade else load_cache(cache_path(out), lab_points, warn)
    code_digest, inputs_digest = grading_code_digest(), inputs.digest()
    contents = {student: read_submission(path) for student, path in find_submissions(folder, inputs.lab_id).items()}
    keys = {s: cache_key(c if isinstance(c, bytes) else str(c).encode(), inputs_digest, code_digest, options)
            for s, c in contents.items()}
    results: dict[str, Report | NotebookError] = {s: c for s, c in contents.items() if isinstance(c, NotebookError)}
    reused = {s: cache[keys[s]] for s in contents if s not in results and keys[s] in cache}
    results.update(reused)
    todo = {s: Job(f"{s}.ipynb", c, inputs, options.limits, options.sandbox)
            for s, c in contents.items() if s not in results}

    def save(finished: bool) -> None:
        batch = batch_record(folder, inputs, options, runner, regrade, len(reused), finished)
        write_atomically(cache_path(out), cache_text(keys, dict(sorted(results.items())), batch))

    saved = time.monotonic()
    with tqdm(total=len(contents), initial=len(results), unit="nb") as bar:
        try:
            for student, result in runner.grade(todo) if todo else ():
                results[student] = result
                bar.write(f"{student}: {row_status(result)}")
                bar.update()
                if time.monotonic() - saved > CHECKPOINT_S:
                    save(finished=False)
                    saved = time.monotonic()
        except BaseException:
            save(finished=False)
            raise
    results = dict(sorted(results.items()))
    write_atomically(out, csv_text(*gradebook_rows(results, inputs)))
    save(finished=True)
    if feedback:
        for student, result in results.items():
            write_atomically(Path(feedback) / f"{student}.md", feedback_text(student, inputs.lab_id, result))
    return results
