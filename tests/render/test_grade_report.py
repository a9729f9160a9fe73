"""The class report and the feedback files: every student, maths typeset, nothing fetched,
everything a student wrote escaped, in every format."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symgrad.render.grade import md_text, terminal_text
from symgrad.render.maths_text import segments, sentence_mathml
from symgrad.teaching.grade import grade
from tests.render.test_formats import _katex, _render_with_katex, _segments, _structural_latex

KEY = {
    "question": [
        {"id": "q1", "loss": "(y - w x)^2", "wrt": ["w"]},
        {"id": "q2", "loss": "(y - w x - b)^2", "wrt": ["w", "b"], "points": [1, 2]},
    ]
}
HOSTILE = "<script>alert(1)</script> & =cmd"
ANSWERS = [
    {"student": "ann", "question": "q1", "answer": "-2x(y - wx)"},
    {"student": "ann", "question": "q2", "answer": "-2x(y - wx - b); -2(y - wx - b)"},
    {"student": HOSTILE, "question": "q1", "answer": "2x(y - wx) <b>&amp;</b>"},
    {"student": HOSTILE, "question": "q2", "answer": ""},
    {"student": "cy", "question": "q1", "answer": r"\frac{\partial J}{\partial w} = -2x(y-wx)"},
]


@pytest.fixture(scope="module")
def report():
    return grade(KEY, ANSWERS, workers=1)[1]


def test_html_report_shows_every_student_with_total_and_typeset_answers(report):
    html = report.to_html()
    table = html.split("<table class='students sortable'>")[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 3  # the header and one row per student
    assert ">ann</a>" in table and ">cy</a>" in table
    answers = re.findall(r"<td class='answer'[^>]*>(.*?)</td>", html)
    assert len(answers) == len(ANSWERS) and all("<math" in a for a in answers)
    assert html.count("<svg class='histogram'") == 1 + len(KEY["question"])
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_report_fetches_nothing(report):
    html = report.to_html()
    assert not re.search(r"https?:|//[a-z]|\burl\(|@import|<link|<img|<iframe", html, re.I)
    assert html.count("<script>") == 1  # the sorting script, inline


def test_markdown_report_escapes_what_students_wrote_and_typesets_maths(report):
    markdown = report.to_markdown()
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "| ann | 1 | 3 | **4** |" in markdown
    assert "$" in markdown
    segments_found = [a or b for a, b in _segments(markdown)]
    assert segments_found
    module = _katex()
    if module:
        _render_with_katex(module, segments_found)
    else:
        for segment in segments_found:
            _structural_latex(segment)


def test_text_report_lists_students_and_cannot_drive_a_terminal(report):
    text = report.to_text()
    assert "Students (points per question; total of 4):" in text
    assert re.search(r"\n  ann +1 +3 +4\n", text)
    # names with control characters are refused when read; a row made in Python shows escapes
    assert terminal_text("a\x1b[2Jb\u202e") == "a\\u001b[2Jb\\u202e"


def test_latex_report_has_the_student_table(report):
    latex = report.to_latex()
    assert "student & q1 & q2 & total" in latex and "ann & 1 & 3 & 4" in latex


def test_feedback_files_one_per_student(tmp_path):
    rows, report = grade(KEY, ANSWERS, workers=1, feedback_dir=tmp_path / "fb")
    files = sorted(p.name for p in (tmp_path / "fb").iterdir())
    assert len(files) == 3 and "ann.md" in files and "cy.md" in files
    hostile = next(f for f in files if f not in ("ann.md", "cy.md"))
    assert re.fullmatch(r"[A-Za-z0-9._-]+\.md", hostile)
    text = (tmp_path / "fb" / hostile).read_text()
    assert "&lt;script&gt;" in text and "blank" in text and "<script>" not in text
    cy = (tmp_path / "fb" / "cy.md").read_text()
    assert "read as LaTeX" in cy and "$" in cy
    grade(KEY, ANSWERS, workers=1, feedback_dir=tmp_path / "html", feedback_format="html")
    page = (tmp_path / "html" / "ann.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<math") >= 3


def test_a_feedback_folder_keeps_files_symgrad_did_not_write(tmp_path):
    folder = tmp_path / "fb"
    folder.mkdir()
    (folder / "ann.md").write_text("ann's own notes")
    from symgrad.errors import ProblemError

    with pytest.raises(ProblemError, match="not written by symgrad"):
        grade(KEY, ANSWERS, workers=1, feedback_dir=folder)
    assert (folder / "ann.md").read_text() == "ann's own notes"


@pytest.mark.parametrize(
    "sentence, maths",
    [
        ("one term is wrong: the term lambda*w should be 2*lambda*w", ["lambda*w", "2*lambda*w"]),
        ("the claim lacks d(w*x)/dw = x", ["d(w*x)/dw"]),
        (
            "claim - true derivative = (-v*tanh(w*x) + y)*tanh(w*x) + 1",
            ["(-v*tanh(w*x) + y)*tanh(w*x) + 1"],
        ),  # fmt: skip
        ("sign error: the claim is exactly minus the true derivative", []),
        ("expected a closing bracket (at column 11 of '-2x(y - w x')", []),
    ],
)
def test_only_plain_expressions_in_feedback_are_typeset(sentence, maths):
    assert [text for kind, text in segments(sentence) if kind == "maths"] == maths
    html = sentence_mathml(sentence)
    assert html.count("<math") == len(maths)


@given(st.text(alphabet="abwxy*+-/()^ =:,.210", max_size=60))
def test_segments_give_the_sentence_back(sentence):
    assert "".join(text for _, text in segments(sentence)) == sentence


@given(st.text(max_size=80))
def test_markdown_text_has_no_raw_html_or_markup(text):
    escaped = md_text(text)
    assert "<" not in escaped and ">" not in escaped
    assert not re.search(r"(?<!\\)[*_`|$]", escaped.replace("&amp;", "").replace("&lt;", "")
                         .replace("&gt;", ""))  # fmt: skip


def test_feedback_files_that_would_meet_are_never_written(tmp_path):
    from symgrad.errors import ProblemError
    from symgrad.results import render

    _, report = grade(KEY, ANSWERS[:2], workers=1)
    files = {"ann": tmp_path / "Ann.md", "ANN": tmp_path / "ann.md"}
    with pytest.raises(ProblemError, match="would be one file"):
        render(report, "feedback", files, "markdown")
    assert list(tmp_path.iterdir()) == []
