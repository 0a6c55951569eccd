"""A student's path from `pip install`: the released labs in the package, `course start`,
and `course check` / `course list` outside any course folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest

from course.cli import main
from course.labs import is_answer_cell, nbgrader_meta, packaged_labs
from helpers import LABS, ROOT, answer_sources

LAB = "lab01_perceptron"


@pytest.fixture
def outside(tmp_path, monkeypatch):
    """An empty folder, with no course folder anywhere to be found."""
    monkeypatch.delenv("COURSE_ROOT", raising=False)
    monkeypatch.setattr("course.cli.find_course_root", lambda explicit=None: None)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_package_ships_every_released_lab_and_nothing_of_the_instructor():
    shipped = packaged_labs()
    assert sorted(shipped) == sorted(LABS)
    assert all(lab.source is None for lab in shipped.values())
    for lab in shipped.values():
        assert lab.released.read_bytes() == (ROOT / "labs" / f"{lab.id}.ipynb").read_bytes()


def test_start_copies_a_lab_and_never_overwrites_the_students_work(outside, capsys):
    assert main(["start", LAB]) == 0
    notebook = outside / f"{LAB}.ipynb"
    assert notebook.read_bytes() == (ROOT / "labs" / f"{LAB}.ipynb").read_bytes()
    nb = nbformat.read(notebook, as_version=4)
    next(c for c in nb.cells if is_answer_cell(c)).source = "# my work"
    nbformat.write(nb, notebook)
    mine = notebook.read_bytes()
    capsys.readouterr()
    assert main(["start", LAB]) == 0
    out = capsys.readouterr().out
    assert notebook.read_bytes() == mine
    assert "kept" in out and f"course start {LAB} --fresh" in out
    assert main(["start", LAB, "--fresh"]) == 0
    assert notebook.read_bytes() == mine
    assert (outside / f"{LAB}-fresh.ipynb").read_bytes() == (ROOT / "labs" / f"{LAB}.ipynb").read_bytes()


def test_start_all_into_a_folder_and_refuse_an_unknown_lab(outside, capsys):
    assert main(["start", "--all", "--dir", "work"]) == 0
    assert sorted(p.stem for p in (outside / "work").glob("*.ipynb")) == sorted(LABS)
    assert main(["start", "lab99_nothing"]) == 2
    assert "lab99_nothing" in capsys.readouterr().err
    assert main(["start"]) == 2


def test_start_lang_zh_copies_the_chinese_edition(outside):
    chinese = packaged_labs("zh")
    assert sorted(chinese) == sorted(LABS)
    assert main(["start", "--all", "--lang", "zh", "--dir", "zh"]) == 0
    for lab_id in LABS:
        copied = nbformat.read(outside / "zh" / f"{lab_id}.ipynb", as_version=4)
        assert copied.metadata["course"] == {**copied.metadata["course"], "lab": lab_id, "lang": "zh"}
        assert (outside / "zh" / f"{lab_id}.ipynb").read_bytes() == (ROOT / "labs" / "zh" / f"{lab_id}.ipynb").read_bytes()


def test_list_lang_zh_gives_the_chinese_titles(outside, capsys):
    assert main(["list", "--lang", "zh", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [entry["lab"] for entry in listing] == sorted(LABS)
    assert all(entry["title"].startswith("实验") for entry in listing), [entry["title"] for entry in listing]


def test_list_works_outside_a_course_folder(outside, capsys):
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [entry["lab"] for entry in listing] == sorted(LABS)
    assert sum(c["points"] for c in listing[0]["cells"]) == 10


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    """A virtual environment holding only the built wheel (its dependencies come from this one)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-w", str(folder), "-q"], check=True, capture_output=True)
    wheel = next(folder.glob("keras_course-*.whl"))
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True)
    return wheel, venv / "bin"


def test_the_wheel_holds_the_released_labs_and_no_solutions(wheel_env):
    wheel, _ = wheel_env
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert sorted(n for n in names if n.startswith("course/released_labs/") and n.endswith(".ipynb")) == [
            f"course/released_labs/{lab}.ipynb" for lab in sorted(LABS)] + [
            f"course/released_labs/zh/{lab}.ipynb" for lab in sorted(LABS)]
        assert {f"course/locale/zh/LC_MESSAGES/{lab}.po" for lab in LABS} <= set(names)
        assert "course/locale/glossary.csv" in names
        assert not [n for n in names if "solutions" in n]
        for name in names:
            text = archive.read(name).decode("utf-8", errors="replace")
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, name


@pytest.mark.slow
def test_a_student_with_only_the_wheel_lists_starts_and_checks_a_lab(wheel_env, tmp_path):
    _, bin_dir = wheel_env
    env = {k: v for k, v in os.environ.items() if k != "COURSE_ROOT"}

    def course(*args) -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir / "course"), *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)

    where = subprocess.run([str(bin_dir / "python"), "-c", "import course; print(course.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert str(bin_dir.parent) in where  # the wheel's copy, not this checkout
    assert [entry["lab"] for entry in json.loads(course("list", "--json").stdout)] == sorted(LABS)
    assert course("start", LAB).returncode == 0
    notebook = tmp_path / f"{LAB}.ipynb"
    blank = course("check", notebook.name, "--json")
    report = json.loads(blank.stdout)
    assert report["score"] == 0 and {c["status"] for c in report["cells"]} == {"not_attempted"}
    assert blank.stderr.count("visible checks only") == 1  # said once, in one line
    nb = nbformat.read(notebook, as_version=4)
    answers = answer_sources(LAB)
    for cell in nb.cells:
        if is_answer_cell(cell):
            cell.source = answers[nbgrader_meta(cell)["grade_id"]]
    nbformat.write(nb, notebook)
    solved = json.loads(course("check", notebook.name, "--json").stdout)
    assert solved["score"] == solved["max_score"] == 10
    mine = notebook.read_bytes()
    again = course("start", LAB)
    assert again.returncode == 0 and "kept" in again.stdout and notebook.read_bytes() == mine


def test_ci_tests_the_oldest_tensorflow_and_keras_the_package_declares():
    declared = (ROOT / "pyproject.toml").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for name in ("tensorflow", "keras"):
        lowest = re.search(rf'"{name}>=([\d.]+),', declared).group(1)
        pinned = re.search(rf'"{name}==([\d.]+)"', ci).group(1)
        assert pinned == lowest or pinned.startswith(lowest + "."), (name, lowest, pinned)


SETUP_WITHOUT_HELPERS = r'''
import json, sys
sys.modules["course"] = None  # as in a kernel where the course helpers are not installed
from IPython.core.interactiveshell import InteractiveShell
cells = json.load(open(sys.argv[1]))["cells"]
setup = next(c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup")
result = InteractiveShell.instance().run_cell("".join(setup["source"]))
print("raised", type(result.error_in_exec).__name__)
'''


@pytest.mark.parametrize("lab_id", sorted(LABS))
def test_without_the_helpers_the_setup_cell_says_in_one_line_how_to_install_them(lab_id):
    done = subprocess.run([sys.executable, "-c", SETUP_WITHOUT_HELPERS, str(ROOT / "labs" / f"{lab_id}.ipynb")],
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 2 and lines[1] == "raised CourseHelpersMissing", done.stdout + done.stderr
    assert "%pip install keras-course" in lines[0] and "restart the kernel" in lines[0]
