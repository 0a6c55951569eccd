"""Unit tests of the grader's pure parts on hand-built in-memory notebooks.

No Jupyter kernel and no TensorFlow: every notebook here is a few cells made
with ``nbformat.v4``, executed outputs are written by hand, and each assert is
exact (the style of nbgrader's preprocessor tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course.grader import engine, gradebook, guard, integrity, reading, worker
from course.grader.engine import GradingInputs
from course.grader.integrity import GuardReport
from course.grader.kernel import Limits, Run
from course.grader.results import CellResult, Incident, Report
from course.grader.sandbox import Sandbox
from course import labs as labs_module
from course.labs import NotebookError, find_course_root, parse_notebook

LAB = "lab01_sigmoid"
KEY = b"k" * 32
DIED = "the Python kernel died (a crash, os._exit, or out of memory), so this check could not run"


# --- tiny notebooks -------------------------------------------------------------------------------------------


def answer_cell(grade_id: str, source: str = "", outputs=()) -> nbformat.NotebookNode:
    cell = new_code_cell(source, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": grade_id,
                                                        "locked": False}})
    cell.outputs = list(outputs)
    return cell


def check_cell(grade_id: str, source: str = "", points: float = 1, outputs=()) -> nbformat.NotebookNode:
    cell = new_code_cell(source or f"checks.{grade_id}()", metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": grade_id, "points": points, "locked": True}})
    cell.outputs = list(outputs)
    return cell


def setup_cell(source: str = "import numpy as np\nfrom course import checks") -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": "setup", "locked": True}})


def guard_cell(*lines: str, source: str = "_guard('verify', 'x')") -> nbformat.NotebookNode:
    cell = new_code_cell(source, metadata={integrity.GUARD_METADATA: True})
    cell.outputs = [stdout(line + "\n") for line in lines]
    return cell


def stdout(text: str):
    return new_output("stream", name="stdout", text=text)


def stderr(text: str):
    return new_output("stream", name="stderr", text=text)


def error(ename: str, evalue: str, traceback=()):
    return new_output("error", ename=ename, evalue=evalue, traceback=list(traceback))


def notebook(*cells, lab: str | None = LAB, release: str | None = None) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = list(cells)
    if lab is not None:
        nb.metadata["course"] = {"lab": lab}
    if release is not None:
        nb.metadata.setdefault("course", {})["release"] = release
    return nb


SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"
RELU = "def relu(z):\n    return np.maximum(z, 0)"
HIDDEN = "assert abs(sigmoid(0) - 0.5) < 1e-9  # HIDDEN-TEST-CODE"


def instructor_nb() -> nbformat.NotebookNode:
    """The instructor's version of a two-answer lab: solutions and a hidden test."""
    return notebook(
        new_markdown_cell("# Sigmoid lab"),
        setup_cell(),
        answer_cell("sigmoid", SIGMOID),
        check_cell("check_sigmoid", "checks.check_sigmoid(sigmoid)\n" + HIDDEN, points=1),
        answer_cell("relu", RELU),
        check_cell("check_relu", "checks.check_relu(relu)", points=2),
    )


def released_nb(release: str | None = None) -> nbformat.NotebookNode:
    """The released student version of the same lab."""
    stub = "# YOUR CODE HERE\nraise NotImplementedError()"
    return notebook(
        new_markdown_cell("# Sigmoid lab"),
        setup_cell(),
        answer_cell("sigmoid", stub),
        check_cell("check_sigmoid", "checks.check_sigmoid(sigmoid)", points=1),
        answer_cell("relu", stub),
        check_cell("check_relu", "checks.check_relu(relu)", points=2),
        release=release,
    )


def inputs(release: str | None = None) -> GradingInputs:
    return GradingInputs(lab_id=LAB, instructor=dict(instructor_nb()), released=dict(released_nb(release)))


def report(cells=None, incidents=(), notes=(), max_score=3.0, runtime_s=1.5) -> Report:
    cells = cells if cells is not None else [
        CellResult("check_sigmoid", "passed", 1.0, 1.0, "✔ sigmoid matches"),
        CellResult("check_relu", "failed", 0.0, 2.0, "relu(-1) should be 0"),
    ]
    return Report(LAB, "bob.ipynb", sum(c.points for c in cells), max_score, runtime_s, list(cells),
                  list(incidents), list(notes))


# --- 1. reading.cell_result -----------------------------------------------------------------------------------


def result_of(*outputs, run: Run | None = None, tampering=(), points: float = 1) -> CellResult:
    cell = check_cell("check_sigmoid", points=points, outputs=outputs)
    return reading.cell_result(cell, 3, run or Run(), 120, list(tampering))


@pytest.mark.parametrize("outputs, status, message", [
    ([error("CheckFailed", "sigmoid(0) should be 0.5,\n  got 0.25")], "failed", "sigmoid(0) should be 0.5, got 0.25"),
    ([error("NotAttempted", "sigmoid still raises NotImplementedError")], "not_attempted",
     "sigmoid still raises NotImplementedError"),
    ([error("NameError", "name 'sigmoid' is not defined")], "error",
     "name 'sigmoid' is not defined: is its answer cell missing, or did it fail?"),
    ([error("MemoryError", "")], "error", "ran out of memory (MemoryError): the grader limits memory"),
    ([error("ZeroDivisionError", "division by zero")], "error", "ZeroDivisionError: division by zero"),
    ([stdout("✔ looks fine\n"), error("CheckFailed", "but is not")], "failed", "but is not"),
    ([stderr("RuntimeWarning: overflow\nin exp\n")], "failed",
     "the check wrote to stderr (graded as 0): RuntimeWarning: overflow in exp"),
    ([stdout("✔ sigmoid matches keras.ops.sigmoid\nsome chatter\n"), stdout("✔ shape kept\n✔ shape kept\n")],
     "passed", "✔ sigmoid matches keras.ops.sigmoid ✔ shape kept"),
    ([stdout("chatter without a tick\n")], "passed", "passed"),
    ([], "passed", "passed"),
], ids=["check_failed", "not_attempted", "name_error", "memory_error", "other_exception", "error_after_tick",
        "stderr", "ticks", "no_tick", "no_output"])
def test_cell_result_status_from_outputs(outputs, status, message):
    result = result_of(*outputs, points=2)
    assert result == CellResult("check_sigmoid", status, 2.0 if status == "passed" else 0.0, 2.0, message)


