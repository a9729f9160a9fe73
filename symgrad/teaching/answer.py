"""One answer to one question, judged: a claim per component, or a derivation.

Every answer is read on the path single ``check`` uses (:mod:`symgrad.teaching.reading`), under
the question's assumptions, constraints and definitions: one claim per component, a
derivation of several lines (or a one-line chain ``A = B = C``) line by line with its last
line checked against the question. The outcome is plain data (picklable, for workers and
Dask): a verdict, components with codes and feedback, the reading. A name the question does
not define is ``undefined_symbol`` (never ``incorrect``), an unreadable answer ``syntax``, a
spent budget ``timeout``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from symgrad.errors import BudgetError, SymgradError, UndefinedSymbolError

if TYPE_CHECKING:
    from symgrad.teaching.grade import Question


def grade_answer(
    question: Question, parts: Sequence[str], fmt: str, timeout: float, hide: bool
) -> dict:
    """Judge one answer; the outcome as plain data (picklable, for workers and Dask)."""
    from symgrad.teaching.line_by_line import check_derivation

    if len(parts) != len(question.wrt):
        return _outcome(
            question,
            "syntax",
            [("syntax",) for _ in question.wrt],
            f"expected {len(question.wrt)} component(s) separated by ';', got {len(parts)}",
        )
    derivation = None
    try:
        if len(parts) == 1 and len(question.wrt) == 1:
            parts = [_chain_as_derivation(parts[0], question.wrt[0], fmt == "latex")]
        if len(parts) == 1 and is_derivation(parts[0]):
            derivation = check_derivation(
                parts[0],
                loss=question.loss,
                shapes=question.shapes or None,
                functions=question.functions,
                latex_input=True if fmt == "latex" else None,
                timeout=timeout * 0.6,
                let=list(question.let) or None,
                assume=list(question.assume) or None,
                constraints=list(question.constraints) or None,
                hint=hide,
            )
            parts = [derivation.lines[-1].expression]
        latex = fmt == "latex" or bool(derivation and derivation.latex)
        lets = derivation.definitions if derivation is not None else ()
        result = _checked(question, parts, latex, timeout if derivation is None else timeout * 0.4,
                          hide, lets)  # fmt: skip
    except BudgetError as error:
        return _outcome(question, "timeout", [("timeout",) for _ in question.wrt], error.one_line())
    except SymgradError as error:
        if isinstance(error, UndefinedSymbolError) and (len(question.wrt) == 1 or derivation):
            return _outcome(
                question,
                "undefined_symbol",
                [("undefined_symbol",) for _ in question.wrt],
                _undefined_feedback(error),
            )
        if len(question.wrt) > 1 and derivation is None:
            return _by_component(question, parts, fmt == "latex", timeout, hide)
        return _outcome(question, "syntax", [("syntax",) for _ in question.wrt], error.one_line())
    if result.verdict == "unknown" and "time budget" in result.reason:
        return _outcome(question, "timeout", [("timeout",) for _ in question.wrt], result.reason)
    components = [_component_record(question, c) for c in result.components]
    if derivation is not None and derivation.first_wrong is not None:
        _add_derivation_feedback(components[0], derivation, question, hide)
    return {
        "verdict": result.verdict,
        "components": components,
        "understood": result.understood,
        "reason": result.reason,
    }


def _loss_for(question: Question, latex: bool):
    """The question's loss, read in the question's own format when the answer uses the other."""
    if (question.format == "latex") == latex or question.shapes:
        return question.loss
    from symgrad.teaching.check import strip_loss_prefix
    from symgrad.text.parse import read

    text, _ = strip_loss_prefix(question.loss)
    return read(text, question.functions, latex=question.format == "latex").expr


def _checked(question: Question, parts, latex: bool, timeout: float, hide: bool, lets=()):
    """The answer's claims checked against the question (``lets``: a derivation's own)."""
    from symgrad.teaching.check import check

    own = [(n, t) for n, t in lets if all(n != m for m, _ in question.let)]

    return check(
        _loss_for(question, latex),
        list(question.wrt),
        [p.strip() for p in parts],
        assume=list(question.assume) or None,
        functions=question.functions,
        latex_input=latex,
        timeout=timeout,
        hide_answer=hide,
        constraints=list(question.constraints) or None,
        shapes=question.shapes or None,
        up_to_factor=question.up_to_factor,
        let=[*question.let, *own] or None,
    )


def _component_record(question: Question, c) -> dict:
    return {
        "name": c.parameter,
        "verdict": c.verdict,
        "codes": list(c.codes),
        "feedback": [question.feedback.get(code, text) for code, text in zip(c.codes, c.diagnosis)]
        + list(c.diagnosis[len(c.codes) :]),
    }


def _by_component(question: Question, parts, latex: bool, timeout: float, hide: bool) -> dict:
    """Each component on its own, when one of them cannot be read (the others keep credit)."""
    components = []
    share = timeout / max(1, len(parts))
    for name, part in zip(question.wrt, parts):
        single = dataclasses.replace(
            question,
            wrt=(name,),
            points=(1.0,),
        )
        try:
            result = _checked(single, [part], latex, share, hide)
            components.append(_component_record(single, result.components[0]))
        except BudgetError as error:
            components.append(
                {
                    "name": name,
                    "verdict": "timeout",
                    "codes": ["timeout"],
                    "feedback": [error.one_line()],
                }  # fmt: skip
            )
        except SymgradError as error:
            undefined = isinstance(error, UndefinedSymbolError)
            kind = "undefined_symbol" if undefined else "syntax"
            text = _undefined_feedback(error) if undefined else error.one_line()
            components.append({"name": name, "verdict": kind, "codes": [kind], "feedback": [text]})
    verdicts = {c["verdict"] for c in components}
    verdict = next(
        (
            v
            for v in ("syntax", "undefined_symbol", "timeout", "incorrect", "unknown")
            if v in verdicts
        ),
        "correct",
    )
    return {"verdict": verdict, "components": components, "understood": "", "reason": ""}


def _chain_as_derivation(answer: str, wrt: str, latex: bool) -> str:
    """A one-line chain ``2x(wx - y) = 2wx^2 - 2xy`` (or ``dJ/dw = ... = ...``) is a short
    derivation: its first expression is the claimed derivative, each '=' a step."""
    from symgrad.teaching.line_by_line import _left_side, _top_level_equals

    if is_derivation(answer) or "=" not in answer:
        return answer
    parts = _top_level_equals(answer.replace("&", " "))
    if len(parts) < 2 or not all(parts):
        return answer
    try:
        kind, _, _ = _left_side(parts[0], latex)
    except SymgradError:
        kind = "expression"
    if kind == "derivative":
        if len(parts) == 2:
            return answer
        head, parts = parts[0], parts[1:]
    elif kind == "definition" and len(parts[0].split()) == 1 and not parts[0][0].isdigit():
        return answer  # 'J = ...' or 'p = ...': not a chain of the derivative
    else:
        head = rf"\frac{{\partial J}}{{\partial {wrt}}}" if latex else f"dJ/d{wrt}"
    rows = [f"{head} = {parts[0]}", *(f"= {part}" for part in parts[1:])]
    return (" \\\\ " if latex else "\n").join(rows)


def _undefined_feedback(error: UndefinedSymbolError) -> str:
    """For the student: which names the question does not define, and what to do."""
    names = list(error.names) or ["a name"]
    listed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    it = "them" if len(names) > 1 else "it"
    return (
        f"the answer uses {listed}, which the question does not define: write {it} out in "
        f"the question's names (or define {it} in a derivation with a line 'let ... = ...')"
    )


def is_derivation(answer: str) -> bool:
    """An answer of several lines (or LaTeX align rows) is a derivation, judged line by line
    (the rows of a ``cases`` block are one expression)."""
    from symgrad.teaching.line_by_line import protect_cases

    rows = [r for r in protect_cases(answer).replace("\\\\", "\n").split("\n") if r.strip()]
    return len(rows) > 1


def _add_derivation_feedback(
    component: dict, derivation, question: Question, hide: bool = False
) -> None:
    """Name the first wrong line of a derivation (code ``wrong_line``) in the feedback."""
    line = next(x for x in derivation.lines if x.number == derivation.first_wrong)
    detail = "; ".join(line.diagnosis) or "it does not follow from the line before"
    if hide:
        detail = (
            f"it does not follow ({', '.join(line.codes)})" if line.codes else "it does not follow"
        )
    sentence = f"line {line.number} of the derivation is wrong: {detail}"
    component["codes"] = [*component["codes"], "wrong_line"]
    component["feedback"] = [*component["feedback"], question.feedback.get("wrong_line", sentence)]


def _outcome(question: Question, verdict: str, codes, reason: str) -> dict:
    components = [
        {"name": name, "verdict": verdict, "codes": list(c), "feedback": [reason]}
        for name, c in zip(question.wrt, codes)
    ]
    return {"verdict": verdict, "components": components, "understood": "", "reason": reason}


__all__ = ["grade_answer", "is_derivation"]
