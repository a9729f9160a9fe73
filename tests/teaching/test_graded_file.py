"""The graded file: rows round-trip, resume keeps only well-formed rows of the same answers,
a file symgrad did not write is refused and left as it is, a torn line is dropped."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symgrad.errors import ProblemError
from symgrad.results import GRADE_VERDICTS, GradedAnswer
from symgrad.teaching.answers import _CONTROL
from symgrad.teaching.grade import grade
from symgrad.teaching.graded_file import (
    GradedFile,
    encode,
    from_record,
    read_graded_file,
    row_record,
)
from symgrad.teaching.key import load_key

KEY = {"question": [{"id": "q", "loss": "(y - w*x)^2", "wrt": ["w"], "points": 2}]}
ANSWERS = [
    {"student": "a", "question": "q", "answer": "-2x(y - wx)"},
    {"student": "b", "question": "q", "answer": "2x(y - wx)"},
    {"student": "c", "question": "q", "answer": ""},
]


def _row(**changes) -> GradedAnswer:
    base = dict(
        student="a", question="q", verdict="correct", points=2.0, max_points=2.0, codes=(),
        feedback="correct", components=({"name": "w", "verdict": "correct", "codes": [],
                                         "points": 2.0, "reading": "2*w"},),
    )  # fmt: skip
    base.update(changes)
    return GradedAnswer(**base)


# student ids as the answers file admits them: no control characters (answers.py refuses them)
names = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s and not _CONTROL.search(s))


@given(
    student=names,
    feedback=st.text(max_size=60),
    points=st.floats(0, 2, allow_nan=False),
    as_csv=st.booleans(),
)
def test_a_row_survives_the_file(student, feedback, points, as_csv, tmp_path_factory):
    """Whatever a name or feedback holds (formula starts, quotes, commas), a row read back is
    the row written."""
    path = tmp_path_factory.mktemp("f") / ("g.csv" if as_csv else "g.jsonl")
    row = _row(student=student, feedback=feedback.replace("\r", " "), points=points)
    header = "" if not as_csv else "student,question,verdict,points,max_points,codes,feedback,"
    header += "components,notes,override,fingerprint\n" if as_csv else ""
    path.write_text(header + encode(row, as_csv), encoding="utf-8")
    [back], bad = read_graded_file(path)
    assert bad == 0
    assert row_record(back) == row_record(row)


@pytest.mark.parametrize(
    "change",
    [
        {"points": float("inf")},
        {"points": float("nan")},
        {"points": 3.0},  # more than the maximum
        {"points": -1.0},
        {"verdict": "excellent"},
        {"verdict": "syntax"},  # an older symgrad's lumped code: graded again
        {"codes": "sign_error"},
        {"components": [{"name": "v", "verdict": "correct", "codes": []}]},  # not the parameter
        {"components": "[]"},
        {"max_points": 5.0},  # not this key's question
        {"override": {"points": 9, "comment": "", "auto_points": 0}},
    ],
)
def test_a_row_that_is_not_well_formed_is_not_resumed(change):
    questions = {q.id: q for q in load_key(KEY)}
    record = row_record(_row())
    record.update(change)
    with pytest.raises((ValueError, TypeError)):
        from_record(json.loads(json.dumps(record)), questions)


def test_resume_refuses_a_file_symgrad_did_not_write_and_leaves_it(tmp_path):
    out = tmp_path / "notes.jsonl"
    out.write_text("my own notes\n")
    with pytest.raises(ProblemError, match="not written by symgrad"):
        grade(KEY, ANSWERS, out=out, resume=True, workers=1)
    assert out.read_text() == "my own notes\n"


def test_resume_grades_again_the_rows_that_changed_or_are_broken(tmp_path):
    out = tmp_path / "graded.jsonl"
    rows, _ = grade(KEY, ANSWERS, out=out, workers=1)
    lines = out.read_text().splitlines()
    assert [json.loads(line)["student"] for line in lines] == ["a", "b", "c"]
    broken = json.loads(lines[0])
    broken["points"] = 1e309  # json writes Infinity
    out.write_text(json.dumps(broken) + "\n" + lines[1] + "\n" + lines[2][:30])
    changed = [dict(ANSWERS[0]), {**ANSWERS[1], "answer": "-2x(y - w x)"}, ANSWERS[2]]
    again, _ = grade(KEY, changed, out=out, resume=True, workers=1)
    assert [r.points for r in again] == [2.0, 2.0, 0.0]  # b's new answer graded, not kept
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(w["student"], w["points"]) for w in written] == [("a", 2.0), ("b", 2.0), ("c", 0.0)]


def test_resume_keeps_rows_graded_from_the_same_answers(tmp_path, monkeypatch):
    out = tmp_path / "graded.csv"
    grade(KEY, ANSWERS, out=out, workers=1)
    import symgrad.teaching.grade as grading

    def never(*args, **kwargs):
        raise AssertionError("a kept row was graded again")

    monkeypatch.setattr(grading._Run, "_dispatch", lambda self, tasks, *a: tasks and never())
    rows, _ = grade(KEY, ANSWERS, out=out, resume=True, workers=1)
    assert [r.verdict for r in rows] == ["correct", "incorrect", "blank"]


def test_a_torn_last_line_is_cut_before_rows_are_appended(tmp_path):
    out = tmp_path / "graded.jsonl"
    out.write_text(encode(_row(), False) + '{"student": "b", "quest')
    questions = {q.id: q for q in load_key(KEY)}
    graded = GradedFile(out)
    rows, bad = graded.open(True, questions)
    graded.append(_row(student="b"))
    graded.close()
    lines = out.read_text().splitlines()
    assert len(rows) == 1 and bad == 0
    assert [json.loads(line)["student"] for line in lines] == ["a", "b"]


def test_a_fresh_run_replaces_an_earlier_graded_file(tmp_path):
    out = tmp_path / "graded.jsonl"
    out.write_text(encode(_row(student="old"), False))
    rows, _ = grade(KEY, ANSWERS[:1], out=out, workers=1)
    assert [json.loads(line)["student"] for line in out.read_text().splitlines()] == ["a"]


def test_every_verdict_is_a_known_one():
    assert set(GRADE_VERDICTS) == {
        "correct", "incorrect", "unknown", "blank", "unreadable", "too_long",
        "undefined_symbol", "wrong_shape", "timeout",
    }  # fmt: skip
