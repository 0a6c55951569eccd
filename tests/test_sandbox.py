"""The box around grading kernels and the process that owns each grading run.

The box is tested directly: a plain notebook (no guard, no screen) tries what
a hostile submission would, and what it reaches is read back.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course.grader import sandbox
from course.grader.engine import GradingInputs
from course.grader.kernel import Limits, PrivateFolder, run_cells
from course.grader.worker import Job, grade_in_worker
from helpers import LABS, SANDBOX

needs_box = pytest.mark.skipif(not SANDBOX.boxed, reason=f"no sandbox here: {SANDBOX.reason}")


def test_python_paths_never_bind_a_folder_holding_a_hidden_one(tmp_path):
    hidden = (Path(sys.prefix) / "lib").resolve()
    paths = sandbox.python_paths([hidden])
    assert paths and all(p != hidden and p not in hidden.parents for p in paths)
    assert Path(sandbox.__file__).resolve().parents[1] in sandbox.python_paths([tmp_path])  # the package


def test_bwrap_argv_unshares_everything_and_binds_nothing_hidden(tmp_path):
    course_folder = Path(__file__).resolve().parents[1]
    argv = sandbox.bwrap_argv(PrivateFolder(tmp_path).root, [course_folder, Path.home()])
    assert argv[0] == "bwrap" and {"--unshare-all", "--die-with-parent", "--cap-drop"} <= set(argv)
    bound = [argv[i + 1] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind", "--dev-bind")]
    for hidden in (course_folder, Path.home()):
        assert str(hidden.resolve()) not in bound
        assert not any(hidden.resolve() in Path(b).resolve().parents and "course" not in b and "data" not in b
                       and ".pyenv" not in b and "site-packages" not in b for b in bound)
    writable = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert all(Path(w).resolve() == tmp_path.resolve() or tmp_path.resolve() in Path(w).resolve().parents
               for w in writable)


def test_choose_modes(monkeypatch):
    assert sandbox.choose("none").kind == "none"
    with pytest.raises(ValueError, match="unknown sandbox"):
        sandbox.choose("docker")
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bubblewrap is not installed: install it")
    assert sandbox.choose("auto") == sandbox.Sandbox(
        "none", "bubblewrap is not installed: install it; grading without a sandbox")
    with pytest.raises(sandbox.SandboxError, match="--sandbox bwrap: bubblewrap is not installed"):
        sandbox.choose("bwrap")


ATTACKS = r'''
import json, os, socket
found = {}
def attempt(name, action):
    try:
        found[name] = ("done", repr(action())[:200])
    except BaseException as error:
        found[name] = ("refused", type(error).__name__)
attempt("read_solution", lambda: open(COURSE + "/solutions/secret.py").read())
attempt("list_course", lambda: os.listdir(COURSE))
attempt("write_course", lambda: open(COURSE + "/notes.md", "w").write("gone"))
attempt("read_home_canary", lambda: open(HOME_CANARY).read())
attempt("write_system", lambda: open("/usr/owned", "w").write("x"))
attempt("write_etc", lambda: open("/etc/owned", "w").write("x"))
attempt("connect", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=3))
attempt("signal_grader", lambda: os.kill(GRADER_PID, 0))
attempt("parent_cwd", lambda: os.listdir(f"/proc/{os.getppid()}/cwd"))
attempt("write_home", lambda: open(os.path.expanduser("~/.bashrc"), "w").write("x"))
attempt("write_tmp", lambda: open("/tmp/left-behind", "w").write("x"))
attempt("write_dev", lambda: open("/dev/in-memory", "w").write("x"))
attempt("write_shm", lambda: open("/dev/shm/segment", "w").write("x"))
found["pid"] = os.getpid()
print(json.dumps(found))
'''


@needs_box
def test_a_boxed_kernel_reaches_nothing_of_the_instructor(tmp_path):
    course_folder, home = tmp_path / "course", tmp_path / "home"
    (course_folder / "solutions").mkdir(parents=True)
    (course_folder / "solutions" / "secret.py").write_text("ANSWER = 42\n")
    (course_folder / "notes.md").write_text("instructor's notes\n")
    home.mkdir()
    (home / "canary").write_text("private\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    setup = (f"COURSE = {str(course_folder)!r}\nHOME_CANARY = {str(home / 'canary')!r}\n"
             f"PORT = {listener.getsockname()[1]}\nGRADER_PID = {os.getpid()}")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(ATTACKS)]
    private = PrivateFolder(tmp_path / "private")
    run = run_cells(nb, private, Limits(cell_timeout=60, notebook_timeout=120), SANDBOX,
                    hidden=[course_folder, home])
    assert run.unfinished == {}
    found = json.loads(nb.cells[1].outputs[0]["text"])
    for attack in ("read_solution", "list_course", "write_course", "read_home_canary", "write_system",
                   "write_etc", "write_dev", "connect", "signal_grader"):
        assert found[attack][0] == "refused", (attack, found[attack])
    assert found["parent_cwd"][0] == "refused" or "notes.md" not in found["parent_cwd"][1]
    assert found["write_home"][0] == found["write_tmp"][0] == found["write_shm"][0] == "done"  # its own
    assert found["pid"] < 10  # its own PID namespace
    assert (course_folder / "notes.md").read_text() == "instructor's notes\n"
    assert sorted(p.name for p in course_folder.iterdir()) == ["notes.md", "solutions"]
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing ever connected
    assert (private / "tmp" / "left-behind").exists()  # the box's /tmp is the run's own folder
    assert (private / "shm" / "segment").exists()  # and so is /dev/shm: on disk, where its size is watched
    assert not Path("/tmp/left-behind").exists() or Path("/tmp/left-behind").stat().st_mtime < time.time() - 600


def job(notebook_timeout: float = 30) -> Job:
    inputs = GradingInputs("lab01_perceptron", {"cells": []}, None)
    return Job("alice.ipynb", b"{}", inputs, Limits(notebook_timeout=notebook_timeout), sandbox.choose("none"))


def test_a_worker_killed_by_its_notebook_is_a_crashed_row():
    result = grade_in_worker(job(), (sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))
    assert result.status == "crashed" and "killed by signal 9" in str(result)


def test_a_worker_that_prints_nonsense_is_a_crashed_row():
    result = grade_in_worker(job(), (sys.executable, "-c", "import sys; sys.stdin.read(); print('{\"report\": 3}')"))
    assert result.status == "crashed" and "no readable result" in str(result)


def test_a_hung_worker_is_stopped_and_everything_it_started_is_reaped(tmp_path):
    pid_file = tmp_path / "child.pid"
    script = (f"import subprocess, time; p = subprocess.Popen(['sleep', '300']); "
              f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(300)")
    started = time.monotonic()
    result = grade_in_worker(job(notebook_timeout=1), (sys.executable, "-c", script), margin_s=3)
    assert result.status == "crashed" and "did not finish in time" in str(result)
    assert time.monotonic() - started < 60
    status = Path(f"/proc/{int(pid_file.read_text())}/status")
    for _ in range(20):  # the worker's whole process group is gone (or a zombie waiting for init)
        if not status.exists() or "\tZ" in status.read_text().split("State:")[1].splitlines()[0]:
            break
        time.sleep(0.25)
    else:
        pytest.fail("the worker's child is still running")


def test_the_batch_inputs_are_read_before_any_notebook_runs(tmp_path):
    lab = LABS["lab01_perceptron"]
    inputs = GradingInputs.from_lab(lab)
    assert inputs.instructor == dict(lab.instructor_notebook()) and inputs.released is not None
    assert str(lab.source.parent.resolve()) in inputs.protected
    assert str(Path.home().resolve()) in inputs.hidden and str(lab.source.parent.parent.resolve()) in inputs.hidden
