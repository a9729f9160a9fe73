"""One-line ``repr`` of every result, for a Python prompt: ``<ProofResult refuted: w0 = w1
breaks at step 1>``. ``str(result)`` and ``print(result)`` give the full text."""

from __future__ import annotations

from symgrad.results import (
    CheckResult,
    ClassReport,
    CollapseResult,
    Comparison,
    DerivationResult,
    GradedAnswer,
    GradientResult,
    ModelProofResult,
    ParametricResult,
    Trajectory,
    renders,
)
from symgrad.text.display import PRINT_NODES, printable

_SEPARATORS = (" = ", ", ", "; ", " ")


def short(expr: object, limit: int = 60) -> str:
    """``expr`` as text for a one-line repr, cut at a name boundary (never inside a name)
    with ``…``; ``str(result)`` has the whole text."""
    text = printable(expr, PRINT_NODES)
    if len(text) <= limit:
        return text
    head = text[:limit]
    for separator in _SEPARATORS:
        cut = head.rfind(separator)
        if cut > 0:
            return text[: cut + len(separator)].rstrip() + " …"
    return head + "…"


@renders(CheckResult, "repr")
def check_repr(result: CheckResult) -> str:
    names = ", ".join(f"dJ/d{p}" for p in result.wrt)
    if result.witness is not None and result.verdict == "incorrect":
        where = ", ".join(f"{k} = {v}" for k, v in list(result.witness.point.items())[:4])
        return f"<CheckResult incorrect: {short(names, 40)} differs at {short(where, 60)}>"
    almost = " almost everywhere" if result.almost_everywhere else ""
    return f"<CheckResult {result.verdict}{almost}: {short(names, 60)}>"


@renders(CollapseResult, "repr")
def collapse_repr(result: CollapseResult) -> str:
    width = ", ".join(f"{e} of {w}" for e, w in zip(result.effective_width, result.widths))
    widths = f", effective width {width}" if width else ""
    return f"<CollapseResult {result.verdict}: {len(result.groups)} groups{widths}>"


@renders(ModelProofResult, "repr")
def model_proof_repr(result: ModelProofResult) -> str:
    what = f"{result.groups} tie groups of {result.model}"
    if result.verdict == "refuted" and result.witness is not None:
        first, second = result.witness.pair
        what = f"{first} = {second} breaks at step {result.witness.steps}"
    return f"<ModelProofResult {result.verdict}: {short(what, 80)}>"


@renders(ParametricResult, "repr")
def parametric_repr(result: ParametricResult) -> str:
    return f"<ParametricResult {result.verdict}: {result.model}, {short(result.scope, 60)}>"


@renders(GradientResult, "repr")
def gradient_repr(result: GradientResult) -> str:
    names = ", ".join(f"dJ/d{p}" for p in result.wrt)
    return f"<GradientResult {short(names, 60)}{' at a point' if result.values else ''}>"


@renders(Trajectory, "repr")
def trajectory_repr(result: Trajectory) -> str:
    apart = sum(not equal for equal in result.exactly_equal)
    return (
        f"<Trajectory {result.model}: {len(result.steps) - 1} steps, {len(result.groups)} "
        f"groups, {apart} drifted apart>"
    )


@renders(Comparison, "repr")
def comparison_repr(result: Comparison) -> str:
    inits = " vs ".join(run.init for run in result.runs)
    return f"<Comparison {inits}: {result.runs[0].steps[-1]} steps each>"


@renders(GradedAnswer, "repr")
def graded_answer_repr(result: GradedAnswer) -> str:
    return (
        f"<GradedAnswer {result.student} {result.question} {result.verdict}: "
        f"{result.points:g} of {result.max_points:g}>"
    )


@renders(ClassReport, "repr")
def class_report_repr(result: ClassReport) -> str:
    return (
        f"<ClassReport {result.students} students, {result.graded} of {result.answers} answers "
        f"graded, mean {result.score_mean:.2f} of {result.max_total:g}>"
    )


@renders(DerivationResult, "repr")
def derivation_repr(result: DerivationResult) -> str:
    wrong = f", first wrong line {result.first_wrong}" if result.first_wrong else ""
    return f"<DerivationResult {result.verdict}: {len(result.lines)} lines{wrong}>"
