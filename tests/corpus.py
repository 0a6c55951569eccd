"""A corpus of lab01 submissions: honest (tidy and messy), partial, broken and hostile.

Each case is a function that returns the submission's bytes, with the gradebook
status (its prefix) and the score it must get. The cases are built from the
released lab and the instructor's answers at test time, so they follow lab01
as it changes. Points: sigmoid 1, perceptron 2, tanh 1, relu 1, gates 2,
MyDenseLayer 3; perceptron and tanh use the student's sigmoid.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

from course.grader.engine import GradingInputs
from course.grader.gradebook import Options, grade_folder
from course.grader.kernel import Limits
from course.labs import is_graded_cell, nbgrader_meta
from helpers import LABS, SANDBOX, answer_sources, submission

LAB = "lab01_perceptron"


@dataclass
class Case:
    name: str
    build: Callable[[], bytes]
    status: str  # expected prefix of the gradebook status
    score: float
    note: str = ""  # text the row's notes must contain


def notebook(answers: dict[str, str] | None = None, edit=None) -> bytes:
    """The released lab with answer cells replaced, then ``edit(nb)`` applied, as bytes."""
    return nbformat.writes(submission(LAB, answers, edit)).encode("utf-8")


def solved(**changes: str) -> dict[str, str]:
    """The instructor's answers, with some answer cells replaced."""
    return {**answer_sources(LAB), **changes}


def with_prefix(grade_id: str, prefix: str) -> dict[str, str]:
    """The instructor's answers, one answer cell starting with extra code."""
    answers = solved()
    return {**answers, grade_id: prefix + "\n" + answers[grade_id]}


def cells(nb, keep: Callable) -> None:
    nb.cells = [c for c in nb.cells if keep(c)]


def graded(nb) -> list:
    return [c for c in nb.cells if is_graded_cell(c)]


def set_meta(grade_id: str, key: str, value) -> Callable:
    def edit(nb):
        next(c for c in graded(nb) if c.metadata.nbgrader["grade_id"] == grade_id).metadata.nbgrader[key] = value
    return edit


def forged_outputs(nb) -> None:
    for cell in graded(nb):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✔ all good\n")]
        cell.execution_count = 1


def executed_elsewhere(nb) -> None:
    """Outputs as another machine gives them: every ✔ line, with other trailing digits."""
    for cell in graded(nb):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                               text=f"✔ {nbgrader_meta(cell)['grade_id']} ok (loss 0.1234571)\n")]
        cell.execution_count = 7
    for cell in nb.cells:
        if cell.cell_type == "code" and not nbgrader_meta(cell).get("grade"):
            cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                                         "text/plain": "<Figure>"})]


def reorder_checks(nb) -> None:
    checks = graded(nb)
    positions = [nb.cells.index(c) for c in checks]
    for position, cell in zip(positions, reversed(checks)):
        nb.cells[position] = cell


def huge_output(nb) -> None:
    worked = next(c for c in nb.cells if c.cell_type == "code" and not nbgrader_meta(c))
    worked.outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * 30_000_000)]


def non_utf8() -> bytes:
    text = notebook(solved())
    return text.replace("## Setup".encode(), b"## Setup \xff\xfe\xfa", 1)


WRONG_SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(z))"
SOLUTIONS_PATH = ("import pathlib, course\n"
                  "_source = pathlib.Path(course.__file__).parents[1] / 'solutions' / 'lab01_perceptron.py'\n")
COLAB_HABITS = "!pip install -q numpy\n!nvidia-smi\n%pip list\n%matplotlib inline\n%load_ext autoreload\n%autoreload 2"
PLOTS_AND_PRINTS = ("import sys\nimport matplotlib.pyplot as plt\nprint(sys.version)\nnp.random.seed(0)\n"
                    "plt.plot(np.random.rand(5))\nplt.title('my plot')\nplt.show()\nprint('debug: here')")

