"""The class report and the feedback files in Markdown: the same report as the HTML one.

Sections as in :mod:`symgrad.render.grade_html`: the class at a glance (score
distribution, verdicts, answers to review), each question (loss, item analysis, a
histogram of its points as text bars, the most common codes with an example, the answer
groups), the student table (points per question, ✎ where the teacher set them, total,
codes), then each student's answers (as read, verdict, points, feedback, the teacher's
points and comment beside symgrad's).

Maths is ``$...$``. Every text a student or a key wrote is escaped so that it can make
nothing but text: no link or image (``[``, ``]``, ``(``, ``)``, ``!``, and GitHub's
autolinks ``http://``, ``www.``, ``@``), no HTML or entity (``<``, ``>``, ``&``), no
emphasis, code, maths or strike-through; in a table cell a ``|`` is escaped too, inside
maths written ``\\vert``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote as url_quote

from symgrad.render.common import md_escape
from symgrad.render.maths_text import reading_latex, sentence_markdown
from symgrad.results import ClassReport, GradedAnswer, QuestionStats, renders
from symgrad.teaching.files import MARKDOWN_FEEDBACK_START, MARKDOWN_REPORT_START
from symgrad.teaching.gradebook import points_text
from symgrad.teaching.item_analysis import score_bins

#: what else makes a link, an image, HTML or strike-through in Markdown
_LINK_OR_MARKUP = ("[", "]", "(", ")", "!", "~")
_UNESCAPED_BAR = re.compile(r"(?<!\\)\|")


def md_text(text: object) -> str:
    """Plain text inside Markdown: no stray maths, emphasis, tables, links, images or HTML."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = md_escape(" ".join(escaped.split()))
    for char in _LINK_OR_MARKUP:
        escaped = escaped.replace(char, "\\" + char)
    # GitHub's autolinks: a URL, www. or an e-mail address in plain text
    return escaped.replace("://", "\\://").replace("www.", "www\\.").replace("@", "\\@")


def md_cell(markdown: str) -> str:
    """A Markdown fragment as a table cell: every ``|`` not already escaped is escaped."""
    return _UNESCAPED_BAR.sub(r"\\|", markdown)


def _row(*cells: str) -> str:
    return "| " + " | ".join(md_cell(cell) for cell in cells) + " |"


def _bars(bins: Sequence[tuple[str, int]], width: int = 20) -> list[str]:
    """A histogram as text bars, one line per bin (inside a code block)."""
    top = max((count for _, count in bins), default=0) or 1
    label_width = max((len(label) for label, _ in bins), default=1)
    return [
        "```",
        *(f"{label:>{label_width}} | {'█' * round(width * n / top)} {n}" for label, n in bins),
        "```",
    ]


def _parts_markdown(names: Sequence[str], readings: Sequence[str]) -> str:
    """Readings as ``$...$``: one alone, or each part named by its derivative."""
    if len(readings) == 1:
        return reading_latex(readings[0])
    return "; ".join(
        f"dJ/d{md_text(name)} = {reading_latex(text)}" for name, text in zip(names, readings)
    )


def answer_markdown(row: GradedAnswer) -> str:
    """The answer as read (each part named when there are several), or as written."""
    read = [c for c in row.components if c.get("reading")]
    if read and len(read) == len(row.components):
        return _parts_markdown([str(c["name"]) for c in read], [str(c["reading"]) for c in read])
    return md_text(" ; ".join(row.answer)[:300]) or "(no answer)"


def _teacher(row: GradedAnswer) -> str:
    if not row.override:
        return ""
    comment = md_text(row.override.get("comment") or "") or "points set by the teacher"
    return (
        f"✎ Teacher: {comment} (points {points_text(row.points)}; "
        f"symgrad gave {points_text(row.auto_points)})"
    )


