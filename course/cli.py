"""The ``course`` command: list, start, build, check, grade, report, doctor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course.checks.core import one_line
from course.labs import NotebookError, discover_labs, find_course_root, packaged_labs

EXIT_CANNOT_GRADE = 2


def fail(message: str) -> int:
    """Print a one-line error to stderr and return the 'cannot do it' exit code."""
    print(f"course: {message}", file=sys.stderr)
    return EXIT_CANNOT_GRADE


PACKAGED_NOTE = ("course: no course folder here, so this is the lab shipped with the package: "
                 "visible checks only (your instructor's grade adds hidden tests)")


def course_labs(explicit: str | None) -> tuple[dict, bool]:
    """The labs to work with: the course folder's, or else the ones shipped in the package.

    Returns:
        ``({lab_id: Lab}, True when they are the packaged ones)``.
    """
    root = find_course_root(Path(explicit) if explicit else None)
    labs = discover_labs(root) if root else {}
    return (labs, False) if labs else (packaged_labs(), True)


def cmd_list(args) -> int:
    """Print the labs, their graded cells and graded objects."""
    labs, _ = course_labs(args.course)
    if not labs:
        return fail("no labs found: no course folder here or above, and none shipped with the package")
    if args.lang == "zh":
        chinese = chinese_labs(labs)
        missing = sorted(set(labs) - set(chinese))
        if missing:
            return fail(f"no Chinese edition of {', '.join(missing)} yet")
        labs = chinese
    listing = [
        {
            "lab": lab.id,
            "title": lab.title(),
            "cells": [{"grade_id": c.grade_id, "points": c.points} for c in lab.graded_cells()],
            "objects": lab.graded_objects(),
        }
        for lab in labs.values()
    ]
    if args.json:
        print(json.dumps(listing, indent=2))
        return 0
    for entry in listing:
        points = sum(c["points"] for c in entry["cells"])
        print(f"{entry['lab']}  {entry['title']}  ({len(entry['cells'])} checks, {points:g} points)")
        print(f"    objects: {', '.join(entry['objects'])}")
    return 0


def chinese_labs(labs: dict) -> dict:
    """The Chinese edition of the given labs: their released notebooks in ``labs/zh/``."""
    from course.labs import Lab

    found = {}
    for lab_id, lab in labs.items():
        released = lab.released.parent / "zh" / lab.released.name if lab.released else None
        if released and released.is_file():
            found[lab_id] = Lab(lab_id, None, released)
    return found


def fresh_copy_path(folder: Path, lab_id: str) -> Path:
    """The first free name for a fresh copy: ``<lab>-fresh.ipynb``, then ``<lab>-fresh-2.ipynb``, ..."""
    names = (f"{lab_id}-fresh.ipynb", *(f"{lab_id}-fresh-{n}.ipynb" for n in range(2, 10_000)))
    return next(folder / name for name in names if not (folder / name).exists())


def cmd_start(args) -> int:
    """Copy released labs into a folder for a student to work in, never over their work."""
    import shutil

    labs = packaged_labs(args.lang)
    wanted = list(labs) if args.all else args.labs
    if not wanted:
        return fail("name the labs to start (see `course list`), or pass --all")
    unknown = [lab_id for lab_id in wanted if lab_id not in labs]
    if unknown:
        return fail(f"unknown lab(s): {', '.join(unknown)} (known: {', '.join(labs) or 'none'})")
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    for lab_id in wanted:
        target = folder / f"{lab_id}.ipynb"
        if target.exists():
            if not args.fresh:
                print(f"kept {target}: your notebook is never overwritten "
                      f"(a fresh copy beside it: course start {lab_id} --fresh)")
                continue
            target = fresh_copy_path(folder, lab_id)
        shutil.copyfile(labs[lab_id].released, target)
        print(f"wrote {target}")
    return 0


def cmd_translations(args) -> int:
    """Bring the Chinese catalogs up to date with the English sources (or list the gaps)."""
    from course import translations

    root = find_course_root(args.course)
    if root is None or not (root / "solutions").is_dir():
        return fail("no solutions/ folder found here or above")
    if not args.check:
        for path in translations.update_all(root, args.labs):
            print(f"updated {path}")
    missing = translations.all_problems(root)
    for line in missing:
        print(f"  {line}")
    print(f"{len(missing)} Chinese text(s) missing or stale" if missing else "every Chinese text is up to date")
    return 1 if missing and args.check else 0


def cmd_build(args) -> int:
    """Regenerate labs/ from solutions/ (or, with --check, report staleness)."""
    from course.build import build

    root = find_course_root(args.course)
    if root is None or not (root / "solutions").is_dir():
        return fail("no solutions/ folder found here or above")
    unknown = sorted(set(args.labs) - set(discover_labs(root)))
    if unknown:
        return fail(f"unknown lab(s): {', '.join(unknown)}")
    if args.nbgrader:
        from course.build import export_nbgrader_sources

        for path in export_nbgrader_sources(root, Path(args.nbgrader), args.labs):
            print(f"wrote {path}")
        return 0
    changed = build(root, check=args.check, only=args.labs)
    if args.check:
        if changed:
            print(f"labs/ is stale for: {', '.join(changed)} (run `course build`)")
            return 1
        print("labs/ is in sync with solutions/")
        return 0
    print(f"rebuilt {len(changed)} lab(s)" + (f": {', '.join(changed)}" if changed else ""))
    return 0


def print_report(report, lang: str = "en") -> None:
    """Print one notebook's report as a small table, then its incidents and notes; a Chinese
    notebook's statuses in Chinese (the messages already are)."""
    from course.i18n import translate

    print(f"{report.lab}  {report.notebook}  score {report.score:g}/{report.max_score:g}"
          f"  ({report.runtime_s:.1f} s)")
    width = max((len(c.grade_id) for c in report.cells), default=0)
    for c in report.cells:
        print(f"  {c.grade_id:<{width}}  {translate(c.status, lang):<13} {c.points:g}/{c.max_points:g}  {c.message}")
    for incident in report.incidents:
        print(f"  ! {incident.cell}: {incident.status}: {incident.message}")
    for note in report.notes:
        print(f"  note: {note}")


