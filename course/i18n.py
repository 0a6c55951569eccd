"""The course's two languages: English, in which everything is written, and Chinese.

Chinese text comes from gettext catalogs, read with Babel:

- ``course/locale/zh/LC_MESSAGES/<module>.po``: the check and grader messages of one module
  (``lab01_perceptron``, ``core``, ``reading``, ...) and the plot labels the labs pass to
  :func:`tr`. A message with values in it is kept as a template: each f-string field of
  the source stays as written (``{what} is off: got {got:.6g} where {want:.6g} was
  expected.``), and the Chinese text uses the same fields, so a rendered English message
  is matched against the template and rebuilt in Chinese with the same values.
- ``solutions/zh/<lab>.po``: the lab's markdown cells (used by ``course build``).

The language is ``$COURSE_LANG`` (``en`` or ``zh``) when it is set, which overrides
everything; else ``set_language(...)``'s; else English. Chinese notebooks call
``course.set_language("zh")`` in their Setup cell, and the grader gives the kernel the
language of the submission (:func:`notebook_language`).
"""

from __future__ import annotations

import ast
import functools
import os
import re
from pathlib import Path

LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_chosen: str | None = None


def language() -> str:
    """The language messages are shown in: ``"en"`` or ``"zh"``."""
    wanted = os.environ.get("COURSE_LANG", "").strip().lower()
    if wanted in LANGUAGES:
        return wanted
    return _chosen or "en"


def notebook_language(nb) -> str:
    """The language a notebook is graded in: ``$COURSE_LANG`` when set, else its
    ``metadata.course.lang`` (``"zh"`` for the Chinese labs), else English."""
    wanted = os.environ.get("COURSE_LANG", "").strip().lower()
    if wanted in LANGUAGES:
        return wanted
    metadata = nb.get("metadata") if isinstance(nb, dict) else None
    course = metadata.get("course") if isinstance(metadata, dict) else None
    lang = course.get("lang") if isinstance(course, dict) else None
    return lang if lang in LANGUAGES else "en"


def set_language(lang: str) -> str:
    """Show check messages (and, with a CJK font, plot labels) in ``lang``.

    Args:
        lang: ``"en"`` or ``"zh"``.

    Returns:
        The language set.
    """
    global _chosen
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    _chosen = lang
    if lang == "zh":
        from course import plots  # noqa: PLC0415 - matplotlib only when plots are wanted

        plots.use_cjk_font()
    return lang


# --- templates: what a message looks like in the source ---------------------------------------

def _field(node: ast.FormattedValue) -> str:
    """One f-string field as written: ``{expr}``, ``{expr!r}``, ``{expr:.3f}``."""
    text = ast.unparse(node.value)
    if node.conversion != -1:
        text += "!" + chr(node.conversion)
    if node.format_spec is not None:
        text += ":" + template_text(node.format_spec)
    return "{" + text + "}"


FORMAT_FIELD = re.compile(r"\{[A-Za-z_][\w.]*(?:![rsa])?(?::[^{}]*)?\}")


def template_text(node: ast.AST) -> str:
    """A string literal or f-string as a template: fields kept as written, other braces doubled.
    A plain string with ``{name}`` fields is taken to be a ``str.format`` template."""
    if isinstance(node, ast.Constant):
        if FORMAT_FIELD.search(node.value):
            return node.value
        return node.value.replace("{", "{{").replace("}", "}}")
    return "".join(_field(part) if isinstance(part, ast.FormattedValue) else template_text(part)
                   for part in node.values)


def _not_messages(tree: ast.AST) -> set[int]:
    """ids of string nodes that are never shown: docstrings, the keys of hint tables (error
    text to look for, also as ``hints["..."]``) and the left side of ``"text" in message`` tests."""
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))
        hint_table = None
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and "hint" in t.id.lower()
                                                for t in node.targets):
            hint_table = node.value
        elif isinstance(node, ast.keyword) and node.arg == "hints":
            hint_table = node.value
        for table in ast.walk(hint_table) if hint_table is not None else ():
            if isinstance(table, ast.Dict):
                skipped.update(id(key) for key in table.keys if key is not None)
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            skipped.add(id(node.left))
        if isinstance(node, ast.Subscript) and "hint" in ast.unparse(node.value).lower():  # hints["error text"]
            skipped.add(id(node.slice))
    return skipped


def message_templates(source: str) -> list[str]:
    """The messages a module can show: its string literals and f-strings of four words or
    more, as templates, in source order, without repeats.

    Args:
        source: the module's Python source.
    """
    tree = ast.parse(source)
    skipped = _not_messages(tree)
    inner = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in ast.walk(node)
             if part is not node}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped or id(node) in inner:
            continue
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            text = template_text(node)
            if len(text.split()) >= 4:
                found.append(((node.lineno, node.col_offset), text))
    return list(dict.fromkeys(text for _, text in sorted(found)))


