"""A tie verdict (:class:`~symgrad.results.ProofResult`) as text, Markdown, LaTeX and a JSON-ready dict."""

from __future__ import annotations

import sympy

from symgrad.exact.printing import to_str
from symgrad.render.common import NOT_COVERED, md_escape, timing_text
from symgrad.results import (
    Condition,
    ProofResult,
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
)


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


def _names(group) -> str:
    """``w0 and w1``, ``w0, w1 and w2``."""
    names = [str(p) for p in group]
    if len(names) > 6:
        return f"{', '.join(names[:3])}, ... and {names[-1]} ({len(names)} parameters)"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _who(problem) -> str:
    """The tied parameters in plain words: one group by name, several by count."""
    if len(problem.ties) == 1:
        return _names(problem.ties[0])
    return f"the parameters of each of the {len(problem.ties)} tie groups"


def _scope(problem) -> str:
    if problem.dataset is not None:
        return "the given dataset"
    if problem.assumptions:
        return f"any data with {', '.join(problem.assumptions.texts())}"
    return "any data"


def plain_sentence(result: ProofResult) -> str:
    """The verdict in plain words, before any precise term: what happens and why."""
    problem = result.problem
    if result.verdict == "refuted":
        return _plain_refuted(result)
    who = _who(problem)
    if result.verdict == "unknown":
        return f"symgrad could not decide whether {who} stay equal: {result.reason}."
    if result.stationary and result.kind == "stationary":
        return f"nothing ever moves: every gradient is 0 at the init, so {who} stay equal."
    if result.kind == "permutation":
        if "neuron" in result.method:
            why = "swapping neurons (each with all its weights) leaves the loss unchanged"
        elif len(problem.ties) == 1 and len(problem.ties[0]) == 2:
            why = "swapping them leaves the loss unchanged"
        else:
            why = "exchanging tied parameters leaves the loss unchanged"
    else:
        why = "whenever they are equal, their gradients are equal too"
    return f"{who} stay equal at every step, for {_scope(problem)}: {why}."


def _plain_refuted(result: ProofResult) -> str:
    problem, witness = result.problem, result.witness
    first, second = witness.pair
    names = tuple(str(p) for p in problem.parameters)
    ties = tuple(tuple(str(p) for p in g) for g in problem.ties)
    where = describe_point(witness.point, ties, names)
    where = where.replace(" and ", ", ", 1) if " and " in where else where
    values = " and ".join(interval_text(witness.gradients[n]) for n in witness.pair)
    if witness.sample is not None:
        where += f"; dataset row {witness.sample + 1}"
    if witness.instance:  # one function refutes "for every function": name it
        where += ", with " + ", ".join(f"{k}(t) = {v}" for k, v in witness.instance.items())
    if witness.steps > 1:
        done = witness.steps - 1
        return (
            f"{first} and {second} get equal gradients at first, but from {where}, after "
            f"{done} step{'s' if done > 1 else ''} with learning rate eta = {witness.eta} their "
            f"gradients are {values}, so gradient descent separates them at step {witness.steps}."
        )
    return (
        f"{first} and {second} get different gradients at the first step ({values} at "
        f"{where}), so gradient descent separates them{_plain_condition(result)}."
    )


def _plain_condition(result: ProofResult) -> str:
    """``; for them to stay equal from every equal start, every data point needs x0 = x1;
    random data almost surely does not``, or nothing when no data condition was solved.

    The condition is about every start on the tie (as the Condition line says): one start,
    such as an init, may keep the tie on more data, so the sentence carries that scope.
    """
    condition = result.condition
    if result.problem.dataset is not None or condition is None or not condition.solved:
        return ""
    if not condition.branches:
        return "; no data keeps them equal from every equal start"
    if condition.text == "always":
        return ""
    needs = (
        f"; for them to stay equal from every equal start, every data point needs {condition.text}"
    )
    if condition.measure_zero:
        return needs + "; random data almost surely does not"
    return needs


def _dataset_text(problem) -> str | None:
    if problem.dataset is None:
        return None
    mode = (
        "SGD: every sample's gradient"
        if problem.mode == "sgd"
        else "full-batch GD: the summed gradient"
    )
    return f"{len(problem.dataset)} rows, {mode} must agree within each tie group"


