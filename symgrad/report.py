"""Rendering of results: plain text, Markdown (with $...$ maths), LaTeX and JSON-ready dicts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import sympy

if TYPE_CHECKING:
    from symgrad.prove import ProofResult

TEXT_LIMIT = 400
POINT_LIMIT = 14


TIDY_LIMIT = 3000


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """Pull common factors out of a small expression for display (``factor_terms``)."""
    if not isinstance(expr, sympy.Basic) or expr.is_number:
        return expr
    if len(printable(expr, PRINT_NODES)) > TIDY_LIMIT:
        return expr
    return sympy.factor_terms(expr)


PRINT_NODES = 5_000
JSON_NODES = 200_000


def printable(expr: object, max_nodes: int = JSON_NODES) -> str:
    """``str(expr)``, unless its printed tree is too large to print in reasonable time."""
    if isinstance(expr, sympy.Basic) and not expr.is_Atom:
        from symgrad.calculus import tree_size

        size = tree_size(expr, stop=max_nodes)
        if size > max_nodes:
            return f"<expression of more than {max_nodes} nodes, too large to print>"
    return str(expr)


def _prime(expr: sympy.Basic) -> sympy.Basic:
    """Show ``Subs(Derivative(sigma(xi), xi), xi, z)`` as ``sigma'(z)`` (display only)."""
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Subs):
        return expr

    def rename(node):
        inner = node.expr
        if (
            isinstance(inner, sympy.Derivative)
            and isinstance(inner.expr, sympy.core.function.AppliedUndef)
            and len(node.point) == 1
        ):
            order = "'" * inner.derivative_count
            return sympy.Function(f"{inner.expr.func.__name__}{order}")(node.point[0])
        return node

    return expr.replace(lambda e: isinstance(e, sympy.Subs), rename)


def short(expr: object, limit: int = TEXT_LIMIT) -> str:
    """``str(expr)``, cut to ``limit`` characters with a note of the full length."""
    text = printable(_prime(expr) if isinstance(expr, sympy.Basic) else expr, PRINT_NODES)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters; --json has all)"


_INDEXED = re.compile(r"([A-Za-z]+)(\d+)((?:_\d+)*)\Z")


def symbol_tex(name: str) -> str:
    """LaTeX for symgrad's names: W1_0_2 -> W^{(1)}_{0,2}, x0_1 -> x_{0,1}, w0 -> w_{0}."""
    match = _INDEXED.match(name)
    if not match:
        return sympy.latex(sympy.Symbol(name))
    stem, first, rest = match.groups()
    indices = [i for i in rest.split("_") if i]
    base = sympy.latex(sympy.Symbol(stem))
    if stem in ("W", "b") and indices:
        return f"{base}^{{({first})}}_{{{','.join(indices)}}}"
    return f"{base}_{{{','.join([first, *indices])}}}"