HONEST = [
    Case("correct", lambda: notebook(solved()), "graded", 10),
    Case("executed_elsewhere", lambda: notebook(solved(), executed_elsewhere), "graded", 10),
    Case("colab_habits", lambda: notebook(with_prefix("sigmoid", COLAB_HABITS)), "graded", 10,
         "skipped `!pip install -q numpy`"),
    Case("timed_cells", lambda: notebook({**with_prefix("MyDenseLayer", "%%time"),
                                          "relu": "%time _ = np.zeros(3)\n" + solved()["relu"]}), "graded", 10),
    Case("plots_and_prints", lambda: notebook(with_prefix("tanh", PLOTS_AND_PRINTS)), "graded", 10),
    Case("edited_points", lambda: notebook(solved(), set_meta("check_sigmoid", "points", 100)), "graded", 10,
         "check_sigmoid: its nbgrader metadata was edited (points)"),
    Case("edited_checksum", lambda: notebook(solved(), set_meta("check_relu", "checksum", "0" * 32)), "graded", 10,
         "metadata was edited (checksum)"),
    Case("check_cells_deleted", lambda: notebook(solved(), lambda nb: cells(
        nb, lambda c: not is_graded_cell(c))), "graded", 10),
    Case("check_cells_reordered", lambda: notebook(solved(), reorder_checks), "graded", 10),
    Case("non_utf8_bytes", non_utf8, "graded", 10),
    Case("very_large_outputs", lambda: notebook(solved(), huge_output), "graded", 10),
    Case("output_flood", lambda: notebook(with_prefix("sigmoid", "print('x' * 20_000_000)")), "graded", 10),
    Case("common_names_rebound", lambda: notebook(solved(MyDenseLayer=solved()["MyDenseLayer"] + (
        "\nlayers = [2, 3, 1]\nrandom = np.random.rand(3)\nos = 'linux'"))), "graded", 10),
    Case("signal_to_parent_caught", lambda: notebook(with_prefix("relu", (
        "import os\ntry:\n    os.kill(os.getppid(), 9)\nexcept OSError:\n    pass"))), "graded", 10,
         "refused while grading"),
]

PARTIAL_AND_BROKEN = [
    Case("blank", lambda: notebook(), "graded", 0),
    Case("partial", lambda: notebook({k: v for k, v in solved().items()
                                      if k in ("sigmoid", "perceptron", "relu")}), "graded", 4),
    Case("wrong_sigmoid", lambda: notebook(solved(sigmoid=WRONG_SIGMOID)), "graded", 6),
    Case("forged_outputs", lambda: notebook(None, forged_outputs), "graded", 0,
         "showed this check passing; graded here it is not_attempted"),
    Case("check_cell_edited", lambda: notebook(solved(sigmoid=WRONG_SIGMOID), lambda nb: graded(nb)[0]
                                               .update(source="print('✔ sigmoid is fine')",
                                                       outputs=[nbformat.v4.new_output(
                                                           "stream", name="stdout", text="✔ sigmoid is fine\n")])),
         "graded", 6, "check_sigmoid: the submitted notebook showed this check passing"),
    Case("answer_cell_missing", lambda: notebook(solved(), lambda nb: cells(
        nb, lambda c: nbgrader_meta(c).get("grade_id") != "relu")), "graded", 9),
    Case("not_json", lambda: b"this is not a notebook {", "invalid", 0),
    Case("json_not_notebook", lambda: json.dumps({"hello": [1, 2]}).encode(), "invalid", 0),
    Case("empty_notebook", lambda: nbformat.writes(nbformat.v4.new_notebook()).encode(), "invalid", 0),
    Case("other_lab", lambda: notebook(solved(), lambda nb: nb.metadata.update(
        course={"lab": "lab03_loss"})), "wrong_lab", 0),
    Case("infinite_loop", lambda: notebook(solved(relu="def relu(z):\n    while True:\n        pass")),
         "timeout", 9),
    Case("answer_cell_hangs", lambda: notebook(with_prefix("tanh", "import time\ntime.sleep(10_000)")),
         "timeout: tanh", 9),
    Case("os_exit", lambda: notebook(with_prefix("tanh", "import os\nos._exit(3)")), "crashed", 3),
    Case("segfault", lambda: notebook(with_prefix("relu", "import faulthandler\nfaulthandler._sigsegv()")),
         "crashed", 4),
    Case("kill_own_group", lambda: notebook(with_prefix("relu", "import os\nos.killpg(0, 9)")), "crashed", 4),
    Case("out_of_memory", lambda: notebook(solved(
        relu="def relu(z):\n    return np.maximum(0, z)\nhog = np.ones(2**34)")), "out_of_memory: relu", 10),
    Case("fill_the_disk", lambda: notebook(with_prefix("relu", (
        "try:\n    with open('big.bin', 'wb') as f:\n        for _ in range(5000):\n            f.write(b'0' * 2**20)\n"
        "except OSError:\n    pass\nfor i in range(50):\n    with open(f'f{i}.bin', 'wb') as f:\n"
        "        for _ in range(200):\n            f.write(b'0' * 2**20)"))), "crashed", 4),
]

