"""The class report: one offline HTML page of what a graded class got right and wrong.

``course grade --report PATH`` and ``course report GRADEBOOK`` draw it from the batch's
cache (:func:`course.grader.gradebook.read_graded`). Everything here but
:func:`write_report` is a pure function of ``{student: Report | NotebookError}`` and the
batch record. The figures are inline SVG built here; the page loads nothing and runs no
script (its content security policy forbids both), and every string a student controls
(names from file names, messages quoting their code's output) is escaped, so a hostile
notebook cannot put markup or script into the instructor's page. It shows only what the
grader already reports (one-line messages, statuses, notes), never hidden-test code.
"""

from __future__ import annotations

import html
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course.grader.gradebook import row_status, score_of, write_atomically
from course.grader.results import ROW_PRIORITY, CellStatus, Report, RowStatus
from course.labs import GradedCell, NotebookError

SHOWN = 20  # rows of a table, or names in a list, before the rest fold into "and N more"
MISTAKES_SHOWN = 8  # message groups shown per check before the rest fold away
TOP_MISTAKES = 5  # the class's most common mistakes, at the top of the page
SLOWEST = 10  # submissions in the runtime table
NOT_GRADED = "not_graded"  # a check of a row with no report (invalid, wrong_lab, crashed before grading)
CELL_STATUSES = (*(s.value for s in CellStatus), NOT_GRADED)
COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "error": "#ef6c00", "not_attempted": "#9e9e9e",
           "timeout": "#6a1b9a", "tampered": "#212121", NOT_GRADED: "#d7d7d7",  # cell statuses, then row ones
           "graded": "#2e7d32", "invalid": "#546e7a", "wrong_lab": "#8d6e63", "crashed": "#ad1457",
           "out_of_memory": "#4527a0"}
