"""The graded file (``--out``): one row per graded answer, JSONL or CSV, safe to resume.

While a class is graded each row is appended as one whole line to the file, which the
run holds under an exclusive lock (a second run writing the same file is refused); when
the run ends the file is rewritten in the answers' order through a temporary file
renamed into place. An interrupted run therefore leaves whole rows (at worst a torn last
line, which is dropped) that ``resume`` keeps.

``resume`` reads only a file symgrad wrote (a JSONL row or the CSV header first), and
keeps a row only when it is well formed and says one thing (:func:`check_consistent`: the
parts' points are what the key gives their verdicts and codes, the points their sum, the
verdict the one the parts make): a known verdict, finite points within the question's
maximum, components named as the question's parameters, and the fingerprint
of the question and answer it was graded from (:func:`symgrad.teaching.scoring.fingerprint`).
Every other row is graded again. A CSV cell that a spreadsheet would run as a formula is
written with a leading quote (removed again when the file is read back).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from symgrad.errors import ProblemError
from symgrad.results import GRADE_VERDICTS, GradedAnswer
from symgrad.teaching.files import Output, head, locked, quote, write_atomically
from symgrad.teaching.gradebook import safe_cell, unsafe_cell
from symgrad.teaching.key import Question

FIELDS = (
    "student", "question", "verdict", "points", "max_points", "codes", "feedback", "components",
    "notes", "override", "fingerprint",
)  # fmt: skip
_JSON_FIELDS = ("components", "notes", "override")
_CSV_HEADER = (",".join(FIELDS) + "\n").encode()
SUFFIXES = (".csv", ".jsonl", ".json")


# ---------------------------------------------------------------- rows and records
def row_record(row: GradedAnswer) -> dict:
    """A graded row as the plain record the file holds."""
    return {
        "student": row.student,
        "question": row.question,
        "verdict": row.verdict,
        "points": row.points,
        "max_points": row.max_points,
        "codes": list(row.codes),
        "feedback": row.feedback,
        "components": [dict(c) for c in row.components],
        "notes": list(row.notes),
        "override": dict(row.override) if row.override else None,
        "fingerprint": row.fingerprint,
    }


def encode(row: GradedAnswer, as_csv: bool) -> str:
    """One row as one line of the file."""
    record = row_record(row)
    if not as_csv:
        return json.dumps(record, ensure_ascii=False) + "\n"
    record["codes"] = ";".join(record["codes"])
    for name in _JSON_FIELDS:
        record[name] = "" if record[name] is None else json.dumps(record[name], ensure_ascii=False)
    cells = [safe_cell(record[f]) for f in FIELDS]
    # a carriage return inside a cell is quoted only when every cell is (lines end in \n)
    quoting = csv.QUOTE_ALL if any("\r" in cell for cell in cells) else csv.QUOTE_MINIMAL
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=quoting).writerow(cells)
    return out.getvalue()


def csv_header() -> str:
    return ",".join(FIELDS) + "\n"


def is_graded_file(path: Path) -> bool:
    """The file starts exactly as a symgrad graded file does (an empty file counts): the
    CSV header line of all the fields, or a JSONL first row with exactly the fields, in
    order (or a torn first row of one, from an interrupted run)."""
    start = head(path, 65536)
    if not start.strip():
        return True
    if path.suffix == ".csv":
        return start.lstrip(b"\xef\xbb\xbf").startswith(_CSV_HEADER)
    first = start.split(b"\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:  # a torn first row (an interrupted run), whole up to its verdict
        return (
            len(first) == len(start)
            and first.startswith(b'{"student": ')
            and b'", "question": ' in first
            and b'", "verdict": ' in first
        )
    return isinstance(record, dict) and tuple(record) == FIELDS


def graded_output(path: Path) -> Output:
    """``--out`` as an output of the run (see :mod:`symgrad.teaching.files`)."""
    if path.suffix not in SUFFIXES:
        raise ProblemError(f"--out {quote(path)} must end in .csv or .jsonl")
    return Output("--out", path, is_graded_file)


# ---------------------------------------------------------------- reading back
def _records(text: str, as_csv: bool) -> list[dict | None]:
    """The file's records (None for a line that is not one); a torn last line is dropped."""
    if as_csv:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        records: list[dict | None] = []
        try:
            for record in reader:
                records.append(_csv_record(record))
        except csv.Error:
            pass
        return records
    lines = text.split("\n")
    if lines and lines[-1] and not text.endswith("\n"):
        lines = lines[:-1]
    out: list[dict | None] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        out.append(record if isinstance(record, dict) else None)
    return out


