"""Run a notebook cell by cell in a fresh Jupyter kernel, within limits.

The kernel gets a private folder (working folder, ``HOME``, ``/tmp``, its
sockets), a clean environment (none of the grader's variables), limits on
memory, file size, open files and processes, a watch on how much it writes,
and, when a sandbox is in use, bubblewrap around it. Interrupts travel as
messages, so they reach a kernel inside its box. The kernel's process group
is killed when the run ends, whatever it left behind.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from course.grader.sandbox import Sandbox

MAX_OUTPUT_CHARS = 200_000
TRUNCATED = "\n[output truncated by the grader]\n"
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
              "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "COURSE_LANG")
WATCH_INTERVAL_S = 0.25
DEADLINE_GRACE_S = 5  # past the notebook's limit, a kernel still busy is killed
NOTEBOOK_TIMEOUT = "the notebook ran past its time limit"


@dataclass(frozen=True)
class Limits:
    """What one grading run may use.

    Attributes:
        cell_timeout: seconds one cell may run.
        notebook_timeout: seconds the whole notebook may run.
        memory_gb: the kernel's writable memory (``RLIMIT_DATA``; 0 for no limit).
            Unlike an address-space limit it leaves CUDA's reservations alone.
        file_gb: the largest file the kernel may write.
        workdir_gb: how much it may write into its private folder in all.
        open_files: how many files it may hold open.
    """

    cell_timeout: float = 120
    notebook_timeout: float = 600
    memory_gb: float = 8
    file_gb: float = 1
    workdir_gb: float = 2
    open_files: int = 1024


@dataclass
class Run:
    """What happened to the cells of one kernel run, by cell index."""

    unfinished: dict[int, str] = field(default_factory=dict)  # "timeout" | "dead" | "skipped"
    reply_status: dict[int, str] = field(default_factory=dict)  # "ok" | "error" | "aborted"
    truncated: set[int] = field(default_factory=set)
    killed: str | None = None  # why the grader killed the kernel, if it did


class PrivateFolder:
    """The run's own folder: ``work/`` (the kernel's cwd), ``home/``, ``tmp/``, ``shm/``, ``sockets/``."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        for sub in ("work", "home", "tmp", "shm", "sockets"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def __truediv__(self, name: str) -> Path:
        return self.root / name

    def size_bytes(self) -> int:
        """Bytes written below the folder (files only; links are not followed)."""
        total = 0
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    continue
        return total


