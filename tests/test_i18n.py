"""The Chinese edition: message templates and their catalogs, the language switch, the prose
catalogs that keep the Chinese labs in step, and the Chinese notebooks in a kernel."""

from __future__ import annotations

import os
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from babel.messages.catalog import Catalog  # noqa: E402

from helpers import LABS, ROOT, graded  # noqa: E402
from course import i18n, plots, translations  # noqa: E402
from course.build import expected_lab, instructor_notebook, lab_path, render  # noqa: E402
from course.checks import CheckFailed  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")
CHINESE_LABS = sorted(lab_id for lab_id in LABS if translations.prose_path(ROOT, lab_id).is_file())


def catalog(entries: dict[str, str], fuzzy: tuple[str, ...] = ()) -> Catalog:
    built = Catalog(locale="zh_Hans_CN")
    for msgid, msgstr in entries.items():
        built.add(msgid, msgstr, flags=["fuzzy"] if msgid in fuzzy else [])
    return built


# --- templates --------------------------------------------------------------------------------

SOURCE = '''
"""A docstring of four or more words is never a message."""
HINTS = {"unexpected keyword argument 'h'": "give the step the name h, as the docstring says."}

def check(x, shape):
    """Another docstring with many words in it."""
    hints = {}
    hints["object has no attribute at all"] = "store it on self in forward, please."
    if "could not be broadcast together" in str(x):
        raise CheckFailed(f"{x!r} has shape {tuple(shape)} but should have {shape[0]:d} rows.")
    short = "two words"
    shared = "{name} layers share their state here"  # a str.format template
    mistakes = {}
    mistakes["the filter is upside down here"] = x  # a table of messages, unlike a hint table
    return "returns a dict like {'W1': ...} for each key"
'''


def test_templates_keep_fields_as_written_and_skip_what_is_never_shown():
    assert i18n.message_templates(SOURCE) == [
        "give the step the name h, as the docstring says.",
        "store it on self in forward, please.",
        "{x!r} has shape {tuple(shape)} but should have {shape[0]:d} rows.",
        "{name} layers share their state here",
        "the filter is upside down here",
        "returns a dict like {{'W1': ...}} for each key",
    ]


def test_translator_fills_a_template_with_the_rendered_values():
    translator = i18n.Translator([catalog({
        "{what} is off: got {got:.6g} where {want:.6g} was expected.": "{what}不对：得到 {got:.6g}，应为 {want:.6g}。",
        "Relu.forward(x) for x of shape {shape}": "形状为 {shape} 的 Relu.forward(x)",
        "{a} and {a} again": "{a}，再一次 {a}",
        "{name} does not match {label(name, {})} here": "{name} 与 {label(name, {})} 不一致",
        "returns a dict like {{'W1': ...}} for each key": "对每个键返回形如 {{'W1': ...}} 的字典",
        "SoftmaxWithLoss.forward(x{said}, t) with labels": "带标签的 SoftmaxWithLoss.forward(x{said}, t)",
        "passed": "通过",
    })])
    assert translator.translate("Relu.forward(x) for x of shape (4, 5) is off: got 1.5 where 2 was expected.") == \
        "形状为 (4, 5) 的 Relu.forward(x)不对：得到 1.5，应为 2。"  # the value is a message too
    assert translator.translate("x and x again") == "x，再一次 x"
    assert translator.translate("Adam does not match keras Adam() here") == "Adam 与 keras Adam() 不一致"
    assert translator.translate("x and y again") == "x and y again"  # a repeated field must repeat its value
    assert translator.translate("returns a dict like {'W1': ...} for each key") == "对每个键返回形如 {'W1': ...} 的字典"
    assert translator.translate("SoftmaxWithLoss.forward(x, t) with labels") == "带标签的 SoftmaxWithLoss.forward(x, t)"
    assert translator.translate("passed") == "通过"
    assert translator.translate("build_model(4): passed") == "build_model(4): 通过"  # a prefix and a message
    assert translator.translate("something nobody translated") == "something nobody translated"


def test_fuzzy_and_empty_entries_are_not_used():
    translator = i18n.Translator([catalog({"an old text with four words": "旧的", "an empty entry here too": ""},
                                          fuzzy=("an old text with four words",))])
    assert translator.translate("an old text with four words") == "an old text with four words"
    assert translator.translate("an empty entry here too") == "an empty entry here too"


def test_every_message_the_package_can_show_has_a_chinese_translation():
    missing = [line for domain, templates in translations.message_domains(ROOT).items()
               for line in translations.problems(i18n.catalog_path(domain), templates)]
    assert missing == [], f"{len(missing)} messages without Chinese; run `course translations`:\n" + \
        "\n".join(missing[:20])


def test_translated_templates_keep_their_fields():
    for path in sorted((i18n.LOCALE_DIR / "zh" / "LC_MESSAGES").glob("*.po")):
        for msgid, msgstr in i18n.translated(i18n.read_catalog(path)).items():
            assert i18n.fields(msgstr) == i18n.fields(msgid), f"{path.name}: {msgid!r}"


