"""The HTML class report in a real browser: Debian's Chromium driven by Playwright (no browser
download), offline. The student table sorts, every answer is typeset MathML, the histograms
are drawn and their labels do not overlap. A screenshot is written to the test's folder.
"""

from __future__ import annotations

import shutil

import pytest

from symgrad.teaching.grade import grade

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if BROWSER is None:  # pragma: no cover - .ci/run installs Debian's chromium
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

LONG_ID = "x" * 300  # one word of 300 characters
KEY = {
    "question": [
        {"id": "q1", "loss": "(y - w x)^2", "wrt": ["w"], "points": 7},
        {"id": "q2", "loss": "(y - w x - b)^2", "wrt": ["w", "b"], "points": [3, 4]},
    ]
}  # a total of 14: the score histogram uses 10% bins
VARIANTS = {
    "q1": ["-2x(y - wx)", "2x(y - wx)", r"\frac{\partial J}{\partial w} = -2x(y-wx)", "", "(("],
    "q2": ["-2x(y - wx - b); -2(y - wx - b)", "-2x(y - wx - b); 2(y - wx - b)", "-2x(y-wx-b)"],
}


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    answers = [
        {
            "student": f"s{n:02d}",
            "question": q,
            "answer": variants[(n * 7 + len(q)) % len(variants)],
        }
        for n in range(12)
        for q, variants in VARIANTS.items()
    ]
    answers.append({"student": "<img src=x onerror=alert(1)>", "question": "q1", "answer": "0"})
    answers.append({"student": LONG_ID, "question": "q2", "answer": "0; 0"})
    rows, _ = grade(KEY, answers, report=folder / "report.html", workers=2)
    return folder / "report.html", rows


@pytest.fixture()
def page(report_file):
    path, _ = report_file
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})

        def only_the_file(route):
            requests.append(route.request.url)
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_the_file)
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(path.as_uri())
        page.requests, page.dialogs = requests, dialogs
        yield page
        browser.close()
    assert all(url.startswith("file:") for url in requests), requests


def test_every_student_is_in_the_table_with_a_total(page, report_file):
    _, rows = report_file
    students = {r.student for r in rows}
    body = page.locator("table.students tbody tr")
    assert body.count() == len(students)
    names = page.locator("table.students tbody tr td:first-child").evaluate_all(
        "cells => cells.map(c => c.getAttribute('title'))"
    )
    assert set(names) == students  # the hostile name is text, not an element
    assert page.dialogs == [] and page.locator("table.students img").count() == 0


def test_the_student_table_sorts_by_total(page):
    total = page.locator("table.students thead th").nth(3)
    total.click()
    values = [float(v) for v in page.locator("table.students tbody tr td:nth-child(4)")
              .evaluate_all("cells => cells.map(c => c.getAttribute('data-value'))")]  # fmt: skip
    assert values == sorted(values)
    total.click()
    values = [float(v) for v in page.locator("table.students tbody tr td:nth-child(4)")
              .evaluate_all("cells => cells.map(c => c.getAttribute('data-value'))")]  # fmt: skip
    assert values == sorted(values, reverse=True)


def test_every_answer_is_typeset_maths(page, report_file, tmp_path):
    _, rows = report_file
    cells = page.locator("td.answer")
    assert cells.count() == len(rows)
    assert page.locator("td.answer math").count() >= len(rows)
    # typeset: a fraction in a read answer has a numerator above its denominator
    heights = page.locator("td.answer math").evaluate_all(
        "nodes => nodes.map(n => n.getBoundingClientRect().height)"
    )
    assert all(h > 0 for h in heights)
    fraction = page.locator("h3 math mfrac, td math mfrac").first
    assert fraction.count() == 0 or fraction.bounding_box()["height"] > 0
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_histograms_are_drawn_and_their_labels_do_not_overlap(page):
    charts = page.locator("svg.histogram")
    assert charts.count() == 1 + len(KEY["question"])
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.locator("rect").count() >= 2
        labels = chart.locator("text.label").evaluate_all(
            "nodes => nodes.map(n => { const b = n.getBoundingClientRect();"
            " return [b.left, b.right, b.top, b.bottom]; })"
        )
        assert len(labels) == chart.locator("rect").count()
        for first, second in zip(labels, labels[1:]):
            overlap_x = min(first[1], second[1]) - max(first[0], second[0])
            overlap_y = min(first[3], second[3]) - max(first[2], second[2])
            assert overlap_x <= 0.5 or overlap_y <= 0.5, (first, second)


def test_a_long_id_does_not_push_the_points_out_of_the_window(page):
    """A 300-character id without spaces: the name is cut (whole in its title) and the
    points and total columns stay inside a 1,200 px window."""
    row = page.locator("table.students tbody tr", has=page.locator(f"td[title='{LONG_ID}']"))
    assert row.count() == 1
    shown = row.locator("td").first.inner_text()
    assert len(shown) <= 40 and shown.endswith("…")
    table = page.locator("table.students").bounding_box()
    assert table["x"] + table["width"] <= 1200
    for column in range(2, 6):  # q1, q2, total, codes
        cell = row.locator(f"td:nth-child({column})").bounding_box()
        assert cell["x"] >= 0 and cell["x"] + cell["width"] <= 1200, (column, cell)
    heading = page.locator("article.student h3", has_text="xxxxxxxxxx").bounding_box()
    assert heading["x"] + heading["width"] <= 1200
