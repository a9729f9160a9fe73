"""The key of a graded exercise: its questions, read from TOML and checked before any grading.

A key lists ``[[question]]`` tables: the loss, the parameters to differentiate by
(``wrt``), optional assumptions, declared functions, data constraints, definitions
(``let``), points per component, the input format, the teacher's sentences per
diagnosis code (``[question.feedback]``) and a rubric (``[question.rubric]``: points a
component still earns when its mistake is that code, capped by the component's points;
without a rubric grading is all or nothing per component).

Every question is checked once with a zero claim before any answer is graded, so a bad
key is one line and exit 2; that check shares the run's time budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from symgrad.errors import BudgetError, ProblemError, SymgradError
from symgrad.runtime.budget import Budget
from symgrad.teaching.codes import FEEDBACK_CODES, RUBRIC_CODES, unknown_code_message
from symgrad.teaching.files import quote, read_text

MAX_QUESTIONS = 1_000
MAX_POINTS = 1e6
VALIDATION_CAP = 30.0
FIELDS = frozenset(
    {
        "id", "loss", "wrt", "assume", "functions", "constraints", "points", "format",
        "feedback", "shapes", "up_to_factor", "let", "rubric",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Question:
    """One question of the key."""

    id: str
    loss: str
    wrt: tuple[str, ...]
    assume: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    points: tuple[float, ...] = ()
    format: str = "text"
    feedback: Mapping[str, str] = field(default_factory=dict)
    shapes: tuple[str, ...] = ()
    up_to_factor: bool = False
    let: tuple[tuple[str, str], ...] = ()
    rubric: Mapping[str, float] = field(default_factory=dict)

    @property
    def max_points(self) -> float:
        return float(sum(self.points))


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ProblemError(f"{where} must be text or a list of texts")


def _identifier(value: object, number: int) -> str:
    """A question id: text or a whole number, one line."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProblemError(f"key: question {number}: id must be text, not {type(value).__name__}")
    text = str(value).strip()
    if not text or len(text) > 100 or any(ch in text for ch in "\r\n\t\x00"):
        raise ProblemError(f"key: question {number}: id must be one line of 1 to 100 characters")
    return text


def _points(value: object, wrt: tuple[str, ...], qid: str) -> tuple[float, ...]:
    if isinstance(value, bool) or not isinstance(value, (int, float, list)):
        raise ProblemError(f"key: question {qid!r}: points must be a number or a list")
    points = value if isinstance(value, list) else [value] * len(wrt)
    if len(points) != len(wrt) or not all(_amount(p) for p in points):
        raise ProblemError(
            f"key: question {qid!r}: points must be one number from 0 to 1e6 per component"
        )
    return tuple(float(p) for p in points)


def _amount(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= MAX_POINTS
    )


def _rubric(value: object, qid: str) -> dict[str, float]:
    """``[question.rubric]``: diagnosis code -> points a component keeps with that mistake."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ProblemError(f"key: question {qid!r}: rubric maps diagnosis codes to points")
    rubric = {}
    for code, points in value.items():
        if not isinstance(code, str) or not code.replace("_", "").isalnum() or len(code) > 60:
            raise ProblemError(f"key: question {qid!r}: rubric code {quote(code)} is not a code")
        if code not in RUBRIC_CODES:
            message = unknown_code_message(code, RUBRIC_CODES)
            raise ProblemError(f"key: question {qid!r}: rubric code {message}")
        if not _amount(points):
            raise ProblemError(
                f"key: question {qid!r}: rubric {code} must be a number of points from 0 to 1e6"
            )
        rubric[code] = float(points)
    return rubric


def _question(entry: object, number: int) -> Question:
    if not isinstance(entry, Mapping):
        raise ProblemError(f"key: question {number} is not a table")
    unknown = sorted(str(name) for name in set(entry) - FIELDS)
    if unknown:
        raise ProblemError(f"key: question {number} has unknown field(s) {', '.join(unknown)}")
    for required in ("id", "loss", "wrt"):
        if required not in entry:
            raise ProblemError(f"key: question {number} has no {required!r}")
    qid = _identifier(entry["id"], number)
    if not isinstance(entry["loss"], str) or not entry["loss"].strip():
        raise ProblemError(f"key: question {qid!r}: loss must be text")
    wrt = _strings(entry["wrt"], f"key: question {qid!r}: wrt")
    if not wrt:
        raise ProblemError(f"key: question {qid!r}: wrt names no parameter")
    fmt = entry.get("format", "text")
    fmt = fmt.strip().lower() if isinstance(fmt, str) else fmt
    if fmt not in ("text", "latex"):
        raise ProblemError(f"key: question {qid!r}: format must be text or latex")
    feedback = entry.get("feedback", {})
    if not isinstance(feedback, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in feedback.items()
    ):
        raise ProblemError(f"key: question {qid!r}: feedback maps diagnosis codes to sentences")
    for code in feedback:
        if code not in FEEDBACK_CODES:
            message = unknown_code_message(code[:60], FEEDBACK_CODES)
            raise ProblemError(f"key: question {qid!r}: feedback code {message}")
    return Question(
        id=qid,
        loss=entry["loss"],
        wrt=wrt,
        assume=_strings(entry.get("assume"), f"key: question {qid!r}: assume"),
        functions=_strings(entry.get("functions"), f"key: question {qid!r}: functions"),
        constraints=_strings(entry.get("constraints"), f"key: question {qid!r}: constraints"),
        points=_points(entry.get("points", 1), wrt, qid),
        format=fmt,
        feedback=dict(feedback),
        shapes=_strings(entry.get("shapes"), f"key: question {qid!r}: shapes"),
        up_to_factor=_flag(entry.get("up_to_factor", False), qid),
        let=_definitions(entry.get("let"), qid),
        rubric=_rubric(entry.get("rubric"), qid),
    )


def _definitions(value: object, qid: str) -> tuple[tuple[str, str], ...]:
    """A question's ``let``: a table ``{ p = "sigmoid(w*x + b)" }`` or a list of "p = ..." texts."""
    from symgrad.teaching.reading import definition_items

    try:
        return tuple(definition_items(value))
    except ProblemError as error:
        raise ProblemError(f"key: question {qid!r}: let: {error.one_line()}") from None