def _csv_record(record: dict) -> dict | None:
    try:
        clean = {k: unsafe_cell(v or "") for k, v in record.items() if k is not None}
        clean["codes"] = [c for c in clean.get("codes", "").split(";") if c]
        for name in _JSON_FIELDS:
            clean[name] = json.loads(clean[name]) if clean.get(name) else None
        clean["components"] = clean["components"] or []
        clean["notes"] = clean["notes"] or []
        return clean
    except (ValueError, RecursionError, AttributeError):
        return None


def from_record(record: Mapping, questions: Mapping[str, Question] | None = None) -> GradedAnswer:
    """A graded row from its record; ValueError when it is not a well-formed row."""
    strings = ("student", "question", "verdict", "feedback")
    if not all(isinstance(record.get(k), str) for k in strings):
        raise ValueError("not a graded row")
    if record["verdict"] not in GRADE_VERDICTS:
        raise ValueError("unknown verdict")
    points, maximum = _number(record.get("points")), _number(record.get("max_points"))
    if not 0 <= points <= maximum + 1e-9:
        raise ValueError("points outside 0 .. max_points")
    question = questions.get(record["question"]) if questions is not None else None
    if questions is not None and (question is None or question.max_points != maximum):
        raise ValueError("not a question of this key")
    components = _components(record.get("components"), question)
    override = _override(record.get("override"), maximum)
    codes = record.get("codes")
    notes = record.get("notes") or []
    if not _texts(codes) or not _texts(notes):
        raise ValueError("codes and notes are lists of texts")
    stamp = record.get("fingerprint") or ""
    if not isinstance(stamp, str):
        raise ValueError("bad fingerprint")
    row = GradedAnswer(
        student=record["student"], question=record["question"], verdict=record["verdict"],
        points=points, max_points=maximum, codes=tuple(codes), feedback=record["feedback"],
        components=components, notes=tuple(notes), override=override, fingerprint=stamp,
    )  # fmt: skip
    if question is not None:
        check_consistent(row, question)
    return row


def check_consistent(row: GradedAnswer, question: Question) -> None:
    """ValueError unless the row says one thing: each part's points are what the key gives
    its verdict and codes (:func:`~symgrad.teaching.scoring.component_points`), symgrad's
    points are their sum (the teacher's, when overridden, are the row's), the row's codes
    are its parts' codes, and its verdict is the one its parts' verdicts make."""
    from symgrad.teaching.answer import PRECEDENCE
    from symgrad.teaching.scoring import component_points

    given = []
    for index, component in enumerate(row.components):
        earned = component_points(question, index, component)
        if "points" in component and not math.isclose(component["points"], earned, abs_tol=1e-9):
            raise ValueError("a part's points are not what the key gives it")
        given.append(earned)
    if not math.isclose(row.auto_points, sum(given), abs_tol=1e-9):
        raise ValueError("the points are not the sum of the parts' points")
    if row.override is None and row.auto_points != row.points:
        raise ValueError("points without an override differ from symgrad's")
    if list(row.codes) != list(dict.fromkeys(c for part in row.components for c in part["codes"])):
        raise ValueError("the codes are not the parts' codes")
    verdicts = {part["verdict"] for part in row.components}
    if row.verdict != next((v for v in PRECEDENCE if v in verdicts), "correct"):
        raise ValueError("the verdict is not the one the parts' verdicts make")
    if row.verdict == "correct" and (row.codes or sum(given) < row.max_points - 1e-9):
        raise ValueError("a correct row with codes or without full points")


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _texts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _components(value: object, question: Question | None) -> tuple[dict, ...]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise ValueError("components are a list of objects")
    components = []
    for c in value:
        if not isinstance(c.get("name"), str) or c.get("verdict") not in GRADE_VERDICTS:
            raise ValueError("a component needs a name and a verdict")
        if not _texts(c.get("codes")) or not isinstance(c.get("reading", ""), str):
            raise ValueError("a component's codes are texts")
        component = {"name": c["name"], "verdict": c["verdict"], "codes": list(c["codes"])}
        if "points" in c:
            component["points"] = _number(c["points"])
        component["reading"] = c.get("reading", "")
        components.append(component)
    if question is not None and tuple(c["name"] for c in components) != question.wrt:
        raise ValueError("components are not the question's parameters")
    return tuple(components)


def _override(value: object, maximum: float) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("comment", ""), str):
        raise ValueError("bad override")
    points, auto = _number(value.get("points")), _number(value.get("auto_points"))
    if not (0 <= points <= maximum + 1e-9 and 0 <= auto <= maximum + 1e-9):
        raise ValueError("override outside 0 .. max_points")
    return {"points": points, "comment": value.get("comment", ""), "auto_points": auto}