def test_cell_result_error_reply_without_error_output_is_tampered():
    result = result_of(stdout("✔ sigmoid matches\n"), run=Run(reply_status={3: "error"}))
    assert result == CellResult("check_sigmoid", "tampered", 0.0, 1.0, "tampering detected, 0 points: the check "
                                "cell raised an error whose display was suppressed")


def test_cell_result_ok_reply_of_another_cell_does_not_matter():
    assert result_of(stdout("✔ ok\n"), run=Run(reply_status={2: "error", 3: "ok"})).status == "passed"


def test_cell_result_tampering_evidence_wins_over_a_pass_and_is_deduplicated():
    result = result_of(stdout("✔ sigmoid matches\n"), tampering=["patched numpy.allclose", "rebound `checks`",
                                                                 "patched numpy.allclose"])
    assert result == CellResult("check_sigmoid", "tampered", 0.0, 1.0,
                                "tampering detected, 0 points: patched numpy.allclose; rebound `checks`")


def test_cell_result_tampering_wins_over_a_timeout():
    result = result_of(run=Run(unfinished={3: "timeout"}), tampering=["replaced the module numpy"])
    assert (result.status, result.points) == ("tampered", 0.0)


@pytest.mark.parametrize("unfinished, status, message", [
    ("timeout", "timeout", "did not finish within 120 s (or the notebook ran out of time): look for an infinite "
                           "loop or a step that is far too slow"),
    ("dead", "error", DIED),
    ("skipped", "error", DIED),
])
def test_cell_result_unfinished(unfinished, status, message):
    # Stored outputs of an unfinished cell (even a tick) do not count.
    result = result_of(stdout("✔ partial\n"), run=Run(unfinished={3: unfinished}))
    assert result == CellResult("check_sigmoid", status, 0.0, 1.0, message)


def test_cell_result_unfinished_of_another_cell_does_not_matter():
    assert result_of(stdout("✔ ok\n"), run=Run(unfinished={2: "timeout", 4: "dead"})).status == "passed"


def test_cell_result_message_is_one_short_line():
    result = result_of(error("CheckFailed", "\x1b[31mwrong\x1b[0m\n" + "x " * 300))
    assert "\n" not in result.message and "\x1b" not in result.message
    assert len(result.message) == 200 and result.message.startswith("wrong x x") and result.message.endswith("...")


def test_cell_result_without_points_is_worth_zero():
    cell = check_cell("check_sigmoid", outputs=[stdout("✔ ok\n")])
    del cell.metadata["nbgrader"]["points"]
    assert reading.cell_result(cell, 0, Run(), 120, []) == CellResult("check_sigmoid", "passed", 0.0, 0.0, "✔ ok")


# --- 2. reading.incidents -------------------------------------------------------------------------------------


def run_nb(*answer_outputs) -> nbformat.NotebookNode:
    """guard, setup, answer sigmoid (index 2), check, guard, unnamed cell (index 5), markdown."""
    return notebook(
        guard_cell(source="import course.grader.guard"),
        setup_cell(),
        answer_cell("sigmoid", SIGMOID, outputs=answer_outputs),
        check_cell("check_sigmoid"),
        guard_cell(),
        new_code_cell("print(sigmoid(0))"),
        new_markdown_cell("done"),
    )


TIMEOUT_MESSAGE = "ran past the 120 s limit of one cell or the 600 s limit of the notebook, and was interrupted"


def test_incidents_answer_cell_timeout_names_its_grade_id():
    assert reading.incidents(run_nb(), Run(unfinished={2: "timeout"}), 120, 600) == [
        Incident("timeout", "sigmoid", TIMEOUT_MESSAGE)]


def test_incidents_unnamed_cell_is_labelled_by_position():
    assert reading.incidents(run_nb(), Run(unfinished={5: "timeout"}), 120, 600) == [
        Incident("timeout", "cell 4", TIMEOUT_MESSAGE)]


def test_incidents_memory_error_in_an_answer_cell():
    nb = run_nb(error("MemoryError", ""))
    assert reading.incidents(nb, Run(), 120, 600) == [
        Incident("out_of_memory", "sigmoid", "ran out of memory (MemoryError) under the grader's memory limit")]


def test_incidents_other_errors_are_no_incidents():
    assert reading.incidents(run_nb(error("ValueError", "bad")), Run(), 120, 600) == []


def test_incidents_dead_kernel_is_crashed_and_skipped_cells_are_not_incidents():
    run = Run(unfinished={2: "dead", 3: "skipped", 4: "skipped", 5: "skipped"})
    assert reading.incidents(run_nb(), run, 120, 600) == [
        Incident("crashed", "sigmoid", "the kernel died (a crash, os._exit, a signal, or memory past the limit)")]


def test_incidents_killed_by_the_grader_gives_that_reason():
    run = Run(unfinished={2: "dead", 3: "skipped"}, killed="wrote more than 2 GB into its working folder")
    assert reading.incidents(run_nb(), run, 120, 600) == [
        Incident("crashed", "sigmoid", "wrote more than 2 GB into its working folder")]


def test_incidents_killed_with_no_dead_cell_is_a_notebook_crash():
    run = Run(unfinished={5: "timeout"}, killed="wrote more than 2 GB into its working folder")
    assert reading.incidents(run_nb(), run, 120, 600) == [
        Incident("timeout", "cell 4", TIMEOUT_MESSAGE),
        Incident("crashed", "notebook", "wrote more than 2 GB into its working folder")]


@pytest.mark.parametrize("unfinished", ["timeout", "dead", "skipped"])
def test_incidents_never_come_from_guard_cells(unfinished):
    nb = run_nb()
    nb.cells[4].outputs = [error("MemoryError", "")]
    assert reading.incidents(nb, Run(unfinished={0: unfinished, 4: unfinished}), 120, 600) == []
    assert reading.incidents(nb, Run(), 120, 600) == []


def test_incidents_label_of_an_unnamed_cell_counts_the_lab_cells_not_the_guard_cells():
    lab = notebook(setup_cell(), answer_cell("sigmoid", SIGMOID), check_cell("check_sigmoid"),
                   new_code_cell("train_for_a_long_time()"))
    guarded = integrity.with_guard(lab, "/nonexistent/key", [])
    index = next(i for i, c in enumerate(guarded.cells) if c.source == "train_for_a_long_time()")
    assert index != 3  # the guard's cells came before it
    assert reading.incidents(guarded, Run(unfinished={index: "timeout"}), 120, 600) == [
        Incident("timeout", "cell 4", TIMEOUT_MESSAGE)]