# ---------------------------------------------------------------- the class report
@renders(ClassReport, "markdown")
def class_to_markdown(report: ClassReport, image: str | None = None) -> str:
    lines = [
        MARKDOWN_REPORT_START + "# Class report",
        "",
        f"{report.graded} of {report.answers} answers graded, {report.students} students, "
        f"mean score **{report.score_mean:.2f}** of {points_text(report.max_total)}.",
    ]
    lines += _overview(report, image)
    lines += ["", "## Questions", ""]
    lines += [
        "| question | correct | mean points | discrimination | most common codes |",
        "|---|---|---|---|---|",
    ]
    for q in report.questions:
        spread = "-" if q.discrimination is None else f"{q.discrimination:.2f}"
        lines.append(
            _row(
                md_text(q.id),
                f"{q.correct}/{q.answers} ({100 * q.share_correct:.0f}%)",
                f"{q.mean_points:.2f}/{points_text(q.max_points)}",
                spread,
                _codes(q.codes, 4),
            )
        )
    for q in report.questions:
        lines += _question_markdown(q)
    lines += _students_markdown(report)
    lines += _each_student(report)
    return "\n".join(lines)


def _codes(codes, limit: int) -> str:
    return ", ".join(f"`{code}` ({count})" for code, count in list(codes.items())[:limit]) or "-"


def _overview(report: ClassReport, image: str | None) -> list[str]:
    lines = ["", "## The class at a glance", ""]
    if image:
        lines += [f"![score distribution]({url_quote(image)})", ""]
    lines += [f"Score distribution (total points of {points_text(report.max_total)}: students):"]
    lines += ["", *_bars(score_bins(list(report.totals.values()), report.max_total)), ""]
    verdicts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(report.verdicts.items()))
    lines.append(f"Verdicts: {verdicts or '-'}.")
    review = [r for r in report.rows if r.verdict in ("unknown", "timeout")]
    if review:
        listed = ", ".join(f"{md_text(r.student)} ({md_text(r.question)})" for r in review[:40])
        lines += ["", f"**To review** (not decided automatically): {listed}."]
    overridden = sum(1 for r in report.rows if r.override)
    if overridden:
        lines += ["", f"✎ {overridden} answer(s) carry the teacher's points."]
    return lines


def _question_markdown(q: QuestionStats) -> list[str]:
    loss = reading_latex(q.loss_reading) if q.loss_reading else reading_latex(q.loss)
    spread = (
        "discrimination not defined (no spread)"
        if q.discrimination is None
        else f"discrimination {q.discrimination:.2f} (item-rest correlation)"
    )
    lines = [
        "",
        f"### {md_text(q.id)}: J = {loss}",
        "",
        f"{q.correct} of {q.answers} correct ({100 * q.share_correct:.0f}%), mean "
        f"{q.mean_points:.2f} of {points_text(q.max_points)}; {spread}.",
    ]
    if q.points_histogram:
        lines += ["", "Points (points: answers):", "", *_bars(q.points_histogram)]
    if q.codes:
        lines += ["", "Most common codes:", ""]
    for code, count in list(q.codes.items())[:6]:
        answer, feedback = q.examples.get(code, ("", ""))
        lines.append(
            f"- **{md_text(code)}** ({count}): for example {md_text(answer[:200]) or '(nothing)'}"
            f" — {sentence_markdown(feedback, md_text)}"
        )
    if q.groups:
        lines += ["", "Answer groups (identical readings):", ""]
        lines += [
            "| answer as read | answers | verdict | points | codes |",
            "|---|---|---|---|---|",
        ]
        for group in q.groups[:12]:
            readings = group.reading.split("; ") if group.reading else []
            shown = (
                _parts_markdown(q.wrt, readings)
                if readings and len(readings) == max(1, len(q.wrt))
                else md_text(group.example[:200])
            )
            lines.append(
                _row(
                    shown or "(no answer)",
                    str(group.count),
                    group.verdict.replace("_", " "),
                    points_text(group.points),
                    ", ".join(f"`{c}`" for c in group.codes) or "-",
                )
            )
        if len(q.groups) > 12:
            lines += ["", f"and {len(q.groups) - 12} more groups"]
    return lines


