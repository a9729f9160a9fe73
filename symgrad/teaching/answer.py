"""One answer to one question, judged: a claim per component, or a derivation.

Every answer is read on the path single ``check`` uses (:mod:`symgrad.teaching.reading`), under
the question's assumptions, constraints and definitions: one claim per component, a
derivation of several lines (or a one-line chain ``A = B = C``) line by line with its last
line checked against the question; a derivation (or one line) that names its parts
(``dJ/dw = ...``, ``dJ/db = ...``) is judged part by part. LaTeX pasted into a text
question is read as LaTeX, and the feedback says so.

What cannot be judged as mathematics has its own verdict and code, never ``incorrect``:
``blank`` (no answer), ``too_long``, ``unreadable`` (with the reason, in words for a
student), ``undefined_symbol`` (a name the question does not define), ``wrong_shape``
(the wrong number of parts, or a matrix of the wrong shape), and ``timeout``. The outcome
is plain data (picklable, for workers and Dask).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from symgrad.errors import BudgetError, ParseError, SymgradError, UndefinedSymbolError
from symgrad.exact.printing import to_str
from symgrad.teaching.answer_forms import (
    MAX_CLAIM,
    MAX_DERIVATION,
    derivative_named,
    for_students,
    is_blank,
    is_derivation,
    looks_like_latex,
    named_parts,
    part_names,
    unwrap_latex,
)

if TYPE_CHECKING:
    from symgrad.teaching.key import Question

#: a row's verdict when its parts differ: the first of these that a part has
PRECEDENCE = (
    "blank", "too_long", "unreadable", "wrong_shape", "undefined_symbol", "timeout",
    "incorrect", "unknown",
)  # fmt: skip
READ_AS_LATEX = "your answer was read as LaTeX"


def grade_answer(
    question: Question, parts: Sequence[str], fmt: str, timeout: float, hide: bool
) -> dict:
    """Judge one answer; the outcome as plain data (picklable, for workers and Dask)."""
    parts = [str(p) for p in parts]
    if all(is_blank(p) for p in parts):
        return outcome_of(question, "blank", "no answer was given")
    longest = max(len(p) for p in parts)
    if longest > MAX_DERIVATION or (longest > MAX_CLAIM and not any(map(is_derivation, parts))):
        limit = MAX_DERIVATION if longest > MAX_DERIVATION else MAX_CLAIM
        return outcome_of(
            question, "too_long", f"the answer has {longest} characters; at most {limit} are read"
        )
    if fmt == "text" and any(looks_like_latex(p) for p in parts):
        outcome = _judge(question, [unwrap_latex(p) for p in parts], "latex", timeout, hide)
        if not _unread(outcome):
            if any(c.get("reading") for c in outcome["components"]):
                outcome["notes"] = [READ_AS_LATEX]
            return outcome
        plain = _judge(question, parts, "text", timeout, hide)
        return outcome if _unread(plain) else plain
    return _judge(question, parts, fmt, timeout, hide)


def _unread(outcome: dict) -> bool:
    return all(c["verdict"] in ("unreadable", "blank") for c in outcome["components"])


def _judge(question: Question, parts: list[str], fmt: str, timeout: float, hide: bool) -> dict:
    """The answer's parts judged as the question asks: one per component (reordered when
    they name their parameters), or one answer that names its parts."""
    latex = fmt == "latex"
    if len(parts) != len(question.wrt):
        named = named_parts(parts[0], question.wrt, latex) if len(parts) == 1 else None
        if named is None:
            return outcome_of(question, "wrong_shape", _shape_reason(question, parts, latex))
        return _by_component(question, [named.get(w, "") for w in question.wrt], fmt, timeout, hide)
    parts = _in_order(parts, question.wrt, latex)
    if any(is_blank(p) for p in parts) and len(parts) > 1:
        return _by_component(question, parts, fmt, timeout, hide)
    return _whole(question, parts, fmt, timeout, hide)


def _shape_reason(question: Question, parts: list[str], latex: bool) -> str:
    """Why the answer's parts are not the question's: a part named twice, not at all, or
    not asked for; else how many parts there are."""
    asked = "; ".join(f"dJ/d{w}" for w in question.wrt)
    expected = f"the question asks for {len(question.wrt)} part(s) ({asked})"
    names = part_names(parts[0], latex) if len(parts) == 1 else []
    if not names:
        return f"{expected} separated by ';', the answer has {len(parts)}"
    said = [f"it names dJ/d{n} twice" for n in dict.fromkeys(names) if names.count(n) > 1]
    said += [f"it names dJ/d{n}, which is not asked for" for n in dict.fromkeys(names)
             if n not in question.wrt]  # fmt: skip
    said += [f"dJ/d{w} is missing" for w in question.wrt if w not in names]
    return f"{'; '.join(said)}: {expected}, each named once"


def _in_order(parts: list[str], wrt: Sequence[str], latex: bool) -> list[str]:
    """Parts that each name their parameter (``dJ/db = ...; dJ/dw = ...``), in ``wrt``'s order."""
    if len(parts) < 2:
        return parts
    names = [derivative_named(p, latex) for p in parts]
    if None in names or sorted(names) != sorted(wrt) or names == list(wrt):
        return parts
    by_name = dict(zip(names, parts))
    return [by_name[w] for w in wrt]


