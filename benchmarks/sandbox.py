"""Benchmark what the bubblewrap sandbox costs per graded notebook.

Two measurements, both taken in the same run so that their ratios compare like with like:

- **grading**: ``solutions/lab01_perceptron.py`` graded by
  ``course.grader.engine.grade_notebook`` without a box (``--sandbox none``) and in
  bubblewrap (``--sandbox bwrap``), interleaved (none, bwrap, none, bwrap, ...) so that a
  change in the machine's load hits both alike; every run must score full marks;
- **bare start-up**: ``python -c pass`` started plainly and through
  ``Sandbox.wrap`` (the same bubblewrap arguments the grader uses), median of
  ``--startups`` runs each.

The sandbox's cost per notebook is the median graded time in the box minus the median
without it (goal: <= 0.5 s). When bubblewrap does not work here the script says so in one
line, writes the reason to the JSON and exits 0. Results go to
``benchmarks/results/sandbox.json`` (git-ignored) unless ``--out`` says otherwise.

Usage::

    python benchmarks/sandbox.py                 # 5 graded runs each way, 20 start-ups each
    python benchmarks/sandbox.py --repeats 1 --startups 3    # a quick look
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labs import machine  # the sibling script: one description of the machine for every benchmark

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "sandbox.json"
LAB = "lab01_perceptron"

# The sandbox may cost at most this much per graded notebook.
BUDGETS = {"sandbox_cost_s": 0.5}


def median(values: list) -> float | None:
    """Median of the numbers present (None when there are none), to the millisecond."""
    numbers = [v for v in values if v is not None]
    return round(statistics.median(numbers), 3) if numbers else None


def grade_once(path: Path, inputs, sandbox) -> dict:
    """Grade the notebook once in ``sandbox``; its wall time and score (full marks required)."""
    from course.grader.engine import grade_notebook  # noqa: PLC0415
    from course.grader.kernel import Limits  # noqa: PLC0415

    start = time.perf_counter()
    report = grade_notebook(path, inputs, Limits(), sandbox)
    wall = time.perf_counter() - start
    failed = [c.grade_id for c in report.cells if c.status != "passed"]
    assert report.score == report.max_score, (
        f"{sandbox.kind}: scored {report.score}/{report.max_score} (not passed: {', '.join(failed)})")
    return {"wall_s": round(wall, 3), "score": report.score, "max_score": report.max_score}


def startup_times(command: list[str], repeats: int) -> list[float]:
    """Wall time of ``repeats`` runs of ``command`` (each must exit 0)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(round(time.perf_counter() - start, 4))
    return times


def measure_startup(boxed, repeats: int) -> dict:
    """``python -c pass`` plainly and in the box, interleaved, ``repeats`` times each."""
    from course.grader.kernel import PrivateFolder  # noqa: PLC0415

    plain_cmd = [sys.executable, "-c", "pass"]
    plain, box = [], []
    with tempfile.TemporaryDirectory(prefix="course-bench-sandbox-") as tmp:
        private = PrivateFolder(Path(tmp))  # creates work/ and tmp/ (and home/, sockets/)
        boxed_cmd = [*boxed.wrap(private.root, hidden=[]), *plain_cmd]
        for _ in range(repeats):
            plain += startup_times(plain_cmd, 1)
            box += startup_times(boxed_cmd, 1)
    return {"repeats": repeats, "plain_s": plain, "bwrap_s": box,
            "plain_median_s": median(plain), "bwrap_median_s": median(box),
            "difference_s": (round(median(box) - median(plain), 3) if plain and box else None)}


def measure_grading(root: Path, repeats: int, sandboxes: dict) -> dict:
    """Grade lab01's solution ``repeats`` times in each sandbox, interleaved."""
    from course.grader.engine import GradingInputs  # noqa: PLC0415
    from course.labs import discover_labs  # noqa: PLC0415

    lab = discover_labs(root)[LAB]
    path = root / "solutions" / f"{LAB}.py"
    inputs = GradingInputs.from_lab(lab)
    runs = {kind: [] for kind in sandboxes}
    for run in range(repeats):
        for kind, sandbox in sandboxes.items():
            runs[kind].append(grade_once(path, inputs, sandbox))
        print(f"  run {run + 1}/{repeats}: " + ", ".join(f"{k} {v[-1]['wall_s']:.2f} s" for k, v in runs.items()),
              file=sys.stderr, flush=True)
    none_s = median([r["wall_s"] for r in runs["none"]])
    bwrap_s = median([r["wall_s"] for r in runs["bwrap"]])
    return {"lab": LAB, "repeats": repeats, "none_runs": runs["none"], "bwrap_runs": runs["bwrap"],
            "none_median_s": none_s, "bwrap_median_s": bwrap_s,
            "difference_s": round(bwrap_s - none_s, 3),
            "ratio": round(bwrap_s / none_s, 3),
            "score": f"{runs['bwrap'][-1]['score']:g}/{runs['bwrap'][-1]['max_score']:g}"}


def table(grading: dict, startup: dict) -> str:
    """A Markdown table of the medians, the difference and the ratio."""
    cost = grading["difference_s"]
    mark = "✓" if cost <= BUDGETS["sandbox_cost_s"] else "✗"
    start_ratio = startup["bwrap_median_s"] / startup["plain_median_s"]
    return "\n".join([
        "| measurement | no box (s) | bubblewrap (s) | difference (s) | ratio |",
        "|---|---|---|---|---|",
        f"| grade {grading['lab']} ({grading['score']}), median of {grading['repeats']} "
        f"| {grading['none_median_s']:.2f} | {grading['bwrap_median_s']:.2f} "
        f"| {cost:+.2f} / {BUDGETS['sandbox_cost_s']:g} {mark} | {grading['ratio']:.2f} |",
        f"| start `python -c pass`, median of {startup['repeats']} "
        f"| {startup['plain_median_s']:.3f} | {startup['bwrap_median_s']:.3f} "
        f"| {startup['difference_s']:+.3f} | {start_ratio:.2f} |",
    ])


def write(out: Path, data: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5,
                        help="graded runs in each sandbox, interleaved; medians are reported (default 5)")
    parser.add_argument("--startups", type=int, default=20,
                        help="bare `python -c pass` start-ups each way (default 20)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"JSON results file (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--root", type=Path, default=ROOT, help="the course folder (default: this checkout)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.repeats < 1 or args.startups < 1:
        print("--repeats and --startups must be at least 1", file=sys.stderr)
        return 2
    from course.grader.sandbox import SandboxError, choose  # noqa: PLC0415

    root = args.root.resolve()
    info = machine()
    try:
        sandboxes = {"none": choose("none"), "bwrap": choose("bwrap")}
    except SandboxError as error:
        print(f"sandbox benchmark skipped: {error}")
        write(args.out, {"machine": info, "budgets": BUDGETS, "skipped": str(error)})
        return 0
    print(f"benchmarking the sandbox: {args.repeats} graded run(s) each way (interleaved), "
          f"{args.startups} bare start-up(s) each way", file=sys.stderr)
    startup = measure_startup(sandboxes["bwrap"], args.startups)
    grading = measure_grading(root, args.repeats, sandboxes)
    print(f"Sandbox benchmark, {info['date']}, {info['cpus']} CPUs, "
          f"load average {info['load_average_1m_at_start']} at start\n")
    print(table(grading, startup))
    write(args.out, {"machine": info, "budgets": BUDGETS, "grading": grading, "startup": startup,
                     "within_budget": grading["difference_s"] <= BUDGETS["sandbox_cost_s"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
