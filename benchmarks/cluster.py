"""Benchmark grading throughput: ``--jobs 1``, ``--jobs 2`` and ``--cluster local:2`` on one batch.

The batch is ``--submissions`` variants of lab01 (default 8), built from the released notebook
and the instructor's answers: submission *i* answers the first *i mod 7* answer cells and carries
a comment of its own, so the scores vary and no two files are alike. Each configuration grades
the whole batch into a fresh gradebook through ``course.grader.gradebook.grade_folder`` (no cache),
sandboxed as ``course grade`` would be; the three gradebooks must agree in every column but
``runtime_s``. For the cluster the start of the LocalCluster (scheduler, two worker processes,
the environment check) is timed apart from the grading.

Reported per configuration: wall time, submissions per minute, and the hours that 20,000
submissions of this size (2,000 students, ten labs) would take at that rate. Results go to
``benchmarks/results/cluster.json`` (git-ignored) unless ``--out`` says otherwise.

Usage::

    python benchmarks/cluster.py                     # 8 submissions, each configuration once
    python benchmarks/cluster.py --submissions 4     # a quick look
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

from labs import machine  # the sibling script: one description of the machine for every benchmark

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "cluster.json"
LAB = "lab01_perceptron"
COURSE_SUBMISSIONS = 2_000 * 10  # students x labs


def instructor_answers(lab) -> list[str]:
    """The instructor's code of each answer cell, in notebook order, solution markers removed."""
    from course.labs import is_answer_cell  # noqa: PLC0415

    return ["\n".join(line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                      and "### END SOLUTION" not in line)
            for cell in lab.instructor_notebook().cells if is_answer_cell(cell)]


def write_batch(lab, folder: Path, count: int) -> None:
    """Write ``count`` variants of the released lab, ``student01.ipynb`` ..., into ``folder``."""
    import nbformat  # noqa: PLC0415

    from course.labs import is_answer_cell, read_notebook  # noqa: PLC0415

    answers = instructor_answers(lab)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        nb = read_notebook(lab.released)
        cells = [cell for cell in nb.cells if is_answer_cell(cell)]
        for position, (cell, answer) in enumerate(zip(cells, answers)):
            if position < index % (len(answers) + 1):
                cell.source = f"# student {index + 1:02d}\n{answer}"
        nbformat.write(nb, folder / f"student{index + 1:02d}.ipynb")


def rows_without_runtime(out: Path) -> list[dict]:
    """The gradebook's rows, without ``runtime_s``."""
    with open(out, newline="", encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if k != "runtime_s"} for row in csv.DictReader(handle)]


def measure(name: str, folder: Path, inputs, limits, runner, sandbox, work: Path, startup_s: float = 0.0) -> dict:
    """Grade the batch once with ``runner``; its timings and gradebook."""
    from course.grader.gradebook import Options, grade_folder  # noqa: PLC0415

    out = work / f"{name.replace(' ', '_').replace(':', '_')}.csv"
    start = time.perf_counter()
    results = grade_folder(folder, inputs, out, Options(limits, sandbox), runner=runner)
    wall = time.perf_counter() - start
    print(f"  {name}: {len(results)} submissions in {wall:.1f} s", file=sys.stderr, flush=True)
    return {"configuration": name, "submissions": len(results), "startup_s": round(startup_s, 2),
            "wall_s": round(wall, 2), "per_minute": round(len(results) / wall * 60, 2),
            "course_hours": round(COURSE_SUBMISSIONS / (len(results) / wall) / 3600, 1),
            "rows": rows_without_runtime(out)}


def table(results: list[dict]) -> str:
    """A Markdown table of the configurations."""
    lines = ["| configuration | start-up (s) | grading (s) | submissions per minute | speed-up | "
             f"{COURSE_SUBMISSIONS:,} such submissions (h) |", "|---|---|---|---|---|---|"]
    base = results[0]["per_minute"]
    for r in results:
        lines.append(f"| {r['configuration']} | {r['startup_s']:.1f} | {r['wall_s']:.1f} | {r['per_minute']:.1f} "
                     f"| {r['per_minute'] / base:.2f} | {r['course_hours']:.1f} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=8, help="submissions in the batch (default 8)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"JSON results file (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--root", type=Path, default=ROOT, help="the course folder (default: this checkout)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.submissions < 1:
        print("--submissions must be at least 1", file=sys.stderr)
        return 2
    from course.grader.cluster import ClusterError, open_cluster  # noqa: PLC0415
    from course.grader.engine import GradingInputs  # noqa: PLC0415
    from course.grader.gradebook import LocalPool  # noqa: PLC0415
    from course.grader.kernel import Limits  # noqa: PLC0415
    from course.grader.sandbox import choose  # noqa: PLC0415
    from course.labs import discover_labs  # noqa: PLC0415

    info, lab = machine(), discover_labs(args.root.resolve())[LAB]
    sandbox, limits = choose("auto"), Limits()
    with tempfile.TemporaryDirectory(prefix="course-bench-cluster-") as tmp:
        work = Path(tmp)
        folder = work / "submissions"
        write_batch(lab, folder, args.submissions)
        inputs = GradingInputs.from_lab(lab, protect=[folder], hide=[folder])
        print(f"benchmarking {args.submissions} {LAB} submissions (sandbox: {sandbox.kind})", file=sys.stderr)
        results = [measure(f"--jobs {jobs}", folder, inputs, limits, LocalPool(jobs), sandbox, work)
                   for jobs in (1, 2)]
        start = time.perf_counter()
        try:
            with open_cluster("local:2", "auto") as cluster:
                startup = time.perf_counter() - start
                results.append(measure("--cluster local:2", folder, inputs, limits, cluster, cluster.sandbox, work,
                                       startup))
        except ClusterError as error:
            print(f"the cluster part was skipped: {error}", file=sys.stderr)
    same = all(r["rows"] == results[0]["rows"] for r in results)
    print(f"Grading throughput, {info['date']}, {info['cpus']} CPUs, load average "
          f"{info['load_average_1m_at_start']} at start; the same gradebook every time: {'yes' if same else 'NO'}\n")
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": info, "lab": LAB, "sandbox": sandbox.kind, "same_gradebook": same,
                                    "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