def _by_student(report: ClassReport) -> dict[str, dict[str, GradedAnswer]]:
    by_student: dict[str, dict[str, GradedAnswer]] = {s: {} for s in report.totals}
    for row in report.rows:
        by_student.setdefault(row.student, {})[row.question] = row
    return by_student


def _students_markdown(report: ClassReport) -> list[str]:
    questions = report.questions
    lines = ["", "## Students", "", "✎ marks the teacher's points; - no answer in the file.", ""]
    lines.append(
        _row(
            "student",
            *(f"{md_text(q.id)} ({points_text(q.max_points)})" for q in questions),
            f"total ({points_text(report.max_total)})",
            "codes",
        )
    )
    lines.append("|---" * (len(questions) + 3) + "|")
    for student, answers in _by_student(report).items():
        cells = []
        for q in questions:
            row = answers.get(q.id)
            cells.append(
                "-" if row is None else points_text(row.points) + (" ✎" if row.override else "")
            )
        codes = sorted({c for r in answers.values() for c in r.codes})
        lines.append(
            _row(
                md_text(student),
                *cells,
                f"**{points_text(report.totals.get(student, 0.0))}**",
                ", ".join(f"`{c}`" for c in codes) or "-",
            )
        )
    return lines


def _each_student(report: ClassReport) -> list[str]:
    order = {q.id: i for i, q in enumerate(report.questions)}
    lines = ["", "## Each student's answers"]
    for student, answers in _by_student(report).items():
        total = report.totals.get(student, 0.0)
        lines += [
            "",
            f"### {md_text(student)}: {points_text(total)} of {points_text(report.max_total)}",
            "",
            "| question | answer as read | verdict | points | feedback |",
            "|---|---|---|---|---|",
        ]
        for row in sorted(answers.values(), key=lambda r: order.get(r.question, len(order))):
            feedback = sentence_markdown(row.feedback, md_text)
            teacher = _teacher(row)
            lines.append(
                _row(
                    md_text(row.question),
                    answer_markdown(row),
                    row.verdict.replace("_", " "),
                    f"{points_text(row.points)} of {points_text(row.max_points)}"
                    + (" ✎" if row.override else ""),
                    feedback + (f" {teacher}" if teacher else ""),
                )
            )
    return lines


# ---------------------------------------------------------------- feedback per student
def feedback_markdown(student: str, rows: list[GradedAnswer], report: ClassReport) -> str:
    """One student's feedback as Markdown: every answer, its verdict, points and feedback."""
    total = sum(r.points for r in rows)
    lines = [
        MARKDOWN_FEEDBACK_START + f"# Feedback for {md_text(student)}",
        "",
        f"Total: **{points_text(total)}** of {points_text(report.max_total)} points.",
    ]
    order = {q.id: i for i, q in enumerate(report.questions)}
    for row in sorted(rows, key=lambda r: order.get(r.question, len(order))):
        written = md_text(" ; ".join(row.answer)[:300])
        lines += [
            "",
            f"## {md_text(row.question)}: {row.verdict.replace('_', ' ')}, "
            f"{points_text(row.points)} of {points_text(row.max_points)}",
            "",
            f"You wrote: {written or '(nothing)'}  ",
            f"Read as: {answer_markdown(row)}" if row.reading else "Read as: (not read)",
            "",
            sentence_markdown(row.feedback, md_text),
        ]
        if row.override:
            comment = md_text(row.override.get("comment") or "")
            lines += ["", f"Teacher: {comment or 'points set by your teacher'}"]
    return "\n".join(lines) + "\n"


__all__ = ["answer_markdown", "class_to_markdown", "feedback_markdown", "md_cell", "md_text"]
