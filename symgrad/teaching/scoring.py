"""Points and feedback of a judged answer: all or nothing per component, or the key's rubric.

A component earns its points when it is correct. With a rubric (``[question.rubric]``,
diagnosis code -> points) a component whose mistakes are all in the rubric keeps the
smallest of their amounts, capped by the component's points (the worst mistake decides);
a mistake the rubric does not name earns nothing. A derivation with a wrong line is
incorrect with the code ``wrong_line`` even when its last line is right, so it earns the
rubric's amount for ``wrong_line`` (the smallest with its other mistakes), else nothing.

>>> from symgrad.teaching.key import Question
>>> q = Question("q", "(y - w*x)^2", ("w",), points=(3.0,), rubric={"constant_factor": 2})
>>> component_points(q, 0, {"verdict": "incorrect", "codes": ["constant_factor"]})
2.0
>>> component_points(q, 0, {"verdict": "incorrect", "codes": ["constant_factor", "sign_error"]})
0.0
>>> component_points(q, 0, {"verdict": "incorrect", "codes": ["wrong_line"]})
0.0
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from symgrad.results import GradedAnswer
from symgrad.teaching.answers import Answer
from symgrad.teaching.key import Question

NOT_DECIDED = "this answer could not be decided automatically; your teacher will look at it"


def component_points(question: Question, index: int, component: Mapping) -> float:
    """The points one component earns (see the module docstring)."""
    part = question.points[index]
    codes = list(component.get("codes") or ())
    if component.get("verdict") == "correct":
        return float(min([part, *(question.rubric[c] for c in codes if c in question.rubric)]))
    if not codes:
        return 0.0
    return float(min(part, *(question.rubric.get(c, 0.0) for c in codes)))


def fingerprint(answer: Answer, question: Question, hide: bool) -> str:
    """What a graded row depends on (the question as keyed, the answer's text and format,
    hidden answers or not): a resumed row is kept only when this is unchanged."""
    spec = json.dumps(
        [
            {k: v for k, v in vars(question).items()},
            list(answer.answer),
            answer.format or question.format,
            hide,
        ],
        sort_keys=True,
        default=lambda value: dict(value) if isinstance(value, Mapping) else str(value),
    )
    return hashlib.sha256(spec.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def graded_row(
    answer: Answer, question: Question, outcome: Mapping, stamp: str = ""
) -> GradedAnswer:
    """The graded row of ``answer`` from its judged ``outcome``."""
    components = outcome["components"]
    points = [component_points(question, i, c) for i, c in enumerate(components)]
    codes = [code for c in components for code in c["codes"]]
    return GradedAnswer(
        student=answer.student,
        question=question.id,
        verdict=outcome["verdict"],
        points=float(sum(points)),
        max_points=question.max_points,
        codes=tuple(dict.fromkeys(codes)),
        feedback=feedback_text(question, outcome),
        components=tuple(
            {
                "name": c["name"],
                "verdict": c["verdict"],
                "codes": list(c["codes"]),
                "points": p,
                "reading": str(c.get("reading") or ""),
            }
            for c, p in zip(components, points)
        ),
        answer=tuple(answer.answer),
        notes=tuple(outcome.get("notes") or ()),
        fingerprint=stamp,
    )


def feedback_text(question: Question, outcome: Mapping) -> str:
    """The feedback for the student: the teacher's sentence for a code where the key has one,
    symgrad's otherwise; a part's sentences joined by ``;`` and ended by a full stop, each
    part labelled when the question has several (``w: ...; ... . b: correct.``)."""
    components = outcome["components"]
    verdict = outcome["verdict"]
    if verdict == "correct":
        return _with_notes(question.feedback.get("correct", "correct"), outcome)
    if (
        verdict != "incorrect"
        and outcome.get("reason")
        and len({c["verdict"] for c in components}) == 1
    ):
        reason = outcome["reason"]
        if verdict in ("unknown", "timeout"):
            reason = f"{NOT_DECIDED} ({reason})"
        return _with_notes(question.feedback.get(verdict, reason), outcome)
    parts = []
    for c in components:
        texts = [question.feedback.get(code, text) for code, text in zip(c["codes"], c["feedback"])]
        texts += list(c["feedback"][len(c["codes"]) :])
        if c["verdict"] == "correct" and len(components) > 1:
            texts.append(question.feedback.get("correct", "correct"))
        if texts:
            label = f"{c['name']}: " if len(components) > 1 else ""
            parts.append(label + _sentence("; ".join(_without_stop(t) for t in texts)))
    return _with_notes(" ".join(parts), outcome)


def _without_stop(text: str) -> str:
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


def _sentence(text: str) -> str:
    """``text`` ending as a sentence does, so that the next part's label starts afresh."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _with_notes(text: str, outcome: Mapping) -> str:
    notes = outcome.get("notes") or ()
    return text + "".join(f" ({note}.)" for note in notes)


def with_override(row: GradedAnswer, points: float | None, comment: str) -> GradedAnswer:
    """``row`` with the teacher's points (None: symgrad's stay) and comment."""
    import dataclasses

    auto = row.auto_points
    final = auto if points is None else float(points)
    override = {"points": final, "comment": comment, "auto_points": auto}
    return dataclasses.replace(row, points=final, override=override)


def without_override(row: GradedAnswer) -> GradedAnswer:
    """``row`` as symgrad graded it."""
    import dataclasses

    if row.override is None:
        return row
    return dataclasses.replace(row, points=row.auto_points, override=None)


__all__ = [
    "component_points",
    "feedback_text",
    "fingerprint",
    "graded_row",
    "with_override",
    "without_override",
]
