"""Benchmark every solution notebook: wall time, grading overhead and peak memory.

Each lab's solution source (``solutions/labNN_*.py``) is run two ways, each in a
fresh Jupyter kernel:

- **graded**: ``course.grader.engine.grade_notebook``, exactly what ``course check`` does
  (instructor cells, hidden tests, the integrity guard, the report);
- **bare**: the same instructor notebook (``course.labs.read_source``) executed
  top to bottom by ``nbclient`` with nothing added.

The grading overhead is graded minus bare wall time. Peak memory is the
kernel's peak resident set size: every run happens in its own worker
subprocess, so ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` in that worker, read
after the kernel has exited, is the kernel's high-water mark (no psutil needed).
With ``--runs N`` each figure is the median of N runs.

The course's budgets (the BUDGETS table below) are printed beside
each figure. Results go to ``benchmarks/results/labs.json`` (git-ignored) unless
``--out`` says otherwise.

Usage::

    python benchmarks/labs.py                        # every lab, 3 runs each
    python benchmarks/labs.py --labs lab07_cnn_mnist --runs 1 --cells
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "labs.json"

# The course's performance budgets (2-core CPU machine).
BUDGETS = {
    "lab_s": 60.0,            # every solution lab runs top to bottom in <= 60 s
    "course_s": 360.0,        # the whole course in <= 6 min
    "peak_mb": 2.5 * 1024,    # peak memory per lab <= 2.5 GB
    "overhead_s": 5.0,        # grading costs at most the lab's own runtime plus <= 5 s
}


# --- one measured run (inside a worker subprocess) -----------------------------------------

def children_usage() -> dict:
    """Peak memory and CPU time of this process's finished children (here: the one kernel).

    Returns:
        ``{"peak_mb": largest resident set in MB, "cpu_s": user + system CPU seconds}``;
        CPU time hardly depends on how busy the machine is, unlike wall time.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"peak_mb": round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is in KB on Linux
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}


def graded_run(source: Path, cell_timeout: float) -> dict:
    """Grade a solution source the way ``course check`` does."""
    from course.grader.engine import GradingInputs, grade_notebook  # noqa: PLC0415
    from course.grader.kernel import Limits  # noqa: PLC0415
    from course.grader.sandbox import choose  # noqa: PLC0415
    from course.labs import discover_labs  # noqa: PLC0415

    start = time.perf_counter()
    inputs = GradingInputs.from_lab(discover_labs(source.parent.parent)[source.stem])
    report = grade_notebook(source, inputs, Limits(cell_timeout=cell_timeout), choose("auto"))
    wall = time.perf_counter() - start
    return {
        "wall_s": round(wall, 2),
        "score": report.score,
        "max_score": report.max_score,
        "failed": [c.grade_id for c in report.cells if c.status != "passed"],
    }


def bare_run(source: Path, cell_timeout: float) -> dict:
    """Execute the instructor notebook with plain nbclient, recording each cell's time."""
    from nbclient import NotebookClient  # noqa: PLC0415
    from nbclient.exceptions import CellExecutionError  # noqa: PLC0415

    from course.grader.kernel import PrivateFolder, kernel_env  # noqa: PLC0415
    from course.labs import read_source  # noqa: PLC0415

    nb = read_source(source)
    error = None
    with tempfile.TemporaryDirectory(prefix="course-bench-") as workdir:
        client = NotebookClient(nb, timeout=int(cell_timeout), kernel_name="python3",
                                record_timing=True, resources={"metadata": {"path": workdir}})
        start = time.perf_counter()
        try:
            client.execute(env=kernel_env(PrivateFolder(Path(workdir))), stderr=subprocess.DEVNULL)
        except CellExecutionError as exc:
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
            error = text.splitlines()[-1][:200] if text else "a cell raised an error"
        wall = time.perf_counter() - start
    cells = []
    for index, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            began = dt.datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            ended = dt.datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            first_line = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
            cells.append({"index": index, "id": cell.get("id", ""), "seconds": round((ended - began).total_seconds(), 2),
                          "first_line": first_line})
    return {"wall_s": round(wall, 2), "error": error, "cells": cells}


def worker(mode: str, source: Path, cell_timeout: float) -> None:
    """Measure one run and print its JSON on stdout (peak memory read after the kernel exited)."""
    result = graded_run(source, cell_timeout) if mode == "graded" else bare_run(source, cell_timeout)
    result.update(children_usage())
    print(json.dumps(result))


# --- driving the runs ----------------------------------------------------------------------

