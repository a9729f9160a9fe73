"""A graded answer and a class report (:class:`~symgrad.results.ClassReport`): text, Markdown, HTML, LaTeX."""

from __future__ import annotations

from pathlib import Path

from symgrad.render.common import md_escape
from symgrad.results import (
    ClassReport,
    GradedAnswer,
    renders,
)
from symgrad.text.display import (
    tex_escape,
)


@renders(GradedAnswer, "dict")
def graded_to_dict(row: GradedAnswer) -> dict:
    return {
        "student": row.student,
        "question": row.question,
        "verdict": row.verdict,
        "points": row.points,
        "max_points": row.max_points,
        "codes": list(row.codes),
        "feedback": row.feedback,
        "components": [dict(c) for c in row.components],
    }


@renders(GradedAnswer, "text")
def graded_to_text(row: GradedAnswer, timing: bool = True) -> str:
    codes = f" [{', '.join(row.codes)}]" if row.codes else ""
    return (
        f"{row.student} {row.question}: {row.verdict} {row.points:g}/{row.max_points:g}{codes} "
        f"{row.feedback}"
    )


def _histogram_bins(report: ClassReport) -> list[tuple[str, int]]:
    """One bin per score when scores are whole numbers up to 12, else ten equal bins (the last
    one closed, so full marks fall in it)."""
    top = report.max_total or 1.0
    totals = list(report.totals.values())
    whole = float(top).is_integer() and all(float(t).is_integer() for t in totals)
    if whole and top <= 12:
        return [(f"{k:g}", sum(1 for t in totals if t == k)) for k in range(int(top) + 1)]
    counts = [0] * 10
    for total in totals:
        counts[min(max(int(total * 10 // top), 0), 9)] += 1
    return [
        (f"{k * top / 10:.3g}-{(k + 1) * top / 10:.3g}", count) for k, count in enumerate(counts)
    ]


def _distribution_text(report: ClassReport) -> list[str]:
    bins = _histogram_bins(report)
    width = max((count for _, count in bins), default=1) or 1
    return [f"  {label:>9} | {'#' * round(20 * count / width)} {count}" for label, count in bins]


@renders(ClassReport, "dict")
def class_to_dict(report: ClassReport) -> dict:
    return {
        "answers": report.answers,
        "graded": report.graded,
        "seconds": report.seconds,
        "students": report.students,
        "per_question": {
            q.id: {"correct": round(q.share_correct, 4), "codes": dict(q.codes)}
            for q in report.questions
        },
        "score_mean": round(report.score_mean, 4),
        "max_total": report.max_total,
        "verdicts": dict(report.verdicts),
        "distribution": dict(_histogram_bins(report)),
    }


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
            f"{q.id}: {q.correct}/{q.answers} correct ({100 * q.share_correct:.0f}%), mean "
            f"{q.mean_points:.2f}/{q.max_points:g}" + (f"; mistakes: {codes}" if codes else "")
        )
    return "\n".join(lines)


@renders(ClassReport, "markdown")
def class_to_markdown(report: ClassReport, image: str | None = None) -> str:
    lines = [
        "# Class report",
        "",
        f"{report.graded} of {report.answers} answers graded, {report.students} students, "
        f"mean score **{report.score_mean:.2f}** of {report.max_total:g}.",
        "",
        "## Score distribution",
        "",
    ]
    if image:
        lines += [f"![score distribution]({image})", ""]
    lines += ["| total points | students |", "|---|---|"]
    lines += [f"| {label} | {count} |" for label, count in _histogram_bins(report)]
    lines += ["", "## Questions", ""]
    lines += ["| question | correct | mean points | most frequent mistakes |", "|---|---|---|---|"]
    for q in report.questions:
        codes = ", ".join(f"`{code}` ({count})" for code, count in list(q.codes.items())[:4])
        lines.append(
            f"| {q.id} | {q.correct}/{q.answers} ({100 * q.share_correct:.0f}%) | "
            f"{q.mean_points:.2f}/{q.max_points:g} | {codes or '-'} |"
        )
    for q in report.questions:
        if not q.codes:
            continue
        lines += ["", f"### {q.id}: `J = {_md_code(q.loss)}`", ""]
        for code, count in list(q.codes.items())[:6]:
            answer, feedback = q.examples.get(code, ("", ""))
            lines.append(
                f"- **{code}** ({count}): a student wrote `{_md_code(answer)}` — {md_escape(feedback)}"
            )
    return "\n".join(lines)


def _md_code(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")[:200]


def _histogram_png(report: ClassReport) -> bytes | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    buffer = __import__("io").BytesIO()
    bins = _histogram_bins(report)
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.bar([label for label, _ in bins], [count for _, count in bins], color="#4a7ab5")
    axis.set_xlabel("total points")
    axis.set_ylabel("students")
    axis.set_title("Score distribution")
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


@renders(ClassReport, "html")
def class_to_html(report: ClassReport) -> str:
    import base64
    import html

    png = _histogram_png(report)
    rows = "".join(
        f"<tr><td>{html.escape(q.id)}</td><td>{q.correct}/{q.answers} "
        f"({100 * q.share_correct:.0f}%)</td><td>{q.mean_points:.2f}/{q.max_points:g}</td>"
        f"<td>{html.escape(', '.join(f'{c} ({n})' for c, n in list(q.codes.items())[:4]) or '-')}</td></tr>"
        for q in report.questions
    )
    bins = _histogram_bins(report)
    top = max((c for _, c in bins), default=1) or 1
    bars = "".join(
        f"<tr><td>{html.escape(label)}</td><td><div style='background:#4a7ab5;height:1em;"
        f"width:{200 * count / top:.0f}px'></div></td><td>{count}</td></tr>"
        for label, count in bins
    )
    image = (
        f"<img alt='score distribution' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        if png
        else f"<table>{bars}</table>"
    )
    details = []
    for q in report.questions:
        if not q.codes:
            continue
        items = "".join(
            f"<li><b>{html.escape(code)}</b> ({count}): a student wrote "
            f"<code>{html.escape(q.examples.get(code, ('', ''))[0])}</code> — "
            f"{html.escape(q.examples.get(code, ('', ''))[1])}</li>"
            for code, count in list(q.codes.items())[:6]
        )
        details.append(
            f"<h3>{html.escape(q.id)}: <code>J = {html.escape(q.loss)}</code></h3><ul>{items}</ul>"
        )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Class report</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:"
        "collapse}td,th{border:1px solid #ccc;padding:.3em .6em}</style></head><body>"
        f"<h1>Class report</h1><p>{report.graded} of {report.answers} answers graded, "
        f"{report.students} students, mean score <b>{report.score_mean:.2f}</b> of "
        f"{report.max_total:g}.</p><h2>Score distribution</h2>{image}"
        "<h2>Questions</h2><table><tr><th>question</th><th>correct</th><th>mean points</th>"
        f"<th>most frequent mistakes</th></tr>{rows}</table>{''.join(details)}</body></html>"
    )


@renders(ClassReport, "latex")
def class_to_latex(report: ClassReport) -> str:
    rows = " \\\\\n".join(
        f"{tex_escape(q.id)} & {q.correct}/{q.answers} & {q.mean_points:.2f}/{q.max_points:g} & "
        f"{tex_escape(', '.join(list(q.codes)[:3]) or '-')}"
        for q in report.questions
    )
    return (
        r"\paragraph{Class report.} %d of %d answers graded, mean score %.2f of %g."
        % (report.graded, report.answers, report.score_mean, report.max_total)
        + "\n\n\\begin{tabular}{llll}\nquestion & correct & mean & mistakes \\\\ \\hline\n"
        + rows
        + "\n\\end{tabular}"
    )


@renders(ClassReport, "file")
def class_to_file(report: ClassReport, path) -> None:
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
            image_path.write_bytes(png)
            image = image_path.name
        target.write_text(class_to_markdown(report, image) + "\n", encoding="utf-8")
    else:
        target.write_text(class_to_html(report), encoding="utf-8")