OTHER_COLOUR = "#80deea"  # a status this version does not know
BAR, MEAN, MEDIAN = "#1565c0", "#d81b60", "#00897b"
ATTENTION = tuple(s.value for s in (*ROW_PRIORITY, RowStatus.INVALID, RowStatus.WRONG_LAB))
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|(?:nan|inf)\b)")
NUMBER_RUN = re.compile(r"#(?:[\s,]+#)+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
POLICY = "default-src 'none'; style-src 'unsafe-inline'"  # no script, no fetch of anything


@dataclass
class Mistake:
    """Students whose check ended alike: the same status, the same message up to its numbers.

    Attributes:
        status: the cell status (failed, error, not_attempted, timeout, tampered).
        example: the first of those students' messages.
        students: who, in gradebook order.
        variants: how many distinct messages the group holds.
    """

    status: str
    example: str
    students: list[str]
    variants: int


@dataclass
class CheckSummary:
    """How the class did on one graded check.

    Attributes:
        grade_id, points: the check and what it is worth.
        counts: ``{cell status or "not_graded": students}``, summing to the class size.
        mean_points: the class's mean points on it (0 for rows that were not graded).
        mistakes: every way it did not pass, most students first.
    """

    grade_id: str
    points: float
    counts: dict[str, int]
    mean_points: float
    mistakes: list[Mistake]

    @property
    def students(self) -> int:
        """The class size."""
        return sum(self.counts.values())

    @property
    def pass_rate(self) -> float:
        """The share of the class that passed, 0..1."""
        return self.counts.get(CellStatus.PASSED.value, 0) / max(self.students, 1)


@dataclass
class Attention:
    """A row that needs a person: its status and reason as in the gradebook, and further evidence.

    Attributes:
        evidence: ``status: where: what`` lines for every tampered check and incident
            beyond the one the status names.
    """

    student: str
    status: str
    reason: str
    score: float
    evidence: list[str]


def number_free(message: str) -> str:
    """The message with each number it quotes (a run of them, too) replaced by ``#``:
    the key that groups messages differing only in their numbers."""
    return NUMBER_RUN.sub("#", NUMBER.sub("#", message))


def check_summary(cell: GradedCell, results: dict[str, Report | NotebookError]) -> CheckSummary:
    """Counts, mean points and grouped failure messages of one check over the class."""
    counts: Counter = Counter()
    earned = 0.0
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for student, result in results.items():
        graded_cells = result.cells if isinstance(result, Report) else []
        outcome = next((c for c in graded_cells if c.grade_id == cell.grade_id), None)
        if outcome is None:
            counts[NOT_GRADED] += 1
            continue
        counts[outcome.status] += 1
        earned += outcome.points
        if outcome.status != CellStatus.PASSED:
            groups.setdefault((outcome.status, number_free(outcome.message)), []).append((student, outcome.message))
    mistakes = [Mistake(status, members[0][1], [s for s, _ in members], len({m for _, m in members}))
                for (status, _), members in groups.items()]
    mistakes.sort(key=lambda m: (-len(m.students), m.status, m.example))
    return CheckSummary(cell.grade_id, cell.points, dict(counts), earned / max(len(results), 1), mistakes)


def attention_rows(results: dict[str, Report | NotebookError]) -> list[Attention]:
    """The rows whose status is not ``graded``, worst status first, then by student."""
    rows = []
    for student, result in results.items():
        status_line = row_status(result)
        status, _, reason = status_line.partition(": ")
        if status == RowStatus.GRADED.value:
            continue
        evidence = []
        if isinstance(result, Report):
            lines = [f"{c.status}: {c.grade_id}: {c.message}" for c in result.cells if c.status == CellStatus.TAMPERED]
            lines += [f"{i.status}: {i.cell}: {i.message}" for i in result.incidents]
            evidence = [line for line in dict.fromkeys(lines) if line != status_line]
        rows.append(Attention(student, status, reason, score_of(result), evidence))
    rank = {status: i for i, status in enumerate(ATTENTION)}
    return sorted(rows, key=lambda r: (rank.get(r.status, len(rank)), r.student))


def score_bins(scores: list[float], max_score: float) -> list[tuple[float, float, int]]:
    """Histogram bins ``(low, high, count)`` over 0..max_score: one per whole score when all
    scores are whole and there are at most 41 of them, else 20 equal bins (the last one closed)."""
    if max_score <= 40 and float(max_score).is_integer() and all(float(s).is_integer() for s in scores):
        counts = Counter(int(s) for s in scores)
        return [(v - 0.5, v + 0.5, counts[v]) for v in range(int(max_score) + 1)]
    width = max_score / 20
    counts = Counter(min(int(s / width), 19) for s in scores)
    return [(i * width, (i + 1) * width, counts[i]) for i in range(20)]


def statuses_in(counts: dict[str, int]) -> list[str]:
    """The statuses that occur in ``counts``: the known ones in their order, then any other."""
    return [s for s in CELL_STATUSES if counts.get(s)] + sorted(set(counts) - set(CELL_STATUSES))


# --- markup ----------------------------------------------------------------------------------------------------


def esc(text) -> str:
    """Text made safe for HTML and SVG content and quoted attributes (control characters dropped)."""
    return html.escape(CONTROL.sub("", str(text)), quote=True)


def tag(element: str, inner: str = "", /, **attributes) -> str:
    """One element. ``inner`` must be markup already; attribute values are escaped, floats
    rounded to 0.1, ``class_``/``text_anchor`` become ``class``/``text-anchor``, None drops one."""
    attrs = "".join(f' {key.rstrip("_").replace("_", "-")}="{esc(f"{v:.1f}" if isinstance(v, float) else v)}"'
                    for key, v in attributes.items() if v is not None)
    return f"<{element}{attrs}>" if element == "meta" else f"<{element}{attrs}>{inner}</{element}>"


def fold(shown: str, rest: str, hidden: int) -> str:
    """``shown``, then ``rest`` in a closed ``<details>`` saying "and N more" (nothing when N is 0)."""
    if not hidden:
        return shown
    return shown + tag("details", tag("summary", f"and {hidden} more") + rest, class_="more")


def table(head: list[str], rows: list[str], class_: str, shown: int = SHOWN) -> str:
    """A table of escaped header cells and ready ``<tr>`` rows; past ``shown`` rows the rest fold away."""
    def one(part: list[str]) -> str:
        return tag("table", tag("thead", tag("tr", "".join(tag("th", h) for h in head)))
                   + tag("tbody", "".join(part)), class_=class_)
    return fold(one(rows[:shown]), one(rows[shown:]), max(len(rows) - shown, 0))


def row(*cells: str, numeric: tuple[int, ...] = ()) -> str:
    """A ``<tr>`` of ready cell contents; the columns in ``numeric`` align right."""
    return tag("tr", "".join(tag("td", c, class_="n" if i in numeric else None) for i, c in enumerate(cells)))


def names(students: list[str]) -> str:
    """Escaped student names, comma-separated; past ``SHOWN`` the rest fold away."""
    return fold(", ".join(esc(s) for s in students[:SHOWN]), ", ".join(esc(s) for s in students[SHOWN:]),
                max(len(students) - SHOWN, 0))


def badge(status: str) -> str:
    """A status as a small coloured label."""
    return tag("span", esc(status.replace("_", " ")), class_="badge",
               style=f"background:{COLOURS.get(status, OTHER_COLOUR)}")


def plural(count: int, noun: str) -> str:
    """``1 submission``, ``2 submissions``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- figures ---------------------------------------------------------------------------------------------------


def svg(width: int, height: int, body: str, label: str, id_: str) -> str:
    """An inline SVG figure that scales down to the page's width."""
    return tag("svg", tag("title", esc(label)) + body, xmlns="http://www.w3.org/2000/svg",
               viewBox=f"0 0 {width} {height}", width=width, height=height, role="img", aria_label=label, id=id_)


def text(x: float, y: float, content: str, anchor: str = "start", class_: str | None = None) -> str:
    """An SVG text of escaped ``content``."""
    return tag("text", esc(content), x=float(x), y=float(y), text_anchor=anchor, class_=class_)


def bar(x: float, y: float, width: float, height: float, fill: str, title: str) -> str:
    """An SVG bar with a tooltip."""
    return tag("rect", tag("title", esc(title)), x=float(x), y=float(y), width=float(max(width, 0)),
               height=float(max(height, 0)), fill=fill, class_="bar")


def vline(x: float, top: float, bottom: float, colour: str, label: str, label_y: float,
          label_range: tuple[float, float]) -> str:
    """A dashed vertical marker with its label above the plot, kept within ``label_range`` of x."""
    label_x = min(max(x, label_range[0]), label_range[1])
    return (tag("line", x1=float(x), x2=float(x), y1=float(top), y2=float(bottom), stroke=colour,
                stroke_width=2, stroke_dasharray="5 3")
            + tag("text", esc(label), x=float(label_x), y=float(label_y), text_anchor="middle", fill=colour))


def score_histogram(scores: list[float], max_score: float) -> str:
    """The score distribution: a bar per bin, with the mean and the median marked."""
    width, height, left, right, top, bottom = 640, 250, 44, 16, 40, 36
    bins = score_bins(scores, max_score)
    low, high = bins[0][0], bins[-1][1]
    tallest = max(count for *_, count in bins) or 1

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * (width - left - right)

    def y(count: float) -> float:
        return top + (1 - count / tallest) * (height - top - bottom)

    whole = bins[0][0] == -0.5  # one bin per whole score, centred on it
    parts = [tag("line", x1=left, x2=width - right, y1=float(y(0)), y2=float(y(0)), class_="axis"),
             text(left - 6, y(tallest) + 4, str(tallest), "end"), text(left - 6, y(0) + 4, "0", "end"),
             text((left + width - right) / 2, height - 4, "score", "middle", "muted")]
    for start, end, count in bins:
        label = f"score {start + 0.5:g}" if whole else f"score {start:.3g} to {end:.3g}"
        parts.append(bar(x(start) + 1, y(count), x(end) - x(start) - 2, y(0) - y(count), BAR,
                         f"{label}: {plural(count, 'student')}"))
        if count:
            parts.append(text((x(start) + x(end)) / 2, y(count) - 3, str(count), "middle", "small"))
    step = max(1, math.ceil(len(bins) / 11))
    ticks = range(0, int(max_score) + 1, step) if whole else [max_score * i / 4 for i in range(5)]
    parts += [text(x(t), y(0) + 16, f"{t:.3g}", "middle") for t in ticks]
    mean, median = statistics.mean(scores), statistics.median(scores)
    parts.append(vline(x(mean), top - 4, y(0), MEAN, f"mean {mean:.1f}", 12, (left + 30, width - right - 30)))
    parts.append(vline(x(median), top - 4, y(0), MEDIAN, f"median {median:g}", 26, (left + 30, width - right - 30)))
    return svg(width, height, "".join(parts), f"Score distribution of {len(scores)} students", "score-histogram")


def legend(statuses: list[str], y: float) -> str:
    """Coloured squares naming ``statuses`` in a row."""
    parts, x = [], 0.0
    for status in statuses:
        label = status.replace("_", " ")
        parts.append(tag("rect", x=x, y=float(y - 10), width=10, height=10, fill=COLOURS.get(status, OTHER_COLOUR)))
        parts.append(text(x + 14, y, label))
        x += 30 + 7 * len(label)
    return "".join(parts)


def label_width(summaries: list[CheckSummary]) -> int:
    """Room for the checks' names left of their bars."""
    return min(260, 16 + 7 * max(len(s.grade_id) for s in summaries))


def pass_rate_chart(summaries: list[CheckSummary]) -> str:
    """Per check a bar split by how the class's cells ended, its pass rate beside it."""
    width, row_h, top, right = 640, 26, 30, 92
    left = label_width(summaries)
    span = width - left - right
    statuses = statuses_in(Counter(s for summary in summaries for s in summary.counts))
    parts = [legend(statuses, 14)]
    for i, summary in enumerate(summaries):
        y = top + i * row_h
        parts.append(text(left - 8, y + 17, summary.grade_id, "end"))
        x = float(left)
        for status in statuses_in(summary.counts):
            count = summary.counts[status]
            share = span * count / summary.students
            parts.append(bar(x, y + 4, share, row_h - 8, COLOURS.get(status, OTHER_COLOUR),
                             f"{summary.grade_id}: {count} {status.replace('_', ' ')}"))
            x += share
        parts.append(text(left + span + 8, y + 17, f"{summary.pass_rate:.0%} passed"))
    height = top + row_h * len(summaries) + 6
    return svg(width, height, "".join(parts), "Pass rate per check", "pass-rates")


def points_chart(summaries: list[CheckSummary]) -> str:
    """Per check its points (light) and the class's mean points on it (dark)."""
    width, row_h, top, right = 640, 26, 8, 92
    left = label_width(summaries)
    span = width - left - right
    most = max(s.points for s in summaries) or 1
    parts = []
    for i, summary in enumerate(summaries):
        y = top + i * row_h
        parts.append(text(left - 8, y + 17, summary.grade_id, "end"))
        parts.append(bar(left, y + 4, span * summary.points / most, row_h - 8, "#cfd8dc",
                         f"{summary.grade_id}: worth {summary.points:g} points"))
        parts.append(bar(left, y + 8, span * summary.mean_points / most, row_h - 16, BAR,
                         f"{summary.grade_id}: {summary.mean_points:.2f} points on average"))
        parts.append(text(left + span + 8, y + 17, f"{summary.mean_points:.1f} / {summary.points:g}"))
    height = top + row_h * len(summaries) + 6
    return svg(width, height, "".join(parts), "Mean points per check", "points-per-check")


def runtime_chart(runtimes: dict[str, float]) -> str:
    """One bar per submission, slowest first, with the median marked."""
    width, height, left, right, top, bottom = 640, 200, 52, 16, 34, 24
    ordered = sorted(runtimes.items(), key=lambda item: (-item[1], item[0]))
    slowest = ordered[0][1] or 1
    step = (width - left - right) / len(ordered)
    gap = 1 if step > 3 else 0

    def y(seconds: float) -> float:
        return top + (1 - seconds / slowest) * (height - top - bottom)

    parts = [tag("line", x1=left, x2=width - right, y1=float(y(0)), y2=float(y(0)), class_="axis"),
             text(left - 6, y(slowest) + 4, f"{slowest:.0f} s", "end"), text(left - 6, y(0) + 4, "0 s", "end"),
             text((left + width - right) / 2, height - 6, "submissions, slowest first", "middle", "muted")]
    parts += [bar(left + i * step, y(seconds), step - gap, y(0) - y(seconds), BAR, f"{student}: {seconds:.1f} s")
              for i, (student, seconds) in enumerate(ordered)]
    median = statistics.median(runtimes.values())
    parts.append(tag("line", x1=left, x2=width - right, y1=float(y(median)), y2=float(y(median)), stroke=MEDIAN,
                     stroke_width=2, stroke_dasharray="5 3"))
    parts.append(tag("text", esc(f"median {median:.1f} s"), x=width - right, y=float(y(median) - 4),
                     text_anchor="end", fill=MEDIAN))
    return svg(width, height, "".join(parts), f"Grading time of {len(ordered)} submissions", "runtimes")


def figure(chart: str, caption: str) -> str:
    """A chart with its caption."""
    return tag("figure", chart + tag("figcaption", esc(caption)))


# --- sections --------------------------------------------------------------------------------------------------


def overview(results: dict[str, Report | NotebookError], summaries: list[CheckSummary], max_score: float) -> str:
    """Class size, mean and median, submissions per status, and the class's most common mistakes."""
    statuses = Counter(row_status(r).partition(": ")[0] for r in results.values())
    status_rows = [row(badge(status), str(count), numeric=(1,)) for status, count in sorted(
        statuses.items(), key=lambda item: (item[0] != RowStatus.GRADED.value, -item[1], item[0]))]
    scores = [score_of(r) for r in results.values()]
    facts = [("submissions", str(len(results)), "submissions"),
             ("mean score", f"{statistics.mean(scores):.1f}", "mean"),
             ("median score", f"{statistics.median(scores):g}", "median"),
             ("out of", f"{max_score:g}", "max-score")]
    stats = tag("dl", "".join(tag("dt", label) + tag("dd", value, id=id_) for label, value, id_ in facts),
                class_="facts")
    mistakes = sorted(((m, s.grade_id) for s in summaries for m in s.mistakes
                       if m.status in (CellStatus.FAILED, CellStatus.ERROR, CellStatus.TIMEOUT)),
                      key=lambda pair: -len(pair[0].students))
    top = [row(str(len(m.students)), esc(grade_id), badge(m.status), tag("span", esc(m.example), class_="message"),
               numeric=(0,)) for m, grade_id in mistakes[:TOP_MISTAKES]]
    common = (tag("h3", "Most common mistakes (failed, error, timeout)")
              + table(["students", "check", "status", "message (one example)"], top, "top-mistakes")) if top else ""
    return (tag("section", stats + table(["status", "submissions"], status_rows, "statuses") + common,
                id="overview"))


def attention_section(rows: list[Attention]) -> str:
    """The rows that need a person, each with its reason and evidence."""
    if not rows:
        return tag("section", tag("h2", "Needs a person: none")
                   + tag("p", "Every submission was graded to its end."), id="attention")
    body = [row(badge(r.status), esc(r.student), f"{r.score:g}",
                esc(r.reason) + "".join(tag("div", esc(line), class_="evidence") for line in r.evidence),
                numeric=(2,)) for r in rows]
    intro = tag("p", "Read these before trusting their scores: tampered rows name their evidence (overturn "
                     "the verdict if it is wrong); the others ran into a limit or could not be graded.")
    return tag("section", tag("h2", f"Needs a person ({len(rows)})") + intro
               + table(["status", "student", "score", "reason"], body, "attention"), id="attention")


def scores_section(results: dict[str, Report | NotebookError], max_score: float) -> str:
    """The score distribution."""
    return tag("section", tag("h2", "Scores") + figure(score_histogram(
        [score_of(r) for r in results.values()], max_score), "Students per score; the dashed lines mark the "
        "mean and the median."), id="scores")


def checks_section(summaries: list[CheckSummary]) -> str:
    """Pass rates and points per check, as figures and as a table of counts."""
    statuses = statuses_in(Counter(s for summary in summaries for s in summary.counts))
    head = ["check", "points", "mean points", "pass rate", *(s.replace("_", " ") for s in statuses)]
    body = [row(esc(s.grade_id), f"{s.points:g}", f"{s.mean_points:.2f}", f"{s.pass_rate:.0%}",
                *(str(s.counts.get(status, 0)) for status in statuses), numeric=tuple(range(1, len(head))))
            for s in summaries]
    return tag("section", tag("h2", "Checks")
               + figure(pass_rate_chart(summaries), "How each check ended, over the whole class.")
               + figure(points_chart(summaries), "Points per check: what it is worth (light) and the class's "
                                                 "mean (dark).")
               + table(head, body, "checks", shown=len(body)), id="checks")


def mistakes_section(summaries: list[CheckSummary]) -> str:
    """Per check, every way it did not pass: messages that differ only in their numbers count together."""
    parts = [tag("h2", "What went wrong, per check"),
             tag("p", "Messages that differ only in the numbers they quote are counted together, with one "
                      "example. Rows that could not be graded are not listed here (see Needs a person).")]
    for s in summaries:
        passed = s.counts.get(CellStatus.PASSED.value, 0)
        summary = tag("summary", tag("strong", esc(s.grade_id))
                      + f" {passed} of {s.students} passed ({s.pass_rate:.0%})")
        rows = [row(str(len(m.students)), badge(m.status),
                    tag("span", esc(m.example), class_="message")
                    + (tag("div", f"{m.variants} variants that differ in their numbers", class_="muted")
                       if m.variants > 1 else ""),
                    names(m.students), numeric=(0,)) for m in s.mistakes]
        body = (table(["students", "status", "message (one example)", "who"], rows, "mistakes", MISTAKES_SHOWN)
                if rows else tag("p", "Nothing to show: every graded submission passed."))
        parts.append(tag("details", summary + body, class_="check", id=f"check-{s.grade_id}",
                         open="" if rows else None))
    return tag("section", "".join(parts), id="mistakes")


def runtime_section(results: dict[str, Report | NotebookError]) -> str:
    """How long each submission took to grade, and the slowest ones against the median."""
    runtimes = {s: r.runtime_s if isinstance(r, Report) else 0.0 for s, r in results.items()}
    median = statistics.median(runtimes.values())
    slowest = sorted(runtimes.items(), key=lambda item: (-item[1], item[0]))[:SLOWEST]
    body = [row(esc(student), f"{seconds:.1f}", f"{seconds / median:.1f}×" if median else "",
                badge(row_status(results[student]).partition(": ")[0]), numeric=(1, 2))
            for student, seconds in slowest]
    caption = ("Seconds each submission took to grade, slowest first (hover a bar for its student); "
               "submissions that could not be graded count 0 s.")
    return tag("section", tag("h2", "Grading time") + figure(runtime_chart(runtimes), caption)
               + table(["student", "seconds", "× median", "status"], body, "slowest", shown=SLOWEST), id="runtime")


def notes_section(results: dict[str, Report | NotebookError]) -> str:
    """The notes that cost no points (edited metadata, shown-but-not-passing checks, skipped shell lines)."""
    noted = {s: r.notes for s, r in results.items() if isinstance(r, Report) and r.notes}
    if not noted:
        return ""
    body = [row(esc(student), "".join(tag("div", esc(note)) for note in notes)) for student, notes in noted.items()]
    return tag("section", tag("details", tag("summary", tag("strong", f"Notes on {plural(len(noted), 'submission')}")
                                             + " (they cost no points)")
                              + table(["student", "notes"], body, "notes")), id="notes")


def context_section(batch: dict) -> str:
    """When and how the batch was graded."""
    options = batch.get("options", {})
    sandbox = options.get("sandbox", {})
    versions = ", ".join(f"{name} {version or 'absent'}"
                         for name, version in sorted(batch.get("versions", {}).items()))
    facts = [("written", batch.get("graded_at", "?")), ("lab", batch.get("lab", "?")),
             ("submissions", batch.get("folder", "?")),
             ("course", f"keras-course {batch.get('course', '?')}, Python {batch.get('python', '?')}"),
             ("libraries", versions),
             ("limits", f"{options.get('cell_timeout', '?')} s a cell, {options.get('notebook_timeout', '?')} s a "
                        f"notebook, {options.get('memory_gb', '?')} GB of memory"),
             ("sandbox", f"{sandbox.get('kind', '?')} ({sandbox.get('reason', '')})"),
             ("run", f"{options.get('jobs', '?')} at a time"
                     + (f" on the Dask cluster {options['cluster']}" if options.get("cluster") else "")
                     + f"; {batch.get('reused', 0)} result(s) reused from the cache"
                     + ("; --regrade" if options.get("regrade") else ""))]
    return tag("section", tag("h2", "How this was graded") + tag("dl", "".join(
        tag("dt", label) + tag("dd", esc(value)) for label, value in facts), class_="context"), id="context")


STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto;
       max-width: 1000px; padding: 0 16px 48px; }
