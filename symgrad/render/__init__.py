"""Rendering of results: plain text, Markdown (with $...$ maths), LaTeX and JSON-ready dicts.

Each renderer is registered for its result type (:func:`symgrad.results.renders`);
results call them through ``to_text()``, ``to_markdown()``, ``to_latex()`` and
``to_dict()``. The LaTeX forms are document bodies for ``amsmath``; the
Markdown forms keep maths inside ``$...$`` that KaTeX renders.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import sympy

from symgrad.exact.printing import to_str
from symgrad.results import (
    CheckResult,
    ClassReport,
    CollapseResult,
    Condition,
    DerivationLine,
    DerivationResult,
    GradedAnswer,
    GradientResult,
    ModelProofResult,
    ParametricResult,
    ProofResult,
    Trajectory,
    renders,
)
from symgrad.text.display import (
    describe_point,
    interval_text,
    latex,
    printable,
    short,
    symbol_tex,
    tex_escape,
    tidy,
    to_float,
)

NOT_COVERED = "dropout, noise injection and other per-coordinate randomness"


def _timing(seconds: float, timing: bool) -> str:
    return f" ({seconds:.3f} s)" if timing else ""


# ---------------------------------------------------------------- proofs
def headline(result: ProofResult) -> str:
    """One sentence a person can read aloud."""
    problem = result.problem
    tie = problem.describe_tie()
    noun, verb = ("tie", "persists") if len(problem.ties) == 1 else ("ties", "persist")
    if len(tie) > 160:
        tie = f"({len(problem.ties)} groups, {sum(len(g) for g in problem.ties)} parameters)"
    if result.verdict == "proven":
        if result.stationary and result.kind == "stationary":
            return f"The {noun} {tie} {verb}: the init is a stationary point, nothing ever moves."
        scope = " for the given dataset" if problem.dataset is not None else " for all data"
        return f"The {noun} {tie} {verb} for every step{scope}: {result.method}."
    if result.verdict == "refuted":
        witness = result.witness
        names = tuple(str(p) for p in problem.parameters)
        ties = tuple(tuple(str(p) for p in g) for g in problem.ties)
        where = describe_point(witness.point, ties, names)
        values = " and ".join(interval_text(witness.gradients[n]) for n in witness.pair)
        sample = f" (dataset row {witness.sample + 1})" if witness.sample is not None else ""
        if problem.dataset is not None and problem.mode == "full-batch" and witness.sample is None:
            sample = " (summed over the dataset)"
        if witness.steps > 1:
            return (
                f"The tie {witness.pair[0]} = {witness.pair[1]} breaks at step {witness.steps}: "
                f"from {where}{sample} the gradients agree, but after {witness.steps - 1} "
                f"step{'s' if witness.steps > 2 else ''} (eta = {witness.eta}) they are {values}."
            )
        return (
            f"The tie {witness.pair[0]} = {witness.pair[1]} breaks: at {where}{sample} "
            f"the gradients are {values}."
        )
    return f"Could not decide whether the {noun} {tie} {verb}: {result.reason}."


def _dataset_text(problem) -> str | None:
    if problem.dataset is None:
        return None
    mode = (
        "SGD: every sample's gradient"
        if problem.mode == "sgd"
        else "full-batch GD: the summed gradient"
    )
    return f"{len(problem.dataset)} rows, {mode} must agree within each tie group"


def _condition_sentence(condition: Condition | None) -> str | None:
    if condition is None:
        return None
    if not condition.solved:
        return f"not solved ({condition.note.removeprefix('not solved: ')})."
    if not condition.branches:
        return "no data keeps the tie on the whole tied subspace."
    if condition.text == "always":
        return "the differences vanish for all data."
    remark = (
        "a measure-zero set of data (a proper analytic subset of data space), so data drawn "
        "from any density breaks the tie almost surely: the degenerate case"
        if condition.measure_zero
        else "not a measure-zero set"
    )
    extra = "".join(f" [{note}]" for note in condition.notes)
    if not condition.exact:
        extra += " [some branches may be missing]"
    return (
        "the tie persists from every point of the tied subspace exactly when "
        f"{condition.text}: {remark}.{extra}"
    )


def _stationary_sentence(result: ProofResult) -> str | None:
    if result.stationary is None:
        return None
    if result.stationary:
        return "the init is a stationary point: every gradient is 0 there, nothing moves."
    return "the init is not a stationary point: some gradient is nonzero there."


def _sign(value) -> int | None:
    if isinstance(value, sympy.Interval):
        if value.start > 0:
            return 1
        if value.end < 0:
            return -1
        return None
    if value.is_Rational:
        return 1 if value.is_positive else -1 if value.is_negative else 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number > 0) - int(number < 0)


def _optimizers_text(result: ProofResult) -> str:
    witness = result.witness
    if result.verdict == "proven":
        return f"Optimizers: {', '.join(result.optimizers)} (not: {NOT_COVERED})."
    if witness is None:
        return ""
    if witness.steps > 1:
        return (
            f"Optimizers: the witness is for {witness.steps} steps of plain gradient descent "
            "(or SGD on that data point)."
        )
    signs = {_sign(witness.gradients[n]) for n in witness.pair}
    text = (
        "Optimizers: GD, SGD, momentum and Nesterov move each parameter by -eta times its "
        "gradient at the first step, so the pair separates at once."
    )
    if None in signs or len(signs) > 1 or 0 in signs:
        return text + (
            " Adam, RMSProp and Adagrad move each by about -eta*sign(g) at the first step: "
            "the gradients have different signs, so they separate too."
        )
    return text + (
        " Adam, RMSProp and Adagrad move each by -eta*g/(|g| + eps) at the first step: "
        "with gradients of the same sign the two moves differ only by a term of order eps "
        "(with eps = 0 they would coincide for that step)."
    )


def _witness_lines(result: ProofResult) -> list[str]:
    problem, witness = result.problem, result.witness
    names = tuple(str(p) for p in problem.parameters)
    ties = tuple(tuple(str(p) for p in g) for g in problem.ties)
    lines = ["", "Witness (exact)"]
    lines.append(f"  point: {describe_point(witness.point, ties, names)}")
    if witness.init_values:
        values = ", ".join(f"{k} = {to_str(v)}" for k, v in witness.init_values.items())
        lines.append(f"  init symbols: {values}")
    if witness.integers:
        values = ", ".join(f"{k} = {to_str(v)}" for k, v in witness.integers.items())
        lines.append(f"  integers of the assumption branch: {values}")
    if witness.sample is not None:
        lines.append(f"  dataset sample: {witness.sample + 1}")
    if witness.instance:
        chosen = ", ".join(f"{k}(t) = {v}" for k, v in witness.instance.items())
        lines.append(f"  with the function {chosen}")
    for name in witness.pair:
        lines.append(
            f"  dJ/d{name} = {interval_text(witness.gradients[name]) if isinstance(witness.gradients[name], sympy.Interval) else short(witness.gradients[name])}"
        )
    difference = witness.difference
    shown = (
        interval_text(difference) if isinstance(difference, sympy.Interval) else short(difference)
    )
    lines.append(
        f"  difference = {shown}, nonzero by {witness.certified_by}"
        + (f", enclosure {witness.enclosure}" if witness.enclosure else "")
    )
    if witness.steps > 1:
        lines.append(
            f"  after {witness.steps} steps the pair differs (values after step {witness.steps} "
            "certified apart), for every small eta != 0"
        )
    elif witness.after_step:
        step = ", ".join(f"{k} = {short(v, 120)}" for k, v in witness.after_step.items())
        lines.append(
            f"  after one step with learning rate eta: {step} (different for every eta != 0)"
        )
    if witness.note:
        lines.append(f"  {witness.note}")
    return lines


def _gradient_lines(result: ProofResult) -> list[str]:
    lines = []
    if result.gradients:
        title = (
            "Gradients at the init:"
            if result.kind == "stationary"
            else "Gradients on the tied subspace"
        )
        lines += ["", title]
        for name, value in list(result.gradients.items())[:12]:
            lines.append(f"  dJ/d{name} = {short(tidy(value))}")
        if len(result.gradients) > 12:
            lines.append(f"  ... {len(result.gradients) - 12} more (--json has all)")
    if result.differences:
        lines += ["", "Difference on the tied subspace"]
        for name, value in list(result.differences.items())[:12]:
            first, second = name.split(" - ")
            lines.append(f"  dJ/d{first} - dJ/d{second} = {short(tidy(value))}")
        if len(result.differences) > 12:
            lines.append(f"  ... {len(result.differences) - 12} more pairs (--json has all)")
    return lines


def _problem_lines(problem) -> list[str]:
    lines = [f"Loss:        J = {short(problem.loss)}"]
    lines.append(f"Parameters:  {short(', '.join(map(str, problem.parameters)), 200)}")
    lines.append(f"Data:        {short(', '.join(map(str, problem.data)), 200) or '(none)'}")
    lines.append(f"Tie:         {short(problem.describe_tie(), 300)}")
    if problem.init:
        init = ", ".join(f"{k} = {to_str(v)}" for k, v in problem.init.items())
        lines.append(f"Init:        {short(init, 200)}")
    if problem.assumptions:
        lines.append(f"Assuming:    {', '.join(problem.assumptions.texts())}")
    dataset = _dataset_text(problem)
    if dataset:
        lines.append(f"Dataset:     {dataset}")
    return lines


@renders(ProofResult, "text")
def proof_to_text(result: ProofResult, timing: bool = True) -> str:
    problem = result.problem
    lines = [f"{result.verdict.upper()}: {headline(result)}", ""]
    lines += _problem_lines(problem)
    lines += _gradient_lines(result)
    if result.witness:
        lines += _witness_lines(result)
    condition = _condition_sentence(result.condition)
    if condition:
        lines += ["", f"Condition: {condition}"]
    elif result.verdict == "refuted" and problem.dataset is None and result.kind != "instance":
        lines += [
            "",
            "Condition: not solved (symgrad solves it when the differences are analytic in "
            "the parameters, within the budget).",
        ]
    stationary = _stationary_sentence(result)
    if stationary:
        lines.append(f"Stationary: {stationary}")
    optimizers = _optimizers_text(result)
    if optimizers:
        lines.append(optimizers)
    for note in result.notes:
        lines.append(f"Note: {note}")
    for item in result.evidence:
        lines.append(f"Evidence: {item}")
    lines.append(f"Certificate: {result.method}{_timing(result.elapsed_s, timing)}.")
    if result.certificate:
        lines.append(f"Re-checked: {result.certificate}.")
    return "\n".join(lines)


@renders(ProofResult, "dict")
def proof_to_dict(result: ProofResult) -> dict:
    problem = result.problem
    witness = result.witness
    return {
        "verdict": result.verdict,
        "claim": f"the tie {problem.describe_tie()} persists under gradient descent",
        "loss": printable(problem.loss),
        "parameters": [str(p) for p in problem.parameters],
        "data": [str(s) for s in problem.data],
        "ties": [[str(p) for p in group] for group in problem.ties],
        "init": {str(k): to_str(v) for k, v in problem.init.items()} if problem.init else None,
        "assumptions": problem.assumptions.texts(),
        "domain": [c.text for c in problem.domain],
        "dataset_rows": len(problem.dataset) if problem.dataset is not None else None,
        "mode": problem.mode if problem.dataset is not None else None,
        "gradients": {k: printable(tidy(v)) for k, v in result.gradients.items()}
        if result.gradients is not None
        else None,
        "differences": {k: printable(tidy(v)) for k, v in result.differences.items()},
        "condition": _condition_dict(result.condition),
        "witness": _witness_dict(witness) if witness else None,
        "stationary": result.stationary,
        "method": result.method,
        "certificate": result.certificate or None,
        "optimizers": list(result.optimizers),
        "not_covered": NOT_COVERED,
        "reason": result.reason or None,
        "evidence": list(result.evidence),
        "notes": list(result.notes),
        "summary": headline(result),
        "elapsed_s": result.elapsed_s,
    }


def _condition_dict(condition: Condition | None) -> dict | None:
    if condition is None:
        return None
    return {
        "text": condition.text,
        "measure_zero": condition.measure_zero,
        "exact": condition.exact,
        "solved": condition.solved,
        "branches": [
            {
                "equations": {to_str(a): to_str(b) for a, b in branch.equations},
                "conditions": [to_str(c) for c in branch.conditions],
                "integers": [str(n) for n in branch.integers],
            }
            for branch in condition.branches
        ],
        "notes": list(condition.notes),
    }


def _witness_dict(witness) -> dict:
    return {
        "pair": list(witness.pair),
        "point": {k: to_str(v) for k, v in witness.point.items()},
        "gradients": {k: to_str(v) for k, v in witness.gradients.items()},
        "difference": to_str(witness.difference),
        "after_step": {k: to_str(v) for k, v in witness.after_step.items()},
        "steps": witness.steps,
        "eta": to_str(witness.eta) if witness.eta is not None else None,
        "sample": witness.sample,
        "certified_by": witness.certified_by,
        "enclosure": witness.enclosure,
        "init_values": {k: to_str(v) for k, v in witness.init_values.items()},
        "integers": {k: to_str(v) for k, v in witness.integers.items()},
        "instance": dict(witness.instance) or None,
        "note": witness.note or None,
    }


def _condition_latex(condition: Condition) -> str:
    if not condition.solved:
        return r"\text{not solved}"
    if not condition.branches:
        return r"\text{never}"
    parts = []
    for branch in condition.branches:
        if not len(branch):
            return r"\text{always}"
        inner = [f"{latex(a)} = {latex(b)}" for a, b in branch.equations]
        inner += [latex(c) for c in branch.conditions]
        text = r" \wedge ".join(inner)
        if branch.integers:
            text += r" \text{ for an integer } " + ", ".join(latex(n) for n in branch.integers)
        parts.append(f"({text})" if len(inner) > 1 and len(condition.branches) > 1 else text)
    return r" \vee ".join(parts)


def latex_tie(problem) -> str:
    groups = [" = ".join(symbol_tex(p.name) for p in g) for g in problem.ties[:10]]
    more = r",\ \dots" if len(problem.ties) > 10 else ""
    return r",\quad ".join(groups) + more


@renders(ProofResult, "markdown")
def proof_to_markdown(result: ProofResult) -> str:
    problem = result.problem
    verdict = {"proven": "Proven", "refuted": "Refuted", "unknown": "Unknown"}[result.verdict]
    lines = [f"**{verdict}.** {_md_escape(headline(result))}", ""]
    lines.append(f"- Loss: $J = {latex(problem.loss)}$")
    lines.append(f"- Tie: ${latex_tie(problem)}$")
    if problem.init:
        init = ", ".join(
            f"{symbol_tex(k.name)} = {latex(v)}" for k, v in list(problem.init.items())[:20]
        )
        lines.append(f"- Init: ${init}$")
    if problem.assumptions:
        lines.append(f"- Assuming: {_md_escape(', '.join(problem.assumptions.texts()))}")
    dataset = _dataset_text(problem)
    if dataset:
        lines.append(f"- Dataset: {dataset}")
    if result.gradients:
        title = (
            "Gradients at the init"
            if result.kind == "stationary"
            else "Gradients on the tied subspace"
        )
        lines += ["", f"**{title}**", ""]
        for name, value in list(result.gradients.items())[:12]:
            lines.append(rf"- $\partial J/\partial {symbol_tex(name)} = {latex(value)}$")
    if result.differences:
        lines += ["", "**Difference on the tied subspace**", ""]
        for name, value in list(result.differences.items())[:12]:
            first, second = (symbol_tex(n) for n in name.split(" - "))
            lines.append(
                rf"- $\partial J/\partial {first} - \partial J/\partial {second} = {latex(value)}$"
            )
    witness = result.witness
    if witness:
        lines += ["", "**Witness**", ""]
        point = ", ".join(
            f"{symbol_tex(k)} = {latex(v)}" for k, v in list(witness.point.items())[:20]
        )
        lines.append(f"- point: ${point}$")
        for name in witness.pair:
            lines.append(
                rf"- $\partial J/\partial {symbol_tex(name)} {_md_value(witness.gradients[name])}$"
            )
        if witness.steps > 1:
            lines.append(f"- the pair separates at step {witness.steps} (eta = {witness.eta})")
        elif witness.after_step:
            step = ", ".join(
                f"{{{symbol_tex(k)}}}' = {latex(v)}" for k, v in witness.after_step.items()
            )
            lines.append(rf"- after one step: ${step}$, different for every $\eta \ne 0$")
        lines.append(f"- certified by {witness.certified_by}")
    if result.condition:
        sentence = _condition_sentence(result.condition) or ""
        lines += ["", f"**Condition.** ${_condition_latex(result.condition)}$"]
        if sentence:
            lines[-1] += " — " + _md_escape(sentence.split(":", 1)[-1].strip())
    stationary = _stationary_sentence(result)
    if stationary:
        lines += ["", f"**Stationary.** {stationary}"]
    optimizers = _optimizers_text(result)
    if optimizers:
        lines += ["", f"**{optimizers.split(':', 1)[0]}.**{optimizers.split(':', 1)[1]}"]
    for note in result.notes:
        lines += ["", f"*Note:* {_md_escape(note)}"]
    lines += ["", f"*Certificate:* {_md_escape(result.method)}."]
    if result.certificate:
        lines += ["", f"*Re-checked:* {_md_escape(result.certificate)}."]
    return "\n".join(lines)


def _md_value(value) -> str:
    if isinstance(value, sympy.Interval):
        return latex(value)
    return f"= {latex(value)}"


def _md_escape(text: str) -> str:
    """Plain text inside Markdown: no stray maths or emphasis."""
    for char in ("\\", "*", "_", "$", "`", "|"):
        text = text.replace(char, "\\" + char)
    return text


@renders(ProofResult, "latex")
def proof_to_latex(result: ProofResult) -> str:
    problem = result.problem
    rows = [r"J &= %s" % latex(problem.loss), r"\text{tie: } & %s" % latex_tie(problem)]
    for name, value in list(result.differences.items())[:12]:
        first, second = (symbol_tex(n) for n in name.split(" - "))
        rows.append(
            r"\frac{\partial J}{\partial %s} - \frac{\partial J}{\partial %s} &= %s"
            % (first, second, latex(value))
        )
    witness = result.witness
    if witness:
        for name in witness.pair:
            rows.append(
                r"\left.\frac{\partial J}{\partial %s}\right|_{\text{witness}} &%s"
                % (symbol_tex(name), _md_value(witness.gradients[name]))
            )
    if result.condition:
        rows.append(r"\text{persists iff } & %s" % _condition_latex(result.condition))
    lines = [
        r"\paragraph{%s.} %s" % (result.verdict.capitalize(), tex_escape(headline(result))),
        "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}",
    ]
    if witness:
        point = ", ".join(
            f"{symbol_tex(k)} = {latex(v)}" for k, v in list(witness.point.items())[:20]
        )
        lines.append(
            r"Witness point: $%s$, certified by %s." % (point, tex_escape(witness.certified_by))
        )
    for note in result.notes:
        lines.append(r"\emph{Note:} %s" % tex_escape(note))
    lines.append(r"Certificate: %s." % tex_escape(result.method))
    if result.certificate:
        lines.append(r"Re-checked: %s." % tex_escape(result.certificate))
    return "\n\n".join(lines)


# ---------------------------------------------------------------- check
def check_headline(result: CheckResult) -> str:
    names = ", ".join(str(p) for p in result.wrt)
    noun = "gradient" if result.is_matrix else "derivative"
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
        true = (
            "the true derivative differs"
            if result.hide_answer
            else f"dJ/d{w.parameter} = {short(w.true, 80)}"
        )
        if result.hide_answer:
            return f"INCORRECT: at {where} the claim gives {short(w.claimed, 80)}, and {true}."
        return f"INCORRECT: at {where} the claim gives {short(w.claimed, 80)} but {true}."
    return f"UNKNOWN: could not decide ({result.reason})."


@renders(CheckResult, "text")
def check_to_text(result: CheckResult, timing: bool = True) -> str:
    lines = [f"Understood: {result.understood}"]
    for reading in result.readings:
        lines.append(f"  ({reading})")
    lines.append(check_headline(result))
    if len(result.components) > 1:
        lines.append("Components:")
        for component in result.components:
            mark = {"correct": "ok", "incorrect": "WRONG", "unknown": "?"}[component.verdict]
            codes = f" [{', '.join(component.codes)}]" if component.codes else ""
            lines.append(f"  dJ/d{component.parameter}: {mark}{codes}")
    if result.diagnosis:
        lines.append("Diagnosis:")
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
        "witness": _check_witness_dict(result.witness, result.hide_answer),
        "diagnosis": list(result.diagnosis),
        "codes": list(result.codes),
        "components": [
            {
                "name": c.parameter,
                "verdict": c.verdict,
                "codes": list(c.codes),
                "diagnosis": list(c.diagnosis),
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


def _check_witness_dict(witness, hide: bool) -> dict | None:
    if witness is None:
        return None
    entry = {
        "point": {k: to_str(v) for k, v in witness.point.items()},
        "parameter": witness.parameter,
        "claimed": to_str(witness.claimed),
        "true": None if hide else to_str(witness.true),
        "certified_by": witness.certified_by,
    }
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
    lines = [f"**{result.verdict.capitalize()}.** {_md_escape(head)}", ""]
    if result.is_matrix:
        lines.append(f"- loss: $J = {result.tex[0]}$")
    for index, (p, d) in enumerate(zip(result.wrt, _derivatives(result))):
        name = symbol_tex(str(p))
        lines.append(rf"- claimed: $\partial J/\partial {name} = {_claim_tex(result, index)}$")
        if d is not None and not result.hide_answer:
            lines.append(rf"- true: $\partial J/\partial {name} = {latex(d)}$")
    lines += [f"- {_md_escape(item)}" for item in result.diagnosis]
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


# ---------------------------------------------------------------- derivations
MARKS = {"correct": "✓", "incorrect": "✗", "unknown": "?", "given": "·"}
TEX_MARKS = {
    "correct": r"\checkmark",
    "incorrect": r"\times",
    "unknown": r"\text{?}",
    "given": r"\text{given}",
}


def derivation_headline(result: DerivationResult) -> str:
    count = len({line.number for line in result.lines})
    if result.verdict == "correct":
        return f"CORRECT: every line of the derivation ({count} lines) is exactly right."
    if result.verdict == "incorrect":
        wrong = sorted({line.number for line in result.lines if line.verdict == "incorrect"})
        rest = f" (wrong lines: {', '.join(map(str, wrong))})" if len(wrong) > 1 else ""
        return f"INCORRECT: line {result.first_wrong} is the first wrong line{rest}."
    return "UNKNOWN: some lines could not be decided; no line was shown wrong."


def _line_verdict(line: DerivationLine) -> str:
    """What the line's mark means, in words."""
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
    if line.verdict == "correct" and line.method:
        text += f" ({line.method})"
    return text


