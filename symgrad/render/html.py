"""Results as HTML fragments with the maths as MathML: for the web page and HTML reports.

Everything a user typed or a result holds is escaped; maths is MathML that a
browser typesets without a script or network (:mod:`symgrad.text.mathml`).
A fragment leads with the verdict in plain words, then the evidence.
"""

from __future__ import annotations

import html

import sympy

from symgrad.exact.printing import to_str
from symgrad.render.check import check_headline, matrix_witness_lines
from symgrad.render.derivation import derivation_headline
from symgrad.render.proof import (
    condition_sentence,
    headline,
    optimizers_text,
    stationary_sentence,
)
from symgrad.results import (
    CheckResult,
    ClassReport,
    DerivationResult,
    GradedAnswer,
    ProofResult,
    render,
    renders,
)
from symgrad.text.display import interval_text
from symgrad.text.mathml import derivative_mathml, mathml, symbol_mathml

BADGES = {
    "proven": "PROVEN",
    "refuted": "REFUTED",
    "correct": "CORRECT",
    "incorrect": "INCORRECT",
    "unknown": "UNKNOWN",
}


def esc(text: object) -> str:
    """Text for HTML: every ``<``, ``>``, ``&`` and quote escaped."""
    return html.escape(str(text), quote=True)


def value_html(value: object) -> str:
    """An exact value as MathML; an interval enclosure as text."""
    if isinstance(value, sympy.Interval):
        return f"<span class='interval'>{esc(interval_text(value))}</span>"
    return mathml(value)


def _verdict(verdict: str, sentence: str) -> str:
    """The verdict badge and the plain-words sentence after it (the part after 'VERDICT: ')."""
    words = sentence.split(": ", 1)[1] if sentence.split(": ", 1)[0].isupper() else sentence
    badge = BADGES.get(verdict, verdict.upper())
    return f"<p class='verdict'><span class='badge {esc(verdict)}'>{badge}</span> {esc(words)}</p>"


def any_html(result: object) -> str:
    """The result's HTML fragment; a kind without one shows its text (verdict badge first)."""
    try:
        return render(result, "html")
    except KeyError:
        text = render(result, "text", False)
        verdict = str(getattr(result, "verdict", ""))
        badge = (
            f"<span class='badge {esc(verdict)}'>{BADGES.get(verdict, esc(verdict.upper()))}</span>"
        )
        return f"<section class='result {esc(verdict)}'><p class='verdict'>{badge}</p><pre>{esc(text)}</pre></section>"


def _rows(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in pairs)
    return f"<table class='facts'>{cells}</table>"


# ---------------------------------------------------------------- check
@renders(CheckResult, "html")
def check_to_html(result: CheckResult) -> str:
    parts = [f"<section class='result check {esc(result.verdict)}'>"]
    parts.append(_verdict(result.verdict, check_headline(result)))
    parts.append(_understood(result))
    if result.diagnosis:
        items = "".join(f"<li>{esc(item)}</li>" for item in result.diagnosis)
        parts.append(f"<h3>What is wrong</h3><ul class='diagnosis'>{items}</ul>")
    if result.witness is not None:
        parts.append(_check_witness(result))
    if result.domain:
        parts.append(
            f"<p class='domain'>The loss is real where {esc(' and '.join(result.domain))}.</p>"
        )
    if not result.hide_answer and result.derivatives:
        answer = "".join(
            f"<p>{derivative_mathml(str(p))} = {mathml(d, display=False)}</p>"
            for p, d in zip(result.wrt, result.derivatives)
        )
        parts.append(
            f"<details class='answer'><summary>Show the true derivative</summary>{answer}</details>"
        )
    parts.append(_certificate_lines(result.method, result.certificate, result.witness))
    parts.append("</section>")
    return "".join(parts)


def _understood(result: CheckResult) -> str:
    claims = "".join(
        f"; claimed <span class='claim'>{derivative_mathml(str(p))} = {mathml(c)}</span>"
        for p, c in zip(result.wrt, result.claims)
    )
    readings = "".join(f"<li>{esc(r)}</li>" for r in result.readings)
    notes = f"<ul class='readings'>{readings}</ul>" if readings else ""
    return f"<p class='understood'>Understood: J = {mathml(result.loss)}{claims}</p>{notes}"


def _check_witness(result: CheckResult) -> str:
    witness = result.witness
    if result.is_matrix:
        lines = matrix_witness_lines(witness, result.hide_answer)
        return f"<h3>Counterexample</h3><pre class='matrix'>{esc(chr(10).join(lines))}</pre>"
    point = ", ".join(f"{symbol_mathml(k)} = {value_html(v)}" for k, v in witness.point.items())
    rows = [("at", point), ("your claim gives", value_html(witness.claimed))]
    if not result.hide_answer:
        rows.append((f"{derivative_mathml(witness.parameter)} is", value_html(witness.true)))
    return "<h3>Counterexample (exact)</h3>" + _rows(rows)