def condition_sentence(condition: Condition | None) -> str | None:
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


def stationary_sentence(result: ProofResult) -> str | None:
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


def optimizers_text(result: ProofResult) -> str:
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


def problem_lines(problem, limit: int = 200) -> list[str]:
    """Loss, parameters, data, tie, init, assumptions and dataset, each cut to about
    ``limit`` characters (the tie to 1.5 times that)."""
    lines = [f"Loss:        J = {short(problem.graph, max(limit, 120))}"]
    lines.append(f"Parameters:  {short(', '.join(map(str, problem.parameters)), limit)}")
    lines.append(f"Data:        {short(', '.join(map(str, problem.data)), limit) or '(none)'}")
    lines.append(f"Tie:         {short(problem.describe_tie(), limit * 3 // 2)}")
    if problem.init:
        init = ", ".join(f"{k} = {to_str(v)}" for k, v in problem.init.items())
        lines.append(f"Init:        {short(init, limit)}")
    if problem.assumptions:
        lines.append(f"Assuming:    {', '.join(problem.assumptions.texts())}")
    dataset = _dataset_text(problem)
    if dataset:
        lines.append(f"Dataset:     {dataset}")
    return lines


def _condition_lines(result: ProofResult) -> list[str]:
    condition = condition_sentence(result.condition)
    if condition:
        return ["", f"Condition: {condition}"]
    if result.verdict == "refuted" and result.problem.dataset is None and result.kind != "instance":
        return [
            "",
            "Condition: not solved (symgrad solves it when the differences are analytic in "
            "the parameters, within the budget).",
        ]
    return []


@renders(ProofResult, "text")
def proof_to_text(result: ProofResult, timing: bool = True) -> str:
    """Everything: the plain sentence, the problem, gradients, witness, condition,
    optimizers, notes, the certificate and its re-check (``-v``, ``str(result)``)."""
    lines = [f"{result.verdict.upper()}: {plain_sentence(result)}", ""]
    lines += problem_lines(result.problem)
    lines += _gradient_lines(result)
    if result.witness:
        lines += _witness_lines(result)
    lines += _condition_lines(result)
    stationary = stationary_sentence(result)
    if stationary:
        lines.append(f"Stationary: {stationary}")
    optimizers = optimizers_text(result)
    if optimizers:
        lines.append(optimizers)
    for note in result.notes:
        lines.append(f"Note: {note}")
    for item in result.evidence:
        lines.append(f"Evidence: {item}")
    lines.append(f"Certificate: {result.method}{timing_text(result.elapsed_s, timing)}.")
    if result.certificate:
        lines.append(f"Re-checked: {result.certificate}.")
    return "\n".join(lines)


@renders(ProofResult, "brief")
def proof_to_brief(result: ProofResult, timing: bool = True) -> str:
    """The default: the plain sentence, the problem, the gradients where the tie holds, the
    data condition in short, and how the verdict is backed in one line."""
    problem = result.problem
    lines = [f"{result.verdict.upper()}: {plain_sentence(result)}", ""]
    lines += problem_lines(problem, limit=80)
    lines += _brief_gradient_lines(result)
    lines.append("")
    brief = _brief_condition(result)
    if brief:
        lines.append(brief)
    for note in result.notes[:2]:
        lines.append(f"Note: {note}")
    if len(result.notes) > 2:
        lines.append(f"Note: ... {len(result.notes) - 2} more (-v shows them)")
    lines.append(_backing_line(result, timing))
    return "\n".join(lines)


@renders(ProofResult, "repr")
def proof_repr(result: ProofResult) -> str:
    """``<ProofResult refuted: w0 = w1 breaks at step 1>``."""
    from symgrad.render.reprs import short as at_a_name

    tie = at_a_name(result.problem.describe_tie(), 60)
    if result.verdict == "refuted":
        first, second = result.witness.pair
        what = f"{first} = {second} breaks at step {result.witness.steps}"
    elif result.verdict == "proven":
        what = f"{tie} holds at every step"
    else:
        what = f"{tie} undecided"
    return f"<ProofResult {result.verdict}: {what}>"


