"""A checked derivative (:class:`~symgrad.results.CheckResult`) as text, Markdown, LaTeX and a dict."""

from __future__ import annotations

from symgrad.exact.printing import to_str
from symgrad.render.common import md_escape
from symgrad.results import (
    CheckResult,
    renders,
)
from symgrad.text.display import (
    latex,
    short,
    symbol_tex,
    tex_escape,
)


def check_headline(result: CheckResult) -> str:
    names = ", ".join(str(p) for p in result.wrt)
    noun = "gradient" if result.is_matrix else "derivative"
    if result.verdict == "correct" and result.almost_everywhere:
        return _almost_everywhere_headline(result, noun, names)
    if result.verdict == "correct":
        scope = f" {result.scope}" if result.scope else ""
        return f"CORRECT{scope}: the claimed {noun} with respect to {names} is exactly right."
    if result.verdict == "incorrect" and result.is_matrix:
        w = result.witness
        sizes = ", ".join(f"{k} = {v}" for k, v in w.sizes.items()) or "the declared sizes"
        return (
            f"INCORRECT: at the sizes {sizes} the claimed gradient differs from dJ/d{w.parameter} "
            "(exact witness below)."
        )
    if result.verdict == "incorrect":
        w = result.witness
        where = ", ".join(f"{k} = {to_str(v)}" for k, v in w.point.items())
        if w.functions:
            which = "a function" if len(w.functions) == 1 else "functions"
            where = (
                f"{where}, with {' and '.join(w.functions.values())} ({which} for which the "
                "claim fails)"
            )
        true = (
            "the true derivative differs"
            if result.hide_answer
            else f"dJ/d{w.parameter} = {short(w.true, 80)}"
        )
        if result.hide_answer:
            return f"INCORRECT: at {where} the claim gives {short(w.claimed, 80)}, and {true}."
        return f"INCORRECT: at {where} the claim gives {short(w.claimed, 80)} but {true}."
    return f"UNKNOWN: could not decide ({result.reason})."


def _almost_everywhere_headline(result: CheckResult, noun: str, names: str) -> str:
    """Right except on the loss's kinks, where no value is the derivative."""
    sets = [c.exceptional for c in result.components if c.exceptional is not None]
    where = " and ".join(dict.fromkeys(e.zero_set for e in sets))
    conventions = [e.convention for e in sets if e.convention]
    there = f" ({conventions[0]})" if conventions else ""
    return (
        f"CORRECT almost everywhere: the claimed {noun} with respect to {names} is right "
        f"except on {where}, where the loss is not differentiable{there}."
    )


def exceptional_dict(result: CheckResult) -> dict:
    """The JSON keys of a claim correct almost everywhere (all null/false otherwise)."""
    sets = [c.exceptional for c in result.components if c.exceptional is not None]
    return {
        "almost_everywhere": result.almost_everywhere,
        "exceptional_set": " and ".join(dict.fromkeys(e.zero_set for e in sets)) or None,
        "convention": next((e.convention for e in sets if e.convention), None)
        if result.almost_everywhere
        else None,
    }


@renders(CheckResult, "text")
def check_to_text(result: CheckResult, timing: bool = True) -> str:
    lines = [check_headline(result), f"Understood: {result.understood}"]
    for reading in result.readings:
        lines.append(f"  ({reading})")
    if len(result.components) > 1:
        lines.append("Components:")
        for component in result.components:
            mark = {"correct": "ok", "incorrect": "WRONG", "unknown": "?"}[component.verdict]
            if component.verdict == "correct" and component.exceptional is not None:
                mark += f" almost everywhere (not on {component.exceptional.zero_set})"
            codes = f" [{', '.join(component.codes)}]" if component.codes else ""
            lines.append(f"  dJ/d{component.parameter}: {mark}{codes}")
    if result.diagnosis:
        lines.append("Hint:" if result.hint else "Diagnosis:")
        lines += [f"  - {item}" for item in result.diagnosis]
    if not result.hide_answer:
        for p, d in zip(result.wrt, result.derivatives):
            lines.append(f"True derivative: dJ/d{p} = {short(d)}")
    if result.domain:
        lines.append(f"Domain: the loss is real where {' and '.join(result.domain)}.")
    if result.steps:
        lines.append("Derivation of the true derivative:")
        lines += [f"  {line}" for line in result.steps]
    if result.witness and result.is_matrix:
        lines.append("Witness, " + matrix_witness_lines(result.witness, result.hide_answer)[0])
        lines += matrix_witness_lines(result.witness, result.hide_answer)[1:]
    if result.witness:
        lines.append(f"Certificate: the values differ by {result.witness.certified_by}.")
    else:
        lines.append(f"Certificate: {result.method}.")
    if result.certificate:
        lines.append(f"Re-checked: {result.certificate}.")
    return "\n".join(lines)