def _line_witness(line: DerivationLine) -> list[str]:
    witness = line.witness
    if witness is None:
        return []
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


@renders(DerivationResult, "text")
def derivation_to_text(result: DerivationResult, timing: bool = True) -> str:
    lines = [derivation_headline(result) + _timing(result.elapsed_s, timing)]
    shown_numbers = set()
    for line in result.lines:
        label = f"{line.number:>3}" if line.number not in shown_numbers else "   "
        shown_numbers.add(line.number)
        body = line.text if label.strip() else f"= {line.expression}"
        lines.append(f"{label} {MARKS[line.verdict]} {short(body, 300)}")
        lines.append(f"        {_line_verdict(line)}")
        lines += [f"        {w}" for w in _line_witness(line)]
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
                "witness": _check_witness_dict(line.witness, False),
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
        elif line.kind == "definition" and line.verdict == "given":
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
            details = [_line_verdict(line), *_line_witness(line), *line.diagnosis]
            if line.note:
                details.append(line.note)
            if line.reason:
                details.append(line.reason)
            notes.append((line.number, "; ".join(details)))
    return notes


@renders(DerivationResult, "markdown")
def derivation_to_markdown(result: DerivationResult) -> str:
    head = derivation_headline(result)
    lines = [f"**{result.verdict.capitalize()}.** {_md_escape(head.split(': ', 1)[1])}", ""]
    lines.append(
        "$$\\begin{aligned}\n" + " \\\\\n".join(_derivation_rows(result)) + "\n\\end{aligned}$$"
    )
    for number, text in _derivation_notes(result):
        lines.append(f"- line {number}: {_md_escape(text)}")
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


