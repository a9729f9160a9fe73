"""The gradebook: one row per student, formula-safe cells, points as spreadsheets read them."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from symgrad.results import GradedAnswer
from symgrad.teaching.gradebook import (
    FORMULA_STARTS,
    gradebook_csv,
    points_text,
    safe_cell,
    unsafe_cell,
)


@given(st.text(max_size=40))
def test_no_cell_starts_a_formula_and_the_value_comes_back(text):
    cell = safe_cell(text)
    assert not cell.lstrip(" ").startswith(FORMULA_STARTS)
    assert unsafe_cell(cell) == text


@given(st.floats(0, 1e6, allow_nan=False))
def test_points_are_plain_decimals(value):
    text = points_text(value)
    assert "e" not in text and abs(float(text) - value) <= 1e-6


def test_one_row_per_student_and_an_empty_cell_for_no_answer():
    rows = [
        GradedAnswer("=HYPERLINK(1)", "q1", "correct", 2.0, 2.0, (), "", ()),
        GradedAnswer("=HYPERLINK(1)", "q2", "blank", 0.0, 1.0, ("blank",), "", ()),
        GradedAnswer("bob", "q2", "incorrect", 0.5, 1.0, (), "", ()),
    ]
    table = list(csv.reader(io.StringIO(gradebook_csv(rows, {"q1": 2.0, "-q2": 1.0, "q2": 1.0}))))
    assert table[0] == ["student", "q1 (2)", "'-q2 (1)", "q2 (1)", "total (4)"]
    assert table[1] == ["'=HYPERLINK(1)", "2", "", "0", "2"]
    assert table[2] == ["bob", "", "", "0.5", "0.5"]
