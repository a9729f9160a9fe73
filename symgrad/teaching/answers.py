"""The answers of a class: rows of a CSV or JSONL file (or records), one per student and question.

CSV has the header ``student,question,answer[,format]`` (components separated by ``;``);
JSONL has the same keys, ``answer`` a string or a list. A row is never lost for what its
answer holds: an empty or missing answer is graded ``blank``, an answer of any length is
read (a cell beyond the CSV module's 131,072 characters included) and graded ``too_long``
when it exceeds what is judged. What makes a file unreadable as a whole (not UTF-8, not
CSV, a number of more than 4,300 digits in JSONL, a question the key does not have, two
answers of one student to one question) is one line naming the row.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from symgrad.errors import DatasetError
from symgrad.teaching.files import INPUT_LIMIT, quote, read_text
from symgrad.teaching.key import Question

MAX_ANSWERS = 100_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Answer:
    """One row of the answers file."""

    student: str
    question: str
    answer: tuple[str, ...]
    format: str | None = None
    row: int = 0


def _name(value: object, what: str, number: int) -> str:
    """A student or question id: text or a number, not empty."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DatasetError(
            f"answers row {number}: the {what} must be text, not {type(value).__name__}"
        )
    text = " ".join(str(value).split())
    if not text:
        raise DatasetError(f"answers row {number}: the {what} is empty")
    if _CONTROL.search(text):
        raise DatasetError(f"answers row {number}: the {what} holds a control character")
    return text


def _parts(raw: object, question: Question, number: int) -> tuple[str, ...]:
    if raw is None:
        return ("",)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, str):
        if len(question.wrt) > 1:
            return tuple(re.split(r"(?<!\\);", raw))
        return (raw,)
    if isinstance(raw, list) and all(isinstance(a, str) for a in raw):
        return tuple(raw) or ("",)
    raise DatasetError(f"answers row {number}: the answer must be text or a list of texts")


def _answer(record: Mapping, number: int, questions: Mapping[str, Question]) -> Answer:
    for name in ("student", "question"):
        if name not in record or record[name] is None:
            raise DatasetError(f"answers row {number}: no {name!r}")
    student = _name(record["student"], "student", number)
    qid = _name(record["question"], "question", number)
    if qid not in questions:
        listed = ", ".join(list(questions)[:20])
        raise DatasetError(
            f"answers row {number}: question {quote(qid)} is not in the key (questions: {listed})"
        )
    fmt = record.get("format") or None
    if isinstance(fmt, str):
        fmt = fmt.strip().lower() or None  # LaTeX, Text: a spreadsheet's capitals
    if fmt is not None and fmt not in ("text", "latex"):
        raise DatasetError(
            f"answers row {number}: format {quote(fmt)} must be text or latex (any case)"
        )
    return Answer(student, qid, _parts(record.get("answer"), questions[qid], number), fmt, number)


def load_answers(
    answers: str | Path | Sequence[Mapping], questions: Sequence[Question]
) -> list[Answer]:
    """The rows of a CSV (header ``student,question,answer[,format]``) or JSONL file, or records."""
    by_id = {q.id: q for q in questions}
    if isinstance(answers, (str, Path)):
        text = read_text(answers, "answers file")
        records = _jsonl(text) if str(answers).endswith((".jsonl", ".json")) else _csv(text)
    elif isinstance(answers, (list, tuple)):
        records = list(answers)
        if not all(isinstance(r, Mapping) for r in records):
            raise DatasetError("answers must be mappings with student, question and answer")
    else:
        raise DatasetError(
            f"answers must be a file or a list of records, not {type(answers).__name__}"
        )
    if len(records) > MAX_ANSWERS:
        raise DatasetError(f"more than {MAX_ANSWERS} answers")
    parsed = [_answer(r, n, by_id) for n, r in enumerate(records, start=1)]
    first: dict[tuple[str, str], int] = {}
    for answer in parsed:
        key = (answer.student, answer.question)
        if key in first:
            raise DatasetError(
                f"answers rows {first[key]} and {answer.row}: two answers of student "
                f"{quote(answer.student)} to question {quote(answer.question)}"
            )
        first[key] = answer.row
    return parsed


def answers_from_text(text: str, answers_format: str) -> list[dict]:
    """The records of an answers file given as text: ``csv`` or ``jsonl``."""
    if answers_format not in ("csv", "jsonl"):
        raise DatasetError(f"answers format {answers_format!r}: use csv or jsonl")
    if not isinstance(text, str):
        raise DatasetError(f"the answers must be text, not {type(text).__name__}")
    return _jsonl(text) if answers_format == "jsonl" else _csv(text)


@contextlib.contextmanager
def _cells_of_any_length() -> Iterator[None]:
    """Let the CSV reader take a cell as long as the file (its default stops at 131,072
    characters); an answer too long to judge is then that row's ``too_long``."""
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, INPUT_LIMIT + 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        with _cells_of_any_length():
            fields = [f.strip() for f in reader.fieldnames or []]
            twice = sorted({f for f in fields if fields.count(f) > 1})
            if twice:
                raise DatasetError(
                    f"the answers CSV header names {quote(twice[0])} twice: one column each"
                )
            reader.fieldnames = fields
            missing = {"student", "question", "answer"} - set(fields)
            if missing:
                raise DatasetError(
                    f"the answers CSV header must name student, question and answer "
                    f"(missing {', '.join(sorted(missing))})"
                )
            return [_csv_row(row, number) for number, row in enumerate(reader, start=1)]
    except csv.Error as error:
        raise DatasetError(
            f"the answers file is not valid CSV ({str(error)[:80]}; an unclosed quote?)"
        ) from None


def _csv_row(row: dict, number: int) -> dict:
    if row.get(None):
        raise DatasetError(
            f"answers row {number} has more fields than the header: quote an answer "
            'that contains a comma ("max(w, 0)")'
        )
    return {k: v for k, v in row.items() if k is not None}


class _RepeatedKey(Exception):
    """A JSON object naming one key twice (JSON would silently keep the last value)."""


def _without_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    record = dict(pairs)
    if len(record) != len(pairs):
        keys = [key for key, _ in pairs]
        raise _RepeatedKey(next(key for key in keys if keys.count(key) > 1))
    return record


def _jsonl(text: str) -> list[dict]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, object_pairs_hook=_without_repeated_keys)
        except _RepeatedKey as repeated:
            raise DatasetError(
                f"answers line {number} names {quote(repeated.args[0])} twice: one value each"
            ) from None
        except json.JSONDecodeError as error:
            raise DatasetError(f"answers line {number} is not JSON ({error.msg})") from None
        except ValueError:  # an integer of more than 4,300 digits
            raise DatasetError(
                f"answers line {number} holds a number of more than 4300 digits"
            ) from None
        except RecursionError:
            raise DatasetError(f"answers line {number} is nested too deeply") from None
        if not isinstance(record, dict):
            raise DatasetError(f"answers line {number} is not a JSON object")
        records.append(record)
    return records


__all__ = ["Answer", "MAX_ANSWERS", "answers_from_text", "load_answers"]