# --- the language switch ----------------------------------------------------------------------

def test_course_lang_overrides_the_notebook_and_set_language(monkeypatch):
    zh_notebook = {"metadata": {"course": {"lang": "zh"}}}
    monkeypatch.delenv("COURSE_LANG", raising=False)
    assert i18n.notebook_language(zh_notebook) == "zh"
    assert i18n.notebook_language({"metadata": {"course": {"lang": "klingon"}}}) == "en"
    assert i18n.notebook_language({"metadata": "not a dict"}) == "en"
    monkeypatch.setenv("COURSE_LANG", "en")
    assert i18n.notebook_language(zh_notebook) == "en"
    monkeypatch.setattr(i18n, "_chosen", "zh")
    assert i18n.language() == "en"
    monkeypatch.delenv("COURSE_LANG")
    assert i18n.language() == "zh"
    with pytest.raises(ValueError, match="language must be one of en, zh"):
        i18n.set_language("fr")


def test_check_messages_follow_the_language(monkeypatch):
    monkeypatch.setattr(i18n, "translator", lambda lang: i18n.Translator([catalog({
        "{what} returned None: did you forget the `return`?": "{what} 返回了 None：是不是忘了写 `return`？"})]))
    from course.checks.core import to_numpy

    monkeypatch.setenv("COURSE_LANG", "zh")
    with pytest.raises(CheckFailed, match="sigmoid\\(z\\) 返回了 None"):
        to_numpy(None, "sigmoid(z)")
    monkeypatch.setenv("COURSE_LANG", "en")
    with pytest.raises(CheckFailed, match="did you forget the `return`"):
        to_numpy(None, "sigmoid(z)")


def test_plot_labels_stay_english_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(i18n, "translator", lambda lang: i18n.Translator([catalog({"loss per epoch": "每轮的损失"})]))
    monkeypatch.setenv("COURSE_LANG", "zh")
    monkeypatch.setattr(plots, "use_cjk_font", lambda: None)
    assert i18n.tr("loss per epoch") == "loss per epoch"
    monkeypatch.setattr(plots, "use_cjk_font", lambda: "Some CJK Font")
    assert i18n.tr("loss per epoch") == "每轮的损失"
    monkeypatch.setenv("COURSE_LANG", "en")
    assert i18n.tr("loss per epoch") == "loss per epoch"


@pytest.mark.skipif(plots.cjk_font() is None and not os.environ.get("CI"),
                    reason="no CJK font installed (sudo apt-get install fonts-noto-cjk)")
def test_chinese_labels_render_with_the_cjk_font():
    assert plots.use_cjk_font() is not None
    fig, ax = plt.subplots()
    ax.set(title="反向传播的代价", xlabel="参数个数", ylabel="秒")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for empty boxes
        fig.canvas.draw()
    plt.close(fig)


# --- prose catalogs and the Chinese notebook --------------------------------------------------

def test_problems_name_missing_empty_and_fuzzy_translations(tmp_path):
    path = tmp_path / "lab.po"
    translations.write_catalog(catalog({"# Title": "# 标题", "## Setup": "", "Changed text.": "旧译文"},
                                       fuzzy=("Changed text.",)), path)
    found = translations.problems(path, ["# Title", "## Setup", "Changed text.", "New text."])
    assert [line.split(": ")[1] for line in found] == [
        "is not translated", "is fuzzy (its English changed)", "has no entry"]


def test_update_keeps_translations_and_marks_changed_english_fuzzy(tmp_path):
    path = tmp_path / "lab.po"
    translations.write_catalog(catalog({"The learning rate is 0.1 here.": "这里的学习率是 0.1。"}), path)
    translations.update(path, [("md-001", "The learning rate is 0.5 here."), ("md-002", "A new cell.")])
    updated = i18n.read_catalog(path)
    changed = updated.get("The learning rate is 0.5 here.")
    assert changed.fuzzy and changed.string == "这里的学习率是 0.1。"
    assert updated.get("A new cell.").string == ""
    assert translations.problems(path, ["The learning rate is 0.5 here.", "A new cell."]) != []
    before = path.read_bytes()
    translations.update(path, [("md-001", "The learning rate is 0.5 here."), ("md-002", "A new cell.")])
    assert path.read_bytes() == before  # the same catalog gives the same bytes


def test_glossary_table_lists_the_terms_the_lab_uses():
    table = translations.glossary_table("We train the perceptron with gradient descent; biases start at 0.")
    assert "| perceptron | 感知机 |" in table and "| gradient descent | 梯度下降 |" in table
    assert "| bias | 偏置 |" in table  # plural
    assert "卷积" not in table