# ---------------------------------------------------------------- grad
@renders(GradientResult, "text")
def gradient_to_text(result: GradientResult, timing: bool = True) -> str:
    lines = [f"J = {to_str(result.loss)}"]
    for name, value in result.gradients.items():
        line = f"dJ/d{name} = {short(value, 2000)}"
        if result.values is not None:
            line += f"   = {to_str(result.values[name])} at the point"
        lines.append(line)
    if result.point:
        lines.append("point: " + ", ".join(f"{k} = {to_str(v)}" for k, v in result.point.items()))
    if result.domain:
        lines.append(f"Domain: the loss is real where {' and '.join(result.domain)}.")
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


@renders(GradientResult, "dict")
def gradient_to_dict(result: GradientResult) -> dict:
    data = {
        "loss": to_str(result.loss),
        "wrt": [str(p) for p in result.wrt],
        "gradients": {k: to_str(v) for k, v in result.gradients.items()},
        "notes": list(result.notes),
        "domain": list(result.domain),
    }
    if result.values is not None:
        data["at"] = {k: to_str(v) for k, v in (result.point or {}).items()}
        data["values"] = {k: to_str(v) for k, v in result.values.items()}
    return data


@renders(GradientResult, "markdown")
def gradient_to_markdown(result: GradientResult) -> str:
    lines = [f"$J = {latex(result.loss)}$", ""]
    for name, value in result.gradients.items():
        line = rf"- $\partial J/\partial {symbol_tex(name)} = {latex(value)}$"
        if result.values is not None:
            line += f", value ${latex(result.values[name])}$"
        lines.append(line)
    for note in result.notes:
        lines.append(f"- *Note:* {_md_escape(note)}")
    return "\n".join(lines)


