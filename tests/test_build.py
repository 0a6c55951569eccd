"""Building labs/ from solutions/: deterministic, stale detection, release ids, nbgrader parity."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import nbformat
import pytest

from helpers import LABS, ROOT
from course.build import build, expected_lab, export_nbgrader_sources, notebook_release, release_id, render
from course.cli import main


@pytest.fixture
def small_course(tmp_path):
    """A course folder holding lab01's source only."""
    (tmp_path / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "lab01_perceptron.py", tmp_path / "solutions")
    return tmp_path


def test_build_writes_then_reports_in_sync(small_course):
    assert build(small_course) == ["lab01_perceptron"]
    first = (small_course / "labs" / "lab01_perceptron.ipynb").read_bytes()
    assert build(small_course, check=True) == []
    assert build(small_course) == []
    assert (small_course / "labs" / "lab01_perceptron.ipynb").read_bytes() == first
    assert b"jupytext" not in first  # no version stamp


def test_check_creates_no_labs_folder(small_course):
    assert build(small_course, check=True) == ["lab01_perceptron"]
    assert not (small_course / "labs").exists()


def released(course_folder):
    return nbformat.read(course_folder / "labs" / "lab01_perceptron.ipynb", as_version=4)


def test_release_id_is_the_hash_of_what_students_get(small_course, tmp_path):
    build(small_course)
    nb = released(small_course)
    release = nb.metadata["course"]["release"]
    assert notebook_release(nb) == release == release_id(nb)
    del nb.metadata["course"]["release"]
    assert release == hashlib.sha256(render(nb).encode()).hexdigest()[:12]

    again = tmp_path / "again"
    shutil.copytree(small_course / "solutions", again / "solutions")
    build(again)
    assert (again / "labs" / "lab01_perceptron.ipynb").read_bytes() == \
        (small_course / "labs" / "lab01_perceptron.ipynb").read_bytes()

    (exported,) = export_nbgrader_sources(small_course, tmp_path / "nbgrader")
    source = json.loads(exported.read_text())
    assert source["metadata"]["course"] == {"lab": "lab01_perceptron", "release": release}
    assert "### BEGIN SOLUTION" in exported.read_text()


def test_release_id_changes_with_the_points(small_course):
    build(small_course)
    before = notebook_release(released(small_course))
    source = small_course / "solutions" / "lab01_perceptron.py"
    text = source.read_text()
    line = next(l for l in text.splitlines() if '"grade_id": "check_sigmoid"' in l)
    source.write_text(text.replace(line, line.replace('"points": 1', '"points": 2')))
    assert build(small_course) == ["lab01_perceptron"]
    after = notebook_release(released(small_course))
    assert after is not None and after != before


def test_notebook_release_reads_only_a_well_formed_id():
    def nb(course):
        return nbformat.from_dict({"metadata": {"course": course}, "cells": []})

    assert notebook_release(nb({"lab": "lab01_perceptron", "release": "0123456789ab"})) == "0123456789ab"
    for bad in ("0123456789a", "0123456789abc", "0123456789AB", "0123456789ag", "0123456789ab\n", 123, None):
        assert notebook_release(nb({"release": bad})) is None
    assert notebook_release(nb({"lab": "lab01_perceptron"})) is None
    assert notebook_release(nb("0123456789ab")) is None
    assert notebook_release(nbformat.from_dict({"cells": []})) is None


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
    assert notebook_release(released(small_course)) != notebook_release(nbformat.reads(before.decode(), 4))


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
    assert notebook_release(nbformat.reads(generated, 4)) is not None


def test_nbgrader_generate_assignment_gives_the_same_chinese_notebook(tmp_path):
    export_nbgrader_sources(ROOT, tmp_path, only=["lab10_backprop"])
    subprocess.run(["nbgrader", "generate_assignment", "lab10_backprop_zh", "--force"],
                   cwd=tmp_path, check=True, capture_output=True)
    generated = (tmp_path / "release" / "lab10_backprop_zh" / "lab10_backprop.ipynb").read_text()
    assert generated == (ROOT / "labs" / "zh" / "lab10_backprop.ipynb").read_text()
    assert nbformat.reads(generated, 4).metadata["course"]["lang"] == "zh"
