"""A derivation checked line by line (:class:`~symgrad.results.DerivationResult`)."""

from __future__ import annotations

from symgrad.exact.printing import to_str
from symgrad.render.check import MARKS, TEX_MARKS, check_witness_dict, matrix_witness_lines
from symgrad.render.common import md_escape, timing_text
from symgrad.results import (
    DerivationLine,
    DerivationResult,
    renders,
)
from symgrad.text.display import (
    short,
    symbol_tex,
    tex_escape,
)


def derivation_headline(result: DerivationResult) -> str:
    count = len({line.number for line in result.lines})
    if result.verdict == "correct":
        lines = "1 line" if count == 1 else f"{count} lines"
        return f"CORRECT: every line of the derivation ({lines}) is exactly right."
    if result.verdict == "incorrect":
        wrong = sorted({line.number for line in result.lines if line.verdict == "incorrect"})
        rest = f" (wrong lines: {', '.join(map(str, wrong))})" if len(wrong) > 1 else ""
        return f"INCORRECT: line {result.first_wrong} is the first wrong line{rest}."
    return "UNKNOWN: some lines could not be decided; no line was shown wrong."


def _line_verdict(line: DerivationLine, method: bool = True) -> str:
    """What the line's mark means, in words (with how it was shown, when ``method``)."""
    if line.verdict == "given":
        return "given"
    if line.codes == ("unreadable",):
        return "cannot be read"
    if line.kind == "derivative":
        target = f"d{line.function}/d{line.wrt}"
        words = {"correct": f"is {target}", "incorrect": f"is not {target}"}
    else:
        other = f"line {line.compared_with}" if line.compared_with else "the definition"
        words = {"correct": f"equals {other}", "incorrect": f"does not equal {other}"}
    text = words.get(line.verdict, "undecided")
    if method and line.verdict == "correct" and line.method:
        text += f" ({line.method})"
    return text


def _line_witness(line: DerivationLine, hide: bool = False) -> list[str]:
    witness = line.witness
    if witness is None:
        return []
    if hide and line.kind == "derivative" and not (witness.sizes or witness.matrices):
        point = ", ".join(f"{k} = {to_str(v)}" for k, v in witness.point.items())
        return [
            f"at {point}: this line gives {short(witness.claimed, 60)}, which is not "
            f"d{line.function}/d{line.wrt} there ({witness.certified_by})"
        ]
    if witness.sizes or witness.matrices:
        lines = matrix_witness_lines(witness)
        if line.kind in ("step", "definition"):
            other = f"line {line.compared_with}" if line.compared_with else "the definition"
            lines = [t.replace(f"dJ/d{witness.parameter}", other) for t in lines]
        return lines
    point = ", ".join(f"{k} = {to_str(v)}" for k, v in witness.point.items())
    other = (
        f"line {line.compared_with}"
        if line.kind == "step" and line.compared_with
        else (f"d{line.function}/d{line.wrt}" if line.kind == "derivative" else "the definition")
    )
    return [
        f"at {point}: this line gives {short(witness.claimed, 60)}, "
        f"{other} gives {short(witness.true, 60)} ({witness.certified_by})"
    ]


@renders(DerivationResult, "brief")
def derivation_to_brief(result: DerivationResult, timing: bool = True) -> str:
    """The default: each line's mark in plain words; -v adds how each was shown."""
    return derivation_to_text(result, timing, method=False)


@renders(DerivationResult, "text")
def derivation_to_text(result: DerivationResult, timing: bool = True, method: bool = True) -> str:
    lines = [derivation_headline(result) + timing_text(result.elapsed_s, timing)]
    shown_numbers = set()
    for line in result.lines:
        label = f"{line.number:>3}" if line.number not in shown_numbers else "   "
        shown_numbers.add(line.number)
        body = line.text if label.strip() else f"= {line.expression}"
        lines.append(f"{label} {MARKS[line.verdict]} {short(body, 300)}")
        lines.append(f"        {_line_verdict(line, method)}")
        lines += [f"        {w}" for w in _line_witness(line, result.hide)]
        lines += [f"        - {d}" for d in line.diagnosis]
        if line.note:
            lines.append(f"        note: {line.note}")
        if line.reason:
            lines.append(f"        reason: {line.reason}")
    return "\n".join(lines)


@renders(DerivationResult, "dict")
def derivation_to_dict(result: DerivationResult) -> dict:
    return {
        "verdict": result.verdict,
        "first_wrong": result.first_wrong,
        "latex": result.latex,
        "shapes": list(result.shapes),
        "lines": [
            {
                "number": line.number,
                "text": line.text,
                "kind": line.kind,
                "expression": line.expression,
                "verdict": line.verdict,
                "method": line.method or None,
                "compared_with": line.compared_with,
                "witness": check_witness_dict(
                    line.witness, result.hide and line.kind == "derivative"
                ),
                "diagnosis": list(line.diagnosis),
                "codes": list(line.codes),
                "note": line.note or None,
                "reason": line.reason or None,
            }
            for line in result.lines
        ],
        "elapsed_s": result.elapsed_s,
    }


def _derivation_rows(result: DerivationResult) -> list[str]:
    rows = []
    for line in result.lines:
        if line.kind == "derivative":
            left = r"\frac{\partial %s}{\partial %s}" % (
                symbol_tex(line.function),
                symbol_tex(line.wrt),
            )
        elif line.kind in ("definition", "let") and line.verdict == "given":
            left = symbol_tex(line.function)
        else:
            left = ""
        mark = TEX_MARKS[line.verdict]
        if line.verdict == "incorrect":
            mark += r"\ \text{(line %d)}" % line.number
        rows.append(r"%s &= %s && %s" % (left, line.tex or tex_escape(line.expression), mark))
    return rows


def _derivation_notes(result: DerivationResult) -> list[str]:
    notes = []
    for line in result.lines:
        if line.verdict in ("incorrect", "unknown"):
            details = [_line_verdict(line), *_line_witness(line, result.hide), *line.diagnosis]
            if line.note:
                details.append(line.note)
            if line.reason:
                details.append(line.reason)
            notes.append((line.number, "; ".join(details)))
    return notes


@renders(DerivationResult, "markdown")
def derivation_to_markdown(result: DerivationResult) -> str:
    head = derivation_headline(result)
    lines = [f"**{result.verdict.capitalize()}.** {md_escape(head.split(': ', 1)[1])}", ""]
    lines.append(
        "$$\\begin{aligned}\n" + " \\\\\n".join(_derivation_rows(result)) + "\n\\end{aligned}$$"
    )
    for number, text in _derivation_notes(result):
        lines.append(f"- line {number}: {md_escape(text)}")
    return "\n".join(lines)


@renders(DerivationResult, "latex")
def derivation_to_latex(result: DerivationResult) -> str:
    head = derivation_headline(result)
    body = [
        r"\paragraph{%s.} %s" % (result.verdict.capitalize(), tex_escape(head.split(": ", 1)[1])),
        "\\begin{align*}\n" + " \\\\\n".join(_derivation_rows(result)) + "\n\\end{align*}",
    ]
    notes = _derivation_notes(result)
    if notes:
        body.append(
            "\\begin{itemize}\n"
            + "\n".join(r"\item line %d: %s" % (n, tex_escape(t)) for n, t in notes)
            + "\n\\end{itemize}"
        )
    return "\n\n".join(body)
