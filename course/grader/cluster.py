"""Grade a batch on the workers of a Dask cluster (``course grade ... --cluster ADDRESS``).

Each submission travels to a worker as plain data (its bytes and the instructor's
:class:`~course.grader.engine.GradingInputs`, never a path of this machine); the worker
grades it exactly as ``--jobs`` does here, in a worker process and box of its own
(:func:`~course.grader.worker.grade_in_worker`), and sends back the result record, which
:func:`~course.grader.gradebook.grade_folder` merges, caches and writes like a local result.

Before anything is graded every worker must report the same Python, keras-course,
libraries and course files as this machine (the digest the cache key uses) and, when
grading is boxed, a working bubblewrap. A submission whose worker is lost (killed, out
of memory, disconnected) is graded again once on another worker, then gets a ``crashed``
row: the scheduler is told to allow one lost worker per task (``allowed_failures``) and
to send each worker no more submissions than it has threads, so a lost worker takes
only the submissions it was running. Dask (``distributed``) is the optional extra
``keras-course[cluster]``.
"""

from __future__ import annotations

import itertools
import os
import platform
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import course
from course.checks.core import one_line
from course.grader.engine import GradingInputs
from course.grader.gradebook import grading_code_digest, library_versions
from course.grader.results import Report
from course.grader.sandbox import Sandbox, bwrap_problem, choose
from course.grader.worker import Job, from_record, grade_in_worker, result_record
from course.labs import NotebookError

RETRIES = 1  # a submission whose worker is lost is graded once more, on another worker
LOCAL_PREFIX = "local:"
CONNECT_TIMEOUT_S = 30
WORKERS_TIMEOUT_S = 120  # how long to wait for the first worker (or all N of local:N)
INSTALL_HINT = 'pip install "keras-course[cluster]"'


class ClusterError(RuntimeError):
    """The cluster cannot grade this batch (no Dask, no scheduler, a worker that differs); one line."""


def require_distributed():
    """The ``distributed`` module.

    Raises:
        ClusterError: Dask is not installed here.
    """
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--cluster needs Dask's distributed, which is not installed: {INSTALL_HINT}") from None
    return distributed


def local_workers(address: str) -> int | None:
    """N for ``local:N`` (a LocalCluster of N worker processes), None for a scheduler's address.

    Raises:
        ClusterError: ``local:`` without a positive whole number.
    """
    if not address.startswith(LOCAL_PREFIX):
        return None
    count = address[len(LOCAL_PREFIX):]
    if not count.isdigit() or int(count) < 1:
        raise ClusterError(f"--cluster {address}: write local:N with N the number of worker processes, e.g. local:2")
    return int(count)


def environment() -> dict[str, str | None]:
    """What must be the same here and on every worker, ``{name: value}``, in the order compared:
    Python (major.minor), keras-course, the libraries that run a notebook, and the digest of
    the course's files that the cache key uses."""
    return {"Python": ".".join(platform.python_version_tuple()[:2]), "keras-course": course.__version__,
            **library_versions(), "the course package's files (digest)": grading_code_digest()}


def worker_report() -> dict:
    """Run on each worker: ``{"environment": environment(), "bwrap": why bubblewrap cannot run, or None}``."""
    return {"environment": environment(), "bwrap": bwrap_problem()}


def environment_problem(here: dict[str, str | None], reports: dict[str, dict | BaseException]) -> str | None:
    """The first worker whose environment differs from this machine's, in one line (None when all match).

    Args:
        here: :func:`environment` of this machine.
        reports: ``{worker address: its worker_report(), or the error it raised}``.
    """
    if not reports:
        return "the scheduler has no workers"
    for worker, report in sorted(reports.items()):
        if isinstance(report, BaseException):
            return (f"worker {worker} could not report its environment ({type(report).__name__}: "
                    f"{one_line(report)}); it needs {INSTALL_HINT}, version {course.__version__}")
        theirs = report["environment"]
        for name, value in here.items():
            if theirs.get(name) != value:
                return (f"worker {worker} differs from this machine: {name} {shown(theirs.get(name))} there, "
                        f"{shown(value)} here; every worker needs the same install of keras-course[cluster]")
    return None


