"""The graded file: rows round-trip, resume keeps only well-formed rows of the same answers,
a file symgrad did not write is refused and left as it is, a torn line is dropped."""

import functools
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
    rows, bad = graded.open(True, questions, {("a", "q"), ("b", "q")})
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


# ---------------------------------------------------------------- rows that contradict themselves
RUBRIC_KEY = {
    "question": [
        {"id": "q", "loss": "(y - w*x)^2", "wrt": ["w"], "points": 3,
         "rubric": {"constant_factor": 2, "sign_error": 1}},
        {"id": "r", "loss": "(y - w*x - b)^2", "wrt": ["w", "b"], "points": [2, 1]},
    ]
}  # fmt: skip


@functools.cache
def _rubric_questions() -> dict:
    return {q.id: q for q in load_key(RUBRIC_KEY)}


def _part(name: str, verdict: str, codes: list[str], points: float) -> dict:
    return {"name": name, "verdict": verdict, "codes": codes, "points": points, "reading": "w"}


def _record(**changes) -> dict:
    record = row_record(
        _row(points=2.0, max_points=3.0, verdict="incorrect", codes=("constant_factor",),
             components=(_part("w", "incorrect", ["constant_factor"], 2.0),))
    )  # fmt: skip
    record.update(changes)
    return json.loads(json.dumps(record))


CONTRADICTIONS = [
    ("points 3 on parts summing to 2", {"points": 3.0}),
    ("a part's points not the rubric's", {"points": 1.0, "components": [
        _part("w", "incorrect", ["constant_factor"], 1.0)]}),
    ("correct with 1 of 3 points", {"verdict": "correct", "points": 1.0, "codes": [],
                                    "components": [_part("w", "correct", [], 1.0)]}),
    ("correct with a code", {"verdict": "correct", "points": 3.0, "codes": ["sign_error"],
                             "components": [_part("w", "correct", ["sign_error"], 3.0)]}),
    ("correct row of an incorrect part", {"verdict": "correct"}),
    ("incorrect row of a correct part", {"verdict": "incorrect", "points": 3.0, "codes": [],
                                         "components": [_part("w", "correct", [], 3.0)]}),
    ("codes that are not the parts'", {"codes": ["sign_error"]}),
    ("a blank row of an incorrect part", {"verdict": "blank"}),
    ("the override's auto points not symgrad's",
     {"points": 1.0, "override": {"points": 1.0, "comment": "", "auto_points": 3.0}}),
]  # fmt: skip


@pytest.mark.parametrize("name, change", CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS])
def test_a_row_that_contradicts_itself_is_not_resumed(name, change):
    questions = _rubric_questions()
    from_record(_record(), questions)  # the row as symgrad writes it is kept
    with pytest.raises(ValueError):
        from_record(_record(**change), questions)


def test_an_overridden_row_keeps_the_teachers_points():
    questions = _rubric_questions()
    override = {"points": 2.5, "comment": "nearly", "auto_points": 2.0}
    row = from_record(_record(points=2.5, override=override), questions)
    assert row.points == 2.5 and row.auto_points == 2.0


@given(points=st.floats(0, 3, allow_nan=False).filter(lambda p: abs(p - 2.0) > 1e-6))
def test_any_other_points_on_a_row_are_refused(points):
    questions = _rubric_questions()
    with pytest.raises(ValueError):
        from_record(_record(points=points), questions)


def test_every_row_symgrad_writes_says_one_thing_and_is_resumed(tmp_path):
    """Metamorphic: the rows of a real run (rubric, several parts, every kind of verdict)
    all read back as kept rows."""
    answers = [
        {"student": s, "question": q, "answer": a}
        for s, (q, a) in enumerate([
            ("q", "-2x(y - wx)"), ("q", "-x(y - wx)"), ("q", "2x(y - wx)"), ("q", "2w"),
            ("q", ""), ("q", "(("), ("q", "dJ/dw = 2(y - w x)(-x)\n= 2x(y - w x)\n= -2x(y - w x)"),
            ("r", "-2x(y - wx - b); -2(y - wx - b)"), ("r", "-2x(y - wx - b); 2(y - wx - b)"),
            ("r", "-2x(y - wx - b)"), ("r", "-2x(y - wx - b); "), ("r", "q; -2(y - wx - b)"),
        ])
    ]  # fmt: skip
    for row in answers:
        row["student"] = f"s{row['student']}"
    out = tmp_path / "g.jsonl"
    rows, _ = grade(RUBRIC_KEY, answers, out=out, workers=1)
    questions = _rubric_questions()
    kept, bad = read_graded_file(out, questions)
    assert bad == 0 and len(kept) == len(answers)


def test_resume_grades_a_contradictory_row_again(tmp_path):
    out = tmp_path / "g.jsonl"
    answers = [{"student": "a", "question": "q", "answer": "-x(y - wx)"}]
    grade(RUBRIC_KEY, answers, out=out, workers=1)
    record = json.loads(out.read_text())
    record["points"] = 3.0  # the row now says 3 points of parts that earn 2
    out.write_text(json.dumps(record) + "\n")
    rows, _ = grade(RUBRIC_KEY, answers, out=out, workers=1, resume=True)
    assert rows[0].points == 2.0 and json.loads(out.read_text())["points"] == 2.0


def test_a_carriage_return_in_a_cell_survives_the_csv_file(tmp_path):
    path = tmp_path / "g.csv"
    row = _row(student="0\r0", feedback="a\rb")
    path.write_text(
        "student,question,verdict,points,max_points,codes,feedback,components,notes,override,"
        "fingerprint\n" + encode(row, True),
        encoding="utf-8",
    )
    [back], bad = read_graded_file(path)
    assert bad == 0 and back.student == "0\r0" and back.feedback == "a\rb"


def test_resume_with_fewer_answers_refuses_and_keeps_every_row(tmp_path):
    out = tmp_path / "graded.jsonl"
    grade(KEY, ANSWERS, out=out, workers=1)
    before = out.read_bytes()
    with pytest.raises(ProblemError) as error:
        grade(KEY, ANSWERS[:1], out=out, resume=True, workers=1)
    message = error.value.one_line()
    assert "holds 2 graded row(s) of answers that are not in this answers file" in message
    assert "(such as 'b' on 'q')" in message and "left as it is" in message
    assert out.read_bytes() == before
    rows, _ = grade(KEY, ANSWERS, out=out, resume=True, workers=1)  # the whole file: resumed
    assert len(rows) == 3


def test_resume_with_more_answers_grades_the_new_ones(tmp_path):
    out = tmp_path / "graded.jsonl"
    grade(KEY, ANSWERS[:2], out=out, workers=1)
    rows, _ = grade(KEY, ANSWERS, out=out, resume=True, workers=1)
    assert [r.student for r in rows] == ["a", "b", "c"]


def test_resume_refuses_rows_of_a_question_the_key_no_longer_has(tmp_path):
    two = {"question": [*KEY["question"], {"id": "r", "loss": "w^2", "wrt": ["w"]}]}
    out = tmp_path / "graded.jsonl"
    grade(two, [*ANSWERS, {"student": "a", "question": "r", "answer": "2w"}], out=out, workers=1)
    before = out.read_bytes()
    with pytest.raises(ProblemError, match=r"holds 1 graded row\(s\).*such as 'a' on 'r'"):
        grade(KEY, ANSWERS, out=out, resume=True, workers=1)
    assert out.read_bytes() == before