def grading_options(args, sandbox=None):
    """The kernel limits and the sandbox: ``sandbox`` when given (a cluster's workers chose it),
    else the one chosen here for ``--sandbox`` (warns when ``auto`` finds no box)."""
    from course.grader.kernel import Limits
    from course.grader.sandbox import choose

    sandbox = sandbox or choose(args.sandbox)
    if args.sandbox == "auto" and not sandbox.boxed:
        print(f"course: warning: {sandbox.reason}", file=sys.stderr)
    return Limits(args.timeout, args.notebook_timeout, args.memory_limit), sandbox


def resolve_lab(path: Path, nb, labs: dict, lab_id: str | None):
    """Which lab a notebook belongs to: ``--lab``, its metadata, or its file name.

    Raises:
        NotebookError: the lab cannot be told, or is not part of the course.
    """
    from course.labs import notebook_lab_id

    lab_id = lab_id or notebook_lab_id(nb) or path.stem
    if lab_id not in labs:
        known = ", ".join(labs) or "none found"
        raise NotebookError(f"{path.name}: cannot tell which lab this is ({lab_id!r} is not a lab; "
                            f"known labs: {known}); pass --lab")
    return labs[lab_id]


def cmd_check(args) -> int:
    """Grade one notebook, a solution source, or every lab in a folder."""
    from course.grader.engine import GradingInputs, grade_notebook
    from course.grader.sandbox import SandboxError
    from course.i18n import notebook_language
    from course.labs import read_notebook

    labs, packaged = course_labs(args.course)
    target = Path(args.notebook)
    if target.is_dir():
        paths = sorted([*target.glob("lab*.ipynb"), *target.glob("lab*.py")])
        if not paths:
            return fail(f"{target}: no lab notebooks (lab*.ipynb) or sources (lab*.py) in this folder")
    else:
        paths = [target]
    try:
        limits, sandbox = grading_options(args)
    except SandboxError as error:
        return fail(str(error))
    if packaged:
        print(PACKAGED_NOTE, file=sys.stderr)
    reports = []
    for path in paths:
        try:
            nb = read_notebook(path)
            lab = resolve_lab(path, nb, labs, args.lab)
            inputs = GradingInputs.from_lab(lab, protect=[path.parent.resolve()])
            reports.append(grade_notebook(path, inputs, limits, sandbox))
        except NotebookError as error:
            return fail(str(error))
        except Exception as error:  # noqa: BLE001 - a failure of the grader itself: one line, not a traceback
            return fail(f"{path.name}: the grader failed on it ({type(error).__name__}: {one_line(error)})")
        if not args.json:
            print_report(reports[-1], notebook_language(nb))
    if args.json:
        if len(reports) == 1:
            print(json.dumps(reports[0].to_dict()))
        else:
            print(json.dumps({
                "score": sum(r.score for r in reports),
                "max_score": sum(r.max_score for r in reports),
                "runtime_s": round(sum(r.runtime_s for r in reports), 2),
                "notebooks": [r.to_dict() for r in reports],
            }))
    elif target.is_dir():
        print(f"total  score {sum(r.score for r in reports):g}/{sum(r.max_score for r in reports):g}")
    return 0


