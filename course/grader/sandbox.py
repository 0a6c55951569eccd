"""The box around every grading kernel: bubblewrap (``bwrap``) on Linux.

Inside the box the kernel has new user, PID, IPC, network, UTS and cgroup
namespaces (no network at all: it talks to the grader over Unix sockets in a
private folder), read-only views of the system and of the Python environment,
and one private writable folder of its own (working folder, ``HOME`` and
``/tmp``). It sees nothing of the course folder, the submissions or the
instructor's home, can signal nothing outside the box, and dies with the
grader. ``auto`` uses bubblewrap when it works here and otherwise grades
without a box, saying so in one warning line.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MODES = ("auto", "bwrap", "none")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts", "/etc/localtime",
                "/etc/alternatives", "/etc/mime.types", "/sys/devices/system/cpu")
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`)"


class SandboxError(RuntimeError):
    """``--sandbox bwrap`` was asked for but bubblewrap does not work here."""


@dataclass(frozen=True)
class Sandbox:
    """Which box grading kernels run in, and why.

    Attributes:
        kind: ``"bwrap"`` or ``"none"``.
        reason: one line saying why this kind applies.
    """

    kind: str
    reason: str

    @property
    def boxed(self) -> bool:
        """True when kernels run inside bubblewrap."""
        return self.kind == "bwrap"

    def wrap(self, private: Path, hidden: list[Path]) -> list[str]:
        """The command prefix that starts a program in the box (empty for no box).

        Args:
            private: the run's own folder, the only writable place in the box
                (it holds the working folder, ``home``, ``tmp``, ``shm`` and the sockets).
            hidden: folders that must not be visible (the course folder, the
                submissions, the instructor's home); nothing containing them is bound.
        """
        return bwrap_argv(private, hidden) if self.boxed else []


def bwrap_argv(private: Path, hidden: list[Path]) -> list[str]:
    """bubblewrap's arguments for one grading run (see :meth:`Sandbox.wrap`)."""
    private = private.resolve()
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL",
            "--proc", "/proc", "--dev", "/dev", "--unsetenv", "JPY_PARENT_PID",
            # the writable places first, so that read-only binds below /tmp (a venv there) stay visible
            "--bind", str(private / "tmp"), "/tmp", "--bind", str(private), str(private),
            "--bind", str(private / "shm"), "/dev/shm"]  # on disk and counted, not in memory
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
    for path in SYSTEM_FILES:
        argv += ["--ro-bind-try", path, path]
    for path in python_paths(hidden):
        argv += ["--ro-bind", str(path), str(path)]
    for device in sorted(Path("/dev").glob("nvidia*")):  # the GPU, for .[gpu] installs
        argv += ["--dev-bind", str(device), str(device)]
    return argv + ["--chdir", str(private / "work"), "--remount-ro", "/dev", "--remount-ro", "/"]


def python_paths(hidden: list[Path]) -> list[Path]:
    """The folders the kernel's Python needs, read-only: the interpreter, its
    libraries and site-packages, and this package with its data (for an
    editable install they live in the course folder, of which nothing else is bound).

    Args:
        hidden: folders that must stay invisible; a path that contains one is left out.
    """
    import course
    from course.data import data_dir

    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
                  *site.getsitepackages(), Path(course.__file__).parent,
                  data_dir()]
    hidden = [h.resolve() for h in hidden]
    chosen: list[Path] = []
    for candidate in candidates:
        path = Path(candidate).resolve()
        if not path.is_dir() or any(h == path or path in h.parents for h in hidden):
            continue
        if not any(path == c or c in path.parents for c in chosen):
            chosen = [c for c in chosen if path not in c.parents] + [path]
    return sorted(chosen)


@functools.lru_cache(maxsize=None)
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot run a grading kernel's Python here (None when it can)."""
    if sys.platform != "linux":
        return f"bubblewrap needs Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return f"bubblewrap is not installed: {INSTALL_HINT}"
    with tempfile.TemporaryDirectory(prefix="course-probe-") as folder:
        private = Path(folder)
        for sub in ("work", "tmp", "shm"):
            (private / sub).mkdir()
        try:
            done = subprocess.run([*bwrap_argv(private, hidden=[]), sys.executable, "-c", "print('ok')"],
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap did not start ({error})"
    if done.returncode != 0 or done.stdout.strip() != "ok":
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"bubblewrap cannot create its namespaces here ({detail})"
    return None


def choose(mode: str = "auto") -> Sandbox:
    """The sandbox for ``--sandbox MODE``.

    Raises:
        SandboxError: ``mode`` is ``"bwrap"`` and bubblewrap does not work here.
        ValueError: an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown sandbox {mode!r} (choose from {', '.join(MODES)})")
    if mode == "none":
        return Sandbox("none", "--sandbox none: kernels run without a box, with your user's rights")
    problem = bwrap_problem()
    if problem is None:
        return Sandbox("bwrap", "bubblewrap works here: every grading kernel runs in its own box")
    if mode == "bwrap":
        raise SandboxError(f"--sandbox bwrap: {problem}")
    return Sandbox("none", f"{problem}; grading without a sandbox")