@renders(GradientResult, "latex")
def gradient_to_latex(result: GradientResult) -> str:
    rows = [
        r"\frac{\partial J}{\partial %s} &= %s" % (symbol_tex(n), latex(v))
        for n, v in result.gradients.items()
    ]
    if result.values is not None:
        rows += [
            r"\left.\frac{\partial J}{\partial %s}\right|_{\text{point}} &= %s"
            % (symbol_tex(n), latex(v))
            for n, v in result.values.items()
        ]
    return "\\begin{align*}\nJ &= %s \\\\\n%s\n\\end{align*}" % (
        latex(result.loss),
        " \\\\\n".join(rows),
    )


# ---------------------------------------------------------------- collapse
@renders(CollapseResult, "summary")
def _collapse_summary(result: CollapseResult) -> list[str]:
    if result.layer_lines:
        return list(result.layer_lines)
    lines = []
    for layer, (width, effective) in enumerate(zip(result.widths, result.effective_width), 1):
        label = result.names.get(str(layer), f"hidden layer {layer}")
        unit = "neurons"
        if effective == 1 and width > 1:
            lines.append(
                f"{label}: {width} {unit} behave as 1; the network trains like a width-1 "
                "network in this layer"
            )
        else:
            lines.append(f"{label}: {width} {unit} behave as {effective}")
    if result.stationary:
        lines.append("the init is a stationary point: nothing moves at all")
    return lines


