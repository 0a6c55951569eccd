"""The static screen of answer cells and the neutralizing of shell commands and magics (no kernel)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from course.grader.screen import Finding, neutralize_shell, screen
from course.labs import discover_labs, is_answer_cell

ROOT = Path(__file__).resolve().parents[1]


def solution_cells():
    for lab_id, lab in discover_labs(ROOT).items():
        for index, cell in enumerate(lab.instructor_notebook().cells):
            if is_answer_cell(cell):
                yield pytest.param(cell.source, id=f"{lab_id}-{index}")


def run(python: str, namespace: dict | None = None) -> tuple[dict, list[str]]:
    """Exec ``python`` and return its namespace and the lines it printed."""
    namespace = {} if namespace is None else namespace
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(python, namespace)
    return namespace, output.getvalue().splitlines()


@pytest.mark.parametrize("source", list(solution_cells()))
def test_every_solution_answer_passes(source):
    assert screen(source) == []
    assert neutralize_shell(source) == (source, [])


HONEST = [
    "!pip install numpy",
    "%matplotlib inline\n%load_ext autoreload\n%autoreload 2\nimport numpy as np",
    "files = !ls\n%pip list\n%env TF_CPP_MIN_LOG_LEVEL=2\n%cd /tmp",
    "%time history = model.fit(x, y, epochs=3)\n%timeit sigmoid(z)",
    "%%time\nfor _ in range(3):\n    !nvidia-smi\n    model.fit(x, y)",
    "%%capture\n!pip install tqdm",
    "%%writefile helper.py\nimport gc\ngc.collect()",
    "import sys\nimport os\nprint(sys.version, os.getcwd())\nsys.stdout.write('hi')",
    "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
    "np.random.seed(0)\nrng = np.random.default_rng(0)\nkeras.utils.set_random_seed(0)\nplt.plot([1, 2])",
    "plt.rcParams['figure.figsize'] = (8, 4)\nimport os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'",
    (
        "@keras.saving.register_keras_serializable()\n"
        "class Scale(keras.layers.Layer):\n"
        "    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.units = units\n"
        "    def build(self, input_shape):\n"
        "        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer='ones')\n"
        "    def call(self, inputs):\n"
        "        return keras.ops.matmul(inputs, self.w)\n"
        "    def get_config(self):\n"
        "        return {**super().get_config(), 'units': self.units}\n"
        "    def __repr__(self):\n"
        "        return f'{self.__class__.__name__}({self.units}) {type(self).__name__}'"
    ),
    (
        "@tf.function\n"
        "def train_step(model, optimizer, loss_fn, x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = loss_fn(y, model(x, training=True))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "    return loss"
    ),
    (
        "class EarlyStop(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        wait = 0\n"
        "        while wait < 3:\n"
        "            wait += 1\n"
        "        if logs['val_loss'] > 1:\n"
        "            self.model.stop_training = True"
    ),
    "layer = model.layers[0]\nlayer.kernel.assign(w)\nlayer.kernel = w\nmodel.trainable = False\nk = layer.kernel",
    "count = 0\ndef bump():\n    global count\n    count += 1\n    return getattr(bump, 'calls', None)",
    "squares = [x * x for x in range(3)]\nf = lambda t: t + 1\nname = 'units'\nvalue = getattr(layer, name, None)",
    "model.compile(optimizer='adam', loss='mse')\nisinstance(model, keras.Model)",
    "def relu(z):\n    layers = [1, 2]\n    np = None\n    return z",
    "with open('data.csv') as handle:\n    text = handle.read()\nfrom pathlib import Path\nPath('data.csv').read_text()",
    "from course import plots\nimport math\nimport random\nimport pickle\nprint(math.pi, random.random())",
]


@pytest.mark.parametrize("source", HONEST)
def test_honest_cell_has_no_findings(source):
    assert screen(neutralize_shell(source)[0]) == []


HOSTILE = [
    ("import gc\nobjs = gc.get_objects()", "imports `gc`", 1),
    ("import ctypes", "imports `ctypes`", 1),
    ("x = 1\nfrom ctypes import *", "imports `ctypes`", 2),
    ("import sys\nsys.modules['x'] = y", "uses `sys.modules`", 2),
    ("import sys\nsys.settrace(f)", "uses `sys.settrace`", 2),
    ("import sys as s\ns.addaudithook(hook)", "uses `sys.addaudithook`", 2),
    ("from sys import modules", "uses `sys.modules`", 1),
    ("get_ipython().events.register('post_run_cell', f)", "uses IPython's `events`", 1),
    ("ip = get_ipython()\nip.input_transformers_post.append(f)", "uses IPython's `input_transformers_post`", 2),
    ("get_ipython().set_custom_exc((Exception,), handler)", "uses IPython's `set_custom_exc`", 1),
    ("ip = get_ipython()\nip.kernel.shell", "uses IPython's `kernel`", 2),
    ("get_ipython().push({'checks': fake})", "uses IPython's `push`", 1),
    ("np.allclose = lambda *a, **k: True", "assigns `np.allclose`", 1),
    ("np.testing.assert_allclose = lambda *a, **k: None", "assigns `np.testing.assert_allclose`", 1),
    ("import course.checks.core as c\nc.expect_close = lambda *a: None", "assigns `c.expect_close`", 2),
    ("tf.debugging.assert_near = print", "assigns `tf.debugging.assert_near`", 1),
    ("del keras.ops.sigmoid", "deletes `keras.ops.sigmoid`", 1),
    ("setattr(np, 'allclose', f)", "calls `setattr` on `np`", 1),
    ('setattr(checks, "check_sigmoid", f)', "calls `setattr` on `checks`", 1),
    ("delattr(np, 'allclose')", "calls `delattr` on `np`", 1),
    ("object.__setattr__(np, 'allclose', f)", "calls `__setattr__` on `np`", 1),
    ("vars(np)['allclose'] = f", "writes into `vars(np)`", 1),
    ("globals().update(checks=fake)", "writes into `globals()`", 1),
    ("exec(code)", "calls `exec`", 1),
    ("y = eval('1')", "calls `eval`", 1),
    ("c = compile('x = 1', 'f', 'exec')", "calls `compile`", 1),
    ("gc = __import__('gc')", "calls `__import__`", 1),
    ("run = exec\nrun(code)", "uses `exec`", 1),
    ("f.__globals__['x'] = 1", "uses `__globals__`", 1),
    ("code = (lambda: 0).__code__", "uses `__code__`", 1),
    ("object.__subclasses__()", "uses `__subclasses__`", 1),
    ("().__class__.__base__.__subclasses__()", "uses `__base__`", 1),
    ("x.__class__.__init__.__call__", "uses `__class__.__init__`", 1),
    ("__builtins__['exec']", "uses `__builtins__`", 1),
    ("import builtins\ngetattr(builtins, 'exec')('x = 1')", "calls `getattr` for `exec`", 2),
    ("import builtins\nbuiltins.exec('x = 1')", "uses `builtins.exec`", 2),
    ("import builtins\nbuiltins.print = lambda *a: None", "assigns `builtins.print`", 2),
    ("getattr(f, '__globals__')", "calls `getattr` for `__globals__`", 1),
    ("checks = object()", "rebinds `checks`", 1),
    ("def helper():\n    global np\n    np = None", "rebinds `np`", 3),
    ("def checks():\n    pass", "rebinds `checks`", 1),
    ("import sys\nsys.stdout = open('/dev/null', 'w')", "assigns `sys.stdout`", 2),
    ("import course.grader.guard", "imports `course.grader.guard`", 1),
    ("from course import grader", "imports `course.grader`", 1),
    ("import inspect\ng = inspect.currentframe().f_back.f_globals", "imports `inspect`", 1),
    ("import inspect\ng = inspect.currentframe().f_back.f_globals", "uses `f_back`", 2),
    ("import sys\ng = sys._getframe(1).f_globals", "uses `sys._getframe`", 2),
    ("import sys\ng = sys._getframe(1).f_globals", "uses `f_globals`", 2),
    ("import importlib\nimportlib.reload(np)", "imports `importlib`", 1),
    ("import types\nf = types.FunctionType(code, {})", "uses `types.FunctionType`", 2),
    ("import os\nos.system('rm -rf data')", "uses `os.system`", 2),
    ("ip = get_ipython()\nip.run_cell('import gc')", "uses IPython's `run_cell`", 2),
]


@pytest.mark.parametrize("source, construct, line", HOSTILE, ids=[h[1] for h in HOSTILE])
def test_hostile_cell_is_flagged(source, construct, line):
    findings = screen(source)
    assert any(construct in f.construct and f.line == line for f in findings), findings


def test_findings_are_in_source_order_without_duplicates():
    source = "import gc\nimport gc, ctypes\nx = 1\nnp.allclose = np.allclose = None\nexec('1')"
    assert screen(source) == [
        Finding("imports `gc`", 1),
        Finding("imports `gc`", 2),
        Finding("imports `ctypes`", 2),
        Finding("assigns `np.allclose`", 4),
        Finding("calls `exec`", 5),
    ]
    assert str(Finding("uses `gc`", 3)) == "uses `gc` (line 3)"


def test_source_that_does_not_parse_has_no_findings():
    assert screen("import gc\ndef f(:\n") == []


# --- neutralize_shell -------------------------------------------------------


def test_shell_command_prints_one_line():
    python, notes = neutralize_shell("!pip install numpy")
    _, printed = run(python)
    assert notes == ["!pip install numpy"]
    assert len(printed) == 1 and "skipped `!pip install numpy`" in printed[0]


def test_magics_are_skipped_and_the_rest_runs():
    source = "%matplotlib inline\n!nvidia-smi\ndef f(x):\n    return 2 * x\n"
    python, notes = neutralize_shell(source)
    namespace, printed = run(python)
    assert notes == ["%matplotlib inline", "!nvidia-smi"]
    assert namespace["f"](3) == 6
    assert len(printed) == 2 and all("skipped" in line for line in printed)
    assert "skipped `%matplotlib inline`" in printed[0] and "skipped `!nvidia-smi`" in printed[1]
    assert screen(python) == []


def test_time_line_magic_runs_its_statement():
    python, notes = neutralize_shell("%time y = f(3)")
    namespace, printed = run(python, {"f": lambda x: x + 1})
    assert (namespace["y"], printed, notes) == (4, [], [])


def test_time_in_an_expression_is_its_expression():
    python, notes = neutralize_shell("t = %time f(3)")
    assert (python, notes) == ("t = f(3)", [])


def test_time_cell_magic_runs_its_body():
    python, notes = neutralize_shell("%%time\ny = 2\nz = y * 3\n")
    namespace, printed = run(python)
    assert (namespace["z"], printed, notes) == (6, [], [])


def test_capture_cell_body_is_neutralized_too():
    python, notes = neutralize_shell("%%capture\n!pip install tqdm\nx = 1\n")
    namespace, printed = run(python)
    assert notes == ["!pip install tqdm"]
    assert namespace["x"] == 1 and len(printed) == 1


def test_captured_shell_output_is_none():
    python, notes = neutralize_shell("files = !ls")
    namespace, printed = run(python)
    assert namespace["files"] is None
    assert notes == ["!ls"] and len(printed) == 1


def test_shell_cell_magic_runs_nothing():
    python, notes = neutralize_shell("%%bash\necho hi\n")
    _, printed = run(python)
    assert notes == ["%%bash"]
    assert printed == ["grader: skipped `%%bash` (shell commands and magics do not run while grading)"]


def test_indented_shell_command():
    python, notes = neutralize_shell("if True:\n    !ls\n    x = 1\n")
    namespace, printed = run(python)
    assert notes == ["!ls"] and namespace["x"] == 1 and len(printed) == 1


def test_hand_written_system_call_is_skipped():
    python, notes = neutralize_shell('get_ipython().system("ls")\nx = 1')
    namespace, _ = run(python)
    assert notes == ["!ls"] and namespace["x"] == 1


def test_notes_follow_the_cell_order():
    source = "%load_ext autoreload\n%autoreload 2\nx = 1\n%cd /tmp\n%env A=1\n%run other.py\n"
    assert neutralize_shell(source)[1] == ["%load_ext autoreload", "%autoreload 2", "%cd /tmp", "%env A=1",
                                           "%run other.py"]


def test_syntax_error_is_returned_unchanged():
    source = "!ls\ndef f(:\n    pass\n"
    assert neutralize_shell(source) == (source, [])


def test_plain_code_is_returned_unchanged():
    source = "import numpy as np  # a comment\n\nx = np.ones(3)\n"
    python, notes = neutralize_shell(source)
    assert python is source and notes == []