def cmd_grade(args) -> int:
    """Grade a folder of submissions into a CSV gradebook."""
    from contextlib import ExitStack

    from course.grader.cluster import ClusterError, open_cluster
    from course.grader.engine import GradingInputs
    from course.grader.gradebook import LocalPool, Options, grade_folder, read_graded, warn
    from course.grader.report import write_report
    from course.grader.sandbox import SandboxError

    labs = discover_labs(find_course_root(args.course))
    if args.lab not in labs:
        return fail(f"unknown lab {args.lab!r} (known: {', '.join(labs) or 'none found'})")
    submissions = Path(args.submissions)
    if not submissions.is_dir():
        return fail(f"{submissions}: not a folder")
    with ExitStack() as stack:
        try:
            if args.cluster:
                runner = stack.enter_context(open_cluster(args.cluster, args.sandbox))
                limits, sandbox = grading_options(args, runner.sandbox)
            else:
                runner = LocalPool(args.jobs)
                limits, sandbox = grading_options(args)
        except (SandboxError, ClusterError) as error:
            return fail(str(error))
        try:
            inputs = GradingInputs.from_lab(labs[args.lab], protect=[submissions.resolve()],
                                            hide=[submissions.resolve()])
        except NotebookError as error:
            return fail(f"cannot read the instructor's lab: {error}")
        try:
            results = grade_folder(submissions, inputs, Path(args.out), Options(limits, sandbox),
                                   feedback=Path(args.feedback) if args.feedback else None, regrade=args.regrade,
                                   runner=runner)
        except ClusterError as error:
            return fail(f"{error} (the results so far are cached)")
    print(f"graded {len(results)} submission(s) into {args.out}")
    if args.report:
        write_report(Path(args.report), *read_graded(Path(args.out), warn))
        print(f"wrote the class report {args.report}")
    return 0


def cmd_report(args) -> int:
    """Redraw the class report of a graded folder from the cache beside its gradebook."""
    from course.grader.gradebook import read_graded, warn
    from course.grader.report import write_report

    try:
        results, batch = read_graded(Path(args.gradebook), warn)
    except ValueError as error:
        return fail(str(error))
    write_report(Path(args.out), results, batch)
    print(f"wrote the class report {args.out} ({len(results)} submission(s))")
    return 0