# --- 3. results.Report ----------------------------------------------------------------------------------------


TAMPERED_CELL = CellResult("check_relu", "tampered", 0.0, 2.0, "tampering detected, 0 points: rebound `checks`")
CRASH = Incident("crashed", "notebook", "the kernel died")
TIMEOUT = Incident("timeout", "sigmoid", "ran past the limit")
OOM = Incident("out_of_memory", "relu", "ran out of memory")


@pytest.mark.parametrize("tampered, incidents, expected", [
    (True, [OOM, TIMEOUT, CRASH], "tampered: check_relu: tampering detected, 0 points: rebound `checks`"),
    (False, [OOM, TIMEOUT, CRASH], "crashed: notebook: the kernel died"),
    (False, [OOM, TIMEOUT], "timeout: sigmoid: ran past the limit"),
    (False, [OOM], "out_of_memory: relu: ran out of memory"),
    (False, [], "graded"),
])
def test_row_status_priority(tampered, incidents, expected):
    cells = [CellResult("check_sigmoid", "passed", 1.0, 1.0, "✔"), CellResult("check_relu", "failed", 0.0, 2.0, "no")]
    if tampered:
        cells[1] = TAMPERED_CELL
    assert report(cells, incidents).row_status() == expected


def test_row_status_first_incident_of_a_kind_wins():
    later = Incident("timeout", "relu", "also")
    assert report(incidents=[TIMEOUT, later]).row_status() == "timeout: sigmoid: ran past the limit"


def test_report_to_dict_is_the_check_json_contract():
    data = report(incidents=[TIMEOUT], notes=["a note"]).to_dict()
    assert list(data) == ["lab", "notebook", "score", "max_score", "runtime_s", "cells"]
    assert data["cells"][0] == {"grade_id": "check_sigmoid", "status": "passed", "points": 1.0, "max_points": 1.0,
                                "message": "✔ sigmoid matches"}
    json.dumps(data)


def test_report_record_round_trip():
    original = report(incidents=[TIMEOUT, CRASH], notes=["sigmoid: skipped `!pip install x`"])
    record = json.loads(json.dumps(original.to_record()))
    assert set(record) == {"lab", "notebook", "score", "max_score", "runtime_s", "cells", "incidents", "notes"}
    assert Report.from_record(record) == original
    assert worker.from_record(json.loads(json.dumps(worker.result_record(original)))) == original


# --- 4. integrity: the guard's reports ------------------------------------------------------------------------


def report_line(cell: str, seq: int, tampering=(), notes=(), key: bytes = KEY) -> str:
    payload = json.dumps({"cell": cell, "seq": seq, "tampering": list(tampering), "notes": list(notes)})
    return f"{guard.MARK} {payload} {guard.sign(key, payload)}"


def guarded(first: list[str], second: list[str]) -> nbformat.NotebookNode:
    """A run's notebook: check_a then its verify cell printing ``first``, check_b then ``second``."""
    return notebook(
        guard_cell(source="import course.grader.guard"),
        setup_cell(),
        guard_cell(source="_guard('snapshot', globals(), [])"),
        answer_cell("a", "def a(): pass"),
        check_cell("check_a"),
        guard_cell(*first),
        answer_cell("b", "def b(): pass"),
        check_cell("check_b"),
        guard_cell(*second),
    )


def test_read_guard_accepts_signed_reports_in_sequence():
    nb = guarded(["noise before", report_line("check_a", 1)],
                 [report_line("check_b", 2, ["patched numpy.allclose"], ["started a process (os.system)"])])
    assert integrity.read_guard(nb, KEY) == {
        "check_a": GuardReport([], []),
        "check_b": GuardReport(["patched numpy.allclose"], ["started a process (os.system)"]),
    }


def test_read_guard_ignores_a_wrong_key():
    nb = guarded([report_line("check_a", 1, key=b"x" * 32)], [report_line("check_b", 2)])
    assert integrity.read_guard(nb, KEY) == {"check_b": GuardReport()}  # check_a's report does not count


def test_read_guard_ignores_a_report_for_another_cell():
    nb = guarded([report_line("check_b", 1)], [report_line("check_a", 1)])
    assert integrity.read_guard(nb, KEY) == {}


def test_read_guard_ignores_a_replayed_report():
    nb = guarded([report_line("check_a", 1)], [report_line("check_a", 1), report_line("check_b", 1)])
    assert integrity.read_guard(nb, KEY) == {"check_a": GuardReport([], [])}


def test_read_guard_ignores_a_report_numbered_no_higher_than_the_last():
    nb = guarded([report_line("check_a", 2)], [report_line("check_b", 2)])
    assert integrity.read_guard(nb, KEY) == {"check_a": GuardReport()}


def test_read_guard_ignores_a_tampered_payload():
    line = report_line("check_a", 1, ["patched numpy.allclose"])
    nb = guarded([line.replace('["patched numpy.allclose"]', "[]")], [report_line("check_b", 2)])
    assert integrity.read_guard(nb, KEY) == {"check_b": GuardReport()}


def test_read_guard_ignores_reports_printed_by_non_guard_cells():
    nb = guarded([], [])
    nb.cells[4].outputs = [stdout(report_line("check_a", 1) + "\n")]  # printed by the check cell itself
    nb.cells[5].metadata = {}  # the "verify" cell is not a guard cell
    nb.cells[5].outputs = [stdout(report_line("check_a", 1) + "\n")]
    assert integrity.read_guard(nb, KEY) == {}


def test_read_guard_ignores_stderr_and_guard_cells_before_any_check():
    nb = guarded([], [])
    nb.cells[2].outputs = [stdout(report_line("check_a", 1) + "\n")]  # the snapshot cell
    nb.cells[5].outputs = [stderr(report_line("check_a", 1) + "\n")]
    assert integrity.read_guard(nb, KEY) == {}


def test_read_guard_one_missing_report_does_not_reject_the_later_ones():
    nb = guarded([], [report_line("check_b", 2)])
    assert integrity.read_guard(nb, KEY) == {"check_b": GuardReport([], [])}


