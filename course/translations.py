"""Keep the Chinese edition in step with the English source (instructors' side, needs Babel).

Two kinds of gettext catalog, both ordinary ``.po`` files a translator edits with any PO
editor and a reviewer reads as a diff:

- message catalogs, ``course/locale/zh/LC_MESSAGES/<domain>.po``: one per check module
  (``lab01_perceptron`` ... and ``core``) and one for the grader's messages (``grader``),
  holding every message template those modules can show plus, in a lab's domain, the plot
  labels its source passes to ``tr(...)``;
- prose catalogs, ``solutions/zh/<lab>.po``: one entry per markdown cell of the lab.

``course translations`` refreshes both from the sources with Babel's own merge: a new
English text gets an empty entry, a changed one keeps its old translation marked fuzzy
(to be revised against the new English), so that nothing stale can pass for finished.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import nbformat

from course import i18n
from course.labs import Lab, discover_labs, read_source

PACKAGE = Path(__file__).resolve().parent
GLOSSARY = i18n.LOCALE_DIR / "glossary.csv"
GRADER_MODULES = ("reading.py", "results.py")  # where the grader's messages to students live
STATUS_WORDS = ("passed", "failed", "not_attempted", "error", "timeout", "tampered", "graded", "crashed",
                "invalid", "wrong_lab", "out_of_memory")
SET_LANGUAGE = 'course.set_language("zh")  # 检查结果和图中文字用中文显示\n'


# --- message catalogs -------------------------------------------------------------------------

def plot_labels(source: str) -> list[str]:
    """The string arguments of ``tr("...")`` / ``course.tr("...")`` calls in a lab's source."""
    labels = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr":
            labels += [i18n.template_text(a) for a in node.args
                       if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return labels


def lab_cells_source(lab: Lab) -> str:
    """A lab source's code cells as one Python module (magics and shell lines dropped)."""
    cells = read_source(lab.source).cells
    return "\n".join(c.source for c in cells if c.cell_type == "code"
                     and not c.source.lstrip().startswith(("%", "!")))


def message_domains(root: Path) -> dict[str, list[str]]:
    """``{domain: [message templates]}`` for every catalog of messages, in a fixed order."""
    domains = {}
    for module in sorted((PACKAGE / "checks").glob("*.py")):
        if module.stem != "__init__":
            domains[module.stem] = i18n.message_templates(module.read_text(encoding="utf-8"))
    grader = list(STATUS_WORDS)
    for name in GRADER_MODULES:
        grader += i18n.message_templates((PACKAGE / "grader" / name).read_text(encoding="utf-8"))
    domains["grader"] = list(dict.fromkeys(grader))
    for lab in discover_labs(root).values():
        if lab.source is not None:
            labels = plot_labels(lab_cells_source(lab))
            domains[lab.id] = list(dict.fromkeys(domains.get(lab.id, []) + labels))
    return domains


# --- prose catalogs ---------------------------------------------------------------------------

def prose_path(root: Path, lab_id: str) -> Path:
    """The catalog of a lab's markdown cells."""
    return Path(root) / "solutions" / "zh" / f"{lab_id}.po"


def prose_entries(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``[(cell id, English text)]`` for a notebook's markdown cells."""
    return [(cell["id"], cell.source) for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()]


# --- catalogs on disk -------------------------------------------------------------------------

def _template(entries: list[tuple[str, str]]):
    from babel.messages.catalog import Catalog  # noqa: PLC0415

    template = Catalog(locale="zh_Hans_CN", project="keras-course", fuzzy=False)
    for context, text in entries:
        template.add(text, auto_comments=[context] if context else [])
    return template


def write_catalog(catalog, path: Path) -> None:
    """Write a catalog as a .po file, the same bytes for the same catalog (no dates)."""
    from babel.messages.pofile import write_po  # noqa: PLC0415

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_previous=False,
             no_location=True)
    text = re.sub(rb'"POT-Creation-Date: [^"]*"\n', b"", buffer.getvalue())  # the same bytes every run
    text = re.sub(rb'"PO-Revision-Date: [^"]*"\n', b"", text)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_bytes() != text:
        path.write_bytes(text)


def update(path: Path, entries: list[tuple[str, str]]) -> None:
    """Merge a catalog with the current English entries (Babel's msgmerge) and write it."""
    catalog = i18n.read_catalog(path)
    catalog.update(_template(entries), no_fuzzy_matching=False)
    catalog.obsolete.clear()
    write_catalog(catalog, path)


def update_all(root: Path, only: list[str] | None = None) -> list[Path]:
    """Refresh the message catalogs and the prose catalogs of the labs ``only`` (default: every
    lab) from the sources; returns the catalogs."""
    paths = []
    for domain, templates in message_domains(root).items():
        paths.append(i18n.catalog_path(domain))
        update(paths[-1], [("", t) for t in templates])
    for lab in discover_labs(root).values():
        if lab.source is not None and (not only or lab.id in only):
            paths.append(prose_path(root, lab.id))
            update(paths[-1], prose_entries(read_source(lab.source)))
    return paths


def problems(path: Path, entries: list[str]) -> list[str]:
    """What keeps a catalog from covering ``entries``: missing, empty or fuzzy translations.

    Returns:
        One line per English text without a finished translation.
    """
    catalog = i18n.read_catalog(path)
    done = i18n.translated(catalog)
    found = []
    for text in entries:
        message = catalog.get(text)
        state = ("has no entry" if message is None else "is fuzzy (its English changed)" if message.fuzzy
                 else "is not translated" if text not in done else None)
        if state:
            found.append(f"{path.name}: {state}: {text.splitlines()[0][:70]!r}")
    return found


def all_problems(root: Path) -> list[str]:
    """Every missing or stale Chinese text: messages, and the prose of the labs that have a
    prose catalog."""
    found = []
    for domain, templates in message_domains(root).items():
        found += problems(i18n.catalog_path(domain), templates)
    for lab in discover_labs(root).values():
        if lab.source is not None and prose_path(root, lab.id).is_file():
            found += problems(prose_path(root, lab.id), [t for _, t in prose_entries(read_source(lab.source))])
    return found


# --- the Chinese notebook ---------------------------------------------------------------------

def glossary() -> list[tuple[str, str]]:
    """``[(English term, Chinese term)]`` from the course glossary."""
    with GLOSSARY.open(encoding="utf-8", newline="") as handle:
        return [(row["english"], row["chinese"]) for row in csv.DictReader(handle)]


def glossary_table(english_text: str) -> str:
    """A markdown table of the glossary terms the English text uses (whole words, any case)."""
    rows = [(en, zh) for en, zh in glossary()
            if re.search(rf"(?<![A-Za-z]){re.escape(en)}(?:s|es)?(?![a-z])", english_text, re.I)]
    lines = ["**术语表**（本实验用到的术语）", "", "| English | 中文 |", "|---|---|"]
    return "\n".join(lines + [f"| {en} | {zh} |" for en, zh in rows])


def chinese_notebook(instructor: nbformat.NotebookNode, catalog) -> nbformat.NotebookNode:
    """The Chinese instructor notebook: Chinese markdown, a glossary after the title, Chinese
    messages from the Setup cell on, ``metadata.course.lang = "zh"``.

    Args:
        instructor: the English instructor notebook (not modified).
        catalog: the lab's prose catalog (Babel), complete for this notebook.

    Raises:
        KeyError: a markdown cell has no finished translation.
    """
    done = i18n.translated(catalog)
    nb = nbformat.from_dict(instructor)
    english = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = done[cell.source]
        elif cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup":
            head, sep, tail = cell.source.partition("\nimport course\n")
            cell.source = head + sep + SET_LANGUAGE + tail if sep else cell.source
    title = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
    glossary_cell = nbformat.v4.new_markdown_cell(glossary_table(english))
    glossary_cell["id"] = "md-glossary"
    nb.cells.insert(title + 1, glossary_cell)
    nb.metadata["course"]["lang"] = "zh"
    return nb