def test_chinese_notebook_has_chinese_prose_a_glossary_and_chinese_messages():
    english = nbformat.v4.new_notebook(metadata={"course": {"lab": "lab99_demo"}})
    setup = nbformat.v4.new_code_cell("import numpy as np\nimport course\ncourse.set_seed(0)\n",
                                      metadata={"nbgrader": {"grade_id": "setup"}})
    english.cells = [nbformat.v4.new_markdown_cell("# Lab 99 — The perceptron"), setup,
                     nbformat.v4.new_markdown_cell("A perceptron learns by gradient descent.")]
    chinese = translations.chinese_notebook(english, catalog({
        "# Lab 99 — The perceptron": "# 实验 99 — 感知机", "A perceptron learns by gradient descent.": "感知机用梯度下降学习。"}))
    assert [c.source.splitlines()[0] for c in chinese.cells if c.cell_type == "markdown"] == [
        "# 实验 99 — 感知机", "**术语表**（本实验用到的术语）", "感知机用梯度下降学习。"]
    assert chinese.cells[2].source == "import numpy as np\nimport course\n" + translations.SET_LANGUAGE + \
        "course.set_seed(0)\n"
    assert chinese.metadata["course"]["lang"] == "zh"
    assert english.cells[0].source == "# Lab 99 — The perceptron"  # the English notebook is untouched
    with pytest.raises(KeyError):
        translations.chinese_notebook(english, catalog({"# Lab 99 — The perceptron": "# 实验 99"}))


@pytest.mark.parametrize("lab_id", CHINESE_LABS)
def test_chinese_lab_is_built_from_its_source_and_translated(lab_id):
    assert translations.problems(translations.prose_path(ROOT, lab_id),
                                 [t for _, t in translations.prose_entries(LABS[lab_id].instructor_notebook())]) == []
    released = lab_path(ROOT, lab_id, "zh").read_text(encoding="utf-8")
    assert released == expected_lab(LABS[lab_id], "zh"), "labs/zh/ is stale: run `course build`"
    nb = nbformat.reads(released, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert len(CJK.findall(prose)) > 0.3 * len(re.findall(r"[A-Za-z]", prose)), "the prose is not Chinese"
    english = nbformat.reads(expected_lab(LABS[lab_id]), as_version=4)
    code = [(c.get("id"), c.source) for c in english.cells if c.cell_type == "code"]
    setup_line = translations.SET_LANGUAGE
    assert [(c.get("id"), c.source.replace(setup_line, "")) for c in nb.cells if c.cell_type == "code"] == code


def test_every_lab_has_a_chinese_edition():
    assert CHINESE_LABS == sorted(LABS)


# --- in a kernel ------------------------------------------------------------------------------

KERNEL_LABS = [lab for lab in ("lab01_perceptron", "lab10_backprop") if lab in CHINESE_LABS]


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", KERNEL_LABS)
def test_chinese_solution_gets_full_marks_with_chinese_messages(lab_id, tmp_path):
    """Two labs in a kernel: every other Chinese lab runs the same code cells as its English lab
    (test_chinese_lab_is_built_from_its_source_and_translated), whose full marks are tested, and
    whose messages all translate (test_labs.py::test_solution_messages_read_in_chinese)."""
    notebook = tmp_path / f"{lab_id}.ipynb"
    notebook.write_text(render(instructor_notebook(LABS[lab_id], "zh")), encoding="utf-8")
    report = graded(str(notebook))
    assert [(c.grade_id, c.status) for c in report.cells if c.status != "passed"] == []
    assert report.score == report.max_score > 0
    assert all(CJK.search(c.message) for c in report.cells), [c.message for c in report.cells]


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", KERNEL_LABS)
def test_blank_chinese_lab_scores_zero_in_chinese(lab_id):
    """Two labs in a kernel, as for full marks above."""
    report = graded(str(lab_path(ROOT, lab_id, "zh")))
    assert report.score == 0 and {c.status for c in report.cells} == {"not_attempted"}
    assert all(CJK.search(c.message) and "NotImplementedError" in c.message for c in report.cells)


@pytest.mark.slow
def test_a_wrong_answer_in_a_chinese_notebook_is_named_in_chinese(tmp_path):
    nb = nbformat.read(lab_path(ROOT, "lab10_backprop", "zh"), as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "AddLayer":
            cell.source = ("class AddLayer:\n    def forward(self, x, y):\n        return x + y\n\n"
                           "    def backward(self, dout):\n        return dout / 2, dout / 2\n")
    submission = tmp_path / "student.ipynb"
    nbformat.write(nb, submission)
    cells = {c.grade_id: c for c in graded(str(submission)).cells}
    assert cells["check_AddLayer"].status == "failed"
    assert CJK.search(cells["check_AddLayer"].message) and "AddLayer.backward" in cells["check_AddLayer"].message
    assert cells["check_MulLayer"].status == "not_attempted" and CJK.search(cells["check_MulLayer"].message)