def _brief_gradient_lines(result: ProofResult) -> list[str]:
    if not result.gradients or result.kind == "stationary":
        return []
    tie = result.problem.describe_tie()
    where = f"where {tie}" if len(tie) <= 40 else "where tied parameters are equal"
    lines = ["", f"Gradients {where} (the tied subspace)"]
    shown = 6 if len(result.problem.ties) == 1 else 3
    for name, value in list(result.gradients.items())[:shown]:
        lines.append(f"  dJ/d{name} = {short(tidy(value))}")
    if len(result.gradients) > shown:
        lines.append(f"  ... {len(result.gradients) - shown} more (-v or --json shows them)")
    return lines


def _brief_condition(result: ProofResult) -> str:
    condition = result.condition
    if condition is None or result.problem.dataset is not None:
        return ""
    if not condition.solved:
        if "time budget" in condition.note:  # said, never dropped silently
            return (
                "Note: the data condition was not solved within the time budget (raise --timeout)."
            )
        return ""
    if not condition.branches or condition.text == "always":
        return ""
    size = "a measure-zero set of data" if condition.measure_zero else "not a measure-zero set"
    return f"Condition: from every start on the tie, it survives exactly when {condition.text} ({size})."


def _backing_line(result: ProofResult, timing: bool) -> str:
    backed = {
        "proven": "an exact identity",
        "refuted": "an exact counterexample",
    }.get(result.verdict)
    took = timing_text(result.elapsed_s, timing).strip()
    if backed is None:
        return f"Took {took or 'the whole budget'}; -v shows the evidence gathered."
    return (
        f"How we know: {backed}, re-checked independently{' ' + took if took else ''}; "
        "-v shows the certificate, 'symgrad explain' the terms."
    )


@renders(ProofResult, "dict")
def proof_to_dict(result: ProofResult) -> dict:
    problem = result.problem
    witness = result.witness
    return {
        "verdict": result.verdict,
        "claim": f"the tie {problem.describe_tie()} persists under gradient descent",
        "loss": printable(problem.graph),
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
        "witness": witness_dict(witness) if witness else None,
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


def witness_dict(witness) -> dict:
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
    # plain words first (as in the text); the document keeps the precise headline too
    lines = [f"**{verdict}.** {md_escape(plain_sentence(result))}", ""]
    lines += [md_escape(headline(result)), ""]
    lines.append(f"- Loss: $J = {latex(problem.graph)}$")
    lines.append(f"- Tie: ${latex_tie(problem)}$")
    if problem.init:
        init = ", ".join(
            f"{symbol_tex(k.name)} = {latex(v)}" for k, v in list(problem.init.items())[:20]
        )
        lines.append(f"- Init: ${init}$")
    if problem.assumptions:
        lines.append(f"- Assuming: {md_escape(', '.join(problem.assumptions.texts()))}")
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
        sentence = condition_sentence(result.condition) or ""
        lines += ["", f"**Condition.** ${_condition_latex(result.condition)}$"]
        if sentence:
            lines[-1] += " — " + md_escape(sentence.split(":", 1)[-1].strip())
    stationary = stationary_sentence(result)
    if stationary:
        lines += ["", f"**Stationary.** {stationary}"]
    optimizers = optimizers_text(result)
    if optimizers:
        lines += ["", f"**{optimizers.split(':', 1)[0]}.**{optimizers.split(':', 1)[1]}"]
    for note in result.notes:
        lines += ["", f"*Note:* {md_escape(note)}"]
    lines += ["", f"*Certificate:* {md_escape(result.method)}."]
    if result.certificate:
        lines += ["", f"*Re-checked:* {md_escape(result.certificate)}."]
    return "\n".join(lines)


def _md_value(value) -> str:
    if isinstance(value, sympy.Interval):
        return latex(value)
    return f"= {latex(value)}"


@renders(ProofResult, "latex")
def proof_to_latex(result: ProofResult) -> str:
    problem = result.problem
    rows = [r"J &= %s" % latex(problem.graph), r"\text{tie: } & %s" % latex_tie(problem)]
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
