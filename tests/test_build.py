"""Building labs/ from solutions/: deterministic, stale detection, nbgrader parity."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import LABS, ROOT
from course.build import build, expected_lab, export_nbgrader_sources
from course.cli import main


@pytest.fixture
def small_course(tmp_path):
    """A course folder holding lab01's source only."""
    (tmp_path / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "lab01_perceptron.py", tmp_path / "solutions")
    return tmp_path


def test_build_is_byte_for_byte_deterministic():
    lab = LABS["lab01_perceptron"]
    assert expected_lab(lab) == expected_lab(lab)


def test_build_writes_then_reports_in_sync(small_course):
    assert build(small_course) == ["lab01_perceptron"]
    first = (small_course / "labs" / "lab01_perceptron.ipynb").read_bytes()
    assert build(small_course, check=True) == []
    assert build(small_course) == []
    assert (small_course / "labs" / "lab01_perceptron.ipynb").read_bytes() == first
    assert b"jupytext" not in first  # no version stamp


def test_check_flags_a_stale_lab_and_writes_nothing(small_course, monkeypatch, capsys):
    build(small_course)
    source = small_course / "solutions" / "lab01_perceptron.py"
    source.write_text(source.read_text().replace("about 40 minutes", "about 45 minutes"))
    before = (small_course / "labs" / "lab01_perceptron.ipynb").read_bytes()
    monkeypatch.setenv("COURSE_ROOT", str(small_course))
    assert main(["build", "--check"]) == 1
    assert "stale for: lab01_perceptron" in capsys.readouterr().out
    assert (small_course / "labs" / "lab01_perceptron.ipynb").read_bytes() == before
    assert main(["build"]) == 0
    assert main(["build", "--check"]) == 0


def test_student_notebook_replaces_solutions_with_stubs():
    text = expected_lab(LABS["lab01_perceptron"])
    assert text.count("raise NotImplementedError()") >= 6
    assert "# YOUR CODE HERE" in text
    assert '"checksum"' in text and '"editable": false' in text


def test_nbgrader_generate_assignment_gives_the_same_notebook(tmp_path):
    export_nbgrader_sources(ROOT, tmp_path, only=["lab01_perceptron"])
    subprocess.run(["nbgrader", "generate_assignment", "lab01_perceptron", "--force"],
                   cwd=tmp_path, check=True, capture_output=True)
    generated = (tmp_path / "release" / "lab01_perceptron" / "lab01_perceptron.ipynb").read_text()
    assert generated == (ROOT / "labs" / "lab01_perceptron.ipynb").read_text()