def latex(expr: object, limit: int = 4 * TEXT_LIMIT) -> str:
    if isinstance(expr, sympy.Basic) and printable(expr, PRINT_NODES).startswith("<"):
        return r"\text{(too large to print)}"
    if isinstance(expr, sympy.Basic):
        names = {s: symbol_tex(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
        text = sympy.latex(expr, symbol_names=names)
    else:
        text = str(expr)
    if len(text) > limit:
        return r"\text{(%d characters; see the JSON output)}" % len(text)
    return text


def describe_point(
    point: Mapping[str, object], ties: tuple[tuple[str, ...], ...], parameters: tuple[str, ...]
) -> str:
    """``w0 = w1 = 0 and x0 = 1, x1 = 2``: tied parameters grouped, data after 'and'."""
    parts = []
    done = set()
    for group in ties:
        value = point.get(group[0])
        if value is not None and all(str(point.get(p)) == str(value) for p in group):
            parts.append(" = ".join(group) + f" = {value}")
            done.update(group)
    for name in parameters:
        if name not in done and name in point:
            parts.append(f"{name} = {point[name]}")
    data = [f"{k} = {v}" for k, v in point.items() if k not in parameters]
    params_text = ", ".join(parts[:POINT_LIMIT]) + (" ..." if len(parts) > POINT_LIMIT else "")
    data_text = ", ".join(data[:POINT_LIMIT]) + (" ..." if len(data) > POINT_LIMIT else "")
    if data_text:
        return f"{params_text} and {data_text}"
    return params_text


def headline(result: ProofResult) -> str:
    """One sentence a person can read aloud."""
    problem = result.problem
    tie = problem.describe_tie()
    noun, verb = ("tie", "persists") if len(problem.ties) == 1 else ("ties", "persist")
    if len(tie) > 160:
        tie = f"({len(problem.ties)} groups, {sum(len(g) for g in problem.ties)} parameters)"
    if result.verdict == "proven":
        if result.stationary:
            return f"The {noun} {tie} {verb}: the init is a stationary point, nothing ever moves."
        scope = " for the given dataset" if problem.dataset is not None else " for all data"
        return f"The {noun} {tie} {verb} for every step{scope}: {result.method}."
    if result.verdict == "refuted":
        witness = result.witness
        names = tuple(str(p) for p in problem.parameters)
        ties = tuple(tuple(str(p) for p in g) for g in problem.ties)
        where = describe_point(witness.point, ties, names)
        values = " and ".join(short(witness.gradients[n], 80) for n in witness.pair)
        sample = f" (dataset row {witness.sample + 1})" if witness.sample is not None else ""
        if witness.steps == 2:
            return (
                f"The tie {witness.pair[0]} = {witness.pair[1]} breaks at step 2: from {where} "
                f"the gradients agree, but after one step (eta = 1/10) they are {values}."
            )
        return (
            f"The tie {witness.pair[0]} = {witness.pair[1]} breaks: at {where}{sample} "
            f"the gradients are {values}."
        )
    return f"Could not decide whether the {noun} {tie} {verb}: {result.reason}."


def _dataset_text(result: ProofResult) -> str | None:
    problem = result.problem
    if problem.dataset is None:
        return None
    mode = (
        "SGD: every sample's gradient"
        if problem.mode == "sgd"
        else ("full-batch GD: the summed gradient")
    )
    return f"{len(problem.dataset)} rows, {mode} must agree within each tie group"


def proof_to_dict(result: ProofResult) -> dict:
    problem = result.problem
    return {
        "verdict": result.verdict,
        "claim": f"the tie {problem.describe_tie()} persists under gradient descent",
        "loss": printable(problem.loss),
        "parameters": [str(p) for p in problem.parameters],
        "data": [str(s) for s in problem.data],
        "ties": [[str(p) for p in group] for group in problem.ties],
        "init": {str(k): str(v) for k, v in problem.init.items()} if problem.init else None,
        "assumptions": [f"{a} = {b}" for a, b in problem.equations]
        + [f"{s} {sign}" for s, sign in problem.signs.items()],
        "dataset_rows": len(problem.dataset) if problem.dataset is not None else None,
        "mode": problem.mode if problem.dataset is not None else None,
        "gradients": {k: printable(tidy(v)) for k, v in result.gradients.items()}
        if result.gradients is not None
        else None,
        "differences": {k: printable(tidy(v)) for k, v in result.differences.items()},
        "condition": result.condition.to_dict() if result.condition else None,
        "witness": result.witness.to_dict() if result.witness else None,
        "stationary": result.stationary,
        "method": result.method,
        "optimizers": list(result.optimizers),
        "not_covered": "dropout, noise injection and other per-coordinate randomness",
        "reason": result.reason or None,
        "evidence": list(result.evidence),
        "notes": list(result.notes),
        "summary": headline(result),
        "elapsed_s": result.elapsed_s,
    }


def _condition_sentence(result: ProofResult) -> str | None:
    condition = result.condition
    if condition is None:
        return None
    if not condition.branches:
        return "no data keeps the tie on the whole tied subspace."
    remark = (
        "a measure-zero set of data (a proper algebraic subset): pathological, as the seed "
        "says, so random data breaks the tie almost surely"
        if condition.measure_zero
        else "not a measure-zero set"
    )
    extra = f" [{condition.note}]" if condition.note else ""
    return f"the tie persists from every point of the tied subspace exactly when {condition.text}: {remark}.{extra}"


def _stationary_sentence(result: ProofResult) -> str | None:
    if result.stationary is None:
        return None
    if result.stationary:
        return "the init is a stationary point: every gradient is 0 there, nothing moves."
    return "the init is not a stationary point: some gradient is nonzero there."


def proof_to_text(result: ProofResult) -> str:
    problem = result.problem
    lines = [f"{result.verdict.upper()}: {headline(result)}", ""]
    lines.append(f"Loss:        J = {short(problem.loss)}")
    lines.append(f"Parameters:  {short(', '.join(map(str, problem.parameters)), 200)}")
    lines.append(f"Data:        {short(', '.join(map(str, problem.data)), 200) or '(none)'}")
    lines.append(f"Tie:         {short(problem.describe_tie(), 300)}")
    if problem.init:
        init = ", ".join(f"{k} = {v}" for k, v in problem.init.items())
        lines.append(f"Init:        {short(init, 200)}")
    if problem.equations or problem.signs:
        assumed = [f"{a} = {b}" for a, b in problem.equations] + [
            f"{s} {sign}" for s, sign in problem.signs.items()
        ]
        lines.append(f"Assuming:    {', '.join(assumed)}")
    dataset = _dataset_text(result)
    if dataset:
        lines.append(f"Dataset:     {dataset}")
    if result.gradients:
        lines += [
            "",
            "Gradients on the tied subspace" if not result.stationary else "Gradients at the init:",
        ]
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
    witness = result.witness
    if witness:
        lines += ["", "Witness (exact)"]
        names = tuple(str(p) for p in problem.parameters)
        ties = tuple(tuple(str(p) for p in g) for g in problem.ties)
        lines.append(f"  point: {describe_point(witness.point, ties, names)}")
        if witness.sample is not None:
            lines.append(f"  dataset sample: {witness.sample + 1}")
        for name in witness.pair:
            lines.append(f"  dJ/d{name} = {short(witness.gradients[name])}")
        lines.append(
            f"  difference = {short(witness.difference)}, nonzero by {witness.certified_by}"
            + (f", enclosure {witness.enclosure}" if witness.enclosure else "")
        )
        if witness.steps == 2:
            lines.append(
                "  after two steps the pair differs by -eta*(difference at the point after one "
                "step), nonzero for every small eta != 0"
            )
        else:
            step = ", ".join(f"{k} = {short(v, 120)}" for k, v in witness.after_step.items())
            lines.append(
                f"  after one step with learning rate eta: {step} (different for every eta != 0)"
            )
        if witness.note:
            lines.append(f"  {witness.note}")
    condition = _condition_sentence(result)
    if condition:
        lines += ["", f"Condition: {condition}"]
    elif result.verdict == "refuted" and problem.dataset is None:
        lines += [
            "",
            "Condition: not solved (symgrad solves it when the differences are rational "
            "functions of parameters and data, within the budget).",
        ]
    stationary = _stationary_sentence(result)
    if stationary:
        lines.append(f"Stationary: {stationary}")
    if result.verdict == "proven":
        lines.append(
            f"Optimizers: {', '.join(result.optimizers)} (not: dropout or noise injection)."
        )
    elif result.verdict == "refuted" and result.witness and result.witness.steps == 2:
        lines.append(
            "Optimizers: the witness is for two steps of plain gradient descent (or SGD "
            "on that data point)."
        )
    elif result.verdict == "refuted":
        lines.append(
            "Optimizers: the first step of GD, SGD, momentum, Nesterov, Adam, RMSProp and "
            "Adagrad is a strictly increasing function of the gradient, so each breaks the tie."
        )
    for note in result.notes:
        lines.append(f"Note: {note}")
    for item in result.evidence:
        lines.append(f"Evidence: {item}")
    lines.append(f"Certificate: {result.method} ({result.elapsed_s:.3f} s).")
    return "\n".join(lines)


def proof_to_markdown(result: ProofResult) -> str:
    problem = result.problem
    verdict = {"proven": "Proven", "refuted": "Refuted", "unknown": "Unknown"}[result.verdict]
    lines = [f"**{verdict}.** {headline(result)}", ""]
    lines.append(f"- Loss: $J = {latex(problem.loss)}$")
    lines.append(f"- Tie: ${latex_tie(problem)}$")
    if problem.init:
        init = ", ".join(
            f"{symbol_tex(k.name)} = {latex(v)}" for k, v in list(problem.init.items())[:20]
        )
        lines.append(f"- Init: ${init}$")
    dataset = _dataset_text(result)
    if dataset:
        lines.append(f"- Dataset: {dataset}")
    if result.gradients:
        title = "Gradients at the init" if result.stationary else "Gradients on the tied subspace"
        lines += ["", f"**{title}**", ""]
        for name, value in list(result.gradients.items())[:12]:
            lines.append(f"- $\\partial J/\\partial {symbol_tex(name)} = {latex(value)}$")
    if result.differences:
        lines += ["", "**Difference on the tied subspace**", ""]
        for name, value in list(result.differences.items())[:12]:
            first, second = (symbol_tex(n) for n in name.split(" - "))
            lines.append(
                f"- $\\partial J/\\partial {first} - \\partial J/\\partial {second} = {latex(value)}$"
            )
    witness = result.witness
    if witness:
        lines += ["", "**Witness**", ""]
        point = ", ".join(
            f"{symbol_tex(k)} = {sympy.latex(v)}" for k, v in list(witness.point.items())[:20]
        )
        lines.append(f"- point: ${point}$")
        for name in witness.pair:
            lines.append(
                f"- $\\partial J/\\partial {symbol_tex(name)} = {latex(witness.gradients[name])}$"
            )
        step = ", ".join(f"{symbol_tex(k)}' = {latex(v)}" for k, v in witness.after_step.items())
        lines.append(f"- after one step: ${step}$, different for every $\\eta \\ne 0$")
        lines.append(f"- certified by {witness.certified_by}")
    if result.condition:
        lines += [
            "",
            f"**Condition.** The tie persists on the whole tied subspace exactly when "
            f"${result.condition.latex()}$"
            + (" — a measure-zero set of data." if result.condition.measure_zero else "."),
        ]
    stationary = _stationary_sentence(result)
    if stationary:
        lines += ["", f"**Stationary.** {stationary}"]
    if result.verdict == "proven":
        lines += ["", f"**Optimizers covered.** {', '.join(result.optimizers)}."]
    for note in result.notes:
        lines += ["", f"*Note:* {note}"]
    lines += ["", f"*Certificate:* {result.method}."]
    return "\n".join(lines)


def latex_tie(problem) -> str:
    return r",\quad ".join(" = ".join(symbol_tex(p.name) for p in g) for g in problem.ties[:10])


def proof_to_latex(result: ProofResult) -> str:
    problem = result.problem
    lines = [
        r"\paragraph{%s.} %s" % (result.verdict.capitalize(), _tex_escape(headline(result))),
        r"\begin{align*}",
        r"J &= %s \\" % latex(problem.loss),
        r"\text{tie: } & %s" % latex_tie(problem),
    ]
    if result.differences:
        for name, value in list(result.differences.items())[:12]:
            first, second = (symbol_tex(n) for n in name.split(" - "))
            lines[-1] += r" \\"
            lines.append(
                r"\frac{\partial J}{\partial %s} - \frac{\partial J}{\partial %s} &= %s"
                % (first, second, latex(value))
            )
    if result.witness:
        for name in result.witness.pair:
            lines[-1] += r" \\"
            lines.append(
                r"\left.\frac{\partial J}{\partial %s}\right|_{\text{witness}} &= %s"
                % (symbol_tex(name), latex(result.witness.gradients[name]))
            )
    if result.condition:
        lines[-1] += r" \\"
        lines.append(r"\text{persists iff } & %s" % result.condition.latex())
    lines.append(r"\end{align*}")
    lines.append(r"Certificate: %s." % _tex_escape(result.method))
    return "\n".join(lines)


def _tex_escape(text: str) -> str:
    for char, replacement in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("#", r"\#"),
        ("$", r"\$"),
        ("^", r"\^{}"),
    ):
        text = text.replace(char, replacement)
    return text