def _whole(question: Question, parts: list[str], fmt: str, timeout: float, hide: bool) -> dict:
    """All components at once (one derivation, or one claim per component)."""
    from symgrad.teaching.line_by_line import check_derivation

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
        return outcome_of(question, "timeout", error.one_line())
    except SymgradError as error:
        if len(question.wrt) > 1 and derivation is None and not isinstance(error, BudgetError):
            return _by_component(question, parts, fmt, timeout, hide)
        verdict, reason = reading_verdict(error)
        return outcome_of(question, verdict, reason)
    if result.verdict == "unknown" and "time budget" in result.reason:
        return outcome_of(question, "timeout", result.reason)
    components = [_component_record(question, c) for c in result.components]
    verdict = result.verdict
    if derivation is not None and derivation.first_wrong is not None:
        _add_derivation_feedback(components[0], derivation, question, hide)
        verdict = "incorrect"  # as `check --derivation`: a wrong line makes it incorrect
    return {
        "verdict": verdict,
        "components": components,
        "understood": result.understood,
        "reason": result.reason,
    }


def reading_verdict(error: SymgradError) -> tuple[str, str]:
    """(verdict, reason for the student) of an answer that could not be read: ``too_long``
    when its text is over a length limit (characters, lines, parts, terms, digits typed:
    ``error.limit == "length"``), ``unreadable`` with the reason otherwise (a value too
    large such as ``9**9**9**9``, brackets nested too deep, a syntax error)."""
    from symgrad.teaching.matrices import ShapeError

    if isinstance(error, UndefinedSymbolError):
        return "undefined_symbol", _undefined_feedback(error)
    if isinstance(error, ShapeError):
        return "wrong_shape", for_students(error.one_line())
    message = error.message if isinstance(error, ParseError) else error.one_line()
    if error.limit == "length":
        return "too_long", for_students(error.one_line())
    if "empty expression" in message or "is empty" in message:
        return "blank", "no answer was given"
    return "unreadable", for_students(error.one_line())


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
        "reading": to_str(c.claim)[:2000],
    }


def _by_component(question: Question, parts, fmt: str, timeout: float, hide: bool) -> dict:
    """Each component on its own (one unreadable or blank part keeps the others' credit)."""
    components = []
    share = timeout / max(1, len(parts))
    for name, part in zip(question.wrt, parts):
        single = dataclasses.replace(question, wrt=(name,), points=(1.0,))
        if is_blank(part):
            components.append(_reading_component(name, "blank", "no answer was given"))
            continue
        outcome = _whole(single, [part], fmt, share, hide)
        components.append(outcome["components"][0])
    verdicts = {c["verdict"] for c in components}
    verdict = next((v for v in PRECEDENCE if v in verdicts), "correct")
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


def _add_derivation_feedback(
    component: dict, derivation, question: Question, hide: bool = False
) -> None:
    """Name the first wrong line of a derivation (code ``wrong_line``) in the feedback; a
    derivation with a wrong line is ``incorrect`` even when its last line is right (as
    ``check --derivation`` says), so the part earns what the rubric gives ``wrong_line``
    (and its other mistakes), nothing without one."""
    line = next(x for x in derivation.lines if x.number == derivation.first_wrong)
    detail = "; ".join(line.diagnosis) or "it does not follow from the line before"
    if hide:
        detail = (
            f"it does not follow ({', '.join(line.codes)})" if line.codes else "it does not follow"
        )
    sentence = f"line {line.number} of the derivation is wrong: {detail}"
    if component["verdict"] == "correct":
        sentence = f"the last line is the right derivative, but {sentence}"
        component["verdict"] = "incorrect"
    component["codes"] = [*component["codes"], "wrong_line"]
    component["feedback"] = [*component["feedback"], question.feedback.get("wrong_line", sentence)]


def _reading_component(name: str, verdict: str, reason: str) -> dict:
    codes = [] if verdict == "unknown" else [verdict]
    return {"name": name, "verdict": verdict, "codes": codes, "feedback": [reason], "reading": ""}


def outcome_of(question: Question, verdict: str, reason: str) -> dict:
    """Every component with the same verdict (and that verdict as its code)."""
    components = [_reading_component(name, verdict, reason) for name in question.wrt]
    return {"verdict": verdict, "components": components, "understood": "", "reason": reason}


__all__ = ["PRECEDENCE", "grade_answer", "is_derivation", "outcome_of", "reading_verdict"]
