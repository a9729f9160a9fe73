"""A graded answer and a class report (:class:`~symgrad.results.ClassReport`): text, Markdown,
LaTeX, JSON-ready dict, and the files (the report; one feedback file per student).

The HTML report is :mod:`symgrad.render.grade_html`, the Markdown report and feedback
:mod:`symgrad.render.grade_markdown`; on a terminal
control characters in names are shown as escapes, so a name cannot drive the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path

from symgrad.render.grade_html import report_html, student_answers_html
from symgrad.render.grade_markdown import class_to_markdown, feedback_markdown, md_text
from symgrad.results import ClassReport, GradedAnswer, renders
from symgrad.teaching.files import (
    HISTOGRAM_SOFTWARE,
    HTML_FEEDBACK_START,
    write_atomically,
)
from symgrad.teaching.gradebook import points_text
from symgrad.teaching.graded_file import row_record
from symgrad.teaching.item_analysis import score_bins
from symgrad.text.display import tex_escape


def terminal_text(text: object, limit: int = 60) -> str:
    """A name for a terminal: control and format characters shown as escapes, cut off."""
    out = "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in str(text)[: limit * 2]
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


# ---------------------------------------------------------------- one row
@renders(GradedAnswer, "dict")
def graded_to_dict(row: GradedAnswer) -> dict:
    """The row as the graded file holds it, without the file's fingerprint."""
    record = row_record(row)
    del record["fingerprint"]
    return record


@renders(GradedAnswer, "text")
def graded_to_text(row: GradedAnswer, timing: bool = True) -> str:
    codes = f" [{', '.join(row.codes)}]" if row.codes else ""
    return (
        f"{terminal_text(row.student)} {terminal_text(row.question)}: {row.verdict} "
        f"{points_text(row.points)}/{points_text(row.max_points)}{codes} {row.feedback}"
    )


# ---------------------------------------------------------------- the class
def histogram_bins(report: ClassReport) -> tuple[tuple[str, int], ...]:
    """The score distribution: one bin per score (whole scores up to 12), else 10% bins."""
    return score_bins(list(report.totals.values()), report.max_total)


def _distribution_text(report: ClassReport) -> list[str]:
    bins = histogram_bins(report)
    width = max((count for _, count in bins), default=1) or 1
    return [f"  {label:>9} | {'#' * round(20 * count / width)} {count}" for label, count in bins]


@renders(ClassReport, "dict")
def class_to_dict(report: ClassReport) -> dict:
    return {
        "answers": report.answers,
        "graded": report.graded,
        "seconds": report.seconds,
        "students": report.students,
        "per_question": {q.id: _question_dict(q) for q in report.questions},
        "score_mean": round(report.score_mean, 4),
        "max_total": report.max_total,
        "verdicts": dict(report.verdicts),
        "distribution": dict(histogram_bins(report)),
        "per_student": {
            student: {"total": total, "points": _points_of(report, student)}
            for student, total in report.totals.items()
        },
    }


def _question_dict(q) -> dict:
    return {
        "correct": round(q.share_correct, 4),
        "codes": dict(q.codes),
        "answers": q.answers,
        "mean_points": round(q.mean_points, 4),
        "max_points": q.max_points,
        "discrimination": None if q.discrimination is None else round(q.discrimination, 4),
        "groups": [
            {
                "reading": g.reading,
                "count": g.count,
                "verdict": g.verdict,
                "points": g.points,
                "codes": list(g.codes),
            }
            for g in q.groups
        ],  # fmt: skip
    }


def _points_of(report: ClassReport, student: str) -> dict[str, float]:
    return {r.question: r.points for r in report.rows if r.student == student}


@renders(ClassReport, "text")
def class_to_text(report: ClassReport, timing: bool = True) -> str:
    seconds = f" in {report.seconds:.1f} s" if timing else ""
    lines = [
        f"Graded {report.graded} of {report.answers} answers from {report.students} students"
        f"{seconds}; mean score {report.score_mean:.2f} of {report.max_total:g}.",
        "Verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(report.verdicts.items())),
        "Score distribution (total points: students):",
        *_distribution_text(report),
    ]
    for q in report.questions:
        codes = ", ".join(f"{code} {count}" for code, count in list(q.codes.items())[:5])
        lines.append(
            f"{terminal_text(q.id)}: {q.correct}/{q.answers} correct ({100 * q.share_correct:.0f}%), "
            f"mean {q.mean_points:.2f}/{q.max_points:g}" + (f"; mistakes: {codes}" if codes else "")
        )
    lines += _students_text(report)
    return "\n".join(lines)