def measure(mode: str, source: Path, cell_timeout: float, root: Path) -> dict:
    """Run one measurement in a fresh worker subprocess and return its JSON."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, str(source),
               "--timeout", str(cell_timeout)]
    env = {**os.environ, "COURSE_ROOT": str(root)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"wall_s": None, "peak_mb": None, "error": f"{mode} run failed: {tail}"}
    return json.loads(lines[-1])


def median(values: list) -> float | None:
    """Median of the numbers present (None when there are none)."""
    numbers = [v for v in values if v is not None]
    return round(statistics.median(numbers), 2) if numbers else None


def benchmark_lab(lab_id: str, source: Path, runs: int, cell_timeout: float, root: Path) -> dict:
    """Median wall times, overhead and peak memory of one lab over ``runs`` graded+bare pairs."""
    graded, bare = [], []
    for run in range(runs):
        graded.append(measure("graded", source, cell_timeout, root))
        bare.append(measure("bare", source, cell_timeout, root))
        print(f"  {lab_id} run {run + 1}/{runs}: graded {graded[-1].get('wall_s')} s, "
              f"bare {bare[-1].get('wall_s')} s", file=sys.stderr, flush=True)
    overheads = [g["wall_s"] - b["wall_s"] for g, b in zip(graded, bare)
                 if g.get("wall_s") is not None and b.get("wall_s") is not None]
    summary = {
        "bare_s": median([b.get("wall_s") for b in bare]),
        "graded_s": median([g.get("wall_s") for g in graded]),
        "bare_cpu_s": median([b.get("cpu_s") for b in bare]),
        "overhead_s": median(overheads),
        "peak_mb": median([max(filter(None, [g.get("peak_mb"), b.get("peak_mb")]), default=None)
                           for g, b in zip(graded, bare)]),
        "score": graded[-1].get("score"),
        "max_score": graded[-1].get("max_score"),
    }
    summary["within_budget"] = {
        "runtime": summary["bare_s"] is not None and summary["bare_s"] <= BUDGETS["lab_s"],
        "overhead": summary["overhead_s"] is not None and summary["overhead_s"] <= BUDGETS["overhead_s"],
        "memory": summary["peak_mb"] is not None and summary["peak_mb"] <= BUDGETS["peak_mb"],
    }
    errors = [r["error"] for r in graded + bare if r.get("error")]
    errors += [f"graded run: {', '.join(g['failed'])} not passed" for g in graded if g.get("failed")]
    return {"lab": lab_id, "runs": runs, "median": summary, "errors": sorted(set(errors)),
            "graded_runs": graded, "bare_runs": bare}


def machine() -> dict:
    """What the figures were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": round(load[0], 2) if load else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def fmt(value: float | None, budget: float, digits: int = 1) -> str:
    """'12.3 / 60 ✓': the figure, its budget and whether it is within it."""
    if value is None:
        return "n/a"
    mark = "✓" if value <= budget else "✗"
    return f"{value:.{digits}f} / {budget:g} {mark}"


def table(results: list[dict]) -> str:
    """A Markdown table of the medians, each beside its budget."""
    lines = [
        "| lab | bare run (s) / budget | graded run (s) | grading overhead (s) / budget "
        "| peak memory (MB) / budget | kernel CPU time (s) | score |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        m = result["median"]
        graded = "n/a" if m["graded_s"] is None else f"{m['graded_s']:.1f}"
        cpu = "n/a" if m["bare_cpu_s"] is None else f"{m['bare_cpu_s']:.1f}"
        score = "n/a" if m["score"] is None else f"{m['score']:g}/{m['max_score']:g}"
        lines.append(f"| {result['lab']} | {fmt(m['bare_s'], BUDGETS['lab_s'])} | {graded} | "
                     f"{fmt(m['overhead_s'], BUDGETS['overhead_s'])} | "
                     f"{fmt(m['peak_mb'], BUDGETS['peak_mb'], 0)} | {cpu} | {score} |")
    total = sum(r["median"]["bare_s"] or 0 for r in results)
    lines.append(f"| **all labs** | {fmt(total, BUDGETS['course_s'])} | | | | | |")
    return "\n".join(lines)


def slowest_cells(result: dict, count: int = 5) -> str:
    """The slowest cells of a lab's last bare run."""
    cells = sorted(result["bare_runs"][-1].get("cells", []), key=lambda c: -c["seconds"])[:count]
    return "\n".join(f"    {c['seconds']:6.2f} s  cell {c['index']:>2}  {c['first_line']}" for c in cells)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labs", nargs="*", help="lab ids (default: every lab in solutions/)")
    parser.add_argument("--runs", type=int, default=3, help="runs per lab; medians are reported (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"JSON results file (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--root", type=Path, default=ROOT, help="the course folder (default: this checkout)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one cell may run (default 120)")
    parser.add_argument("--cells", action="store_true", help="also print each lab's slowest cells")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "SOURCE"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.timeout)
        return 0
    root = args.root.resolve()
    sources = {p.stem: p for p in sorted((root / "solutions").glob("lab*.py"))}
    lab_ids = args.labs or list(sources)
    unknown = [lab for lab in lab_ids if lab not in sources]
    if unknown or not lab_ids:
        print(f"unknown lab(s): {', '.join(unknown) or 'none found'}; known: {', '.join(sources)}",
              file=sys.stderr)
        return 2
    print(f"benchmarking {len(lab_ids)} lab(s), {args.runs} run(s) each (graded + bare)", file=sys.stderr)
    info = machine()
    results = [benchmark_lab(lab, sources[lab], args.runs, args.timeout, root) for lab in lab_ids]
    print(f"Labs benchmark, {info['date']}, {info['cpus']} CPUs, "
          f"load average {info['load_average_1m_at_start']} at start; medians of {args.runs} run(s)\n")
    print(table(results))
    for result in results:
        for error in result["errors"]:
            print(f"\n{result['lab']}: {error}")
        if args.cells:
            print(f"\n{result['lab']}: slowest cells (last bare run)\n{slowest_cells(result)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": info, "budgets": BUDGETS, "runs": args.runs,
                                    "labs": results}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
