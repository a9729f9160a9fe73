"""Grading a class: every answer to every question checked exactly, with feedback and a report.

A key (TOML) lists the questions: the loss, the parameters to differentiate by,
optional assumptions, declared functions, data constraints (``y in {0, 1}``,
``one-hot(y0, y1)``), points per component, the input format and the teacher's
feedback per diagnosis code. An answers file (CSV or JSONL) gives, per row, a
student, a question and the answer: one claim, or one per component (``;``
between components in CSV, a list in JSONL).

Each answer is judged by :func:`symgrad.teaching.check.check` (so by exact certificates,
every component on its own) in a pool of forked worker processes that pays the
import once, with a per-answer time budget enforced by killing the worker. An
answer that cannot be read is ``syntax``, one that runs out of time ``timeout``;
neither stops the batch. The same answer text to the same question is graded
once. Graded rows are written as they complete, so ``resume`` picks up where an
interrupted run stopped. ``scheduler`` sends the work to a Dask cluster instead.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from symgrad.errors import (
    BudgetError,
    DatasetError,
    ProblemError,
    SymgradError,
)
from symgrad.results import ClassReport, GradedAnswer, QuestionStats

VERDICTS = ("correct", "incorrect", "unknown", "undefined_symbol", "syntax", "timeout")
MAX_ANSWERS = 100_000
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "class"


# ---------------------------------------------------------------- the key
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


def _question(entry: object, number: int) -> Question:
    if not isinstance(entry, Mapping):
        raise ProblemError(f"key: question {number} is not a table")
    known = {
        "id",
        "loss",
        "wrt",
        "assume",
        "functions",
        "constraints",
        "points",
        "format",
        "feedback",
        "shapes",
        "up_to_factor",
        "let",
    }
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ProblemError(f"key: question {number} has unknown field(s) {', '.join(unknown)}")
    for required in ("id", "loss", "wrt"):
        if required not in entry:
            raise ProblemError(f"key: question {number} has no {required!r}")
    qid = str(entry["id"])
    if not isinstance(entry["loss"], str) or not entry["loss"].strip():
        raise ProblemError(f"key: question {qid!r}: loss must be text")
    wrt = _strings(entry["wrt"], f"key: question {qid!r}: wrt")
    if not wrt:
        raise ProblemError(f"key: question {qid!r}: wrt names no parameter")
    points = entry.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float, list)):
        raise ProblemError(f"key: question {qid!r}: points must be a number or a list")
    points = points if isinstance(points, list) else [points] * len(wrt)
    if len(points) != len(wrt) or not all(
        isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p <= 1e6 for p in points
    ):
        raise ProblemError(
            f"key: question {qid!r}: points must be one number from 0 to 1e6 per component"
        )
    fmt = entry.get("format", "text")
    if fmt not in ("text", "latex"):
        raise ProblemError(f"key: question {qid!r}: format must be text or latex")
    feedback = entry.get("feedback", {})
    if not isinstance(feedback, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in feedback.items()
    ):
        raise ProblemError(f"key: question {qid!r}: feedback maps diagnosis codes to sentences")
    return Question(
        id=qid,
        loss=entry["loss"],
        wrt=wrt,
        assume=_strings(entry.get("assume"), f"key: question {qid!r}: assume"),
        functions=_strings(entry.get("functions"), f"key: question {qid!r}: functions"),
        constraints=_strings(entry.get("constraints"), f"key: question {qid!r}: constraints"),
        points=tuple(float(p) for p in points),
        format=fmt,
        feedback=dict(feedback),
        shapes=_strings(entry.get("shapes"), f"key: question {qid!r}: shapes"),
        up_to_factor=_flag(entry.get("up_to_factor", False), qid),
        let=_definitions(entry.get("let"), qid),
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


def load_key(key: str | Path | Mapping | Sequence) -> list[Question]:
    """The questions of a key: a TOML file, its text, a parsed mapping or a list of questions."""
    if isinstance(key, (str, Path)):
        data = _read_toml(key)
    elif isinstance(key, Mapping):
        data = key
    elif isinstance(key, (list, tuple)):
        data = {"question": list(key)}
    else:
        raise ProblemError(f"key must be a TOML file or a mapping, not {type(key).__name__}")
    entries = data.get("question")
    if not isinstance(entries, list) or not entries:
        raise ProblemError("key: no [[question]] tables")
    questions = [_question(entry, number) for number, entry in enumerate(entries, start=1)]
    ids = [q.id for q in questions]
    if len(set(ids)) < len(ids):
        raise ProblemError(
            f"key: question id {next(i for i in ids if ids.count(i) > 1)!r} appears twice"
        )
    _validate_questions(questions)
    return questions


def _validate_questions(questions: Sequence[Question]) -> None:
    """Each question's loss, parameters and constraints must read (a bad key is exit 2)."""
    from symgrad.teaching.check import check

    for question in questions:
        try:
            check(
                question.loss,
                list(question.wrt),
                [f"0*{w}" if question.shapes else "0" for w in question.wrt],
                assume=list(question.assume) or None,
                functions=question.functions,
                latex_input=question.format == "latex",
                timeout=30,
                constraints=list(question.constraints) or None,
                shapes=question.shapes or None,
                let=list(question.let) or None,
            )
        except BudgetError:
            pass
        except SymgradError as error:
            raise ProblemError(f"key: question {question.id!r}: {error.one_line()}") from None