def _collapse_headline(result: CollapseResult) -> str:
    if result.verdict != "proven":
        return f"{result.verdict.upper()}: {result.reason}"
    tied = [g for g in result.groups if len(g) > 1]
    if not tied and not result.pinned:
        return "PROVEN: no group of two or more parameters is proven to stay equal."
    pinned = len(result.pinned)
    extra = f"; {pinned} parameters never move" if pinned else ""
    return (
        f"PROVEN: {len(tied)} group{'s' if len(tied) != 1 else ''} of parameters "
        f"{'stay' if len(tied) != 1 else 'stays'} equal forever "
        f"({sum(len(g) for g in tied)} parameters in all){extra}."
    )


@renders(CollapseResult, "text")
def collapse_to_text(result: CollapseResult, timing: bool = True) -> str:
    lines = [_collapse_headline(result)]
    lines += [f"  {line}" for line in _collapse_summary(result)]
    tied = [g for g in result.groups if len(g) > 1]
    if tied and result.layer_lines:
        lines.append("Groups that stay equal, per tensor:")
        lines += [f"  {line}" for line in _per_tensor(tied)]
    elif tied:
        lines.append("Groups that stay equal:")
        for group in tied[:20]:
            value = result.pinned.get(group[0])
            pinned = f"   (all {to_str(value)}, forever)" if value is not None else ""
            lines.append(f"  {_compact(group) or short(' = '.join(group), 200)}{pinned}")
        if len(tied) > 20:
            lines.append(f"  ... {len(tied) - 20} more (--json has all)")
    singles = [
        name for name, _ in result.pinned.items() if all(name not in g or len(g) == 1 for g in tied)
    ]
    if singles:
        values = ", ".join(f"{n} = {to_str(result.pinned[n])}" for n in singles[:20])
        lines.append(f"Parameters that never move: {values}")
    if result.witnesses:
        lines.append("Pairs that start equal but separate:")
        shown = 5 if result.layer_lines else 12
        for witness in result.witnesses[:shown]:
            lines.append(f"  {_split_text(witness)}")
        if len(result.witnesses) > shown:
            lines.append(f"  ... {len(result.witnesses) - shown} more (--json has all)")
    for note in result.notes:
        lines.append(f"Note: {note}")
    lines.append(f"Certificate: {result.method}{_timing(result.elapsed_s, timing)}.")
    if result.certificate:
        lines.append(f"Re-checked: {result.certificate}.")
    return "\n".join(lines)


_ENTRY = re.compile(r"(.+)\[([\d, ]+)\]\Z")