h1 { font-size: 1.6em; margin: 24px 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; }
figure { margin: 12px 0 20px; } figcaption { color: #777; font-size: 0.9em; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font: 12px system-ui, sans-serif; fill: #333; } svg .small { font-size: 10px; }
svg .muted { fill: #777; } .axis { stroke: #999; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 10px; text-align: left;
       vertical-align: top; border-bottom: 1px solid #eee; } th { background: #f5f5f5; } td.n { text-align: right; }
.badge { color: #fff; border-radius: 3px; padding: 0 6px; font-size: 0.85em; white-space: nowrap; }
.message, .evidence { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.88em;
       overflow-wrap: anywhere; } .evidence { color: #555; } .muted { color: #777; font-size: 0.9em; }
details.check { margin: 10px 0; } details > summary { cursor: pointer; }
details.more > summary { color: #1565c0; margin: 4px 0; }
dl.facts { display: flex; gap: 28px; margin: 12px 0; } dl.facts dd { font-size: 1.6em; margin: 0; }
dl.facts dt { color: #777; } dl.context { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.context dt { color: #777; } dl.context dd { margin: 0; overflow-wrap: anywhere; }
"""


def report_html(results: dict[str, Report | NotebookError], batch: dict) -> str:
    """The whole page.

    Args:
        results: ``{student: Report, or NotebookError when it could not be graded}``, in gradebook order.
        batch: the batch record (lab, ``cells`` as ``[{grade_id, points}]``, when, versions, options).
    """
    cells = [GradedCell(c["grade_id"], float(c["points"])) for c in batch["cells"]]
    max_score = sum(c.points for c in cells)
    title = f"{batch.get('lab', 'lab')}: class report"
    if results:
        summaries = [check_summary(c, results) for c in cells]
        sections = [overview(results, summaries, max_score), attention_section(attention_rows(results)),
                    scores_section(results, max_score), checks_section(summaries),
                    mistakes_section(summaries), runtime_section(results), notes_section(results)]
    else:
        sections = [tag("p", "No submissions were found.")]
    head = (tag("meta", charset="utf-8") + tag("meta", http_equiv="Content-Security-Policy", content=POLICY)
            + tag("meta", name="viewport", content="width=device-width, initial-scale=1")
            + tag("title", esc(title)) + tag("style", STYLE))
    body = tag("h1", esc(title)) + "".join(sections) + context_section(batch)
    return "<!DOCTYPE html>\n" + tag("html", tag("head", head) + tag("body", body), lang="en") + "\n"


def write_report(path: Path, results: dict[str, Report | NotebookError], batch: dict) -> None:
    """Write :func:`report_html` to ``path`` atomically."""
    write_atomically(Path(path), report_html(results, batch))