HOSTILE = [
    # the static screen: the flagged cell does not run, its checks are tampered, the rest are graded
    Case("patch_check_function", lambda: notebook(solved(sigmoid=solved()["sigmoid"] + (
        "\nchecks.check_sigmoid = lambda *args, **kwargs: print('✔ sigmoid')"))), "tampered: check_sigmoid", 6),
    Case("patch_checks_core", lambda: notebook(with_prefix("sigmoid", (
        "import course.checks.core\ncourse.checks.core.expect_close = lambda *a, **k: None"))), "tampered", 6),
    Case("edit_sys_modules", lambda: notebook(with_prefix("sigmoid", (
        "import sys, types\nsys.modules['course.checks.lab01_perceptron'] = types.SimpleNamespace()"))),
         "tampered", 6),
    Case("patch_numpy_allclose", lambda: notebook(solved(sigmoid=WRONG_SIGMOID + (
        "\nnp.allclose = lambda *args, **kwargs: True"))), "tampered", 6),
    Case("patch_tensorflow", lambda: notebook(with_prefix("sigmoid", (
        "import tensorflow as tf\ntf.debugging.assert_near = lambda *args, **kwargs: None"))), "tampered", 6),
    Case("rebind_checks", lambda: notebook(with_prefix("relu", (
        "class _Pass:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
        "checks = _Pass()"))), "tampered: check_relu", 9),
    Case("swallow_errors", lambda: notebook(with_prefix("sigmoid", (
        "get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: ['✔ ok'])"))), "tampered", 6),
    Case("rewrite_check_cells", lambda: notebook(with_prefix("sigmoid", (
        "get_ipython().input_transformers_post.append(lambda lines: [l for l in lines if 'checks' not in l])"
    ))), "tampered", 6),
    Case("disable_guard_with_gc", lambda: notebook({**solved(MyDenseLayer="raise NotImplementedError()"),
                                                    "relu": solved()["relu"] + (
        "\nimport gc\nfor _o in gc.get_objects():\n    if callable(_o) and 'guard' in getattr(_o, '__qualname__', ''):\n"
        "        pass\nchecks.check_my_dense_layer = lambda *a, **k: print('✔ fine')")}), "tampered", 6),
    Case("post_run_cell_event", lambda: notebook(with_prefix("sigmoid", (
        "get_ipython().events.register('post_run_cell', lambda result: None)"))), "tampered", 6),
    Case("exec_stolen_solution", lambda: notebook(with_prefix("sigmoid", SOLUTIONS_PATH + (
        "try:\n    exec(_source.read_text().split('### BEGIN SOLUTION')[1].split('### END')[0])\n"
        "except Exception:\n    pass"))), "tampered", 6),
    Case("rewrite_own_memory", lambda: notebook(with_prefix("relu", (
        "try:\n    open('/proc/self/mem', 'rb').close()\nexcept OSError:\n    pass"))), "tampered: check_relu", 4),
    Case("patch_through_an_alias", lambda: notebook(with_prefix("relu", "_n = np\n_n.allclose = lambda *a, **k: True")),
         "tampered: check_relu", 9),
    Case("ctypes_read", lambda: notebook(with_prefix("relu", "import ctypes\nlibc = ctypes.CDLL(None)")),
         "tampered: check_relu", 9),
    # the tripwire and the box: what runs is refused or reaches nothing of the instructor's
    Case("read_instructor_file", lambda: notebook(with_prefix("sigmoid", SOLUTIONS_PATH + (
        "try:\n    _stolen = _source.read_text()\nexcept Exception:\n    pass"))), "tampered", 0),
    Case("subprocess_copy", lambda: notebook(with_prefix("sigmoid", SOLUTIONS_PATH + (
        "import subprocess\ntry:\n    subprocess.run(['cat', str(_source)], capture_output=True)\n"
        "except Exception:\n    pass"))), "tampered", 0),
]

CASES = HONEST + PARTIAL_AND_BROKEN + HOSTILE


# cell_timeout: lab01's Setup (imports) needs ~7 s alone on a slow machine, more beside other tests
OPTIONS = Options(Limits(cell_timeout=30, notebook_timeout=300, memory_gb=8), SANDBOX)


def grade_cases(folder: Path, names: list[str], out: Path, jobs: int, **kwargs) -> dict[str, dict]:
    """Write the named cases into ``folder``, grade them, and return the gradebook's rows by student."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        if case.name in names:
            (folder / f"{case.name}.ipynb").write_bytes(case.build())
    inputs = GradingInputs.from_lab(LABS[LAB], protect=[folder], hide=[folder])
    grade_folder(folder, inputs, out, OPTIONS, jobs=jobs, **kwargs)
    with open(out, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}
