"""The answers file: no row lost for what its answer holds; a broken file is one line."""

import json

import pytest

from symgrad.errors import DatasetError
from symgrad.teaching.answers import load_answers
from symgrad.teaching.grade import grade
from symgrad.teaching.key import load_key

KEY = {"question": [{"id": "q", "loss": "(y - w*x)^2", "wrt": ["w"]}]}


def test_a_cell_longer_than_the_csv_limit_is_that_rows_too_long(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(f'student,question,answer\na,q,"{"x" * 140_000}"\nb,q,-2x(y - wx)\n')
    rows, _ = grade(KEY, path)
    assert [(r.student, r.verdict) for r in rows] == [("a", "too_long"), ("b", "correct")]
    assert "140000 characters" in rows[0].feedback
    import csv

    assert csv.field_size_limit() == 131072  # the reader's limit was given back


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"student": ' + "1" * 5000 + ', "question": "q", "answer": "2"}', "4300 digits"),
        (
            '{"student": "a", "question": "q", "answer": ' + "[" * 50_000 + "]" * 50_000 + "}",
            "nested too deeply",
        ),  # fmt: skip
        ("[1, 2]", "not a JSON object"),
        ("{'student': 'a'}", "not JSON"),
    ],
)
def test_a_jsonl_line_that_cannot_be_read_is_one_line(tmp_path, line, message):
    path = tmp_path / "answers.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(DatasetError, match=message):
        grade(KEY, path)


@pytest.mark.parametrize("answer", [None, "", "   ", [], "n/a"])
def test_a_missing_or_empty_answer_is_blank(answer):
    record = {"student": "a", "question": "q"}
    if answer is not None:
        record["answer"] = answer
    rows, report = grade(KEY, [record])
    assert rows[0].verdict == "blank" and rows[0].codes == ("blank",) and rows[0].points == 0
    assert report.verdicts == {"blank": 1}


def test_a_short_csv_row_is_a_blank_answer(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("student,question,answer\na,q\n")
    rows, _ = grade(KEY, path)
    assert rows[0].verdict == "blank"


@pytest.mark.parametrize(
    "record, message",
    [
        ({"student": {"x": 1}, "question": "q", "answer": "1"}, "student must be text"),
        ({"student": " ", "question": "q", "answer": "1"}, "student is empty"),
        ({"student": "a\x1b[2J", "question": "q", "answer": "1"}, "control character"),
        ({"student": "a", "question": "q", "answer": {"w": 1}}, "text or a list"),
        ({"student": "a", "question": "zz", "answer": "1"}, "not in the key"),
        ({"student": "a", "question": "q", "answer": "1", "format": "pdf"}, "text or latex"),
    ],
)
def test_a_row_that_cannot_be_attributed_is_refused(record, message):
    with pytest.raises(DatasetError, match=message):
        load_answers([record], load_key(KEY))


def test_numbers_are_read_as_text_and_spaces_in_names_collapsed():
    [answer] = load_answers([{"student": 12, "question": "q", "answer": 0.5}], load_key(KEY))
    assert (answer.student, answer.answer) == ("12", ("0.5",))
    [answer] = load_answers([{"student": " Ann \t Lee\n", "question": "q", "answer": "1"}],
                            load_key(KEY))  # fmt: skip
    assert answer.student == "Ann Lee"


def test_jsonl_answers_may_be_lists(tmp_path):
    key = {"question": [{"id": "q", "loss": "w^2 b", "wrt": ["w", "b"]}]}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"student": "a", "question": "q", "answer": ["2wb", "w^2"]}) + "\n")
    rows, _ = grade(key, path)
    assert rows[0].verdict == "correct"


# ---------------------------------------------------------------- format in any case; keys once
@pytest.mark.parametrize("written", ["LaTeX", "LATEX", " latex ", "Text", "TEXT"])
def test_the_format_column_is_read_in_any_case(tmp_path, written):
    path = tmp_path / "a.csv"
    path.write_text(f"student,question,answer,format\ns,q,\\frac{{1}}{{2}},{written}\n")
    [answer] = load_answers(path, load_key(KEY))
    assert answer.format == written.strip().lower()


def test_a_format_that_is_neither_is_refused_by_its_row():
    with pytest.raises(DatasetError, match=r"row 1: format 'pdf' must be text or latex"):
        load_answers([{"student": "s", "question": "q", "answer": "1", "format": "PDF"}],
                     load_key(KEY))  # fmt: skip


def test_a_key_format_in_capitals_is_the_same_key():
    [question] = load_key({"question": [{"id": "q", "loss": "w^2", "wrt": ["w"],
                                         "format": "LaTeX"}]})  # fmt: skip
    assert question.format == "latex"


@pytest.mark.parametrize(
    "line, key",
    [
        ('{"student": "ann", "question": "q", "answer": "1", "student": "bob"}', "student"),
        ('{"student": "ann", "question": "q", "answer": "1", "answer": "2"}', "answer"),
        ('{"student": "ann", "question": "q", "answer": ["1", {"a": 1, "a": 2}]}', "a"),
    ],
)
def test_a_jsonl_line_naming_a_key_twice_is_refused_with_its_line_number(tmp_path, line, key):
    path = tmp_path / "a.jsonl"
    path.write_text('{"student": "cy", "question": "q", "answer": "1"}\n\n' + line + "\n")
    with pytest.raises(DatasetError) as error:
        load_answers(path, load_key(KEY))
    assert error.value.one_line() == f"answers line 3 names {key!r} twice: one value each"


def test_a_csv_header_naming_a_column_twice_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("student,question,answer,student\nann,q,1,bob\n")
    with pytest.raises(DatasetError, match="header names 'student' twice"):
        load_answers(path, load_key(KEY))


def test_an_overrides_header_naming_a_column_twice_is_refused(tmp_path):
    from symgrad.teaching.overrides import load_overrides

    path = tmp_path / "o.csv"
    path.write_text("student,question,points,points\nann,q,1,2\n")
    with pytest.raises(DatasetError, match="header names 'points' twice"):
        load_overrides(path, load_key(KEY))
