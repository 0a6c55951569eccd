"""One submission graded in a process of its own (``python -m course.grader.worker``).

The batch starts one worker per submission in a new session, sends it the
job on stdin (the notebook's bytes and the instructor's inputs) and reads one
JSON result from stdout. Whatever the notebook does to the worker (kills it,
its process group, exhausts it), only that submission's row is affected; the
worker's process group is killed once its result is in, and on Linux the worker
dies with the thread that started it (a batch or a Dask worker killed mid-submission).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
from dataclasses import dataclass

from course.grader.engine import GradingInputs, grade_notebook
from course.grader.kernel import Limits
from course.grader.results import Report, RowStatus
from course.grader.sandbox import Sandbox
from course.labs import NotebookError

STARTUP_MARGIN_S = 120  # kernel start-up and reading results, on top of the notebook's own limit
UNGRADED = {RowStatus.INVALID.value, RowStatus.WRONG_LAB.value, RowStatus.CRASHED.value}  # NotebookError statuses
WORKER_COMMAND = (sys.executable, "-m", "course.grader.worker")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one submission."""

    name: str
    content: bytes
    inputs: GradingInputs
    limits: Limits
    sandbox: Sandbox


def result_record(result: Report | NotebookError) -> dict:
    """A grading result as JSON-ready data."""
    if isinstance(result, NotebookError):
        return {"error": str(result), "status": result.status}
    return {"report": result.to_record()}


def from_record(data: dict) -> Report | NotebookError:
    """The inverse of :func:`result_record`.

    Raises:
        TypeError, KeyError, ValueError: the data is not a result record.
    """
    if "error" in data:
        if data["status"] not in UNGRADED:
            raise ValueError(f"unknown status {data['status']!r}")
        return NotebookError(str(data["error"]), data["status"])
    return Report.from_record(data["report"])


def grade_job(job: Job) -> Report | NotebookError:
    """Grade a job in this process; a failure of the grader itself becomes a ``crashed`` result."""
    try:
        return grade_notebook(job.name, job.inputs, job.limits, job.sandbox, content=job.content)
    except NotebookError as error:
        return error
    except Exception as error:  # noqa: BLE001 - the batch must get a row for every submission
        return NotebookError(f"{job.name}: the grader failed on it ({type(error).__name__}: {error})", "crashed")


def grade_in_worker(job: Job, command: tuple[str, ...] = WORKER_COMMAND, margin_s: float = STARTUP_MARGIN_S,
                    env: dict[str, str] | None = None) -> Report | NotebookError:
    """Grade a job in a new worker process (its own session) and reap all of it afterwards.

    Args:
        job: the submission and how to grade it.
        command: the worker's command line (it reads the pickled job on stdin).
        margin_s: how long past the notebook's own time limit the worker may take.
        env: the worker's whole environment (default: this process's).

    Returns:
        The worker's result, or a ``crashed`` error when the worker died, hung or said nothing readable.
    """
    worker = subprocess.Popen(list(command), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    try:
        out, _ = worker.communicate(pickle.dumps(job), timeout=job.limits.notebook_timeout + margin_s)
    except subprocess.TimeoutExpired:
        return NotebookError(f"{job.name}: grading did not finish in time, so its process was stopped", "crashed")
    finally:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        worker.wait()
    if worker.returncode != 0:
        how = (f"was killed by signal {-worker.returncode}" if worker.returncode < 0
               else f"exited with code {worker.returncode}")
        return NotebookError(f"{job.name}: the grading process {how} (did the notebook end it?)", "crashed")
    try:
        return from_record(json.loads(out))
    except (ValueError, TypeError, KeyError):
        return NotebookError(f"{job.name}: the grading process returned no readable result", "crashed")


def die_with_parent() -> None:
    """On Linux, have the kernel kill this process when the thread that started it ends,
    so that no grading outlives a batch or a Dask worker killed mid-submission."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main() -> None:
    """Read a pickled :class:`Job` on stdin, print its result as one JSON line on stdout."""
    die_with_parent()  # before reading: a parent that died before sending the job leaves an empty stdin
    job = pickle.loads(sys.stdin.buffer.read())
    result = result_record(grade_job(job))
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
