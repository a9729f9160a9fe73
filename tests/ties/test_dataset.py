"""CSV datasets: exact cells, and errors that name the row and the column."""

from fractions import Fraction

import pytest

from symgrad.errors import DatasetError
from symgrad.ties.dataset import read_csv, read_rows


def test_decimals_are_exact():
    rows = read_rows("x0,x1\n0.1,1/3\n")
    assert rows == [{"x0": Fraction(1, 10), "x1": Fraction(1, 3)}]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("x0,x1\n", "no rows"),
        ("x0,x1\n1,abc\n", "row 1, column 'x1'"),
        ("x0,x1\n1,2,3\n", "row 1 has 3 cells"),
        ("x0,x0\n1,2\n", "twice"),
        ("x 0,x1\n1,2\n", "not a symbol name"),
        ("x0\n1/0\n", "divides by zero"),
    ],
)
def test_bad_csv(text, fragment):
    with pytest.raises(DatasetError, match=fragment):
        read_rows(text)


def test_too_many_rows_refused_clearly(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("x0\n" + "1\n" * 20_000)
    with pytest.raises(DatasetError, match="more than"):
        read_csv(path)


def test_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="cannot read"):
        read_csv(tmp_path / "missing.csv")