@renders(CheckResult, "dict")
def check_to_dict(result: CheckResult) -> dict:
    single = len(result.claims) == 1
    derivatives = [to_str(d) for d in result.derivatives]
    return {
        "verdict": result.verdict,
        "loss": to_str(result.loss),
        "wrt": [str(p) for p in result.wrt],
        "claim": to_str(result.claims[0]) if single else [to_str(c) for c in result.claims],
        "derivative": None
        if result.hide_answer or not derivatives
        else (derivatives[0] if single else derivatives),
        "scope": result.scope or None,
        "shapes": dict(result.shapes) or None,
        "understood": result.understood,
        "readings": list(result.readings),
        "witness": check_witness_dict(result.witness, result.hide_answer),
        "diagnosis": list(result.diagnosis),
        "codes": list(result.codes),
        **exceptional_dict(result),
        "definitions": list(result.definitions),
        "components": [
            {
                "name": c.parameter,
                "verdict": c.verdict,
                "codes": list(c.codes),
                "diagnosis": list(c.diagnosis),
                "almost_everywhere": c.verdict == "correct" and c.exceptional is not None,
                "exceptional_set": c.exceptional.zero_set if c.exceptional else None,
            }
            for c in result.components
        ],
        "method": result.method,
        "certificate": result.certificate or None,
        "reason": result.reason or None,
        "assumptions": list(result.assumptions),
        "domain": list(result.domain),
        "steps": list(result.steps),
        "elapsed_s": result.elapsed_s,
    }


def check_witness_dict(witness, hide: bool) -> dict | None:
    if witness is None:
        return None
    entry = {
        "point": {k: to_str(v) for k, v in witness.point.items()},
        "parameter": witness.parameter,
        "claimed": to_str(witness.claimed),
        "true": None if hide else to_str(witness.true),
        "certified_by": witness.certified_by,
    }
    if witness.functions:
        entry["functions"] = dict(witness.functions)
    if witness.sizes or witness.matrices:
        entry["sizes"] = dict(witness.sizes)
        entry["matrices"] = {n: _matrix_rows(m) for n, m in witness.matrices.items()}
        entry["claimed"] = _matrix_rows(witness.claimed)
        entry["true"] = None if hide else _matrix_rows(witness.true)
    return entry


def _matrix_rows(matrix) -> list[list[str]]:
    """A matrix as rows of exact entries (a vector is a column: one entry per row)."""
    return [[to_str(matrix[i, j]) for j in range(matrix.cols)] for i in range(matrix.rows)]


def matrix_witness_lines(witness, hide: bool = False) -> list[str]:
    """The witness of a matrix claim as small matrices: sizes, data, claim, true gradient."""
    sizes = ", ".join(f"{k} = {v}" for k, v in witness.sizes.items())
    lines = [f"at the sizes {sizes}:" if sizes else "at the declared sizes:"]
    for name, matrix in witness.matrices.items():
        lines.append(f"  {name} = {_matrix_text(matrix)}")
    for name, value in _witness_scalars(witness).items():
        lines.append(f"  {name} = {to_str(value)}")
    divided = f" divided by {to_str(witness.factor)}" if witness.factor is not None else ""
    lines.append(f"  the claim{divided} gives {_matrix_text(witness.claimed)}")
    if not hide:
        lines.append(f"  but dJ/d{witness.parameter} = {_matrix_text(witness.true)}")
    return lines


def _witness_scalars(witness) -> dict:
    """Point values that are no entry of a witness matrix (scalars such as lam)."""
    return {
        name: value
        for name, value in witness.point.items()
        if not any(name == m or name.startswith(f"{m}_") for m in witness.matrices)
    }


