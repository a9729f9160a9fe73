"""The teacher's overrides: applied after grading, shown, re-applied (not stacked) on resume."""

import json

import pytest

from symgrad.errors import DatasetError
from symgrad.teaching.grade import grade

KEY = {"question": [{"id": "q", "loss": "(y - w*x)^2", "wrt": ["w"], "points": 2}]}
ANSWERS = [
    {"student": "a", "question": "q", "answer": "-2x(y - wx)"},
    {"student": "b", "question": "q", "answer": "2x(y - wx)"},
]


def _file(tmp_path, text):
    path = tmp_path / "overrides.csv"
    path.write_text(text)
    return path


def test_an_override_sets_points_and_keeps_symgrads(tmp_path):
    overrides = _file(tmp_path, "student,question,points,comment\nb,q,1.5,the sign slipped late\n")
    rows, report = grade(KEY, ANSWERS, overrides=overrides)
    b = rows[1]
    assert b.points == 1.5 and b.auto_points == 0 and b.override["comment"].startswith("the sign")
    assert report.totals == {"a": 2.0, "b": 1.5}
    html = report.to_html()
    assert "the sign slipped late" in html and "symgrad gave 0" in html


def test_a_comment_alone_keeps_the_points(tmp_path):
    rows, _ = grade(KEY, ANSWERS, overrides=[{"student": "a", "question": "q", "comment": "nice"}])
    assert rows[0].points == 2 and rows[0].override["comment"] == "nice"


def test_overrides_are_applied_again_on_resume_not_stacked(tmp_path):
    out = tmp_path / "graded.jsonl"
    first = _file(tmp_path, "student,question,points,comment\nb,q,1,partial\n")
    grade(KEY, ANSWERS, out=out, overrides=first)
    assert json.loads(out.read_text().splitlines()[1])["points"] == 1
    rows, _ = grade(KEY, ANSWERS, out=out, resume=True)  # no overrides now: symgrad's points
    assert [r.points for r in rows] == [2, 0] and rows[1].override is None
    rows, _ = grade(KEY, ANSWERS, out=out, resume=True, overrides=[
        {"student": "b", "question": "q", "points": "1/2", "comment": ""},
    ])  # fmt: skip
    assert rows[1].points == 0.5 and rows[1].auto_points == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("student,question,points\nb,q,3\n", "from 0 to 2"),
        ("student,question,points\nb,q,-1\n", "from 0 to 2"),
        ("student,question,points\nb,q,nan\n", "from 0 to 2|not a number"),
        ("student,question,points\nb,q,inf\n", "not a number"),
        ("student,question,points\nb,q,1e400\n", "not a number|from 0 to 2"),
        ("student,question,points\nb,q,two\n", "not a number"),
        ("student,question,points\nz,q,1\n", "not in the answers file"),
        ("student,question,points\nb,q9,1\n", "not in the key"),
        ("student,question,points\nb,q,1\nb,q,2\n", "a second override"),
        ("name,points\nb,1\n", "header must be"),
        ("student,question,points\nb,q,\n", "give points, a comment or both"),
    ],
)
def test_a_bad_override_is_refused_before_grading(tmp_path, text, message):
    with pytest.raises(DatasetError, match=message):
        grade(KEY, ANSWERS, overrides=_file(tmp_path, text))