def _flag(value: object, qid: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(f"key: question {qid!r}: up_to_factor must be true or false")
    return value


def load_key(key: str | Path | Mapping | Sequence, budget: Budget | None = None) -> list[Question]:
    """The questions of a key: a TOML file (a path), TOML text (a string holding a line
    break or ``[[question]]``), a parsed mapping or a list of question tables.

    Each question is checked with a zero claim within ``budget`` (a bad key is a
    ProblemError, a key that cannot be checked in time a BudgetError).
    """
    if isinstance(key, Path) or (isinstance(key, str) and not _is_toml_text(key)):
        data = _toml(read_text(key, "key", ProblemError), f"key {quote(key)}")
    elif isinstance(key, str):
        data = _toml(key, "the key text")
    elif isinstance(key, Mapping):
        data = key
    elif isinstance(key, (list, tuple)):
        data = {"question": list(key)}
    else:
        raise ProblemError(
            f"key must be a TOML file, TOML text or a mapping, not {type(key).__name__}"
        )
    entries = data.get("question")
    if not isinstance(entries, list) or not entries:
        raise ProblemError("key: no [[question]] tables")
    if len(entries) > MAX_QUESTIONS:
        raise ProblemError(f"key: {len(entries)} questions; at most {MAX_QUESTIONS} are graded")
    questions = [_question(entry, number) for number, entry in enumerate(entries, start=1)]
    ids = [q.id for q in questions]
    if len(set(ids)) < len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise ProblemError(f"key: question id {twice!r} appears twice")
    validate_questions(questions, budget or Budget(float("inf")))
    return questions


def _is_toml_text(text: str) -> bool:
    return "\n" in text or "[[question]]" in text


def _toml(text: str, what: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProblemError(f"{what} is not valid TOML ({str(error)[:120]})") from None
    except RecursionError:
        raise ProblemError(f"{what} is nested too deeply") from None


def _setting(question: Question) -> tuple:
    """What the zero-claim check of a question depends on (equal settings are checked once)."""
    return (
        question.loss, question.wrt, question.assume, question.functions, question.constraints,
        question.format, question.shapes, question.let,
    )  # fmt: skip


def validate_questions(questions: Sequence[Question], budget: Budget) -> None:
    """Each question's loss, parameters and constraints must read (a bad key is exit 2)."""
    from symgrad.teaching.check import check

    checked: set[tuple] = set()
    for question in questions:
        setting = _setting(question)
        if setting in checked:
            continue
        budget.check(f"checking the key ({len(questions)} questions)")
        try:
            check(
                question.loss,
                list(question.wrt),
                [f"0*{w}" if question.shapes else "0" for w in question.wrt],
                assume=list(question.assume) or None,
                functions=question.functions,
                latex_input=question.format == "latex",
                timeout=max(min(VALIDATION_CAP, budget.remaining()), 0.05),
                constraints=list(question.constraints) or None,
                shapes=question.shapes or None,
                let=list(question.let) or None,
            )
        except BudgetError:
            budget.check(f"checking the key ({len(questions)} questions)")
        except SymgradError as error:
            message = in_key_terms(error.one_line())
            raise ProblemError(f"key: question {question.id!r}: {message}") from None
        checked.add(setting)


#: the command line's options as the key's fields, for messages about a key
_KEY_FIELDS = (
    (re.compile(r"--claim\(s\)"), "claim(s)"),
    (re.compile(r"--latex(-input)?\b"), 'format = "latex"'),
    (re.compile(r"--shape ([\w=,.]*\w)"), r'shapes = ["\1"]'),
    (re.compile(r"--shape\b"), "shapes"),
    (re.compile(r"--function\b"), "functions"),
    (re.compile(r"--up-to-factor\b"), "up_to_factor"),
    (re.compile(r"--(wrt|let|assume)\b"), r"\1"),
)


def in_key_terms(message: str) -> str:
    """A message about a question, with the command line's options named as the key's
    fields (``--wrt names 'zz'`` -> ``wrt names 'zz'``)."""
    for pattern, name in _KEY_FIELDS:
        message = pattern.sub(name, message)
    return message


__all__ = ["Question", "load_key", "validate_questions", "MAX_QUESTIONS"]