def cmd_doctor(args) -> int:
    """Print versions, devices, data availability and the grading sandbox."""
    from course.doctor import print_report as print_doctor

    print_doctor()
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    from course.grader.kernel import Limits
    from course.grader.sandbox import MODES

    defaults = Limits()
    top = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    def course_option(p):
        p.add_argument("--course", metavar="DIR", help="the course folder (default: $COURSE_ROOT, or the "
                       "nearest folder with solutions/ or labs/ at or above the working directory)")

    p = sub.add_parser("list", help="the labs, their graded cells and objects")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="zh: the Chinese edition's titles (中文版)")
    course_option(p)
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("start", help="copy released labs here to work in (never over your work)")
    p.add_argument("labs", nargs="*", help="lab ids (see `course list`)")
    p.add_argument("--all", action="store_true", help="every lab")
    p.add_argument("--dir", default=".", help="the folder to put them in (default: here)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="zh: the Chinese edition (中文版)")
    p.add_argument("--fresh", action="store_true", help="when a notebook is already there, "
                   "put a fresh copy beside it (<lab>-fresh.ipynb)")
    p.set_defaults(run=cmd_start)

    p = sub.add_parser("translations", help="refresh the Chinese catalogs from the sources; --check lists "
                                            "what is missing or stale")
    p.add_argument("labs", nargs="*", help="labs whose prose catalog to create or refresh (default: every lab)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when a translation is missing")
    course_option(p)
    p.set_defaults(run=cmd_translations)

    p = sub.add_parser("build", help="regenerate labs/ from solutions/")
    p.add_argument("labs", nargs="*", help="lab ids to build (default: every lab)")
    p.add_argument("--check", action="store_true", help="exit 1 if labs/ is stale; write nothing")
    p.add_argument("--nbgrader", metavar="COURSE_DIR",
                   help="instead, write the instructor notebooks to COURSE_DIR/source/<lab>/ "
                        "for nbgrader generate_assignment")
    course_option(p)
    p.set_defaults(run=cmd_build)

    def grading(p, lab_required=False):
        course_option(p)
        p.add_argument("--lab", required=lab_required, help="the lab id" +
                       ("" if lab_required else " (default: from the notebook)"))
        p.add_argument("--timeout", type=float, default=defaults.cell_timeout,
                       help=f"seconds one cell may run (default {defaults.cell_timeout:g})")
        p.add_argument("--notebook-timeout", type=float, default=defaults.notebook_timeout,
                       help=f"seconds a whole notebook may run (default {defaults.notebook_timeout:g})")
        p.add_argument("--memory-limit", type=float, default=defaults.memory_gb, metavar="GB",
                       help=f"memory the kernel may allocate, in GB, 0 for no limit (default {defaults.memory_gb:g})")
        p.add_argument("--sandbox", choices=MODES, default="auto",
                       help="run each kernel in a bubblewrap box: auto (when it works here), bwrap "
                            "(required), none (default auto)")

    p = sub.add_parser("check", help="grade one notebook, solution source, or folder of labs")
    p.add_argument("notebook", help="a .ipynb, a solutions/*.py source, or a folder")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    grading(p)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("grade", help="grade a folder of submissions into a CSV")
    p.add_argument("submissions", help="nbgrader's submitted/ layout or a flat folder of <student>.ipynb")
    p.add_argument("--out", default="gradebook.csv", help="the CSV to write (default gradebook.csv)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, default=1, help="submissions graded at once on this machine (default 1)")
    where.add_argument("--cluster", metavar="ADDRESS", help="grade on the workers of the Dask scheduler at ADDRESS "
                       "(tcp://host:8786), or on local:N worker processes here; needs keras-course[cluster]")
    p.add_argument("--feedback", metavar="DIR", help="write one <student>.md feedback file per student")
    p.add_argument("--regrade", action="store_true", help="ignore results cached from earlier runs")
    p.add_argument("--report", metavar="HTML", help="also write the class report, one offline HTML page")
    grading(p, lab_required=True)
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("report", help="redraw a graded folder's class report (one offline HTML page)")
    p.add_argument("gradebook", help="the CSV that `course grade` wrote (its cache is beside it)")
    p.add_argument("--out", default="report.html", help="the HTML page to write (default report.html)")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("doctor", help="versions, devices, data and the grading sandbox")
    p.set_defaults(run=cmd_doctor)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` console script."""
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
