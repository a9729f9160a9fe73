"""The gradebook: one row per student, points per question and the total, as CSV.

The column layout is the one Moodle and Canvas import: an identifier column,
then one column per question headed with its id and maximum, then the total.
A cell that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is written with a leading quote.

>>> from symgrad.results import GradedAnswer
>>> rows = [GradedAnswer("ann", "q1", "correct", 2.0, 2.0, (), "correct", ())]
>>> print(gradebook_csv(rows, {"q1": 2.0}), end="")
student,q1 (2),total (2)
ann,2,2
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from symgrad.results import GradedAnswer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def gradebook_rows(
    rows: Sequence[GradedAnswer], maxima: Mapping[str, float]
) -> tuple[list[str], list[list[str]]]:
    """(header, one row per student in order of first appearance) with points and total."""
    students: dict[str, dict[str, float]] = {}
    for row in rows:
        students.setdefault(row.student, {})[row.question] = row.points
    header = [
        "student",
        *(f"{q} ({_number(m)})" for q, m in maxima.items()),
        f"total ({_number(sum(maxima.values()))})",
    ]
    table = []
    for student, points in students.items():
        cells = [_number(points[q]) if q in points else "" for q in maxima]
        table.append([safe_cell(student), *cells, _number(sum(points.values()))])
    return header, table


def gradebook_csv(rows: Sequence[GradedAnswer], maxima: Mapping[str, float]) -> str:
    """The gradebook as CSV text (see the module docstring)."""
    header, table = gradebook_rows(rows, maxima)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(table)
    return out.getvalue()
