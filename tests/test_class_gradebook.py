"""A class of 40 students and 5 questions, graded as a teacher would, answers known by
construction.

Every student's answer to every question is drawn from a pool of variants whose verdict,
points and code were worked out by hand (correct ones written plainly, in Unicode, as
pasted LaTeX, as derivations, parts named in any order; named mistakes; blanks;
unreadable, undefined and wrong-shape answers), so each student's total is known before
grading. The run writes the report, the gradebook and one feedback file per student,
and refuses ``--out answers.csv`` with the answers intact.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import re

import pytest
from typer.testing import CliRunner

from symgrad.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()

KEY = r"""
[[question]]
id = "q1"
loss = "(y - w x)^2"
wrt = ["w"]
points = 2
[question.rubric]
constant_factor = 1

[[question]]
id = "q2"
loss = "-y ln(σ(w x + b)) - (1 - y) ln(1 - σ(w x + b))"
wrt = ["w", "b"]
constraints = ["y in {0, 1}"]
points = [1, 1]

[[question]]
id = "q3"
loss = "(y - w x)^2 + lambda w^2"
wrt = ["w"]
points = 2

[[question]]
id = "q4"
loss = '\frac{1}{2}(y - v \tanh(w x))^{2}'
wrt = ["w", "v"]
format = "latex"
points = [1, 1]

