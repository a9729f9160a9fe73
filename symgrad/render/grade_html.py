"""The class report as one standalone HTML file: every student, maths typeset, nothing fetched.

The file holds its style, a few lines of script that sort the student table, histograms
as inline SVG and the maths as MathML (which Chromium, Firefox and Safari typeset without
any script or font download). Everything a student or a key wrote is escaped; no URL
points outside the file. Sections: the class at a glance (score distribution, verdicts,
answers to review), the sortable student table, each question (loss, item analysis,
histogram, most common codes with an example, answer groups), each student's answers.
"""

from __future__ import annotations

import html

from symgrad.render.charts import histogram_svg
from symgrad.render.maths_text import reading_mathml, sentence_mathml
from symgrad.results import READING_VERDICTS, ClassReport, GradedAnswer, QuestionStats
from symgrad.teaching.files import HTML_REPORT_START
from symgrad.teaching.gradebook import points_text
from symgrad.teaching.item_analysis import score_bins
from symgrad.text.mathml import derivative_mathml, linear_mathml

NAME_LIMIT = 40
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72em;margin:1.5em auto;
padding:0 1em;color:#1d2330;line-height:1.45}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #dde3ec;padding-bottom:.2em;margin-top:2em}
nav a{margin-right:1em}table{border-collapse:collapse;margin:.6em 0}
td,th{border:1px solid #d5dbe5;padding:.3em .55em;vertical-align:top;text-align:left}
th{background:#f2f5f9}table.students th,td.num{white-space:nowrap}
td.name{max-width:16em;overflow-wrap:anywhere}h3,h4,td,li,p{overflow-wrap:anywhere}
.wide{overflow-x:auto;max-width:100%}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none}table.sortable th:after{content:" \\2195";color:#99a}
.v-correct{background:#e6f4ea}.v-incorrect{background:#fce8e6}.v-reading{background:#fff4d6}
.v-unknown{background:#eceff3}.badge{display:inline-block;padding:0 .45em;border-radius:.6em;
font-size:.85em;font-weight:600}.badge.correct{background:#c8e6c9}.badge.incorrect{background:#f8c8c4}
.badge.reading{background:#ffe49a}.badge.unknown{background:#dde2e8}
.figures{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-end}
.question,.student{border:1px solid #dde3ec;border-radius:.5em;padding:.4em 1em;margin:1em 0}
.note{color:#5b6475;font-size:.92em}.override{color:#7a4b00}
math{font-size:1.08em}math.as-written mtext{font-family:ui-monospace,monospace;font-size:.9em}
code{background:#f2f5f9;padding:0 .2em}
@media print{nav,table.sortable th:after{display:none}.question,.student{break-inside:avoid}}
"""

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-value"), y = b.cells[column].getAttribute("data-value");
        var nx = parseFloat(x), ny = parseFloat(y), order;
        order = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y, undefined, {numeric: true}) : nx - ny;
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def verdict_class(verdict: str) -> str:
    """The colour family of a verdict: correct, incorrect, reading (not judged), unknown."""
    if verdict in ("correct", "incorrect"):
        return verdict
    return "reading" if verdict in READING_VERDICTS else "unknown"


def badge(verdict: str) -> str:
    return f"<span class='badge {verdict_class(verdict)}'>{esc(verdict.replace('_', ' '))}</span>"


def parts_mathml(names: list[str], readings: list[str]) -> str:
    """Readings typeset: one alone, or one line per part named by its derivative."""
    if len(readings) == 1:
        return reading_mathml(readings[0])
    return "<br>".join(
        f"{derivative_mathml(name)} = {reading_mathml(text)}" for name, text in zip(names, readings)
    )


def answer_mathml(row: GradedAnswer) -> str:
    """The answer typeset as read (one line per part), or as written when it was not read."""
    parts = [c for c in row.components if c.get("reading")]
    if len(parts) == len(row.components) and parts:
        return parts_mathml([str(c["name"]) for c in parts], [str(c["reading"]) for c in parts])
    written = " ; ".join(row.answer).strip()
    if not written or row.verdict == "blank":
        return "<math class='as-written'><mtext>(no answer)</mtext></math>"
    shown = written if len(written) <= 300 else written[:300] + f"… ({len(written)} characters)"
    return f"<math class='as-written'><mtext>{esc(shown)}</mtext></math>"


# ---------------------------------------------------------------- sections
def _overview(report: ClassReport) -> str:
    bins = score_bins(list(report.totals.values()), report.max_total)
    verdicts = ", ".join(f"{badge(k)} {v}" for k, v in sorted(report.verdicts.items()))
    review = [r for r in report.rows if r.verdict in ("unknown", "timeout")]
    overridden = [r for r in report.rows if r.override]
    lines = [
        "<section id='overview'><h2>The class at a glance</h2><div class='figures'>",
        histogram_svg(
            bins, "Score distribution", f"total points (of {points_text(report.max_total)})"
        ),
        f"<div><p>Verdicts: {verdicts or '-'}</p>",
        f"<p>Mean score <b>{report.score_mean:.2f}</b> of {points_text(report.max_total)}; "
        f"median {_median(list(report.totals.values())):.2f}.</p>",
    ]
    if review:
        items = ", ".join(f"{esc(r.student)} ({esc(r.question)})" for r in review[:40])
        lines.append(f"<p><b>To review</b> (not decided automatically): {items}</p>")
    if overridden:
        lines.append(
            f"<p class='override'>{len(overridden)} answer(s) carry the teacher's points.</p>"
        )
    lines.append("</div></div></section>")
    return "".join(lines)


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _student_table(report: ClassReport, anchors: dict[str, str]) -> str:
    ids = [q.id for q in report.questions]
    head = "".join(
        f"<th class='num'>{esc(q.id)} ({points_text(q.max_points)})</th>" for q in report.questions
    )
    by_student = _rows_by_student(report)
    body = []
    for student, answers in by_student.items():
        cells = []
        for qid in ids:
            row = answers.get(qid)
            if row is None:
                cells.append("<td class='num' data-value='-1' title='no answer in the file'>–</td>")
                continue
            mark = " ✎" if row.override else ""
            codes = ", ".join(row.codes) or row.verdict
            cells.append(
                f"<td class='num v-{verdict_class(row.verdict)}' data-value='{row.points}' "
                f"title='{esc(codes)}'>{points_text(row.points)}{mark}</td>"
            )
        codes = sorted({c for r in answers.values() for c in r.codes})
        total = report.totals.get(student, 0.0)
        body.append(
            f"<tr><td class='name' data-value='{esc(student)}' title='{esc(student)}'>"
            f"<a href='#{anchors[student]}'>{esc(shown_name(student))}</a></td>"
            + "".join(cells)
            + f"<td class='num' data-value='{total}'><b>{points_text(total)}</b></td>"
            f"<td data-value='{esc(' '.join(codes))}'>{esc(', '.join(codes)) or '–'}</td></tr>"
        )
    return (
        "<section id='students'><h2>Students</h2><p class='note'>Click a column to sort; a cell's "
        "colour is its verdict, hover it for the codes; ✎ marks the teacher's points.</p>"
        "<div class='wide'><table class='students sortable'><thead><tr><th>student</th>"
        f"{head}<th class='num'>total ({points_text(report.max_total)})</th><th>codes</th>"
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>"
    )


def shown_name(student: str, limit: int = NAME_LIMIT) -> str:
    """A student id as the table shows it: cut to ``limit`` characters (the whole id is the
    cell's title), so that one long id cannot push the points out of the window."""
    return student if len(student) <= limit else student[: limit - 1] + "…"


def _rows_by_student(report: ClassReport) -> dict[str, dict[str, GradedAnswer]]:
    by_student: dict[str, dict[str, GradedAnswer]] = {}
    for row in report.rows:
        by_student.setdefault(row.student, {})[row.question] = row
    for student in report.totals:
        by_student.setdefault(student, {})
    return by_student


def _loss(question: QuestionStats) -> str:
    if question.loss_reading:
        return reading_mathml(question.loss_reading)
    return linear_mathml(question.loss)


def _question_table(report: ClassReport) -> str:
    rows = []
    for index, q in enumerate(report.questions):
        spread = "–" if q.discrimination is None else f"{q.discrimination:.2f}"
        codes = ", ".join(f"{esc(c)} ({n})" for c, n in list(q.codes.items())[:4]) or "–"
        rows.append(
            f"<tr><td><a href='#question-{index}'>{esc(q.id)}</a></td><td>J = {_loss(q)}</td>"
            f"<td class='num'>{q.correct}/{q.answers} ({100 * q.share_correct:.0f}%)</td>"
            f"<td class='num'>{q.mean_points:.2f} / {points_text(q.max_points)}</td>"
            f"<td class='num'>{spread}</td><td>{codes}</td></tr>"
        )
    return (
        "<section id='questions'><h2>Questions</h2><div class='wide'><table class='questions'>"
        "<tr><th>question</th>"
        "<th>loss</th><th class='num'>correct</th><th class='num'>mean points</th>"
        "<th class='num' title='item-rest correlation (point-biserial)'>discrimination</th>"
        f"<th>most common codes</th></tr>{''.join(rows)}</table></div>"
        + "".join(_question_detail(q, i) for i, q in enumerate(report.questions))
        + "</section>"
    )


def _question_detail(q: QuestionStats, index: int) -> str:
    spread = (
        "discrimination not defined (no spread)"
        if q.discrimination is None
        else f"discrimination {q.discrimination:.2f} (item-rest correlation)"
    )
    parts = [
        f"<article class='question' id='question-{index}'><h3>{esc(q.id)}: J = {_loss(q)}</h3>",
        f"<p>{q.correct} of {q.answers} correct ({100 * q.share_correct:.0f}%), mean "
        f"{q.mean_points:.2f} of {points_text(q.max_points)}; {spread}.</p>",
        histogram_svg(q.points_histogram, f"{q.id}: points", "points", "#6c8ebf", small=True),
    ]
    if q.codes:
        items = []
        for code, count in list(q.codes.items())[:6]:
            answer, feedback = q.examples.get(code, ("", ""))
            items.append(
                f"<li><b>{esc(code)}</b> ({count}): for example <code>{esc(answer[:200])}</code>"
                f" — {sentence_mathml(feedback)}</li>"
            )
        parts.append(f"<h4>Most common codes</h4><ul>{''.join(items)}</ul>")
    if q.groups:
        parts.append(_groups(q))
    parts.append("</article>")
    return "".join(parts)


def _groups(q: QuestionStats) -> str:
    rows = []
    for group in q.groups[:12]:
        shown = (
            parts_mathml(list(q.wrt), group.reading.split("; "))
            if group.reading and len(group.reading.split("; ")) == len(q.wrt)
            else f"<math class='as-written'><mtext>{esc(group.example[:200] or '(no answer)')}</mtext></math>"
        )
        rows.append(
            f"<tr><td>{shown}</td><td class='num'>{group.count}</td><td>{badge(group.verdict)}</td>"
            f"<td class='num'>{points_text(group.points)}</td><td>{esc(', '.join(group.codes)) or '–'}</td></tr>"
        )
    more = f"<p class='note'>and {len(q.groups) - 12} more groups</p>" if len(q.groups) > 12 else ""
    return (
        "<h4>Answer groups (identical readings)</h4><table class='groups'><tr><th>answer as read"
        "</th><th class='num'>answers</th><th>verdict</th><th class='num'>points</th><th>codes</th>"
        f"</tr>{''.join(rows)}</table>{more}"
    )


def student_answers_html(rows: list[GradedAnswer], ids: list[str]) -> str:
    """One student's answers: question, answer typeset, verdict, points, feedback."""
    order = {qid: index for index, qid in enumerate(ids)}
    lines = []
    for row in sorted(rows, key=lambda r: order.get(r.question, len(order))):
        teacher = ""
        if row.override:
            comment = str(row.override.get("comment") or "")
            teacher = (
                f"<p class='override'>Teacher: {esc(comment) or 'points set'} (points "
                f"{points_text(row.points)}; symgrad gave {points_text(row.auto_points)})</p>"
            )
        lines.append(
            f"<tr><td>{esc(row.question)}</td><td class='answer' title='as written: "
            f"{esc(' ; '.join(row.answer)[:300])}'>{answer_mathml(row)}</td>"
            f"<td>{badge(row.verdict)}</td><td class='num'>{points_text(row.points)} / "
            f"{points_text(row.max_points)}</td><td>{sentence_mathml(row.feedback)}{teacher}</td></tr>"
        )
    return (
        "<table class='answers'><tr><th>question</th><th>answer as read</th><th>verdict</th>"
        f"<th class='num'>points</th><th>feedback</th></tr>{''.join(lines)}</table>"
    )


def _each_student(report: ClassReport, anchors: dict[str, str]) -> str:
    ids = [q.id for q in report.questions]
    parts = ["<section id='answers'><h2>Each student's answers</h2>"]
    for student, answers in _rows_by_student(report).items():
        total = report.totals.get(student, 0.0)
        parts.append(
            f"<article class='student' id='{anchors[student]}'><h3>{esc(student)} — "
            f"{points_text(total)} of {points_text(report.max_total)}</h3>"
            + student_answers_html(list(answers.values()), ids)
            + "</article>"
        )
    parts.append("</section>")
    return "".join(parts)


def report_html(report: ClassReport) -> str:
    """The whole report as one HTML document."""
    anchors = {
        student: f"student-{index}" for index, student in enumerate(_rows_by_student(report))
    }
    return (
        f"{HTML_REPORT_START}"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Class report</title>"
        f"<style>{STYLE}</style></head><body><header><h1>Class report</h1>"
        f"<p>{report.graded} of {report.answers} answers graded, {report.students} students, "
        f"mean score <b>{report.score_mean:.2f}</b> of {points_text(report.max_total)}.</p>"
        "<nav><a href='#overview'>Overview</a><a href='#students'>Students</a>"
        "<a href='#questions'>Questions</a><a href='#answers'>Each student's answers</a></nav>"
        "</header>"
        + _overview(report)
        + _student_table(report, anchors)
        + _question_table(report)
        + _each_student(report, anchors)
        + f"<script>{SORT_SCRIPT}</script></body></html>"
    )


__all__ = ["answer_mathml", "badge", "report_html", "student_answers_html", "verdict_class"]
