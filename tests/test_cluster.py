"""`course grade --cluster`: a batch graded by Dask workers gets the gradebook of a local run;
lost workers, differing workers and a missing Dask are handled (course/grader/cluster.py)."""

from __future__ import annotations

import csv
import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from corpus import CASES, LAB, notebook, with_prefix
from course.cli import main
from course.grader import cluster
from course.grader.cluster import ClusterError
from course.grader.engine import GradingInputs
from course.grader.gradebook import Options, grade_folder, read_graded
from course.grader.kernel import Limits
from course.grader.sandbox import Sandbox
from course.grader.worker import result_record
from course.labs import NotebookError
from helpers import LABS, ROOT

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="Dask is not installed (pip install -e '.[dev]')")
BATCH = ["correct", "wrong_sigmoid", "patch_check_function", "read_instructor_file", "os_exit", "not_json"]
MODE = "bwrap" if os.environ.get("CI") else "auto"
HERE = {"Python": "3.11", "keras-course": "0.1.0", "tensorflow": "2.21.0", "keras": "3.15.1",
        "the course package's files (digest)": "a" * 64}


def report_of(environment: dict, bwrap: str | None = None) -> dict:
    return {"environment": environment, "bwrap": bwrap}


def test_environment_problem_names_the_first_worker_that_differs_and_how():
    same = report_of(HERE)
    assert cluster.environment_problem(HERE, {"tcp://10.0.0.1:4001": same, "tcp://10.0.0.2:4002": same}) is None
    older = report_of({**HERE, "tensorflow": "2.16.2"})
    problem = cluster.environment_problem(HERE, {"tcp://10.0.0.1:4001": same, "tcp://10.0.0.2:4002": older})
    assert problem.startswith("worker tcp://10.0.0.2:4002 differs from this machine: tensorflow 2.16.2 there, "
                              "2.21.0 here") and "\n" not in problem
    edited = report_of({**HERE, "the course package's files (digest)": "b" * 64})
    assert f"digest) {'b' * 12} there, {'a' * 12} here" in cluster.environment_problem(HERE, {"w": edited})
    assert "keras absent there" in cluster.environment_problem(HERE, {"w": report_of({**HERE, "keras": None})})
    broken = cluster.environment_problem(HERE, {"tcp://w:1": ModuleNotFoundError("No module named 'course'")})
    assert "worker tcp://w:1 could not report its environment (ModuleNotFoundError" in broken
    assert "keras-course[cluster]" in broken
    assert cluster.environment_problem(HERE, {}) == "the scheduler has no workers"


class FakeClient:
    """Answers ``client.run`` with canned per-worker reports."""

    def __init__(self, reports: dict):
        self.reports = reports

    def run(self, function, on_error="raise"):
        assert function is cluster.worker_report and on_error == "return"
        return self.reports


def test_checked_sandbox_refuses_a_worker_with_other_versions():
    here = cluster.environment()
    fine = FakeClient({"tcp://a:1": report_of(here), "tcp://b:2": report_of(here)})
    assert cluster.checked_sandbox(fine, "auto").kind == "bwrap"
    other = FakeClient({"tcp://a:1": report_of(here), "tcp://b:2": report_of({**here, "keras": "3.3.3"})})
    with pytest.raises(ClusterError, match=r"^worker tcp://b:2 differs from this machine: keras 3\.3\.3 there"):
        cluster.checked_sandbox(other, "auto")


@pytest.mark.parametrize("mode, problems, kind", [
    ("auto", {"a": None, "b": None}, "bwrap"),
    ("bwrap", {"a": None}, "bwrap"),
    ("none", {"a": None, "b": "not installed"}, "none"),
    ("auto", {"a": "not installed", "b": "not installed"}, "none"),
    ("auto", {"a": None, "b": "not installed"}, "worker b cannot run the grading box (not installed)"),
    ("bwrap", {"a": "not installed"}, "worker a cannot run the grading box (not installed)"),
])
def test_every_worker_grades_in_the_same_box(mode, problems, kind):
    if kind in ("bwrap", "none"):
        assert cluster.cluster_sandbox(mode, problems).kind == kind
    else:
        with pytest.raises(ClusterError, match=kind.replace("(", r"\(").replace(")", r"\)")):
            cluster.cluster_sandbox(mode, problems)


@needs_dask
def test_a_task_result_becomes_a_row_and_lost_workers_a_crashed_one():
    from distributed import KilledWorker

    crashed = NotebookError("x.ipynb: the grading process was killed by signal 9", "crashed")
    record = {"error": str(crashed), "status": "crashed"}
    assert str(cluster.task_result("x.ipynb", "finished", record)) == str(crashed)
    lost = KilledWorker("grade-x-1", None, cluster.RETRIES)
    row = cluster.task_result("x.ipynb", "error", lost)
    assert (row.status, str(row)) == ("crashed", "x.ipynb: the Dask worker grading it was lost 2 times (killed, "
                                                 "out of memory or disconnected), so it was not graded")
    failed = cluster.task_result("x.ipynb", "error", OSError("fork failed"))
    assert failed.status == "crashed" and "failed 2 times (OSError: fork failed)" in str(failed)
    with pytest.raises(ClusterError, match="scheduler dropped x.ipynb"):
        cluster.task_result("x.ipynb", "cancelled", None)


