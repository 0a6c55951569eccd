"""The ``course`` command: list, build, check, grade, doctor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course.labs import NotebookError, discover_labs, find_course_root

EXIT_CANNOT_GRADE = 2


def fail(message: str) -> int:
    """Print a one-line error to stderr and return the 'cannot do it' exit code."""
    print(f"course: {message}", file=sys.stderr)
    return EXIT_CANNOT_GRADE


def cmd_list(args) -> int:
    """Print the labs, their graded cells and graded objects."""
    labs = discover_labs()
    if not labs:
        return fail("no course folder found (no solutions/ or labs/ here or above)")
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


def cmd_build(args) -> int:
    """Regenerate labs/ from solutions/ (or, with --check, report staleness)."""
    from course.build import build

    root = find_course_root()
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


def print_report(report) -> None:
    """Print one notebook's report as a small table."""
    print(f"{report.lab}  {report.notebook}  score {report.score:g}/{report.max_score:g}"
          f"  ({report.runtime_s:.1f} s)")
    width = max((len(c.grade_id) for c in report.cells), default=0)
    for c in report.cells:
        print(f"  {c.grade_id:<{width}}  {c.status:<13} {c.points:g}/{c.max_points:g}  {c.message}")


def cmd_check(args) -> int:
    """Grade one notebook, a solution source, or every lab in a folder."""
    from course.grading import grade_notebook

    target = Path(args.notebook)
    if target.is_dir():
        paths = sorted([*target.glob("lab*.ipynb"), *target.glob("lab*.py")])
        if not paths:
            return fail(f"{target}: no lab notebooks (lab*.ipynb) or sources (lab*.py) in this folder")
    else:
        paths = [target]
    reports = []
    for path in paths:
        try:
            reports.append(grade_notebook(path, args.lab, args.timeout, args.notebook_timeout,
                                          args.memory_limit))
        except NotebookError as error:
            return fail(str(error))
        if not args.json:
            print_report(reports[-1])
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
    from course.gradebook import Options, grade_folder

    labs = discover_labs()
    if args.lab not in labs:
        return fail(f"unknown lab {args.lab!r} (known: {', '.join(labs) or 'none found'})")
    if not Path(args.submissions).is_dir():
        return fail(f"{args.submissions}: not a folder")
    options = Options(args.timeout, args.notebook_timeout, args.memory_limit)
    results = grade_folder(Path(args.submissions), labs[args.lab], Path(args.out), options,
                           args.jobs, Path(args.feedback) if args.feedback else None, args.regrade)
    print(f"graded {len(results)} submission(s) into {args.out}")
    return 0


def cmd_doctor(args) -> int:
    """Print versions, devices and data availability."""
    from course.doctor import print_report as print_doctor

    print_doctor()
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    from course.grading import DEFAULT_CELL_TIMEOUT, DEFAULT_MEMORY_LIMIT_GB, DEFAULT_NOTEBOOK_TIMEOUT

    top = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="the labs, their graded cells and objects")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("build", help="regenerate labs/ from solutions/")
    p.add_argument("labs", nargs="*", help="lab ids to build (default: every lab)")
    p.add_argument("--check", action="store_true", help="exit 1 if labs/ is stale; write nothing")
    p.add_argument("--nbgrader", metavar="COURSE_DIR",
                   help="instead, write the instructor notebooks to COURSE_DIR/source/<lab>/ "
                        "for nbgrader generate_assignment")
    p.set_defaults(run=cmd_build)

    def timeouts(p, lab_required=False):
        p.add_argument("--lab", required=lab_required, help="the lab id" +
                       ("" if lab_required else " (default: from the notebook)"))
        p.add_argument("--timeout", type=float, default=DEFAULT_CELL_TIMEOUT,
                       help=f"seconds one cell may run (default {DEFAULT_CELL_TIMEOUT})")
        p.add_argument("--notebook-timeout", type=float, default=DEFAULT_NOTEBOOK_TIMEOUT,
                       help=f"seconds a whole notebook may run (default {DEFAULT_NOTEBOOK_TIMEOUT})")
        p.add_argument("--memory-limit", type=float, default=DEFAULT_MEMORY_LIMIT_GB, metavar="GB",
                       help=f"address-space limit of the kernel in GB, 0 for none "
                            f"(default {DEFAULT_MEMORY_LIMIT_GB})")

    p = sub.add_parser("check", help="grade one notebook, solution source, or folder of labs")
    p.add_argument("notebook", help="a .ipynb, a solutions/*.py source, or a folder")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    timeouts(p)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("grade", help="grade a folder of submissions into a CSV")
    p.add_argument("submissions", help="nbgrader's submitted/ layout or a flat folder of <student>.ipynb")
    p.add_argument("--out", default="gradebook.csv", help="the CSV to write (default gradebook.csv)")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--feedback", metavar="DIR", help="write one <student>.md feedback file per student")
    p.add_argument("--regrade", action="store_true", help="ignore results cached from earlier runs")
    timeouts(p, lab_required=True)
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("doctor", help="versions, devices and data availability")
    p.set_defaults(run=cmd_doctor)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` console script."""
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