def _matrix_text(matrix) -> str:
    rows = _matrix_rows(matrix)
    if matrix.cols == 1:
        return "[" + ", ".join(r[0] for r in rows) + "]"
    return "[" + "; ".join(", ".join(r) for r in rows) + "]"


def _matrix_tex(matrix) -> str:
    rows = [" & ".join(latex(matrix[i, j]) for j in range(matrix.cols)) for i in range(matrix.rows)]
    return "\\begin{pmatrix} " + " \\\\ ".join(rows) + " \\end{pmatrix}"


@renders(CheckResult, "markdown")
def check_to_markdown(result: CheckResult) -> str:
    head = check_headline(result).split(": ", 1)[1]
    lines = [f"**{result.verdict.capitalize()}.** {md_escape(head)}", ""]
    if result.is_matrix:
        lines.append(f"- loss: $J = {result.tex[0]}$")
    for index, (p, d) in enumerate(zip(result.wrt, _derivatives(result))):
        name = symbol_tex(str(p))
        lines.append(rf"- claimed: $\partial J/\partial {name} = {_claim_tex(result, index)}$")
        if d is not None and not result.hide_answer:
            lines.append(rf"- true: $\partial J/\partial {name} = {latex(d)}$")
    lines += [f"- {md_escape(item)}" for item in result.diagnosis]
    if result.witness and result.is_matrix:
        lines += ["", f"Witness at the sizes {_sizes_text(result.witness)}:", ""]
        lines += [f"- ${row}$" for row in _witness_tex_rows(result.witness, result.hide_answer)]
    return "\n".join(lines)


def _derivatives(result: CheckResult) -> list:
    """The true derivatives in closed form (none for a matrix claim: its witness shows them)."""
    return list(result.derivatives) or [None] * len(result.wrt)


def _claim_tex(result: CheckResult, index: int) -> str:
    if result.tex:
        return result.tex[1 + index]
    return latex(result.claims[index])


def _sizes_text(witness) -> str:
    return ", ".join(f"{k} = {v}" for k, v in witness.sizes.items()) or "declared"


def _witness_tex_rows(witness, hide: bool) -> list[str]:
    rows = [f"{symbol_tex(n)} = {_matrix_tex(m)}" for n, m in witness.matrices.items()]
    rows += [f"{symbol_tex(n)} = {latex(v)}" for n, v in _witness_scalars(witness).items()]
    name = symbol_tex(witness.parameter)
    rows.append(rf"\text{{claimed }} {_matrix_tex(witness.claimed)}")
    if not hide:
        rows.append(rf"\frac{{\partial J}}{{\partial {name}}} = {_matrix_tex(witness.true)}")
    return rows


@renders(CheckResult, "latex")
def check_to_latex(result: CheckResult) -> str:
    rows = [r"J &= %s" % result.tex[0]] if result.is_matrix else []
    for index, (p, d) in enumerate(zip(result.wrt, _derivatives(result))):
        name = symbol_tex(str(p))
        claim = _claim_tex(result, index)
        rows.append(r"\text{claimed: } \frac{\partial J}{\partial %s} &= %s" % (name, claim))
        if d is not None and not result.hide_answer:
            rows.append(r"\text{true: } \frac{\partial J}{\partial %s} &= %s" % (name, latex(d)))
    if result.witness and result.is_matrix:
        rows += [
            row.replace(" = ", " &= ", 1) if " = " in row else "& " + row
            for row in _witness_tex_rows(result.witness, result.hide_answer)
        ]
    head = check_headline(result)
    body = [
        r"\paragraph{%s} %s"
        % (tex_escape(head.split(":")[0].capitalize() + "."), tex_escape(head.split(": ", 1)[1]))
    ]
    body.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    if result.diagnosis:
        body.append(
            "\\begin{itemize}\n"
            + "\n".join(r"\item %s" % tex_escape(item) for item in result.diagnosis)
            + "\n\\end{itemize}"
        )
    return "\n\n".join(body)


MARKS = {"correct": "✓", "incorrect": "✗", "unknown": "?", "given": "·"}
TEX_MARKS = {
    "correct": r"\checkmark",
    "incorrect": r"\times",
    "unknown": r"\text{?}",
    "given": r"\text{given}",
}