[[question]]
id = "q5"
loss = "abs(w) + (w - y)^2/3"
wrt = ["w"]
points = 1
"""

# question -> [(answer, verdict, points, code or None)], each worked out by hand
POOL = {
    "q1": [
        ("-2x(y - wx)", "correct", 2, None),
        ("2x(wx − y)", "correct", 2, None),  # a Unicode minus
        (r"\frac{\partial J}{\partial w} = -2x\left(y - wx\right)", "correct", 2, None),
        ("$-2 x (y - w x)$", "correct", 2, None),
        ("dJ/dw = 2(y - wx)(-x)\n= -2x(y - wx)", "correct", 2, None),
        ("2x(y - wx)", "incorrect", 0, "sign_error"),  # minus the derivative
        ("-x(y - wx)", "incorrect", 1, "constant_factor"),  # half of it: the rubric's 1
        ("", "blank", 0, "blank"),
        ("-2x(y - wx", "unreadable", 0, "unreadable"),
        ("-2x(y - wz)", "undefined_symbol", 0, "undefined_symbol"),  # z is not the question's
    ],
    "q2": [
        ("(σ(wx + b) - y) x; σ(wx + b) - y", "correct", 2, None),
        (r"(\sigma(wx+b) - y)x; \sigma(wx+b) - y", "correct", 2, None),
        ("dJ/db = σ(wx+b) - y\ndJ/dw = (σ(wx+b) - y) x", "correct", 2, None),  # parts named
        ("dJ/db = σ(wx+b) - y; dJ/dw = x(σ(wx+b) - y)", "correct", 2, None),  # in any order
        ("σ(wx + b) - y; σ(wx + b) - y", "incorrect", 1, "missing_chain_factor"),  # x missing
        ("(σ(wx + b) - y) x", "wrong_shape", 0, "wrong_shape"),  # one part for two
        (";", "blank", 0, "blank"),
    ],
    "q3": [
        ("-2x(y - wx) + 2 lambda w", "correct", 2, None),
        (r"-2x(y - wx) + 2\lambda w", "correct", 2, None),
        ("-2x(y - wx) + 2λw", "correct", 2, None),
        ("-2x(y - wx) + lambda w", "incorrect", 0, "one_term_wrong"),  # λw for 2λw
        ("n/a", "blank", 0, "blank"),
    ],
    "q4": [
        (
            r"-(y - v\tanh(wx)) v x (1 - \tanh^{2}(wx)); -(y - v\tanh(wx))\tanh(wx)",
            "correct",
            2,
            None,
        ),  # fmt: skip
        (
            r"-(y - v\tanh(wx)) v x \operatorname{sech}^2(wx); -(y - v\tanh(wx))\tanh(wx)",
            "correct",
            2,
            None,
        ),  # fmt: skip  (sech^2 = 1 - tanh^2)
        (
            r"-(y - v\tanh(wx)) v (1 - \tanh^{2}(wx)); -(y - v\tanh(wx))\tanh(wx)",
            "incorrect",
            1,
            "missing_chain_factor",
        ),  # fmt: skip  (d(wx)/dw = x missing)
        (
            r"(y - v\tanh(wx)) v x (1 - \tanh^{2}(wx)); (y - v\tanh(wx))\tanh(wx)",
            "incorrect",
            0,
            "sign_error",
        ),  # fmt: skip
        ("", "blank", 0, "blank"),
    ],
    "q5": [
        ("sign(w) + 2(w - y)/3", "correct", 1, None),
        ("1 + 2(w - y)/3", "incorrect", 0, "one_term_wrong"),  # right only for w > 0
        ("w" * 25_000, "too_long", 0, "too_long"),
        ("  ", "blank", 0, "blank"),
    ],
}
STUDENTS = [f"student{n:02d}" for n in range(1, 39)] + ['=HYPERLINK("x")', "Zoë <b>&</b>"]


def _class() -> tuple[list[dict], dict[tuple[str, str], tuple]]:
    rng = random.Random(23)
    rows, expected = [], {}
    for index, student in enumerate(STUDENTS):
        for qid, pool in POOL.items():
            answer, verdict, points, code = pool[(index + rng.randrange(len(pool))) % len(pool)]
            rows.append({"student": student, "question": qid, "answer": answer})
            expected[(student, qid)] = (verdict, points, code)
    return rows, expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    records, expected = _class()
    (folder / "key.toml").write_text(KEY)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["student", "question", "answer"])
    writer.writeheader()
    writer.writerows(records)
    (folder / "answers.csv").write_text(out.getvalue())
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = runner.invoke(app, [
            "grade", "answers.csv", "--key", "key.toml", "--report", "r.html", "--gradebook",
            "g.csv", "--feedback-dir", "fb/", "--out", "graded.jsonl", "--workers", "2",
        ])  # fmt: skip
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.stderr
    return folder, expected, result


def _totals(expected) -> dict[str, float]:
    totals: dict[str, float] = {}
    for (student, _), (_, points, _) in expected.items():
        totals[student] = totals.get(student, 0) + points
    return totals


def test_every_answer_is_graded_as_worked_out_by_hand(graded):
    import json

    folder, expected, _ = graded
    rows = [json.loads(line) for line in (folder / "graded.jsonl").read_text().splitlines()]
    assert len(rows) == 200
    for row in rows:
        verdict, points, code = expected[(row["student"], row["question"])]
        assert (row["verdict"], row["points"]) == (verdict, points), row
        assert code is None or code in row["codes"], row


def test_the_gradebook_has_one_row_per_student_with_the_known_totals(graded):
    folder, expected, _ = graded
    table = list(csv.reader(io.StringIO((folder / "g.csv").read_text())))
    assert table[0] == ["student", "q1 (2)", "q2 (2)", "q3 (2)", "q4 (2)", "q5 (1)", "total (9)"]
    assert len(table) == 1 + 40
    totals = _totals(expected)
    for row in table[1:]:
        student = row[0][1:] if row[0].startswith("'") else row[0]
        assert float(row[-1]) == totals[student], row
    assert table[-2][0] == '\'=HYPERLINK("x")'  # never run as a formula


def test_the_report_shows_every_student_with_their_total_and_the_maths(graded):
    folder, expected, _ = graded
    html = (folder / "r.html").read_text()
    table = html.split("<table class='students sortable'>")[1].split("</table>")[0]
    for student, total in _totals(expected).items():
        from html import escape

        from symgrad.teaching.gradebook import points_text

        row = re.search(
            rf">{re.escape(escape(student, quote=True))}</a></td>.*?<b>([\d.]+)</b>", table
        )
        assert row and row.group(1) == points_text(total), student
    answers = re.findall(r"<td class='answer'[^>]*>(.*?)</td>", html)
    assert len(answers) == 200 and all("<math" in a for a in answers)
    assert not re.search(r"https?:|<link|<img|url\(", html)
    assert "Zoë &lt;b&gt;&amp;&lt;/b&gt;" in html


def test_one_feedback_file_per_student_reads_the_pasted_latex(graded):
    folder, expected, _ = graded
    files = sorted((folder / "fb").iterdir())
    assert len(files) == 40
    pasted = [
        s for (s, q), _ in expected.items()
        if q == "q1" and next(r for r in _class()[0] if (r["student"], r["question"]) == (s, q))[
            "answer"].startswith(("\\frac", "$"))
    ]  # fmt: skip
    assert pasted
    from symgrad.teaching.files import safe_file_names

    names = safe_file_names(STUDENTS, ".md")
    for student in pasted:
        text = (folder / "fb" / names[student]).read_text()
        assert "your answer was read as LaTeX" in text


def test_blanks_are_coded_blank_not_syntax(graded):
    folder, expected, result = graded
    blanks = sum(1 for verdict, _, _ in expected.values() if verdict == "blank")
    assert blanks and f"blank {blanks}" in result.stdout
    assert "syntax" not in (folder / "graded.jsonl").read_text()


def test_out_answers_csv_is_refused_with_the_answers_intact(graded):
    folder, _, _ = graded
    before = hashlib.sha256((folder / "answers.csv").read_bytes()).hexdigest()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = runner.invoke(app, ["grade", "answers.csv", "--key", "key.toml", "--out",
                                     "answers.csv"])  # fmt: skip
    finally:
        os.chdir(cwd)
    assert result.exit_code == 2 and "same file as the answers" in result.stderr
    assert hashlib.sha256((folder / "answers.csv").read_bytes()).hexdigest() == before