def test_local_n_is_a_positive_count_and_anything_else_an_address():
    assert cluster.local_workers("local:3") == 3
    assert cluster.local_workers("tcp://10.0.0.1:8786") is None
    for wrong in ("local:", "local:0", "local:two"):
        with pytest.raises(ClusterError, match="local:N"):
            cluster.local_workers(wrong)


def test_a_worker_hides_its_own_home_scratch_and_checkout(tmp_path):
    inputs = GradingInputs(LAB, {}, None, protected=("/instructor/solutions",), hidden=("/instructor",))
    mine = cluster.for_this_worker(inputs, tmp_path)
    assert mine.hidden[0] == "/instructor" and mine.protected[0] == "/instructor/solutions"
    assert {str(Path.home().resolve()), str(tmp_path.resolve()), str(ROOT)} <= set(mine.hidden)
    assert {str(tmp_path.resolve()), str(ROOT / "solutions")} <= set(mine.protected)
    assert mine.digest() == inputs.digest()  # the same inputs for the cache


def test_cluster_without_dask_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    (tmp_path / "ann.ipynb").write_bytes(notebook())
    args = ["grade", str(tmp_path), "--lab", LAB, "--out", str(tmp_path / "g.csv"), "--course", str(ROOT)]
    assert main([*args, "--cluster", "local:2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "keras-course[cluster]"' in err
    with pytest.raises(SystemExit):
        main([*args, "--cluster", "local:2", "--jobs", "2"])  # one place to grade, not two


class FakeRunner:
    """A runner that grades nothing: each job gets an ``invalid`` row, until ``stop_after``."""

    slots, cluster = 3, "tcp://10.0.0.1:8786"

    def __init__(self, stop_after: int | None = None):
        self.stop_after, self.given = stop_after, []

    def grade(self, jobs):
        self.given += list(jobs)
        for done, name in enumerate(jobs):
            if done == self.stop_after:
                raise KeyboardInterrupt
            yield name, NotebookError(f"{name}.ipynb: fake", "invalid")


def test_a_stopped_batch_keeps_what_finished_and_a_rerun_grades_only_the_rest(tmp_path):
    write_cases(tmp_path / "in", [], ann=b"ann", bob=b"bob", cy=b"cy")
    inputs, out = GradingInputs.from_lab(LABS[LAB]), tmp_path / "g.csv"
    options = Options(Limits(), Sandbox("none", "test"))
    with pytest.raises(KeyboardInterrupt):
        grade_folder(tmp_path / "in", inputs, out, options, runner=FakeRunner(stop_after=1))
    with pytest.raises(ValueError, match="stopped before it finished"):
        read_graded(out, print)
    rerun = FakeRunner()
    grade_folder(tmp_path / "in", inputs, out, options, runner=rerun)
    assert rerun.given == ["bob", "cy"]
    results, batch = read_graded(out, print)
    assert list(results) == ["ann", "bob", "cy"] and batch["reused"] == 1 and batch["finished"]
    assert (batch["options"]["jobs"], batch["options"]["cluster"]) == (3, "tcp://10.0.0.1:8786")


# --- on a LocalCluster of two worker processes --------------------------------------------------

def write_cases(folder: Path, names: list[str], **more: bytes) -> Path:
    """Write the named corpus cases, and ``more`` as ``<name>.ipynb``, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in {**{c.name: c.build() for c in CASES if c.name in names}, **more}.items():
        (folder / f"{name}.ipynb").write_bytes(content)
    return folder


def rows_of(out: Path) -> dict[str, dict]:
    """The gradebook's rows by student, without the one column that may differ (runtime_s)."""
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {row.pop("student"): {k: v for k, v in row.items() if k != "runtime_s"} for row in rows}


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict:
    """The batch graded on this machine with ``--jobs 1``, the reference for every cluster run:
    ``{"rows": rows_of(...), "out": the gradebook, "feedback": its feedback folder}``."""
    folder = write_cases(tmp_path_factory.mktemp("local"), BATCH)
    out, feedback = folder.parent / "local.csv", folder.parent / "feedback"
    assert main(["grade", str(folder), "--lab", LAB, "--out", str(out), "--jobs", "1", "--course", str(ROOT),
                 "--sandbox", MODE, "--feedback", str(feedback)]) == 0
    return {"rows": rows_of(out), "out": out, "feedback": feedback}


def records(results: dict) -> dict[str, dict]:
    """Cached results as records, their running times left out."""
    found = {}
    for student, result in results.items():
        found[student] = result_record(result)
        found[student].get("report", {}).pop("runtime_s", None)
    return found


def texts(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}


@needs_dask
@pytest.mark.slow
def test_the_cluster_gives_the_gradebook_feedback_and_cache_of_jobs_1(local, tmp_path):
    folder = write_cases(tmp_path / "submissions", BATCH)
    out, feedback, report = tmp_path / "cluster.csv", tmp_path / "feedback", tmp_path / "report.html"
    assert main(["grade", str(folder), "--lab", LAB, "--out", str(out), "--course", str(ROOT), "--sandbox", MODE,
                 "--cluster", "local:2", "--feedback", str(feedback), "--report", str(report)]) == 0
    assert rows_of(out) == local["rows"]
    assert texts(feedback) == texts(local["feedback"])
    assert "on the Dask cluster local:2" in report.read_text(encoding="utf-8")
    cached, batch = read_graded(out, print)
    assert records(cached) == records(read_graded(local["out"], print)[0])
    assert batch["options"]["cluster"] == "local:2" and batch["options"]["jobs"] == 2


@pytest.fixture(scope="module")
def dask_cluster():
    """A LocalCluster of two worker processes, one thread each, checked and tuned like ``local:2``."""
    with cluster.open_cluster("local:2", MODE) as opened:
        yield opened


class WorkerKiller(threading.Thread):
    """Kill (SIGKILL) the worker process grading ``student`` once it has been at it for ``after_s``,
    each time it starts again on another worker, ``times`` times at most.

    Attributes:
        killed: the addresses of the workers killed.
        orphans: the processes those workers had started (the grading process, its kernel, ...).
    """

    def __init__(self, client, student: str, times: int, after_s: float = 1.5):
        super().__init__(daemon=True)
        self.client, self.prefix, self.times, self.after_s = client, f"grade-{student}-", times, after_s
        self.killed, self.orphans, self.done = [], [], threading.Event()

    def run(self) -> None:
        import psutil

        seen: dict[str, float] = {}
        while len(self.killed) < self.times and not self.done.is_set():
            for worker, keys in self.client.processing().items():
                if worker in self.killed or not any(str(k).startswith(self.prefix) for k in keys):
                    continue
                if time.monotonic() - seen.setdefault(worker, time.monotonic()) >= self.after_s:
                    pid = self.client.run(os.getpid, workers=[worker])[worker]
                    self.orphans += psutil.Process(pid).children(recursive=True)
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(worker)
            time.sleep(0.1)


def grade_on(runner, folder: Path, out: Path, killer: WorkerKiller) -> dict[str, dict]:
    """Grade ``folder`` on the cluster while ``killer`` runs; the rows."""
    inputs = GradingInputs.from_lab(LABS[LAB], protect=[folder], hide=[folder])
    killer.start()
    try:
        grade_folder(folder, inputs, out, Options(Limits(), runner.sandbox), runner=runner)
    finally:
        killer.done.set()
        killer.join()
    return rows_of(out)


@needs_dask
@pytest.mark.slow
def test_a_worker_killed_mid_submission_is_retried_on_another_and_leaves_no_process(local, dask_cluster, tmp_path):
    import psutil

    sleeper = notebook(with_prefix("tanh", "import time\ntime.sleep(6)"))
    folder = write_cases(tmp_path / "submissions", ["wrong_sigmoid"], sleeper=sleeper)
    killer = WorkerKiller(dask_cluster.client, "sleeper", times=1)
    rows = grade_on(dask_cluster, folder, tmp_path / "g.csv", killer)
    assert len(killer.killed) == 1, "the worker was not killed mid-submission"
    assert rows == {"sleeper": local["rows"]["correct"], "wrong_sigmoid": local["rows"]["wrong_sigmoid"]}
    assert killer.orphans and not psutil.wait_procs(killer.orphans, timeout=15)[1], "grading outlived its worker"


@needs_dask
@pytest.mark.slow
def test_a_submission_that_kills_every_worker_it_touches_is_crashed_after_one_retry(local, dask_cluster, tmp_path):
    deadly = notebook(with_prefix("tanh", "import time\ntime.sleep(60)"))
    folder = write_cases(tmp_path / "submissions", ["wrong_sigmoid"], deadly=deadly)
    killer = WorkerKiller(dask_cluster.client, "deadly", times=3, after_s=0.5)
    rows = grade_on(dask_cluster, folder, tmp_path / "g.csv", killer)
    assert len(killer.killed) == 2  # the first try and its one retry, never a third worker
    assert rows["deadly"]["status"] == ("crashed: deadly.ipynb: the Dask worker grading it was lost 2 times "
                                        "(killed, out of memory or disconnected), so it was not graded")
    assert rows["deadly"]["score"] == "0"
    assert rows["wrong_sigmoid"] == local["rows"]["wrong_sigmoid"]