def _students_text(report: ClassReport) -> list[str]:
    """The student table: points per question and the total ('-' where no answer was given)."""
    ids = [q.id for q in report.questions]
    names = {s: terminal_text(s, 24) for s in report.totals}
    width = max([7, *(len(n) for n in names.values())])
    cells = [max(len(terminal_text(q, 12)), 4) for q in ids]
    head = f"  {'student':<{width}}  " + "  ".join(
        f"{terminal_text(q, 12):>{w}}" for q, w in zip(ids, cells)
    )
    lines = [f"Students (points per question; total of {points_text(report.max_total)}):"]
    lines.append(head + "  total")
    points = {(r.student, r.question): r.points for r in report.rows}
    for student, name in names.items():
        row = "  ".join(
            f"{points_text(points[(student, q)]) if (student, q) in points else '-':>{w}}"
            for q, w in zip(ids, cells)
        )
        lines.append(f"  {name:<{width}}  {row}  {points_text(report.totals[student]):>5}")
    return lines


@renders(ClassReport, "html")
def class_to_html(report: ClassReport) -> str:
    return report_html(report)


@renders(ClassReport, "latex")
def class_to_latex(report: ClassReport) -> str:
    rows = " \\\\\n".join(
        f"{tex_escape(q.id)} & {q.correct}/{q.answers} & {q.mean_points:.2f}/{q.max_points:g} & "
        f"{tex_escape(', '.join(list(q.codes)[:3]) or '-')}"
        for q in report.questions
    )
    ids = [q.id for q in report.questions]
    points = {(r.student, r.question): r.points for r in report.rows}
    students = " \\\\\n".join(
        f"{tex_escape(student)} & "
        + " & ".join(
            points_text(points[(student, q)]) if (student, q) in points else "--" for q in ids
        )
        + f" & {points_text(total)}"
        for student, total in report.totals.items()
    )
    return (
        r"\paragraph{Class report.} %d of %d answers graded, mean score %.2f of %g."
        % (report.graded, report.answers, report.score_mean, report.max_total)
        + "\n\n\\begin{tabular}{llll}\nquestion & correct & mean & mistakes \\\\ \\hline\n"
        + rows
        + "\n\\end{tabular}\n\n\\begin{tabular}{l"
        + "r" * (len(ids) + 1)
        + "}\nstudent & "
        + " & ".join(tex_escape(q) for q in ids)
        + " & total \\\\ \\hline\n"
        + students
        + "\n\\end{tabular}"
    )


# ---------------------------------------------------------------- files
def _histogram_png(report: ClassReport) -> bytes | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    buffer = __import__("io").BytesIO()
    bins = histogram_bins(report)
    figure, axis = plt.subplots(figsize=(max(6, 0.6 * len(bins)), 3))
    axis.bar(range(len(bins)), [count for _, count in bins], color="#4a7ab5")
    axis.set_xticks(range(len(bins)), [label for label, _ in bins], fontsize=8)
    axis.set_xlabel("total points")
    axis.set_ylabel("students")
    axis.set_title("Score distribution")
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": HISTOGRAM_SOFTWARE})
    plt.close(figure)
    return buffer.getvalue()


@renders(ClassReport, "file")
def class_to_file(report: ClassReport, path) -> None:
    """Write the report (``.html``, ``.htm`` or ``.md``) through a temporary file."""
    from symgrad.errors import ProblemError

    target = Path(path)
    if target.suffix not in (".html", ".htm", ".md"):
        raise ProblemError(f"--report {str(path)[:80]!r} must end in .html or .md")
    if target.is_dir() or not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise ProblemError(f"--report {str(path)[:80]!r}: not a file in an existing folder")
    if target.suffix == ".md":
        png = _histogram_png(report)
        image = None
        if png:
            image_path = target.with_name(target.stem + "-histogram.png")
            write_atomically(image_path, png, "--report's histogram")
            image = image_path.name
        write_atomically(target, class_to_markdown(report, image) + "\n", "--report")
    else:
        write_atomically(target, report_html(report), "--report")


# ---------------------------------------------------------------- feedback per student
def feedback_html(student: str, rows: list[GradedAnswer], report: ClassReport) -> str:
    """One student's feedback as a standalone HTML page (maths as MathML)."""
    from symgrad.render.grade_html import STYLE, esc

    total = sum(r.points for r in rows)
    return (
        f"{HTML_FEEDBACK_START}<title>Feedback for {esc(student)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Feedback for {esc(student)}</h1><p>Total: <b>{points_text(total)}</b> of "
        f"{points_text(report.max_total)} points.</p>"
        + student_answers_html(rows, [q.id for q in report.questions])
        + "</body></html>"
    )


@renders(ClassReport, "feedback")
def feedback_files(report: ClassReport, files: Mapping[str, Path], fmt: str) -> None:
    """Write each student's feedback file (``files``: student -> path, distinct even where
    case is ignored, so each file written is one student's)."""
    from symgrad.errors import ProblemError

    if len({str(path).casefold() for path in files.values()}) != len(files):
        raise ProblemError("two students' feedback files would be one file; nothing was written")
    by_student: dict[str, list[GradedAnswer]] = {}
    for row in report.rows:
        by_student.setdefault(row.student, []).append(row)
    page = feedback_html if fmt == "html" else feedback_markdown
    for student, path in files.items():
        write_atomically(path, page(student, by_student.get(student, []), report), "--feedback-dir")


__all__ = ["class_to_markdown", "feedback_html", "feedback_markdown", "md_text", "terminal_text"]