def _per_tensor(groups) -> list[str]:
    """One line per tensor: how many groups, of which sizes, and the first one."""
    by_tensor: dict[str, list] = {}
    for group in groups:
        match = _ENTRY.match(group[0])
        by_tensor.setdefault(match.group(1) if match else group[0], []).append(group)
    lines = []
    for tensor, members in by_tensor.items():
        sizes = sorted({len(g) for g in members})
        size = (
            "-".join(str(s) for s in (sizes[0], sizes[-1]) if True) if len(sizes) > 1 else sizes[0]
        )
        first = _compact(members[0])
        if not first or ":" in first:
            first = f"{members[0][0]} = {members[0][1]} = ..."
        count = f"{len(members)} group{'s' if len(members) > 1 else ''}"
        lines.append(f"{tensor}: {count} of {size} equal entries, e.g. {first.split('   (')[0]}")
    return lines


def _compact(group) -> str:
    """Entries of one tensor that differ in one index over a range: ``fc1.weight[0..127, 3]``."""
    matches = [_ENTRY.match(name) for name in group]
    if len(group) < 4 or not all(matches) or len({m.group(1) for m in matches}) != 1:
        return ""
    indices = [tuple(int(i) for i in m.group(2).split(",")) for m in matches]
    varying = [k for k in range(len(indices[0])) if len({ix[k] for ix in indices}) > 1]
    tensor = matches[0].group(1)
    if len(varying) == 1:
        k = varying[0]
        values = sorted(ix[k] for ix in indices)
        if values == list(range(values[0], values[0] + len(values))):
            parts = [str(i) for i in indices[0]]
            parts[k] = f"{values[0]}..{values[-1]}"
            return f"{tensor}[{', '.join(parts)}]   ({len(group)} entries equal)"
    return f"{tensor}: {len(group)} entries equal ({group[0]}, {group[1]}, ...)"


def _split_text(witness) -> str:
    a, b = witness.pair
    if witness.point is None:
        return f"{a} / {b}: {witness.note}"
    values = " vs ".join(_gradient_text(v) for v in witness.gradients.values())
    first, second = witness.gradients.values()
    shown = [_gradient_text(v) for v in (first, second)]
    if shown[0] == shown[1] and isinstance(first - second, sympy.Rational):
        values += f" (they differ by {float(first - second):.3g})"
    if witness.steps == 1:
        return f"{a} / {b}: gradients {values} at the init ({witness.certified_by})"
    return (
        f"{a} / {b}: they separate at step {witness.steps} (eta = {witness.eta}; gradients "
        f"{values} after {witness.steps - 1} step{'s' if witness.steps > 2 else ''}; "
        f"{witness.certified_by})"
    )


def _gradient_text(value) -> str:
    """A witness gradient: exact when short, else its decimal value (--json has it exactly)."""
    if isinstance(value, sympy.Interval):
        return interval_text(value)
    text = short(value, 60)
    if isinstance(value, sympy.Rational) and len(text) > 24:
        return f"≈ {float(value):.6g} (exact rational in --json)"
    return text


def _name_tex(name: str) -> str:
    """LaTeX for a parameter name; module entries such as fc1.weight[3, 0] as typewriter text."""
    if "[" in name or "." in name:
        return r"\texttt{%s}" % tex_escape(name)
    return symbol_tex(name)


def _name_md(name: str) -> str:
    return f"`{name}`" if "[" in name or "." in name else f"${symbol_tex(name)}$"


@renders(CollapseResult, "dict")
def collapse_to_dict(result: CollapseResult) -> dict:
    return {
        "verdict": result.verdict,
        "groups": [list(g) for g in result.groups],
        "effective_width": result.effective_width,
        "widths": result.widths,
        "layers": {k: dict(v) for k, v in result.layers.items()},
        "pinned": {k: to_str(v) for k, v in result.pinned.items()},
        "method": result.method,
        "certificate": result.certificate or None,
        "stationary": result.stationary,
        "summary": _collapse_summary(result),
        "witnesses": [
            {
                "pair": list(w.pair),
                "point": {k: to_str(v) for k, v in w.point.items()} if w.point else None,
                "gradients": {k: to_str(v) for k, v in w.gradients.items()}
                if w.gradients
                else None,
                "steps": w.steps if w.point else None,
                "eta": to_str(w.eta) if w.eta is not None else None,
                "certified_by": w.certified_by,
                "note": w.note or None,
            }
            for w in result.witnesses
        ],
        "rounds": result.rounds,
        "model": result.model,
        "reason": result.reason or None,
        "notes": list(result.notes),
        "elapsed_s": result.elapsed_s,
    }


@renders(CollapseResult, "markdown")
def collapse_to_markdown(result: CollapseResult) -> str:
    lines = [f"**Collapse.** {_md_escape(_collapse_headline(result))}", ""]
    lines += [f"- {_md_escape(line)}" for line in _collapse_summary(result)]
    lines.append("")
    for group in [g for g in result.groups if len(g) > 1][:20]:
        lines.append(f"- {' = '.join(_name_md(n) for n in group[:12])}{_more(group, 12)}")
    for witness in result.witnesses[:12]:
        lines.append(f"- separates: {_md_escape(_split_text(witness))}")
    for note in result.notes:
        lines.append(f"- *Note:* {_md_escape(note)}")
    lines += ["", f"*Certificate:* {_md_escape(result.method)}."]
    if result.certificate:
        lines.append(f"*Re-checked:* {_md_escape(result.certificate)}.")
    return "\n".join(lines)


def _more(group, shown: int) -> str:
    return f" = … ({len(group)} entries; --json has all)" if len(group) > shown else ""


@renders(CollapseResult, "latex")
def collapse_to_latex(result: CollapseResult) -> str:
    rows = [
        " = ".join(_name_tex(n) for n in g[:12]) + (r" = \dots" if len(g) > 12 else "")
        for g in result.groups
        if len(g) > 1
    ][:20]
    body = [r"\paragraph{Collapse.} %s" % tex_escape(_collapse_headline(result))]
    if rows:
        body.append(
            "\\begin{align*}\n" + " \\\\\n".join(f"&{row}" for row in rows) + "\n\\end{align*}"
        )
    for line in _collapse_summary(result):
        body.append(tex_escape(line))
    body.append(r"Certificate: %s." % tex_escape(result.method))
    return "\n\n".join(body)