def _certificate_lines(method: str, certificate: str, witness) -> str:
    backed = f"the values differ by {witness.certified_by}" if witness is not None else method
    lines = f"<p class='certificate'>Certificate: {esc(backed)}.</p>"
    if certificate:
        lines += f"<p class='certificate'>Re-checked: {esc(certificate)}.</p>"
    return lines


# ---------------------------------------------------------------- derivations
@renders(DerivationResult, "html")
def derivation_to_html(result: DerivationResult) -> str:
    rows = []
    for line in result.lines:
        mark = {"given": "given", "correct": "✓", "incorrect": "✗"}.get(line.verdict, "?")
        why = "; ".join([*line.diagnosis, *([line.reason] if line.reason else [])])
        rows.append(
            f"<tr class='{esc(line.verdict)}'><td>{line.number}</td><td>{esc(mark)}</td>"
            f"<td><code>{esc(line.text)}</code></td><td>{esc(why)}</td></tr>"
        )
    table = (
        "<table class='lines'><tr><th>line</th><th></th><th>as written</th><th>why</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return (
        f"<section class='result derivation {esc(result.verdict)}'>"
        + _verdict(result.verdict, derivation_headline(result))
        + table
        + "</section>"
    )


# ---------------------------------------------------------------- tie verdicts
@renders(ProofResult, "html")
def proof_to_html(result: ProofResult) -> str:
    problem = result.problem
    parts = [f"<section class='result prove {esc(result.verdict)}'>"]
    parts.append(_verdict(result.verdict, headline(result)))
    for label, sentence in (
        ("Condition", condition_sentence(result.condition)),
        ("Stationary", stationary_sentence(result)),
    ):
        if sentence:
            parts.append(f"<p><strong>{label}:</strong> {esc(sentence)}</p>")
    facts = [
        ("Loss", f"J = {mathml(problem.graph)}"),
        ("Parameters", esc(", ".join(map(str, problem.parameters)))),
        ("Data", esc(", ".join(map(str, problem.data)) or "(none)")),
        ("Tie", esc(problem.describe_tie())),
    ]
    if problem.init:
        facts.append(
            ("Init", esc(", ".join(f"{k} = {to_str(v)}" for k, v in problem.init.items())))
        )
    if problem.assumptions:
        facts.append(("Assuming", esc(", ".join(problem.assumptions.texts()))))
    parts.append(_rows(facts))
    if result.witness is not None:
        parts.append(_proof_witness(result))
    optimizers = optimizers_text(result)
    if optimizers:
        parts.append(f"<p>{esc(optimizers)}</p>")
    parts += [f"<p class='note'>Note: {esc(note)}</p>" for note in result.notes]
    parts.append(_certificate_lines(result.method, result.certificate, None))
    parts.append("</section>")
    return "".join(parts)


def _proof_witness(result: ProofResult) -> str:
    witness = result.witness
    point = ", ".join(f"{symbol_mathml(k)} = {value_html(v)}" for k, v in witness.point.items())
    rows = [("at", point)]
    rows += [(derivative_mathml(n), value_html(witness.gradients[n])) for n in witness.pair]
    rows.append(("difference", f"{value_html(witness.difference)} ({esc(witness.certified_by)})"))
    if witness.steps > 1:
        rows.append(("after", esc(f"{witness.steps - 1} step(s) with eta = {witness.eta}")))
    return "<h3>Witness (exact)</h3>" + _rows(rows)


# ---------------------------------------------------------------- a class
def class_fragment(report: ClassReport, rows: list[GradedAnswer]) -> str:
    """The class at a glance: each question's share correct and mistakes, each student's points."""
    questions = "".join(
        f"<tr><td>{esc(q.id)}</td><td>{q.correct}/{q.answers}</td>"
        f"<td>{q.mean_points:.2f} / {q.max_points:g}</td>"
        f"<td>{esc(', '.join(f'{c} ({n})' for c, n in list(q.codes.items())[:4]) or '-')}</td></tr>"
        for q in report.questions
    )
    ids = [q.id for q in report.questions]
    points: dict[str, dict[str, GradedAnswer]] = {}
    for row in rows:
        points.setdefault(row.student, {})[row.question] = row
    students = "".join(
        f"<tr><td>{esc(student)}</td>"
        + "".join(
            f"<td title='{esc(answers[q].verdict)}'>{answers[q].points:g}</td>"
            if q in answers
            else "<td>-</td>"
            for q in ids
        )
        + f"<td><strong>{report.totals.get(student, 0):g}</strong></td></tr>"
        for student, answers in points.items()
    )
    head = "".join(f"<th>{esc(q)}</th>" for q in ids)
    return (
        "<section class='result grade'><h3>Questions</h3><table class='grades'>"
        "<tr><th>question</th><th>correct</th><th>mean points</th><th>most common mistakes</th>"
        f"</tr>{questions}</table><h3>Students</h3><table class='grades'><tr><th>student</th>"
        f"{head}<th>total / {report.max_total:g}</th></tr>{students}</table></section>"
    )