def test_parse_report_directly():
    line = report_line("check_a", 1, ["x"], ["y"])
    assert integrity.parse_report(line, KEY, "check_a", 0) == (1, GuardReport(["x"], ["y"]))
    assert integrity.parse_report(line, KEY, "check_b", 0) is None
    assert integrity.parse_report(line, KEY, "check_a", 1) is None  # not above the last report's number
    assert integrity.parse_report(line, b"other", "check_a", 0) is None
    assert integrity.parse_report(" " + line, KEY, "check_a", 0) is None
    assert integrity.parse_report(line[:-1] + ("1" if line.endswith("0") else "0"), KEY, "check_a", 0) is None
    assert integrity.parse_report(line.rsplit(" ", 1)[0] + " " + "0" * 64, KEY, "check_a", 0) is None
    assert integrity.parse_report(f"{guard.MARK} not-json {guard.sign(KEY, 'not-json')}", KEY, "a", 0) is None
    assert integrity.parse_report("", KEY, "check_a", 0) is None


def test_guard_install_reports_and_refuses_reads_of_protected_files(tmp_path):
    """The real guard, in a fresh interpreter (its audit hook cannot be removed once added)."""
    protected = tmp_path / "solutions"
    protected.mkdir()
    (protected / "lab.py").write_text("secret")
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY)
    script = textwrap.dedent(f"""
        import importlib.util, os
        spec = importlib.util.spec_from_file_location("guard_copy", {guard.__file__!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        g = module.install({str(key_file)!r}, [{str(protected)!r}])
        print("key file left:", os.path.exists({str(key_file)!r}))
        g("snapshot", globals(), [])
        g("verify", "check_a")
        try:
            open({str(protected / "lab.py")!r})
        except PermissionError as error:
            print("refused:", error)
        g("verify", "check_b")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, check=True).stdout.splitlines()
    assert out[0] == "key file left: False"
    assert out[2] == "refused: the grader does not allow reading the instructor's files"
    assert integrity.parse_report(out[1], KEY, "check_a", 0) == (1, GuardReport([], []))
    assert integrity.parse_report(out[3], KEY, "check_b", 1) == (2, GuardReport(
        [f"tried to read the instructor's files ({protected / 'lab.py'})"], []))
    assert integrity.parse_report(out[3], b"x" * 32, "check_b", 1) is None


def test_metadata_edits_lists_exactly_the_edited_keys():
    released = check_cell("check_sigmoid", points=1)
    released.metadata["nbgrader"]["checksum"] = "abc"
    submitted = check_cell("check_sigmoid", points=10)
    submitted.metadata["nbgrader"].update(locked=False, checksum="abc", extra="ignored")
    assert integrity.metadata_edits(submitted, released) == ["locked", "points"]
    assert integrity.metadata_edits(check_cell("check_sigmoid"), check_cell("check_sigmoid")) == []
    del submitted.metadata["nbgrader"]["grade"]
    assert integrity.metadata_edits(submitted, released) == ["grade", "locked", "points"]
    assert integrity.metadata_edits(None, released) == []
    assert integrity.metadata_edits(submitted, None) == []


def test_shows_passing():
    assert integrity.shows_passing(check_cell("c", outputs=[stdout("hello\n  ✔ sigmoid matches\n")]))
    assert not integrity.shows_passing(check_cell("c", outputs=[stderr("✔ sigmoid matches\n")]))
    assert not integrity.shows_passing(check_cell("c", outputs=[stdout("no tick ✔\n")]))
    assert not integrity.shows_passing(check_cell("c"))


def test_checks_after_answers():
    nb = notebook(
        setup_cell(),
        check_cell("check_before_any_answer"),
        answer_cell("a"),
        check_cell("check_a1"),
        new_markdown_cell("text"),
        new_code_cell("demo()"),
        check_cell("check_a2"),
        answer_cell("b"),
        check_cell("check_b"),
        answer_cell("c"),
    )
    assert integrity.checks_after_answers(nb) == {"a": ["check_a1", "check_a2"], "b": ["check_b"], "c": []}


def test_is_guard_cell():
    assert integrity.is_guard_cell(guard_cell())
    assert not integrity.is_guard_cell(check_cell("c"))
    assert not integrity.is_guard_cell(new_code_cell("x", metadata={integrity.GUARD_METADATA: False}))


# --- 5. engine ------------------------------------------------------------------------------------------------


def exec_printing(source: str) -> tuple[dict, str]:
    import contextlib
    import io

    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, namespace)
    return namespace, out.getvalue()


def test_prepare_answers_skips_a_shell_line_and_keeps_the_function():
    student = notebook(answer_cell("double", "!pip install x\ndef double(x):\n    return 2 * x\n"))
    answers = engine.prepare_answers(student)
    assert answers.notes == ["double: skipped `!pip install x` (shell commands and magics do not run while grading)"]
    assert answers.findings == {}
    namespace, printed = exec_printing(answers.sources["double"])
    assert namespace["double"](21) == 42
    assert printed == "grader: skipped `!pip install x` (shell commands and magics do not run while grading)\n"


def test_prepare_answers_does_not_run_a_flagged_cell():
    student = notebook(
        setup_cell(),
        answer_cell("sigmoid", SIGMOID),
        check_cell("check_sigmoid"),
        answer_cell("relu", "import gc\ngc.collect()\n" + RELU),
    )
    answers = engine.prepare_answers(student)
    assert answers.findings == {"relu": ["imports `gc` (line 1)"]}
    assert answers.sources == {
        "sigmoid": SIGMOID,
        "relu": "print('grader: this answer cell was not run: it imports `gc` (line 1)')",
    }
    assert answers.notes == []
    namespace, printed = exec_printing(answers.sources["relu"])
    assert "relu" not in namespace and printed == "grader: this answer cell was not run: it imports `gc` (line 1)\n"


def test_prepare_answers_leaves_honest_code_alone_and_keeps_the_first_of_a_duplicate_id():
    student = notebook(answer_cell("sigmoid", SIGMOID), answer_cell("relu", RELU), answer_cell("sigmoid", "x = 1"),
                       new_code_cell("import gc"), check_cell("check_sigmoid", "import gc"))
    answers = engine.prepare_answers(student)
    assert (answers.sources, answers.findings, answers.notes) == ({"sigmoid": SIGMOID, "relu": RELU}, {}, [])


def test_merge_answers_keeps_the_instructors_cells_and_places_answers_by_id():
    instructor = instructor_nb()
    instructor.cells[1].outputs = [stdout("setup ran\n")]
    instructor.cells[1].execution_count = 3
    student = notebook(
        answer_cell("relu", "def relu(z):\n    return z"),
        check_cell("check_relu", "pass", points=100, outputs=[stdout("✔ relu\n")]),  # edited check cell
        check_cell("check_sigmoid", "pass"),
        answer_cell("stranger", "x = 1"),
    )
    before = nbformat.writes(instructor)
    merged = engine.merge_answers(instructor, engine.prepare_answers(student).sources)
    assert nbformat.writes(instructor) == before  # the instructor's notebook is not changed
    expected = instructor_nb()
    assert [c.source for c in merged.cells] == [
        expected.cells[0].source, expected.cells[1].source, "", expected.cells[3].source,
        "def relu(z):\n    return z", expected.cells[5].source]
    assert [c.metadata for c in merged.cells] == [c.metadata for c in expected.cells]
    assert all(c.outputs == [] and c.execution_count is None for c in merged.cells if c.cell_type == "code")
    assert len(merged.cells) == 6


def test_require_gradable_accepts_the_lab():
    engine.require_gradable("s.ipynb", released_nb(), inputs())
    engine.require_gradable("s.ipynb", notebook(new_markdown_cell("no answer cells"), lab=None), inputs())
    engine.require_gradable("s.ipynb", notebook(answer_cell("sigmoid"), answer_cell("other_lab")), inputs())


@pytest.mark.parametrize("nb, status, message", [
    (notebook(), "invalid", "s.ipynb: the notebook is empty (no cells)"),
    (notebook(answer_cell("sigmoid"), lab="lab02_other"), "wrong_lab", "s.ipynb: this notebook is lab02_other, "
                                                                      f"not {LAB}"),
    (notebook(answer_cell("build_model"), answer_cell("train"), lab=None), "wrong_lab",
     f"s.ipynb: none of its answer cells belong to {LAB}; is it another lab's notebook?"),
    (notebook(answer_cell("build_model"), lab="not a lab id"), "wrong_lab",
     f"s.ipynb: none of its answer cells belong to {LAB}; is it another lab's notebook?"),
], ids=["empty", "other_lab_metadata", "foreign_answers", "bad_metadata_ignored"])
def test_require_gradable_refuses(nb, status, message):
    with pytest.raises(NotebookError) as caught:
        engine.require_gradable("s.ipynb", nb, inputs())
    assert (caught.value.status, str(caught.value)) == (status, message)


def graded_results():
    return [CellResult("check_sigmoid", "failed", 0.0, 1.0, "wrong"),
            CellResult("check_relu", "passed", 2.0, 2.0, "✔ relu")]


def test_submission_notes_edited_points_is_one_note_and_changes_no_result():
    student = released_nb("aaaaaaaaaaaa")
    student.cells[5].metadata["nbgrader"]["points"] = 100
    cells = graded_results()
    assert engine.submission_notes(student, inputs("aaaaaaaaaaaa"), cells) == [
        "check_relu: its nbgrader metadata was edited (points); ignored, the instructor's cell was graded"]
    assert cells == graded_results()


def test_submission_notes_stored_tick_on_a_check_that_did_not_pass():
    student = released_nb()
    student.cells[3].outputs = [stdout("✔ sigmoid matches keras.ops.sigmoid\n")]
    student.cells[5].outputs = [stdout("✔ relu\n")]  # passed here too: no note
    assert engine.submission_notes(student, inputs(), graded_results()) == [
        "check_sigmoid: the submitted notebook showed this check passing; graded here it is failed"]


def test_submission_notes_honest_submission_has_none():
    assert engine.submission_notes(released_nb("aaaaaaaaaaaa"), inputs("aaaaaaaaaaaa"), graded_results()) == []


def test_submission_notes_earlier_release_skips_the_metadata_comparison():
    student = released_nb("bbbbbbbbbbbb")
    student.cells[5].metadata["nbgrader"]["points"] = 100
    student.cells[3].outputs = [stdout("✔ sigmoid\n")]
    assert engine.submission_notes(student, inputs("aaaaaaaaaaaa"), graded_results()) == [
        "made from an earlier release of the lab (bbbbbbbbbbbb; now aaaaaaaaaaaa): its cells' metadata was not "
        "compared",
        "check_sigmoid: the submitted notebook showed this check passing; graded here it is failed",
    ]


def test_submission_notes_ignore_a_malformed_release_id():
    student = released_nb("NOT-A-RELEASE")
    student.cells[5].metadata["nbgrader"]["points"] = 100
    assert engine.submission_notes(student, inputs("aaaaaaaaaaaa"), graded_results()) == [
        "check_relu: its nbgrader metadata was edited (points); ignored, the instructor's cell was graded"]


def test_grading_inputs_digest_and_copy():
    instructor, released = instructor_nb(), released_nb()
    first = GradingInputs(LAB, dict(instructor), dict(released))
    assert first.digest() == GradingInputs(LAB, dict(instructor), dict(released), ("/p",), ("/h",)).digest()
    changed = nbformat.from_dict(released)  # a deep copy: the dicts above share their parts
    changed.metadata.course["release"] = "aaaaaaaaaaaa"
    assert GradingInputs(LAB, dict(instructor), dict(changed)).digest() != first.digest()
    assert GradingInputs(LAB, dict(instructor), None).digest() != first.digest()
    copy = first.instructor_notebook()
    copy.cells[2].source = "changed"
    assert first.instructor_notebook().cells[2].source == SIGMOID


# --- 6. gradebook ---------------------------------------------------------------------------------------------


def test_gradebook_rows_header_and_max_score_from_the_instructor():
    bob = report(max_score=100.0, notes=["sigmoid: skipped `!pip install x`", "another note"])
    amy = NotebookError("amy.ipynb: not a notebook (the file is not valid JSON)")
    header, rows = gradebook.gradebook_rows({"bob": bob, "amy": amy}, inputs())
    assert header == ["student", "score", "max_score", "status", "runtime_s", "notes", "check_sigmoid", "check_relu"]
    assert rows == [
        ["bob", "1", "3", "graded", 1.5, "sigmoid: skipped `!pip install x` | another note", "1", "0"],
        ["amy", "0", "3", "invalid: amy.ipynb: not a notebook (the file is not valid JSON)", 0, "", "0", "0"],
    ]
    assert gradebook.csv_text(header, rows).splitlines()[0] == ",".join(header)


def test_gradebook_rows_missing_cell_counts_zero():
    only = report([CellResult("check_relu", "passed", 2.0, 2.0, "✔")])
    assert gradebook.gradebook_rows({"c": only}, inputs())[1] == [["c", "2", "3", "graded", 1.5, "", "0", "2"]]


@pytest.mark.parametrize("result, expected", [
    (NotebookError("a.ipynb: the notebook is empty (no cells)"), "invalid: a.ipynb: the notebook is empty (no cells)"),
    (NotebookError("a.ipynb: this notebook is lab02_x, not lab01_y", "wrong_lab"),
     "wrong_lab: a.ipynb: this notebook is lab02_x, not lab01_y"),
    (NotebookError("a.ipynb: the grading process was killed by signal 9", "crashed"),
     "crashed: a.ipynb: the grading process was killed by signal 9"),
    (report(incidents=[TIMEOUT]), "timeout: sigmoid: ran past the limit"),
    (report(), "graded"),
])
def test_gradebook_row_status(result, expected):
    assert gradebook.row_status(result) == expected


def test_feedback_text_has_incidents_and_notes_and_no_hidden_test_code():
    cell = check_cell("check_sigmoid", "checks.check_sigmoid(sigmoid)\n" + HIDDEN, outputs=[
        error("AssertionError", "", traceback=["Traceback", HIDDEN, "AssertionError"])])
    failed = reading.cell_result(cell, 3, Run(), 120, [])
    assert failed == CellResult("check_sigmoid", "error", 0.0, 1.0, "AssertionError:")
    result = report([failed, CellResult("check_relu", "failed", 0.0, 2.0, "a|b")], incidents=[OOM],
                    notes=["sigmoid: skipped `!pip install x`"])
    text = gradebook.feedback_text("bob", LAB, result)
    assert "HIDDEN-TEST-CODE" not in text and "sigmoid(0)" not in text
    assert text == "\n".join([
        f"# {LAB}: feedback for bob", "",
        "Score: 0 / 3", "Status: out_of_memory: relu: ran out of memory", "",
        "| check | status | points | message |", "|---|---|---|---|",
        "| check_sigmoid | error | 0 / 1 | AssertionError: |",
        "| check_relu | failed | 0 / 2 | a\\|b |",
        "", "Notes:", "",
        "- relu: out_of_memory: ran out of memory",
        "- sigmoid: skipped `!pip install x`", "",
    ])


def test_feedback_text_for_an_ungradable_notebook():
    assert gradebook.feedback_text("amy", LAB, NotebookError("amy.ipynb: the notebook is empty (no cells)")) == (
        f"# {LAB}: feedback for amy\n\nYour notebook could not be graded: amy.ipynb: the notebook is empty "
        "(no cells)\n")


def test_feedback_text_without_notes_has_no_notes_section():
    assert "Notes:" not in gradebook.feedback_text("bob", LAB, report())


OPTIONS = gradebook.Options(Limits(), Sandbox("none", "test"))


def test_cache_key_depends_on_everything_a_result_depends_on(monkeypatch):
    monkeypatch.delenv("COURSE_LANG", raising=False)
    base = gradebook.cache_key(b"notebook", "inputs", "code", OPTIONS)
    assert base == gradebook.cache_key(b"notebook", "inputs", "code", gradebook.Options(Limits(), Sandbox("none",
                                                                                                   "test")))
    assert base == gradebook.cache_key(b"notebook", "inputs", "code", gradebook.Options(Limits(), Sandbox("none",
                                                                                                   "other reason")))
    variants = [
        gradebook.cache_key(b"notebook ", "inputs", "code", OPTIONS),
        gradebook.cache_key(b"notebook", "inputs2", "code", OPTIONS),
        gradebook.cache_key(b"notebook", "inputs", "code2", OPTIONS),
        gradebook.cache_key(b"notebook", "inputs", "code", gradebook.Options(Limits(cell_timeout=60), OPTIONS.sandbox)),
        gradebook.cache_key(b"notebook", "inputs", "code", gradebook.Options(Limits(memory_gb=4), OPTIONS.sandbox)),
        gradebook.cache_key(b"notebook", "inputs", "code", gradebook.Options(Limits(notebook_timeout=60),
                                                                           OPTIONS.sandbox)),
        gradebook.cache_key(b"notebook", "inputs", "code", gradebook.Options(Limits(), Sandbox("bwrap", "test"))),
    ]
    monkeypatch.setenv("COURSE_LANG", "zh")  # the messages' language
    variants.append(gradebook.cache_key(b"notebook", "inputs", "code", OPTIONS))
    assert len({base, *variants}) == len(variants) + 1


GRADE_IDS = {"check_sigmoid": 1.0, "check_relu": 2.0}


def write_cache(tmp_path: Path, results: dict) -> tuple[Path, dict[str, str]]:
    keys = {student: f"key-{student}" for student in results}
    path = tmp_path / ".grades.csv.cache.json"
    path.write_text(gradebook.cache_text(keys, results, batch={}), encoding="utf-8")
    return path, keys


def records(results: dict) -> dict:
    return {key: worker.result_record(result) for key, result in results.items()}


def test_load_cache_round_trip(tmp_path):
    results = {"amy": NotebookError("amy.ipynb: this notebook is lab02_x, not lab01_y", "wrong_lab"),
               "bob": report(incidents=[TIMEOUT], notes=["n"])}
    path, keys = write_cache(tmp_path, results)
    warnings = []
    cached = gradebook.load_cache(path, GRADE_IDS, warnings.append)
    assert warnings == []
    assert cached["key-bob"] == results["bob"]
    assert records(cached) == {keys[s]: worker.result_record(r) for s, r in results.items()}
    assert cached["key-amy"].status == "wrong_lab"


def test_load_cache_missing_file(tmp_path):
    warnings = []
    assert gradebook.load_cache(tmp_path / "absent.json", GRADE_IDS, warnings.append) == {}
    assert warnings == []


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"text"', '{"format": 1, "entries": {}}',
                                  '{"format": 2}', "\xff\xfe"])
def test_load_cache_unreadable_is_one_warning(tmp_path, text):
    path = tmp_path / ".grades.csv.cache.json"
    path.write_text(text, encoding="utf-8")
    warnings = []
    assert gradebook.load_cache(path, GRADE_IDS, warnings.append) == {}
    assert warnings == [f"course: ignoring the unreadable grading cache {path.name}; everything is graded again"]


def test_load_cache_not_utf8_is_one_warning(tmp_path):
    path = tmp_path / ".grades.csv.cache.json"
    path.write_bytes(b'{"format": 2, "entries": {"\xff": 1}}')
    warnings = []
    assert gradebook.load_cache(path, GRADE_IDS, warnings.append) == {}
    assert len(warnings) == 1


def test_load_cache_entries_not_an_object_is_one_warning(tmp_path):
    path = tmp_path / ".grades.csv.cache.json"
    path.write_text('{"format": 2, "entries": [1, 2]}', encoding="utf-8")
    warnings = []
    assert gradebook.load_cache(path, GRADE_IDS, warnings.append) == {}
    assert len(warnings) == 1


def edit_cache(path: Path, key: str, edit, fix_checksum: bool) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    entry = data["entries"][key]
    edit(entry["result"])
    if fix_checksum:
        entry["check"] = gradebook.entry_check(key, entry["result"])
    path.write_text(json.dumps(data), encoding="utf-8")


def raise_points(record):  # within the maximum: only the stale checksum gives it away
    record["report"]["cells"][1]["points"] = 2.0
    record["report"]["score"] = 3.0


def points_above_max(record):
    record["report"]["cells"][1]["points"] = 5.0
    record["report"]["score"] = 6.0


def rename_cell(record):
    record["report"]["cells"][1]["grade_id"] = "check_other_lab"


def drop_cell(record):
    del record["report"]["cells"][1]
    record["report"]["score"] = 1.0


def bad_score(record):
    record["report"]["score"] = 3.0


def unknown_error_status(record):
    record.clear()
    record.update(error="x", status="graded")


def malformed_cells(record):
    record["report"]["cells"] = [{"grade_id": "check_sigmoid"}]


ONE_DROPPED = "course: ignoring 1 cache entry in .grades.csv.cache.json that do not check out; those submissions " \
              "are graded again"
CONSISTENCY_EDITS = [points_above_max, rename_cell, drop_cell, bad_score, unknown_error_status, malformed_cells]


@pytest.mark.parametrize("edit, fix_checksum", [
    *[pytest.param(e, False, id=f"stale_checksum-{e.__name__}") for e in [raise_points, *CONSISTENCY_EDITS]],
    *[pytest.param(e, True, id=f"fixed_checksum-{e.__name__}") for e in CONSISTENCY_EDITS],
])
def test_load_cache_drops_an_edited_entry_and_keeps_the_others(tmp_path, edit, fix_checksum):
    results = {"amy": report(), "bob": report(), "cat": NotebookError("cat.ipynb: empty")}
    path, keys = write_cache(tmp_path, results)
    edit_cache(path, keys["bob"], edit, fix_checksum)
    warnings = []
    cached = gradebook.load_cache(path, GRADE_IDS, warnings.append)
    assert sorted(cached) == ["key-amy", "key-cat"]
    assert cached["key-amy"] == results["amy"]
    assert warnings == [ONE_DROPPED]


def test_load_cache_counts_every_dropped_entry(tmp_path):
    path, keys = write_cache(tmp_path, {"amy": report(), "bob": report()})
    for key in keys.values():
        edit_cache(path, key, raise_points, fix_checksum=False)
    warnings = []
    assert gradebook.load_cache(path, GRADE_IDS, warnings.append) == {}
    assert warnings == ["course: ignoring 2 cache entries in .grades.csv.cache.json that do not check out; those "
                        "submissions are graded again"]


def test_load_cache_entry_under_another_key_is_dropped(tmp_path):
    path, keys = write_cache(tmp_path, {"bob": report()})
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entries"] = {"key-someone-else": data["entries"]["key-bob"]}
    path.write_text(json.dumps(data), encoding="utf-8")
    warnings = []
    assert gradebook.load_cache(path, GRADE_IDS, warnings.append) == {}
    assert warnings == [ONE_DROPPED]


def test_load_cache_drops_an_entry_whose_max_points_are_not_the_labs(tmp_path):
    path, keys = write_cache(tmp_path, {"bob": report()})

    def raise_max(record):
        record["report"]["cells"][1].update(points=50.0, max_points=50.0)
        record["report"].update(score=51.0, max_score=51.0)

    edit_cache(path, keys["bob"], raise_max, fix_checksum=True)
    cached = gradebook.load_cache(path, GRADE_IDS, [].append)
    rows = gradebook.gradebook_rows({"bob": r for r in cached.values()}, inputs())[1]
    assert cached == {} or float(rows[0][1]) <= float(rows[0][2])


def test_consistent():
    assert gradebook.consistent(report(), GRADE_IDS)
    assert not gradebook.consistent(report(), {"check_sigmoid": 1.0})
    assert not gradebook.consistent(report(), {"check_sigmoid": 1.0, "check_relu": 5.0})
    assert not gradebook.consistent(report([CellResult("check_sigmoid", "passed", -1.0, 1.0, ""),
                                            CellResult("check_relu", "passed", 2.0, 2.0, "")]), GRADE_IDS)


def touch_notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    return path


def test_find_submissions_nbgrader_layout(tmp_path):
    course = tmp_path / "course"
    amy = touch_notebook(course / "submitted" / "amy" / LAB / "b.ipynb")
    touch_notebook(course / "submitted" / "amy" / LAB / "c.ipynb")
    bob = touch_notebook(course / "submitted" / "bob" / LAB / f"{LAB}.ipynb")
    touch_notebook(course / "submitted" / "cat" / "lab02_other" / "lab02_other.ipynb")
    (course / "submitted" / "dan" / LAB).mkdir(parents=True)
    expected = {"amy": amy, "bob": bob}
    assert gradebook.find_submissions(course, LAB) == expected
    assert gradebook.find_submissions(course / "submitted", LAB) == expected


def test_find_submissions_flat_layout(tmp_path):
    zed = touch_notebook(tmp_path / "zed.ipynb")
    amy = touch_notebook(tmp_path / "amy.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook")
    (tmp_path / "empty_folder").mkdir()
    assert gradebook.find_submissions(tmp_path, LAB) == {"amy": amy, "zed": zed}
    assert list(gradebook.find_submissions(tmp_path, LAB)) == ["amy", "zed"]


def test_find_submissions_nbgrader_folder_wins_over_a_flat_file_of_the_same_student(tmp_path):
    nested = touch_notebook(tmp_path / "amy" / LAB / "x.ipynb")
    touch_notebook(tmp_path / "amy.ipynb")
    bob = touch_notebook(tmp_path / "bob.ipynb")
    assert gradebook.find_submissions(tmp_path, LAB) == {"amy": nested, "bob": bob}


# --- 7. labs --------------------------------------------------------------------------------------------------


def make_course(folder: Path, marker: str = "solutions") -> Path:
    (folder / marker).mkdir(parents=True)
    return folder.resolve()


def test_find_course_root_explicit_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", str(make_course(tmp_path / "env")))
    monkeypatch.chdir(make_course(tmp_path / "cwd"))
    assert find_course_root(tmp_path / "explicit") == (tmp_path / "explicit").resolve()


def test_find_course_root_env_wins_over_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", str(tmp_path / "env"))
    monkeypatch.chdir(make_course(tmp_path / "cwd"))
    assert find_course_root() == (tmp_path / "env").resolve()


def test_find_course_root_is_the_working_directory_not_the_submissions(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_ROOT", raising=False)
    course = make_course(tmp_path / "course")
    (tmp_path / "term" / "labs").mkdir(parents=True)  # a stray labs/ above the submissions
    touch_notebook(tmp_path / "term" / "submitted" / "amy" / LAB / "a.ipynb")
    monkeypatch.chdir(course)
    assert find_course_root() == course
    (course / "notes").mkdir()
    monkeypatch.chdir(course / "notes")
    assert find_course_root() == course


def test_find_course_root_labs_marker_and_empty_env(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", "")
    course = make_course(tmp_path / "course", "labs")
    monkeypatch.chdir(course)
    assert find_course_root() == course


def test_find_course_root_falls_back_to_the_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_ROOT", raising=False)
    (tmp_path / "nowhere").mkdir()
    monkeypatch.chdir(tmp_path / "nowhere")
    above = [p for p in [tmp_path, *tmp_path.parents] if (p / "solutions").is_dir() or (p / "labs").is_dir()]
    expected = above[0] if above else Path(labs_module.__file__).resolve().parent.parent
    assert find_course_root() == expected


def notebook_bytes(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def test_parse_notebook_reads_a_notebook():
    nb = parse_notebook(notebook_bytes(released_nb()), "a.ipynb")
    assert [c.source for c in nb.cells] == [c.source for c in released_nb().cells]
    assert nb.metadata.course.lab == LAB


@pytest.mark.parametrize("data, message", [
    (b"not json at all", "a.ipynb: not a notebook (the file is not valid JSON)"),
    (b"", "a.ipynb: not a notebook (the file is not valid JSON)"),
    (b"[1, 2, 3]", "a.ipynb: not a notebook (no list of cells)"),
    (b'{"cells": "abc"}', "a.ipynb: not a notebook (no list of cells)"),
    (b'{"metadata": {}}', "a.ipynb: not a notebook (no list of cells)"),
    (b'{"cells": [1], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
     "a.ipynb: not a notebook nbformat can read ("),
], ids=["not_json", "empty", "json_list", "cells_not_list", "no_cells", "cell_not_object"])
def test_parse_notebook_refuses(data, message):
    with pytest.raises(NotebookError) as caught:
        parse_notebook(data, "a.ipynb")
    assert caught.value.status == "invalid"
    if message.endswith("("):  # the exception's name depends on the nbformat version
        assert str(caught.value).startswith(message) and str(caught.value).endswith(")")
    else:
        assert str(caught.value) == message


def test_parse_notebook_refuses_a_bad_cell_type():
    data = json.loads(nbformat.writes(released_nb()))
    data["cells"][2]["cell_type"] = "python"
    with pytest.raises(NotebookError) as caught:
        parse_notebook(json.dumps(data).encode(), "a.ipynb")
    assert str(caught.value) == "a.ipynb: not a notebook (a cell has no valid cell_type)"


def test_parse_notebook_replaces_non_utf8_bytes():
    data = notebook_bytes(notebook(answer_cell("sigmoid", "x = 'caf\u00e9'"))).replace("\u00e9".encode(), b"\xe9")
    nb = parse_notebook(data, "a.ipynb")
    assert nb.cells[0].source == "x = 'caf\ufffd'"


def test_parse_notebook_too_large(monkeypatch):
    monkeypatch.setattr(labs_module, "MAX_NOTEBOOK_BYTES", 10)
    with pytest.raises(NotebookError) as caught:
        parse_notebook(b"{" + b" " * 20 + b"}", "a.ipynb")
    assert str(caught.value) == "a.ipynb: larger than 0 MB; clear its outputs"


def test_notebook_error_pickles_with_its_status():
    import pickle

    error_ = pickle.loads(pickle.dumps(NotebookError("x.ipynb: nope", "wrong_lab")))
    assert (str(error_), error_.status) == ("x.ipynb: nope", "wrong_lab")


# --- 8. worker records ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["invalid", "wrong_lab", "crashed"])
def test_from_record_notebook_error(status):
    result = worker.from_record(worker.result_record(NotebookError("a.ipynb: why", status)))
    assert isinstance(result, NotebookError) and (str(result), result.status) == ("a.ipynb: why", status)


@pytest.mark.parametrize("data", [
    {"error": "x", "status": "graded"},
    {"error": "x", "status": "passed"},
    {"error": "x", "status": ""},
    {"error": "x", "status": None},
], ids=["graded", "passed", "empty", "none"])
def test_from_record_refuses_an_unknown_status(data):
    with pytest.raises(ValueError, match="unknown status"):
        worker.from_record(data)


@pytest.mark.parametrize("data", [
    {},
    {"error": "x"},
    {"report": {}},
    {"report": []},
    {"report": "text"},
    {"report": None},
    {"report": {**report().to_record(), "extra": 1}},
    {"report": {k: v for k, v in report().to_record().items() if k != "incidents"}},
    {"report": {**report().to_record(), "cells": [{"grade_id": "c"}]}},
    {"report": {**report().to_record(), "cells": ["c"]}},
    {"report": {**report().to_record(), "incidents": [{"status": "timeout"}]}},
    [],
    "text",
    None,
], ids=lambda d: type(d).__name__)
def test_from_record_refuses_malformed_data(data):
    with pytest.raises((ValueError, TypeError, KeyError)):
        worker.from_record(data)