# ---------------------------------------------------------------- PyTorch models
def _model_headline(result: ModelProofResult) -> str:
    ties = (
        f"{result.groups} tie group{'s' if result.groups != 1 else ''} ({result.entries} entries)"
    )
    if result.verdict == "proven":
        return (
            f"PROVEN: all {ties} stay equal for every step, every input and target, under "
            f"{', '.join(result.optimizers[:-1])} or {result.optimizers[-1]}."
        )
    if result.verdict == "refuted":
        a, b = result.witness.pair
        when = (
            "after one SGD step"
            if result.witness.steps == 1
            else (f"within {result.witness.steps} SGD steps (eta = {result.witness.eta})")
        )
        return f"REFUTED: {a} and {b} start equal but separate {when} on the input below."
    return f"UNKNOWN: {result.reason}"


def _model_layer_lines(result: ModelProofResult) -> list[str]:
    return [
        f"{name}: {v['units']} {v['unit']}, behave as {v['effective_width']} ({v['argument']})"
        for name, v in result.layers.items()
    ]


@renders(ModelProofResult, "text")
def model_proof_to_text(result: ModelProofResult, timing: bool = True) -> str:
    lines = [_model_headline(result), f"Model: {result.model}", f"Init: {result.init}"]
    lines += [f"  {line}" for line in _model_layer_lines(result)]
    if result.witness is not None:
        lines.append(f"Witness: {_split_text(result.witness)}")
        lines.append(f"  input: {result.witness.point['input']} (--json has x and y exactly)")
    for note in result.notes:
        lines.append(f"Note: {note}")
    if result.method:
        lines.append(f"Certificate: {result.method}{_timing(result.elapsed_s, timing)}.")
    if result.certificate:
        lines.append(f"Re-checked: {result.certificate}.")
    return "\n".join(lines)


@renders(ModelProofResult, "dict")
def model_proof_to_dict(result: ModelProofResult) -> dict:
    witness = result.witness
    return {
        "verdict": result.verdict,
        "model": result.model,
        "init": result.init,
        "groups": result.groups,
        "entries": result.entries,
        "method": result.method or None,
        "layers": {k: dict(v) for k, v in result.layers.items()},
        "witness": None
        if witness is None
        else {
            "pair": list(witness.pair),
            "point": dict(witness.point),
            "gradients": {k: to_str(v) for k, v in witness.gradients.items()},
            "steps": witness.steps,
            "eta": to_str(witness.eta) if witness.eta is not None else None,
            "certified_by": witness.certified_by,
        },
        "reason": result.reason or None,
        "certificate": result.certificate or None,
        "optimizers": list(result.optimizers),
        "notes": list(result.notes),
        "elapsed_s": result.elapsed_s,
    }


@renders(ModelProofResult, "markdown")
def model_proof_to_markdown(result: ModelProofResult) -> str:
    lines = [
        f"**{_md_escape(_model_headline(result))}**",
        "",
        f"- model: {_md_escape(result.model)}",
        f"- init: {_md_escape(result.init)}",
    ]
    lines += [f"- {_md_escape(line)}" for line in _model_layer_lines(result)]
    if result.witness is not None:
        lines.append(f"- witness: {_md_escape(_split_text(result.witness))}")
    for note in result.notes:
        lines.append(f"- *Note:* {_md_escape(note)}")
    if result.method:
        lines += ["", f"*Certificate:* {_md_escape(result.method)}."]
    if result.certificate:
        lines.append(f"*Re-checked:* {_md_escape(result.certificate)}.")
    return "\n".join(lines)


@renders(ModelProofResult, "latex")
def model_proof_to_latex(result: ModelProofResult) -> str:
    body = [r"\paragraph{Ties of a PyTorch model.} %s" % tex_escape(_model_headline(result))]
    body += [tex_escape(line) for line in _model_layer_lines(result)]
    if result.witness is not None:
        a, b = result.witness.pair
        ga, gb = (result.witness.gradients[n] for n in (a, b))
        body.append(
            r"\[ \frac{\partial J}{\partial %s} %s, \qquad \frac{\partial J}{\partial %s} %s \]"
            % (_name_tex(a), _gradient_tex(ga), _name_tex(b), _gradient_tex(gb))
        )
    if result.method:
        body.append(r"Certificate: %s." % tex_escape(result.method))
    return "\n\n".join(body)


def _gradient_tex(value) -> str:
    if isinstance(value, sympy.Interval):
        return r"\in [%.6g, %.6g]" % (float(value.start), float(value.end))
    if isinstance(value, sympy.Rational) and len(str(value)) > 24:
        return r"\approx %.6g" % float(value)
    return "= " + latex(value)


# ---------------------------------------------------------------- symbolic sizes
@renders(ParametricResult, "headline")
def parametric_headline(result: ParametricResult) -> str:
    if result.verdict == "proven":
        return (
            f"Proven {result.scope}: identical neurons get identical gradients, so they stay "
            f"identical for every step ({result.method})."
        )
    if result.verdict == "refuted":
        return (
            f"Refuted: the tie breaks already for {result.instance}; it persists only when "
            f"{result.condition}."
        )
    return f"Unknown: {result.method}."


@renders(ParametricResult, "text")
def parametric_to_text(result: ParametricResult, timing: bool = True) -> str:
    lines = [
        f"{result.verdict.upper()}: {parametric_headline(result)}",
        "",
        f"Model: {result.model}",
        "Tie: " + "; ".join(result.ties),
        "",
        "General gradients on the tied subspace:",
    ]
    for name, value in result.gradients.items():
        lines.append(f"  dJ/d{name} = {short(value, 600)}")
    if result.differences:
        lines.append("Differences between two generic parameters of a family:")
        for name, value in result.differences.items():
            lines.append(f"  {name}: {short(value, 300)}")
    if result.condition:
        lines.append(f"Condition: the tie persists exactly {result.condition}.")
    if result.witness:
        lines.append(f"Witness ({result.instance}): {result.witness_summary}")
    for note in result.notes:
        lines.append(f"Note: {note}")
    lines.append(f"Certificate: {result.method}{_timing(result.elapsed_s, timing)}.")
    return "\n".join(lines)


