"""Running cells in a kernel within limits: interrupts, output caps, memory, files, environment."""

from __future__ import annotations

import json

import nbformat
import pytest

from course.grader.kernel import MAX_OUTPUT_CHARS, TRUNCATED, Limits, PrivateFolder, run_cells
from helpers import SANDBOX

CELLS = [
    "x = 1",
    "while True:\n    pass",
    "print('after the interrupt', x)",
    "from IPython.display import HTML, display\ndisplay(HTML('<b>' + 'x' * 300_000 + '</b>'))",
    "import numpy as np\nhog = np.ones(2**31)",  # 16 GB
    "with open('big.bin', 'wb') as f:\n    f.write(b'0' * 3 * 2**20)",
    "import json, os\nprint(json.dumps(sorted(os.environ)))",
    "print('still alive')",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """One kernel run of CELLS under tight limits."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    mp = pytest.MonkeyPatch()
    mp.setenv("COURSE_TEST_SECRET", "the instructor's token")
    try:
        run = run_cells(nb, PrivateFolder(tmp_path_factory.mktemp("run")),
                        Limits(cell_timeout=5, notebook_timeout=120, memory_gb=2, file_gb=0.002), SANDBOX, [])
    finally:
        mp.undo()
    return nb, run


def outputs(nb, index: int) -> list:
    return nb.cells[index].outputs


@pytest.mark.slow
def test_a_cell_past_its_time_is_interrupted_and_the_next_cells_keep_their_outputs(executed):
    nb, run = executed
    assert run.unfinished == {1: "timeout"}
    assert outputs(nb, 2)[0]["text"] == "after the interrupt 1\n"
    assert outputs(nb, 7)[0]["text"] == "still alive\n"


@pytest.mark.slow
def test_display_outputs_are_capped_too(executed):
    nb, run = executed
    assert 3 in run.truncated
    stored = json.dumps(outputs(nb, 3))
    assert len(stored) < MAX_OUTPUT_CHARS and TRUNCATED.strip() in stored


@pytest.mark.slow
def test_memory_past_the_limit_is_a_memory_error_not_a_dead_kernel(executed):
    nb, run = executed
    assert outputs(nb, 4)[0]["ename"] == "MemoryError"


@pytest.mark.slow
def test_a_file_past_the_size_limit_cannot_be_written(executed):
    nb, _ = executed
    error = outputs(nb, 5)[0]
    assert error["ename"] == "OSError" and "File too large" in error["evalue"]


@pytest.mark.slow
def test_the_kernel_sees_none_of_the_graders_environment(executed):
    nb, _ = executed
    names = json.loads(outputs(nb, 6)[0]["text"])
    assert "COURSE_TEST_SECRET" not in names and "JPY_PARENT_PID" not in names
    assert {"HOME", "TMPDIR", "MPLBACKEND"} <= set(names)
