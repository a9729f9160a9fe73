"""The teacher's overrides: points and a comment for chosen answers, applied after grading.

An override file is CSV with the header ``student,question,points,comment`` (or records
with those keys). ``points`` replaces what symgrad gave (an empty cell keeps symgrad's
points and only adds the comment); it must be a finite number from 0 to the question's
maximum, written as a decimal or a fraction (``1.5``, ``3/2``). The graded file keeps
symgrad's own points beside the teacher's, so a resumed run applies the overrides given
to it again instead of stacking them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

from symgrad.errors import DatasetError
from symgrad.results import GradedAnswer
from symgrad.teaching.answers import MAX_ANSWERS
from symgrad.teaching.files import quote, read_text
from symgrad.teaching.key import Question
from symgrad.teaching.scoring import with_override, without_override

MAX_COMMENT = 2_000


def load_overrides(
    source: str | Path | Sequence[Mapping], questions: Sequence[Question]
) -> dict[tuple[str, str], tuple[float | None, str]]:
    """(student, question) -> (points or None, comment), every row checked."""
    if isinstance(source, (str, Path)):
        records = _csv(read_text(source, "overrides file"))
    elif isinstance(source, (list, tuple)) and all(isinstance(r, Mapping) for r in source):
        records = list(source)
    else:
        raise DatasetError(
            f"overrides must be a CSV file or a list of records, not {type(source).__name__}"
        )
    if len(records) > MAX_ANSWERS:
        raise DatasetError(f"more than {MAX_ANSWERS} overrides")
    maxima = {q.id: q.max_points for q in questions}
    overrides: dict[tuple[str, str], tuple[float | None, str]] = {}
    for number, record in enumerate(records, start=1):
        key, value = _override(record, number, maxima)
        if key in overrides:
            raise DatasetError(
                f"overrides row {number}: a second override of {quote(key[0])} on {quote(key[1])}"
            )
        overrides[key] = value
    return overrides


def _csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        fields = [f.strip() for f in reader.fieldnames or []]
        twice = sorted({f for f in fields if fields.count(f) > 1})
        if twice:
            raise DatasetError(f"the overrides CSV header names {quote(twice[0])} twice")
        reader.fieldnames = fields
        if not {"student", "question", "points"} <= set(fields):
            raise DatasetError("the overrides CSV header must be student,question,points,comment")
        return [dict(row) for row in reader]
    except csv.Error as error:
        raise DatasetError(f"the overrides file is not valid CSV ({str(error)[:80]})") from None


def _override(
    record: Mapping, number: int, maxima: Mapping[str, float]
) -> tuple[tuple[str, str], tuple[float | None, str]]:
    where = f"overrides row {number}"
    student, qid = (_text(record.get(k), f"{where}: {k}") for k in ("student", "question"))
    if not student or not qid:
        raise DatasetError(f"{where}: give student and question")
    if qid not in maxima:
        raise DatasetError(f"{where}: question {quote(qid)} is not in the key")
    comment = _text(record.get("comment"), f"{where}: comment")
    if len(comment) > MAX_COMMENT:
        raise DatasetError(f"{where}: the comment is longer than {MAX_COMMENT} characters")
    points = _points(record.get("points"), where, maxima[qid])
    if points is None and not comment:
        raise DatasetError(f"{where}: give points, a comment or both")
    return (student, qid), (points, comment)


def _text(value: object, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DatasetError(f"{where} must be text")
    return " ".join(str(value).split())


def _points(value: object, where: str, maximum: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DatasetError(f"{where}: points must be a number")
    text = str(value).strip()
    try:
        if len(text) > 40:
            raise ValueError
        number = Fraction(text) if isinstance(value, str) else Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        raise DatasetError(f"{where}: points {quote(text)} is not a number") from None
    if not 0 <= number <= Fraction(maximum):
        raise DatasetError(f"{where}: points {quote(text)} must be from 0 to {maximum:g}")
    return float(number)


def check_overrides(overrides: Mapping[tuple[str, str], object], answered: set) -> None:
    """Every override must meet an answer of the answers file (checked before grading)."""
    missing = [key for key in overrides if key not in answered]
    if missing:
        student, qid = missing[0]
        raise DatasetError(
            f"the overrides name an answer that is not in the answers file: student "
            f"{quote(student)}, question {quote(qid)}"
        )


def apply_overrides(
    rows: Sequence[GradedAnswer], overrides: Mapping[tuple[str, str], tuple[float | None, str]]
) -> list[GradedAnswer]:
    """The rows with the teacher's overrides (and without any earlier ones)."""
    out = []
    for row in rows:
        row = without_override(row)
        key = (row.student, row.question)
        if key in overrides:
            points, comment = overrides[key]
            row = with_override(row, points, comment)
        out.append(row)
    return out


__all__ = ["apply_overrides", "check_overrides", "load_overrides"]
