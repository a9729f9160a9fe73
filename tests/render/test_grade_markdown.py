"""The Markdown report and feedback files: the same report as the HTML one, and nothing a
student or a key wrote can become a link, an image, HTML or a broken table.

Rendered with markdown-it-py (a dependency of rich, which typer brings) as CommonMark
with tables and strike-through, as GitHub and most Markdown viewers do.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad.render.grade_markdown import md_cell, md_text
from symgrad.teaching.grade import grade

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py comes with rich")
RENDERER = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])

IMAGE = "![y](http://evil.example/q.png)"
LINK = "[click](javascript:alert(1))"
AUTOLINK = "<http://evil.example>"
KEY = {
    "question": [
        {"id": "q1", "loss": "(y - w x)^2", "wrt": ["w"], "points": 2,
         "feedback": {"sign_error": f"see {LINK} and {IMAGE}"}},
        {"id": f"q2 {IMAGE}", "loss": "abs(w) + (w - y)^2", "wrt": ["w"]},
        {"id": "q3", "loss": "(y - w x - b)^2", "wrt": ["w", "b"]},
    ]
}  # fmt: skip
ANSWERS = [
    {"student": IMAGE, "question": "q1", "answer": "2x(y - wx)"},
    {"student": IMAGE, "question": f"q2 {IMAGE}", "answer": "w/abs(w) + 2(w - y)"},
    {"student": IMAGE, "question": "q3", "answer": "-2x(y - wx - b); -2(y - wx - b)"},
    {"student": LINK, "question": "q1", "answer": LINK},
    {"student": LINK, "question": f"q2 {IMAGE}", "answer": "sign(w) + 2(w - y)"},
    {"student": AUTOLINK, "question": "q1", "answer": f"{IMAGE} | a ~~b~~ | c"},
    {"student": "ann|bob", "question": "q3", "answer": "2x(y - wx - b); 2(y - wx - b)"},
]


@pytest.fixture(scope="module")
def graded():
    overrides = [{"student": LINK, "question": "q1", "points": 1, "comment": f"ok {IMAGE}"}]
    return grade(KEY, ANSWERS, workers=1, overrides=overrides)


def _html(markdown: str) -> str:
    return RENDERER.render(markdown)


def _no_link_image_or_html(rendered: str, allowed_images: int = 0) -> None:
    assert "<a " not in rendered and "<a>" not in rendered, rendered
    assert rendered.count("<img") == allowed_images, rendered
    assert "javascript:" not in re.sub(r">[^<]*<", "><", rendered)  # only in text, never a URL
    assert not re.search(r"<(script|iframe|span|div)\b", rendered)


def _tables_are_whole(rendered: str) -> None:
    """Every row of every table has as many cells as its header."""
    for table in re.findall(r"<table>(.*?)</table>", rendered, re.S):
        head = len(re.findall(r"<th\b", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.S):
            assert len(re.findall(r"<td\b", row)) == head, row


def test_the_markdown_report_makes_no_link_or_image_from_student_or_key_text(graded):
    _, report = graded
    rendered = _html(report.to_markdown())
    _no_link_image_or_html(rendered)
    assert "![y](http://evil.example/q.png)" in html.unescape(re.sub(r"<[^>]+>", "", rendered))


def test_the_histogram_image_is_the_only_image_in_the_written_report(graded, tmp_path):
    _, report = graded
    report.write(tmp_path / "r (1).md")
    rendered = _html((tmp_path / "r (1).md").read_text())
    images = re.findall(r"<img src=\"([^\"]*)\"", rendered)
    assert len(images) <= 1  # none without matplotlib
    if images:
        assert images == ["r%20%281%29-histogram.png"]
        _no_link_image_or_html(rendered, allowed_images=1)


def test_feedback_files_make_no_link_or_image(graded, tmp_path):
    grade(KEY, ANSWERS, workers=1, feedback_dir=tmp_path / "fb")
    files = list((tmp_path / "fb").iterdir())
    assert len(files) == 4
    for path in files:
        _no_link_image_or_html(_html(path.read_text()))


def test_tables_never_break_on_a_bar_in_text_or_maths(graded):
    _, report = graded
    markdown = report.to_markdown()
    assert r"\left|" not in markdown and r"\vert" in markdown  # abs(w) typeset without a bar
    _tables_are_whole(_html(markdown))


def test_the_markdown_report_is_the_html_report(graded):
    """Per student: answers, verdicts, points and feedback; overrides with symgrad's points;
    a histogram per question; a codes column; several parts as maths, not SymPy."""
    _, report = graded
    markdown = report.to_markdown()
    for section in ("## The class at a glance", "## Questions", "## Students",
                    "## Each student's answers"):  # fmt: skip
        assert section in markdown
    assert markdown.count("Points (points: answers):") == len(KEY["question"])
    assert "| student | q1 (2) |" in markdown and "| codes |" in markdown
    assert "1 ✎" in markdown and "symgrad gave 0" in markdown
    assert markdown.count("| question | answer as read | verdict | points | feedback |") == 4
    assert "dJ/dw = $" in markdown and "dJ/db = $" in markdown
    inline_code = re.findall(r"(?<!<pre>)<code>([^<]*)</code>", _html(markdown))
    assert all(re.fullmatch(r"[a-z_]+", code) for code in inline_code), inline_code


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80))
def test_escaped_text_renders_as_exactly_that_text(text):
    """Whatever a student typed, the Markdown shows those characters and makes no markup."""
    shown = RENDERER.renderInline(md_text(text))
    assert shown == html.escape(" ".join(text.split()), quote=False).replace('"', "&quot;")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
                min_size=1, max_size=4))  # fmt: skip
def test_escaped_cells_keep_a_table_whole(cells):
    table = "| " + " | ".join(f"h{i}" for i in range(len(cells))) + " |\n"
    table += "|---" * len(cells) + "|\n"
    table += "| " + " | ".join(md_cell(md_text(c)) or "-" for c in cells) + " |\n"
    _tables_are_whole(_html(table))


@pytest.mark.parametrize(
    "text", ["http://evil.example/q.png", "see www.evil.example now", "mail ann@evil.example"]
)
def test_githubs_autolinks_are_broken_in_escaped_text(text):
    """GitHub links a bare URL, www. or e-mail address; escaped, none is left whole."""
    escaped = md_text(text)
    assert not re.search(r"(?<!\\)://|www\.|(?<!\\)@", escaped), escaped
    assert RENDERER.renderInline(escaped) == html.escape(text, quote=False)