def read_graded_file(
    path: Path, questions: Mapping[str, Question] | None = None
) -> tuple[list[GradedAnswer], int]:
    """(the well-formed rows of a graded file, how many rows were not); a file that is not a
    symgrad graded file is refused (ProblemError), and left as it is."""
    path = Path(path)
    if not path.exists():
        return [], 0
    if not is_graded_file(path):
        raise ProblemError(
            f"--out {quote(path)} is not a symgrad graded file: --resume refuses it "
            "(it was left as it is)"
        )
    from symgrad.teaching.files import read_text

    text = read_text(path, "graded file --out", ProblemError, limit=512 * 2**20)
    rows, bad = [], 0
    for record in _records(text, path.suffix == ".csv"):
        try:
            if record is None:
                raise ValueError("not a record")
            rows.append(from_record(record, questions))
        except (ValueError, TypeError, KeyError, OverflowError):
            bad += 1
    return rows, bad


def read_graded(path: Path) -> list[GradedAnswer]:
    """The well-formed rows of an earlier (possibly interrupted) graded file."""
    return read_graded_file(path)[0]


# ---------------------------------------------------------------- writing as rows complete
class GradedFile:
    """The graded file of a run: locked, appended to as rows complete, rewritten at the end."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.descriptor: int | None = None
        self.as_csv = path is not None and path.suffix == ".csv"
        self._lock = None

    def open(
        self,
        resume: bool,
        questions: Mapping[str, Question],
        answered: Collection[tuple[str, str]] | None = None,
    ) -> tuple[list[GradedAnswer], int]:
        """Lock the file; with ``resume`` its well-formed rows (and the count of the others).

        ``resume`` refuses a file holding rows of answers that are not ``answered`` (student,
        question) in this run, when given: the rewritten file would lose them."""
        if self.path is None:
            return [], 0
        self._lock = locked(self.path, "--out")
        self.descriptor = self._lock.__enter__()
        try:
            rows, bad = read_graded_file(self.path, questions) if resume else ([], 0)
            if resume and answered is not None and self.path.exists():
                _check_all_answered(self.path, answered)
        except BaseException:
            self.close()
            raise
        size = os.fstat(self.descriptor).st_size
        keep = _whole_lines(self.path, size) if resume else 0
        os.ftruncate(self.descriptor, keep)
        os.lseek(self.descriptor, keep, os.SEEK_SET)
        if keep == 0 and self.as_csv:
            self._write(csv_header())
        return rows, bad

    def append(self, row: GradedAnswer) -> None:
        if self.descriptor is not None:
            self._write(encode(row, self.as_csv))

    def _write(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        try:
            while data:
                written = os.write(self.descriptor, data)
                data = data[written:]
        except OSError as error:
            raise ProblemError(
                f"cannot write --out {quote(self.path)}: {error.strerror or error}"
            ) from None

    def finish(self, rows: Sequence[GradedAnswer]) -> None:
        """Rewrite the file with ``rows`` (temporary file renamed into place)."""
        if self.path is None:
            return
        lines = [csv_header()] if self.as_csv else []
        lines += [encode(row, self.as_csv) for row in rows]
        write_atomically(self.path, "".join(lines).encode("utf-8", "surrogatepass"), "--out")

    def close(self) -> None:
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = self.descriptor = None


def _check_all_answered(path: Path, answered: Collection[tuple[str, str]]) -> None:
    """Refuse a graded file holding a row (well formed or not, of a question the key still
    has or not) of an answer that is not ``answered``: the rewritten file would lose it."""
    from symgrad.teaching.files import read_text

    text = read_text(path, "graded file --out", ProblemError, limit=512 * 2**20)
    answered = set(answered)
    missing = [
        (record["student"], record["question"])
        for record in _records(text, path.suffix == ".csv")
        if isinstance(record, dict)
        and isinstance(record.get("student"), str)
        and isinstance(record.get("question"), str)
        and (record["student"], record["question"]) not in answered
    ]
    if missing:
        student, question = missing[0]
        raise ProblemError(
            f"--resume: --out {quote(path)} holds {len(missing)} graded row(s) of answers that "
            f"are not in this answers file (such as {quote(student)} on {quote(question)}), "
            "which the run would drop: resume with the whole answers file, or give another "
            "--out (the file was left as it is)"
        )


def _whole_lines(path: Path, size: int) -> int:
    """The length of the file up to its last line break (a torn last line is cut off)."""
    if size == 0:
        return 0
    with open(path, "rb") as handle:
        data = handle.read(size)
    end = data.rfind(b"\n")
    return end + 1


__all__ = [
    "GradedFile",
    "encode",
    "from_record",
    "graded_output",
    "is_graded_file",
    "read_graded",
    "read_graded_file",
    "row_record",
]