# --- catalogs ---------------------------------------------------------------------------------

def catalog_path(domain: str, lang: str = "zh") -> Path:
    """Where the catalog of one module's messages lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(path: Path):
    """A Babel catalog read from a .po file (an empty catalog when there is none)."""
    from babel.messages.catalog import Catalog  # noqa: PLC0415
    from babel.messages.pofile import read_po  # noqa: PLC0415

    if not path.is_file():
        return Catalog(locale="zh_Hans_CN")
    with path.open("rb") as handle:
        return read_po(handle)


def translated(catalog) -> dict[str, str]:
    """``{msgid: msgstr}`` for the catalog's finished translations (not fuzzy, not empty)."""
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def pieces(template: str) -> list[tuple[str, str | None]]:
    """Split a template into ``(literal text, field or None)`` pairs.

    A field is ``{...}`` with balanced braces inside (``{f(x, {})}`` is one field); ``{{`` and
    ``}}`` are literal braces. An unbalanced ``{`` is taken literally.
    """
    found, literal, i = [], [], 0
    while i < len(template):
        if template.startswith(("{{", "}}"), i):
            literal.append(template[i])
            i += 2
            continue
        if template[i] == "{":
            depth, j = 1, i + 1
            while j < len(template) and depth:
                depth += {"{": 1, "}": -1}.get(template[j], 0)
                j += 1
            if depth == 0:
                found.append(("".join(literal), template[i:j]))
                literal, i = [], j
                continue
        literal.append(template[i])
        i += 1
    return found + [("".join(literal), None)]


def fields(template: str) -> set[str]:
    """The fields of a template, as written (``{what}``, ``{got:.6g}``)."""
    return {field for _, field in pieces(template) if field}


class _Template:
    """One message template, compiled to match rendered messages."""

    def __init__(self, msgid: str, msgstr: str):
        self.msgstr = msgstr
        pattern, self.groups, fixed = [], {}, 0
        for literal, field in pieces(msgid):
            pattern.append(re.escape(literal))
            fixed += len(literal)
            if field is None:
                continue
            if field in self.groups:
                pattern.append(f"(?P={self.groups[field]})")
            else:
                self.groups[field] = f"f{len(self.groups)}"
                pattern.append(f"(?P<{self.groups[field]}>.*?)")
        self.regex = re.compile("".join(pattern), re.S)
        self.weight = fixed  # more text outside the fields: more specific

    def render(self, message: str, translator: "Translator") -> str | None:
        """The translated message, or None when ``message`` is not an instance of this template;
        the values put into it are translated too (they are often messages themselves)."""
        match = self.regex.fullmatch(message)
        if match is None:
            return None
        parts = []
        for literal, field in pieces(self.msgstr):
            parts.append(literal)
            if field is not None:
                group = self.groups.get(field)
                parts.append(translator.translate(match.group(group)) if group else field)
        return "".join(parts)


class Translator:
    """Messages of one language from catalogs: exact messages first, then templates, the most
    specific (most fixed text) first."""

    def __init__(self, catalogs):
        self.exact, self.templates = {}, []
        for catalog in catalogs:
            for msgid, msgstr in translated(catalog).items():
                if fields(msgid):
                    self.templates.append(_Template(msgid, msgstr))
                self.exact[msgid.replace("{{", "{").replace("}}", "}")] = msgstr.replace("{{", "{").replace("}}", "}")
        self.templates.sort(key=lambda t: -t.weight)

    def translate(self, message: str) -> str:
        """The message in this language, or unchanged when no entry fits."""
        if message in self.exact:
            return self.exact[message]
        for template in self.templates:
            rendered = template.render(message, self)
            if rendered is not None:
                return rendered
        head, colon, tail = message.partition(": ")  # "{call}: {a message}" built from two parts
        if colon and tail:
            rest = self.translate(tail)
            if rest != tail:
                return head + colon + rest
        return message


@functools.lru_cache(maxsize=None)
def translator(lang: str) -> Translator:
    """The translator of every catalog the package ships for ``lang``."""
    return Translator(read_catalog(path) for path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")))


def translate(message: str, lang: str | None = None) -> str:
    """A message in the current language (or ``lang``); unchanged when no translation fits.

    Args:
        message: the English message, as the code rendered it.
        lang: ``"en"`` or ``"zh"``; default :func:`language`.
    """
    lang = lang or language()
    if lang == "en" or not message or not re.search(r"[A-Za-z]", message):
        return message
    try:
        return translator(lang).translate(message)
    except Exception:  # noqa: BLE001 - a broken catalog must never hide the message itself
        return message


def tr(text: str) -> str:
    """A plot label in the current language: Chinese only when a CJK font can draw it
    (otherwise the English label, never empty boxes)."""
    if language() == "zh":
        from course import plots  # noqa: PLC0415

        if plots.use_cjk_font():
            return translate(text, "zh")
    return text