def shown(value: str | None) -> str:
    """A version or digest as the error shows it: digests cut to 12 characters, None as ``absent``."""
    if value is None:
        return "absent"
    return value[:12] if len(value) == 64 else value


def cluster_sandbox(mode: str, problems: dict[str, str | None]) -> Sandbox:
    """The box every worker grades in for ``--sandbox MODE``: all workers alike.

    Args:
        mode: ``auto``, ``bwrap`` or ``none``.
        problems: ``{worker address: why bubblewrap cannot run there, or None}``.

    Raises:
        ClusterError: a worker cannot box while ``bwrap`` is required or other workers can.
    """
    if mode == "none":
        return choose("none")
    unable = dict(sorted((worker, problem) for worker, problem in problems.items() if problem))
    if not unable:
        return Sandbox("bwrap", "bubblewrap works on every worker: each grading kernel runs in its own box")
    worker, problem = next(iter(unable.items()))
    if mode == "bwrap" or len(unable) < len(problems):
        raise ClusterError(f"worker {worker} cannot run the grading box ({problem}); install bubblewrap there, "
                           "or pass --sandbox none to grade every worker without it")
    return Sandbox("none", f"no worker can run bubblewrap ({problem}); grading without a sandbox")


def checked_sandbox(client, mode: str) -> Sandbox:
    """Check every worker's environment against this machine's; the box they will grade in.

    Raises:
        ClusterError: a worker differs (named), or cannot box as ``mode`` asks.
    """
    reports = client.run(worker_report, on_error="return")
    problem = environment_problem(environment(), reports)
    if problem:
        raise ClusterError(problem)
    return cluster_sandbox(mode, {worker: report["bwrap"] for worker, report in reports.items()})


def tune_scheduler(client) -> None:
    """Have the scheduler give up on a task after ``RETRIES`` lost workers, and send each
    worker only as many tasks as it has threads (so a lost worker takes only what it ran)."""
    retries = RETRIES

    def tune(dask_scheduler):  # defined here so that it travels by value: the scheduler needs no course package
        dask_scheduler.allowed_failures = retries
        dask_scheduler.WORKER_SATURATION = 1.0

    client.run_on_scheduler(tune)


def for_this_worker(inputs: GradingInputs, scratch: Path) -> GradingInputs:
    """The instructor's inputs with this worker's own places added to what a notebook may not
    see or read: its home, the Dask worker's scratch folder (other submissions pass through it)
    and, for an install from a course checkout, that checkout and its ``solutions/``."""
    hidden, protected = [Path.home(), scratch], [scratch]
    checkout = Path(course.__file__).resolve().parents[1]
    if (checkout / "solutions").is_dir():
        hidden.append(checkout)
        protected.append(checkout / "solutions")
    return replace(inputs, hidden=tuple(dict.fromkeys([*inputs.hidden, *(str(p.resolve()) for p in hidden)])),
                   protected=tuple(dict.fromkeys([*inputs.protected, *(str(p.resolve()) for p in protected)])))


def grade_on_worker(job: Job, language: str | None) -> dict:
    """Run on a Dask worker: grade ``job`` as ``--jobs`` does, in a worker process and box of its own.

    Args:
        job: the submission and how to grade it.
        language: ``$COURSE_LANG`` of the machine that sent it (None when unset), which the
            grading process gets instead of the worker's.

    Returns:
        The result as :func:`~course.grader.worker.result_record` data.
    """
    from distributed import get_worker

    env = {name: value for name, value in os.environ.items() if name != "COURSE_LANG"}
    if language:
        env["COURSE_LANG"] = language
    job = replace(job, inputs=for_this_worker(job.inputs, Path(get_worker().local_directory)))
    return result_record(grade_in_worker(job, env=env))