@renders(ParametricResult, "dict")
def parametric_to_dict(result: ParametricResult) -> dict:
    condition = None
    if result.condition:
        condition = {"text": result.condition, "measure_zero": bool(result.measure_zero)}
    return {
        "verdict": result.verdict,
        "model": result.model,
        "scope": result.scope,
        "parameters": list(result.gradients),
        "ties": list(result.ties),
        "gradients": {k: str(v) for k, v in result.gradients.items()},
        "differences": {k: str(v) for k, v in result.differences.items()},
        "condition": condition,
        "witness": _witness_dict(result.witness) if result.witness else None,
        "instance": result.instance or None,
        "stationary": result.stationary,
        "method": result.method,
        "optimizers": list(result.optimizers) if result.verdict == "proven" else [],
        "notes": list(result.notes),
        "summary": parametric_headline(result),
        "elapsed_s": result.elapsed_s,
    }


@renders(ParametricResult, "markdown")
def parametric_to_markdown(result: ParametricResult) -> str:
    lines = [f"**{result.verdict.capitalize()}.** {_md_escape(parametric_headline(result))}", ""]
    for name, value in result.gradients.items():
        lines.append(rf"- $\partial J / \partial {_tex_name(name)} = {latex(value)}$")
    return "\n".join(lines)


def _tex_name(name: str) -> str:
    return name.replace("[", "_{").replace("]", "}").replace(" ", "")


@renders(ParametricResult, "latex")
def parametric_to_latex(result: ParametricResult) -> str:
    rows = [
        r"\frac{\partial J}{\partial %s} &= %s" % (_tex_name(name), latex(value))
        for name, value in result.gradients.items()
    ]
    head = r"\paragraph{%s.} %s" % (
        result.verdict.capitalize(),
        tex_escape(parametric_headline(result)),
    )
    if not rows:
        return head
    return head + "\n\n\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


# ---------------------------------------------------------------- simulate
def _selected(result: Trajectory) -> list[int]:
    count = len(result.steps)
    picks = sorted({0, count - 1, *(round(k * (count - 1) / 5) for k in range(1, 5))})
    return [p for p in picks if 0 <= p < count]


def _fmt(value: object) -> str:
    return f"{to_float(value):+.4f}"


@renders(Trajectory, "text")
def trajectory_to_text(result: Trajectory, timing: bool = True) -> str:
    index = {name: k for k, name in enumerate(result.parameters)}
    mode = "exact arithmetic" if result.exact else "floating point"
    lines = [f"{result.model}: full-batch GD on {result.rows} data rows, lr = {result.lr}, {mode}"]
    for layer_number, layer in enumerate(result.hidden, start=1):
        lines.append(f"hidden layer {layer_number}: incoming weights of each neuron")
        header = "step".rjust(6) + "".join(f"  neuron {j}".ljust(28) for j in range(len(layer)))
        lines.append(header)
        for pick in _selected(result):
            row = result.values[pick]
            cells = []
            for neuron in layer:
                weights = ", ".join(_fmt(row[index[name]]) for name in neuron[:3])
                cells.append(f"  [{weights}{', ...' if len(neuron) > 3 else ''}]".ljust(28))
            lines.append(str(result.steps[pick]).rjust(6) + "".join(cells))
    if not result.groups:
        lines.append("no tie groups: every parameter started with its own value")
        return "\n".join(lines)
    lines.append("largest difference within the init's tie groups:")
    for pick in _selected(result):
        exact_note = " (exactly equal)" if result.exactly_equal[pick] else ""
        lines.append(
            f"  step {result.steps[pick]:>6}: {result.max_difference[pick]:.3g}{exact_note}"
        )
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


@renders(Trajectory, "dict")
def trajectory_to_dict(result: Trajectory) -> dict:
    return {
        "model": result.model,
        "parameters": list(result.parameters),
        "groups": [list(g) for g in result.groups],
        "steps": list(result.steps),
        "values": [
            [to_str(v) if isinstance(v, sympy.Basic) else repr(v) for v in row]
            for row in result.values
        ],
        "max_difference": list(result.max_difference),
        "exactly_equal": list(result.exactly_equal),
        "lr": str(result.lr),
        "exact": result.exact,
        "rows": result.rows,
        "notes": list(result.notes),
    }


@renders(Trajectory, "markdown")
def trajectory_to_markdown(result: Trajectory) -> str:
    return "```\n" + trajectory_to_text(result) + "\n```"


@renders(Trajectory, "latex")
def trajectory_to_latex(result: Trajectory) -> str:
    return "\\begin{verbatim}\n" + trajectory_to_text(result) + "\n\\end{verbatim}"


@renders(Trajectory, "csv")
def trajectory_to_csv(result: Trajectory, path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", *result.parameters])
        for step, row in zip(result.steps, result.values):
            writer.writerow(
                [step, *(to_str(v) if isinstance(v, sympy.Basic) else repr(v) for v in row)]
            )


@renders(Trajectory, "png")
def trajectory_to_png(result: Trajectory, path) -> None:
    """One curve per incoming weight of each hidden neuron over the steps (needs matplotlib)."""
    from symgrad.errors import SymgradError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymgradError("plotting needs matplotlib: pip install 'symgrad[plot]'") from None
    index = {name: k for k, name in enumerate(result.parameters)}
    layers = result.hidden or (tuple((p,) for p in result.parameters),)
    what = "incoming weights of each hidden neuron" if result.hidden else "tracked entries"
    figure, axes = plt.subplots(1, len(layers), figsize=(8 * len(layers), 5), squeeze=False)
    for axis, layer in zip(axes[0], layers):
        for neuron in layer:
            for name in neuron:
                series = [to_float(row[index[name]]) for row in result.values]
                axis.plot(result.steps, series, label=name, linewidth=1.2, alpha=0.8)
        axis.set_xlabel("step")
        axis.set_ylabel("weight")
        model = result.model.split("(")[0]
        axis.set_title(f"{model}, init {result.init}: {what}")
        if sum(len(n) for n in layer) <= 16:
            axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(Path(path), dpi=100, format="png")
    plt.close(figure)


__all__ = ["headline", "check_headline"]


# ---------------------------------------------------------------- grade
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
                f"- **{code}** ({count}): a student wrote `{_md_code(answer)}` — {_md_escape(feedback)}"
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