def _read_toml(path: str | Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    text = _read_text(path, "key")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProblemError(f"key {_quote(path)} is not valid TOML ({str(error)[:120]})") from None


def _read_text(path: str | Path, what: str, limit: int = 20 * 2**20) -> str:
    import stat

    try:
        info = os.stat(path)
    except (OSError, ValueError) as error:
        raise (ProblemError if what == "key" else DatasetError)(
            f"cannot read the {what} {_quote(path)}: {getattr(error, 'strerror', None) or error}"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise (ProblemError if what == "key" else DatasetError)(
            f"the {what} {_quote(path)} is not a regular file"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise (ProblemError if what == "key" else DatasetError)(
            f"cannot read the {what} {_quote(path)}: {error.strerror or error}"
        ) from None
    if len(data) > limit:
        raise (ProblemError if what == "key" else DatasetError)(
            f"the {what} {_quote(path)} exceeds {limit} bytes"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise (ProblemError if what == "key" else DatasetError)(
            f"the {what} {_quote(path)} is not UTF-8 text"
        ) from None


def _quote(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


# ---------------------------------------------------------------- the answers
@dataclass(frozen=True)
class Answer:
    """One row of the answers file."""

    student: str
    question: str
    answer: tuple[str, ...]
    format: str | None = None
    row: int = 0


def _answer(record: Mapping, number: int, questions: Mapping[str, Question]) -> Answer:
    for name in ("student", "question", "answer"):
        if name not in record or record[name] is None:
            raise DatasetError(f"answers row {number}: no {name!r}")
    student, qid = str(record["student"]).strip(), str(record["question"]).strip()
    if qid not in questions:
        raise DatasetError(
            f"answers row {number}: question {_quote(qid)} is not in the key "
            f"(questions: {', '.join(questions)})"
        )
    raw = record["answer"]
    if isinstance(raw, str):
        parts = re.split(r"(?<!\\);", raw) if len(questions[qid].wrt) > 1 else [raw]
    elif isinstance(raw, list) and all(isinstance(a, str) for a in raw):
        parts = raw
    else:
        raise DatasetError(f"answers row {number}: the answer must be text or a list of texts")
    fmt = record.get("format") or None
    if fmt is not None and fmt not in ("text", "latex"):
        raise DatasetError(f"answers row {number}: format must be text or latex")
    return Answer(student, qid, tuple(parts), fmt, number)


def load_answers(
    answers: str | Path | Sequence[Mapping], questions: Sequence[Question]
) -> list[Answer]:
    """The rows of a CSV (header ``student,question,answer[,format]``) or JSONL file, or records."""
    by_id = {q.id: q for q in questions}
    if isinstance(answers, (str, Path)):
        text = _read_text(answers, "answers file")
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
                f"{_quote(answer.student)} to question {_quote(answer.question)}"
            )
        first[key] = answer.row
    return parsed


def answers_from_text(text: str, answers_format: str) -> list[dict]:
    """The records of an answers file given as text: ``csv`` or ``jsonl``."""
    if answers_format not in ("csv", "jsonl"):
        raise DatasetError(f"answers format {answers_format!r}: use csv or jsonl")
    return _jsonl(text) if answers_format == "jsonl" else _csv(text)


def _csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        fields = [f.strip() for f in reader.fieldnames or []]
        reader.fieldnames = fields
        missing = {"student", "question", "answer"} - set(fields)
        if missing:
            raise DatasetError(
                f"the answers CSV header must name student, question and answer "
                f"(missing {', '.join(sorted(missing))})"
            )
        rows = []
        for number, row in enumerate(reader, start=1):
            if row.get(None):
                raise DatasetError(
                    f"answers row {number} has more fields than the header: quote an answer "
                    'that contains a comma ("max(w, 0)")'
                )
            rows.append(dict(row))
        return rows
    except csv.Error as error:
        raise DatasetError(
            f"the answers file is not valid CSV ({str(error)[:80]}; an unclosed quote?)"
        ) from None


def _jsonl(text: str) -> list[dict]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DatasetError(f"answers line {number} is not JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise DatasetError(f"answers line {number} is not a JSON object")
        records.append(record)
    return records


# ---------------------------------------------------------------- grading one answer
from symgrad.teaching.answer import (  # noqa: E402, F401 - re-exported
    _outcome,
    grade_answer,
    is_derivation,
)


def normalized(answer: Answer, question: Question) -> tuple:
    """The cache key: same question, same text up to whitespace, same format."""
    return (
        question.id,
        tuple(
            "\n".join(" ".join(line.split()) for line in a.strip().splitlines() if line.strip())
            for a in answer.answer
        ),
        answer.format or question.format,
    )


def _row(answer: Answer, question: Question, outcome: Mapping) -> GradedAnswer:
    components = outcome["components"]
    earned = sum(
        points for points, c in zip(question.points, components) if c["verdict"] == "correct"
    )
    codes = [code for c in components for code in c["codes"]]
    sentences = []
    for c in components:
        label = f"{c['name']}: " if len(components) > 1 else ""
        for code, text in zip(c["codes"], c["feedback"]):
            sentences.append(label + question.feedback.get(code, text))
        sentences += [label + text for text in c["feedback"][len(c["codes"]) :]]
        if c["verdict"] == "correct" and len(components) > 1:
            sentences.append(f"{c['name']}: correct")
    if outcome["verdict"] == "correct":
        slips = [
            t
            for c in components
            for code, t in zip(c["codes"], c["feedback"])
            if code == "wrong_line"
        ]
        sentences = [
            question.feedback.get("correct", "correct") + "".join(f"; but {slip}" for slip in slips)
        ]
    elif outcome["verdict"] in ("syntax", "undefined_symbol", "timeout", "unknown") and outcome.get(
        "reason"
    ):
        sentences = [question.feedback.get(outcome["verdict"], outcome["reason"])]
    return GradedAnswer(
        student=answer.student,
        question=question.id,
        verdict=outcome["verdict"],
        points=float(earned),
        max_points=question.max_points,
        codes=tuple(dict.fromkeys(codes)),
        feedback=" ".join(sentences),
        components=tuple(
            {"name": c["name"], "verdict": c["verdict"], "codes": list(c["codes"])}
            for c in components
        ),
        answer=tuple(answer.answer),
    )


# ---------------------------------------------------------------- running many
class _Pool:
    """Forked worker processes with a hard per-answer deadline (the worker is killed past it)."""

    def __init__(self, workers: int, hard_limit: float) -> None:
        import multiprocessing

        self.context = multiprocessing.get_context("fork")
        self.hard_limit = hard_limit
        self.slots = [self._spawn() for _ in range(max(1, workers))]

    def _spawn(self):
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child_end, os.getpid()), daemon=False)
        process.start()
        child_end.close()
        return {"process": process, "pipe": parent_end, "task": None, "started": 0.0}

    def run(self, tasks: list, on_done: Callable[[object, dict], None], budget) -> None:
        pending = list(tasks)
        while pending or any(s["task"] is not None for s in self.slots):
            for slot in self.slots:
                if slot["task"] is None and pending:
                    key, payload = pending.pop(0)
                    slot["pipe"].send(payload)
                    slot["task"], slot["started"] = key, time.monotonic()
            self._collect(on_done)
            if budget is not None and budget.expired():
                raise BudgetError("grading ran out of its total time budget")

    def _collect(self, on_done) -> None:
        from multiprocessing.connection import wait

        busy = [s for s in self.slots if s["task"] is not None]
        ready = wait([s["pipe"] for s in busy], timeout=0.05)
        for slot in busy:
            if slot["pipe"] in ready:
                try:
                    outcome = slot["pipe"].recv()
                except (EOFError, OSError):
                    outcome = None
                key, slot["task"] = slot["task"], None
                if outcome is None:
                    self._replace(slot)
                    outcome = {
                        "verdict": "timeout",
                        "reason": "the worker stopped (out of memory?)",
                    }
                on_done(key, outcome)
            elif time.monotonic() - slot["started"] > self.hard_limit:
                key, slot["task"] = slot["task"], None
                self._replace(slot)
                on_done(key, {"verdict": "timeout", "reason": "out of the per-answer time budget"})

    def _replace(self, slot) -> None:
        slot["process"].kill()
        slot["process"].join(1)
        slot["pipe"].close()
        fresh = self._spawn()
        slot.update(fresh)

    def close(self) -> None:
        for slot in self.slots:
            if slot["process"].is_alive():
                slot["process"].kill()
            slot["process"].join(1)


def _serve(pipe, parent: int) -> None:
    """A grading worker: answers tasks until the pipe closes; dies with its parent."""
    import signal

    from symgrad.runtime.worker import _die_with_parent

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            question, parts, fmt, timeout, hide = pipe.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = grade_answer(question, parts, fmt, timeout, hide)
        except Exception as error:  # noqa: BLE001 - one answer never stops the batch
            outcome = _outcome(
                question,
                "unknown",
                [() for _ in question.wrt],
                f"internal error while grading ({type(error).__name__}: {str(error)[:120]})",
            )
        pipe.send(outcome)


def _run_dask(address: str, tasks: list, on_done, timeout: float) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ProblemError(
            "--scheduler needs dask.distributed: pip install 'symgrad[dask]'"
        ) from None
    try:
        client = Client(address, timeout=30) if isinstance(address, str) else address
    except (OSError, TimeoutError, ValueError) as error:
        raise ProblemError(f"cannot reach the Dask scheduler {_quote(address)} ({error})") from None
    futures = {client.submit(grade_answer, *payload, pure=False): key for key, payload in tasks}
    for future in as_completed(list(futures)):
        key = futures[future]
        try:
            outcome = future.result(timeout=timeout * 2 + 30)
        except Exception as error:  # noqa: BLE001 - a lost task is a timeout, not a crash
            outcome = {
                "verdict": "timeout",
                "reason": f"the cluster did not answer ({type(error).__name__})",
            }
        on_done(key, outcome)
    if isinstance(address, str):
        client.close()


# ---------------------------------------------------------------- output files
_FIELDS = (
    "student",
    "question",
    "verdict",
    "points",
    "max_points",
    "codes",
    "feedback",
    "components",
)


def _row_record(row: GradedAnswer) -> dict:
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


class _Writer:
    """Appends graded rows to a CSV or JSONL file as they complete (flushed each time)."""

    def __init__(self, path: Path | None, fresh: bool) -> None:
        self.path = path
        self.handle = None
        if path is None:
            return
        if path.suffix not in (".csv", ".jsonl", ".json"):
            raise ProblemError(f"--out {_quote(path)} must end in .csv or .jsonl")
        if path.is_dir() or not path.parent.is_dir():
            raise ProblemError(f"--out {_quote(path)}: not a file in an existing folder")
        new = fresh or not path.exists() or path.stat().st_size == 0
        self.csv = path.suffix == ".csv"
        self.handle = open(path, "w" if new else "a", newline="", encoding="utf-8")
        if self.csv:
            self.writer = csv.DictWriter(self.handle, fieldnames=_FIELDS)
            if new:
                self.writer.writeheader()

    def write(self, row: GradedAnswer) -> None:
        if self.handle is None:
            return
        record = _row_record(row)
        if self.csv:
            record["codes"] = ";".join(record["codes"])
            record["components"] = json.dumps(record["components"])
            self.writer.writerow(record)
        else:
            self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def read_graded(path: Path) -> list[GradedAnswer]:
    """Rows of an earlier (possibly interrupted) graded file; a torn last line is ignored."""
    if not path.exists():
        return []
    rows = []
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        for record in csv.DictReader(io.StringIO(text)):
            try:
                record["codes"] = [c for c in (record.get("codes") or "").split(";") if c]
                record["components"] = json.loads(record.get("components") or "[]")
                rows.append(_from_record(record))
            except (ValueError, KeyError, TypeError):
                continue
    else:
        for line in text.splitlines():
            try:
                rows.append(_from_record(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue
    return rows


def _still_valid(done: list[GradedAnswer], records: Sequence[Answer]) -> list[GradedAnswer]:
    """Earlier rows of students and questions still in the answers file (once each), with
    their answers (the graded file does not repeat them)."""
    current = {(a.student, a.question): tuple(a.answer) for a in records}
    kept: dict[tuple[str, str], GradedAnswer] = {}
    for row in done:
        key = (row.student, row.question)
        if key in current:
            kept[key] = dataclasses.replace(row, answer=current[key])
    return list(kept.values())


def _from_record(record: Mapping) -> GradedAnswer:
    if record["verdict"] not in VERDICTS:
        raise ValueError("not a graded row")
    return GradedAnswer(
        student=str(record["student"]),
        question=str(record["question"]),
        verdict=record["verdict"],
        points=float(record["points"]),
        max_points=float(record["max_points"]),
        codes=tuple(record["codes"]),
        feedback=str(record["feedback"]),
        components=tuple(record["components"]),
    )


# ---------------------------------------------------------------- the report
def class_report(
    rows: Sequence[GradedAnswer], questions: Sequence[Question], answers: int, seconds: float
) -> ClassReport:
    totals: dict[str, float] = {}
    for row in rows:
        totals[row.student] = totals.get(row.student, 0.0) + row.points
    per_question = []
    for question in questions:
        mine = [r for r in rows if r.question == question.id]
        codes = Counter(code for r in mine for code in r.codes)
        examples = {}
        for code in codes:
            example = next(r for r in mine if code in r.codes)
            examples[code] = (
                " ; ".join(example.answer) if example.answer else "",
                example.feedback,
            )
        per_question.append(
            QuestionStats(
                id=question.id,
                loss=question.loss,
                answers=len(mine),
                correct=sum(r.verdict == "correct" for r in mine),
                mean_points=sum(r.points for r in mine) / len(mine) if mine else 0.0,
                max_points=question.max_points,
                codes=dict(codes.most_common()),
                examples=examples,
            )
        )
    return ClassReport(
        answers=answers,
        graded=len(rows),
        seconds=round(seconds, 3),
        students=len(totals),
        totals=dict(sorted(totals.items())),
        max_total=sum(q.max_points for q in questions),
        questions=tuple(per_question),
        verdicts=dict(Counter(r.verdict for r in rows)),
    )


# ---------------------------------------------------------------- the entry point
def plan(answers: Sequence[Answer], questions: Mapping[str, Question]) -> dict[tuple, list[Answer]]:
    """Answers grouped by their cache key: each group is graded once."""
    unique: dict[tuple, list[Answer]] = {}
    for answer in answers:
        unique.setdefault(normalized(answer, questions[answer.question]), []).append(answer)
    return unique


def grade(
    key: str | Path | Mapping | Sequence,
    answers: str | Path | Sequence[Mapping],
    out: str | Path | None = None,
    workers: int | None = None,
    answer_timeout: float = 10.0,
    scheduler: object | None = None,
    resume: bool = False,
    hide_answer: bool = False,
    progress: Callable[[int, int], None] | None = None,
    timeout: float = float("inf"),
) -> tuple[list[GradedAnswer], ClassReport]:
    """Grade every answer; returns the graded rows and the class report.

    ``out`` (``.csv`` or ``.jsonl``) receives each row as it is graded; with
    ``resume`` the rows already there are kept and not graded again.
    ``workers`` defaults to the number of local cores; ``scheduler`` (a Dask
    address or client) sends the work to a cluster instead.
    """
    from symgrad.runtime.budget import Budget, seconds_value

    start = time.monotonic()
    budget = Budget(timeout)
    answer_timeout = seconds_value(answer_timeout, "answer_timeout")
    questions = load_key(key)
    by_id = {q.id: q for q in questions}
    records = load_answers(answers, questions)
    path = Path(out) if out is not None else None
    done = _still_valid(read_graded(path), records) if resume and path is not None else []
    done_keys = {(r.student, r.question) for r in done}
    todo = [a for a in records if (a.student, a.question) not in done_keys]
    writer = _Writer(path, fresh=True)
    for row in done:  # the file is rewritten: no torn line, no stale or duplicate row
        writer.write(row)
    rows = list(done)
    unique = plan(todo, by_id)
    tasks = _tasks(unique, by_id, answer_timeout, hide_answer)

    def on_done(cache_key, outcome) -> None:
        for answer in unique[cache_key]:
            question = by_id[answer.question]
            if "components" not in outcome:
                outcome = _outcome(
                    question,
                    outcome["verdict"],
                    [(outcome["verdict"],) for _ in question.wrt],
                    outcome.get("reason", ""),
                )
            row = _row(answer, question, outcome)
            rows.append(row)
            writer.write(row)
        if progress is not None:
            progress(len(rows), len(records))

    try:
        _dispatch(tasks, on_done, scheduler, workers, answer_timeout, budget)
    finally:
        writer.close()
    order = {(a.student, a.question): a.row for a in records}
    rows.sort(key=lambda r: order.get((r.student, r.question), 0))
    return rows, class_report(rows, questions, len(records), time.monotonic() - start)


def _tasks(unique: dict, by_id: dict, answer_timeout: float, hide_answer: bool) -> list:
    """One task per distinct (question, answer, format): (cache key, payload for a worker)."""
    tasks = []
    for cache_key, group in unique.items():
        question = by_id[group[0].question]
        payload = (
            question,
            list(group[0].answer),
            group[0].format or question.format,
            answer_timeout,
            hide_answer,
        )
        tasks.append((cache_key, payload))
    return tasks


def _dispatch(tasks, on_done, scheduler, workers, answer_timeout: float, budget) -> None:
    """Run the tasks on a Dask cluster (``scheduler``) or a local pool of killable workers."""
    if scheduler is not None:
        _run_dask(scheduler, tasks, on_done, answer_timeout)
        return
    count = workers or os.cpu_count() or 1
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ProblemError(f"workers={workers!r} must be a whole number >= 1")
    pool = _Pool(min(count, max(1, len(tasks))), answer_timeout * 1.5 + 5)
    try:
        pool.run(tasks, on_done, budget)
    finally:
        pool.close()


def example_files() -> tuple[Path, Path]:
    """The example class shipped with symgrad: (key.toml, answers.csv)."""
    return EXAMPLE / "key.toml", EXAMPLE / "answers.csv"


__all__ = ["grade", "load_key", "load_answers", "Question", "Answer", "example_files"]