def task_result(name: str, status: str, value) -> Report | NotebookError:
    """A gradebook result from a finished Dask task.

    Args:
        name: the submission's file name.
        status: the future's status: ``finished``, ``error`` or ``cancelled``.
        value: the task's result record when finished, its exception when it erred.

    Returns:
        The graded result; a ``crashed`` error when its workers were lost ``RETRIES + 1``
        times (KilledWorker) or the task failed twice.

    Raises:
        ClusterError: the task was cancelled (the scheduler was lost): the cluster failed, not the submission.
    """
    from distributed import KilledWorker

    if status == "finished":
        return from_record(value)
    if status == "error" and isinstance(value, KilledWorker):
        return NotebookError(f"{name}: the Dask worker grading it was lost {RETRIES + 1} times (killed, out of "
                             "memory or disconnected), so it was not graded", "crashed")
    if status == "error":
        return NotebookError(f"{name}: grading it on the cluster failed {RETRIES + 1} times "
                             f"({type(value).__name__}: {one_line(value)})", "crashed")
    raise ClusterError(f"the Dask scheduler dropped {name} ({status}); "
                       "rerun the same command to grade what is missing")


class Cluster:
    """A runner (see :class:`~course.grader.gradebook.Runner`) on a Dask cluster whose workers were checked.

    Attributes:
        client: the ``distributed.Client``.
        cluster: the scheduler's address as given (``local:N`` for a LocalCluster).
        sandbox: the box every worker grades in.
    """

    def __init__(self, client, address: str, sandbox: Sandbox, local_cluster=None):
        self.client, self.cluster, self.sandbox, self.local_cluster = client, address, sandbox, local_cluster

    @property
    def slots(self) -> int:
        """Submissions graded at the same time: the workers' threads."""
        return max(1, sum(self.client.nthreads().values()))

    def grade(self, jobs: dict[str, Job]) -> Iterator[tuple[str, Report | NotebookError]]:
        """See :meth:`Runner.grade`. At most twice as many submissions as there are worker threads
        are on the cluster at once, so the scheduler holds a few notebooks, not the class."""
        from distributed import as_completed

        batch, language = uuid.uuid4().hex[:8], os.environ.get("COURSE_LANG")
        waiting, students, running = iter(jobs.items()), {}, as_completed()

        def submit(count: int) -> None:
            for student, job in itertools.islice(waiting, max(0, count)):
                future = self.client.submit(grade_on_worker, job, language, key=f"grade-{student}-{batch}",
                                            retries=RETRIES)
                students[future.key] = student
                running.add(future)

        submit(2 * self.slots)
        for future in running:
            student, status = students.pop(future.key), future.status
            value = future.exception() if status == "error" else future.result() if status == "finished" else None
            future.release()
            submit(2 * self.slots - len(students))
            yield student, task_result(f"{student}.ipynb", status, value)

    def close(self) -> None:
        """Disconnect (and stop the LocalCluster of ``local:N``)."""
        disconnect(self.client, self.local_cluster)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_cluster(address: str, sandbox_mode: str = "auto") -> Cluster:
    """Connect to the Dask scheduler at ``address`` (or start ``local:N``), check its workers, tune it.

    Args:
        address: ``tcp://host:8786`` (any address ``distributed.Client`` takes) or ``local:N``.
        sandbox_mode: ``--sandbox``: ``auto``, ``bwrap`` or ``none``, decided by the workers.

    Raises:
        ClusterError: no Dask here, no scheduler or no worker there, or a worker that differs (one line).
    """
    distributed = require_distributed()
    count = local_workers(address)
    local_cluster = None
    try:
        if count:
            local_cluster = distributed.LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                                                     dashboard_address=None)
            client = distributed.Client(local_cluster)
        else:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as error:
        disconnect(None, local_cluster)
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({one_line(error)})") from None
    try:
        try:
            client.wait_for_workers(count or 1, timeout=WORKERS_TIMEOUT_S)
        except TimeoutError:
            raise ClusterError(f"no Dask worker joined the scheduler at {address} within {WORKERS_TIMEOUT_S} s; "
                               f"start some with: dask worker {address}") from None
        sandbox = checked_sandbox(client, sandbox_mode)
        tune_scheduler(client)
    except BaseException:
        disconnect(client, local_cluster)
        raise
    return Cluster(client, address, sandbox, local_cluster)


def disconnect(client, local_cluster) -> None:
    """Close the client and the LocalCluster, whichever there is."""
    for closable in (client, local_cluster):
        if closable is not None:
            closable.close()