def kernel_env(private: PrivateFolder, language: str = "en") -> dict[str, str]:
    """The kernel's whole environment: a few harmless variables of the grader's, its own folders,
    and the language its check messages are shown in (``COURSE_LANG``)."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env["COURSE_LANG"] = language
    home = private / "home"
    env.update(HOME=str(home), TMPDIR=str(private / "tmp"), KERAS_HOME=str(home / ".keras"),
               MPLCONFIGDIR=str(home / ".config" / "matplotlib"), MPLBACKEND="Agg",
               TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore", PYTHONNOUSERSITE="1")
    env.setdefault("PATH", "/usr/bin:/bin")
    return env


def seed_matplotlib_cache(private: PrivateFolder) -> None:
    """Copy the grader's matplotlib font list into the kernel's HOME, so the kernel
    does not rebuild it (seconds) on every run."""
    try:
        import matplotlib
    except ImportError:
        return
    target = private / "home" / ".config" / "matplotlib"
    target.mkdir(parents=True, exist_ok=True)
    for fontlist in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(fontlist, target / fontlist.name)


def tasks_of_this_user() -> int:
    """How many processes and threads this user runs now (``RLIMIT_NPROC`` counts them all)."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def apply_limits(limits: Limits):
    """A ``preexec_fn`` setting the kernel's resource limits (inherited by the box)."""
    nproc = tasks_of_this_user() + 512 if os.path.isdir("/proc") else None

    def apply() -> None:
        if limits.memory_gb:
            data = int(limits.memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_DATA, (data, data))
        size = int(limits.file_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        files = limits.open_files if hard == resource.RLIM_INFINITY else min(limits.open_files, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


class GradingKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts behind a command prefix (the sandbox)
    and is interrupted by message (a signal cannot reach into the box)."""

    prefix: list[str] = []

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        """The kernel's command line, behind the sandbox's prefix."""
        return [*self.prefix, *super().format_kernel_cmd(extra_arguments)]

    @property
    def kernel_spec(self):
        """The python3 kernel spec, interrupted by message."""
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec


class GradingClient(NotebookClient):
    """nbclient that caps each cell's stored output and keeps each cell's reply status."""

    def __init__(self, nb, run: Run, **kwargs):
        super().__init__(nb, on_cell_executed=self.keep_reply_status, **kwargs)
        self.run, self.output_chars = run, {}

    def keep_reply_status(self, cell, cell_index, execute_reply) -> None:
        """``on_cell_executed`` hook: remember whether the kernel said the cell failed."""
        if execute_reply is not None:
            self.run.reply_status[cell_index] = execute_reply["content"].get("status", "ok")

    def output(self, outs, msg, display_id, cell_index):
        """Store an output unless the cell already produced more than ``MAX_OUTPUT_CHARS``."""
        if msg["msg_type"] != "error" and cell_index in self.run.truncated:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or msg["msg_type"] == "error":
            return out
        size = self.output_chars.get(cell_index, 0) + output_size(out)
        self.output_chars[cell_index] = size
        if size > MAX_OUTPUT_CHARS:  # nbclient has stored ``out`` already: shrink it in place
            self.run.truncated.add(cell_index)
            text = str(out.get("text", ""))[:1000] if out.get("output_type") == "stream" else ""
            out.clear()
            out.update(nbformat.v4.new_output("stream", name="stdout", text=text + TRUNCATED))
        return out


def output_size(output) -> int:
    """Characters in one output: its text, or all of its data (images, HTML, ...)."""
    if "text" in output:
        return len(str(output["text"]))
    return sum(len(str(value)) for value in output.get("data", {}).values())


def watch(private: PrivateFolder, limits: Limits, deadline: float, run: Run, kill, stop: threading.Event) -> None:
    """Kill the kernel once its private folder holds more than ``limits.workdir_gb``, or once
    the notebook's time is up (a cell that ignores interrupts ends here)."""
    quota = limits.workdir_gb * 2**30
    while not stop.wait(WATCH_INTERVAL_S):
        late = time.monotonic() > deadline + DEADLINE_GRACE_S
        if late or private.size_bytes() > quota:
            run.killed = NOTEBOOK_TIMEOUT if late else f"wrote more than {limits.workdir_gb:g} GB into its working folder"
            kill()
            return


def run_cells(nb: nbformat.NotebookNode, private: PrivateFolder, limits: Limits, sandbox: Sandbox,
              hidden: list[Path], language: str = "en") -> Run:
    """Execute a notebook cell by cell in a fresh kernel; outputs are stored in ``nb``.

    An error in a cell does not stop the run; a cell that runs past its time is
    interrupted and the run goes on; a kernel that dies ends the run.

    Args:
        nb: the notebook to run (changed in place).
        private: the run's own folder.
        limits: time, memory and disk limits.
        sandbox: the box to start the kernel in.
        hidden: folders the box must not show.
        language: ``"en"`` or ``"zh"``, for the check messages.

    Returns:
        What happened to the cells that did not simply finish.
    """
    run = Run()
    deadline = time.monotonic() + limits.notebook_timeout
    seed_matplotlib_cache(private)
    sockets = private / "sockets"  # Unix sockets need no network (and none is in the box)
    km = GradingKernelManager(kernel_name="python3", connection_file=str(sockets / "kernel.json"),
                              **({"transport": "ipc", "ip": str(sockets / "kernel")} if os.name == "posix" else {}))
    km.prefix = sandbox.wrap(private.root, hidden)
    client = GradingClient(nb, run, km=km, timeout=int(limits.cell_timeout), allow_errors=True,
                           interrupt_on_timeout=True, shutdown_kernel="immediate",
                           resources={"metadata": {"path": str(private / "work")}})
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    stop, groups = threading.Event(), []
    try:
        with client.setup_kernel(env=kernel_env(private, language), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 preexec_fn=apply_limits(limits), cleanup_kc=True):
            groups.append(km.provisioner.process.pid)  # the kernel (or its box) leads its own session
            threading.Thread(target=watch, daemon=True,
                             args=(private, limits, deadline, run, lambda: kill_group(groups[0]), stop)).start()
            for position, index in enumerate(code_cells):
                remaining = deadline - time.monotonic()
                if remaining < 1:
                    run.unfinished.update({i: "timeout" for i in code_cells[position:]})
                    break
                client.timeout = max(1, int(min(limits.cell_timeout, remaining)))
                started = time.monotonic()
                try:
                    client.execute_cell(nb.cells[index], index)  # interrupted by nbclient when it runs too long
                except DeadKernelError:
                    late = run.killed == NOTEBOOK_TIMEOUT
                    run.unfinished[index] = "timeout" if late else "dead"
                    run.unfinished.update({i: "timeout" if late else "skipped" for i in code_cells[position + 1:]})
                    break
                if time.monotonic() - started >= client.timeout:
                    run.unfinished[index] = "timeout"
    finally:
        stop.set()
        for pgid in groups:
            kill_group(pgid)
    return run


def kill_group(pgid: int) -> None:
    """SIGKILL a process group, if anything of it is left."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
