"""The gradebook: one row per student, points per question and the total, as CSV.

The column layout is the one Moodle and Canvas import: an identifier column,
then one column per question headed with its id and maximum, then the total.
A question the student has no answer to is an empty cell (no submission); a blank
answer scores 0. A cell that a spreadsheet would run as a formula (starting, after
any spaces, with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed)
is written with a leading quote; :func:`unsafe_cell` takes it off again.

>>> from symgrad.results import GradedAnswer
>>> rows = [GradedAnswer("ann", "q1", "correct", 2.0, 2.0, (), "correct", ())]
>>> print(gradebook_csv(rows, {"q1": 2.0}), end="")
student,q1 (2),total (2)
ann,2,2
>>> safe_cell("=1+1"), unsafe_cell(safe_cell("=1+1"))
("'=1+1", '=1+1')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from symgrad.results import GradedAnswer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula (a leading quote where needed; a
    cell that starts with a quote gets one more, so :func:`unsafe_cell` is its inverse)."""
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_STARTS) or text.startswith("'"):
        return "'" + text
    return text


def unsafe_cell(text: str) -> str:
    """The value a :func:`safe_cell` cell stands for."""
    return text[1:] if text.startswith("'") else text


def points_text(value: float) -> str:
    """Points as a spreadsheet reads them: ``2``, ``1.5``, ``0.333333`` (never ``1e+06``)."""
    rounded = round(float(value), 6)
    if rounded.is_integer():
        return str(int(rounded))
    return f"{rounded:.6f}".rstrip("0").rstrip(".")


def gradebook_rows(
    rows: Sequence[GradedAnswer], maxima: Mapping[str, float]
) -> tuple[list[str], list[list[str]]]:
    """(header, one row per student in order of first appearance) with points and total."""
    students: dict[str, dict[str, float]] = {}
    for row in rows:
        students.setdefault(row.student, {})[row.question] = row.points
    header = [
        "student",
        *(safe_cell(f"{q} ({points_text(m)})") for q, m in maxima.items()),
        f"total ({points_text(sum(maxima.values()))})",
    ]
    table = []
    for student, points in students.items():
        cells = [points_text(points[q]) if q in points else "" for q in maxima]
        table.append([safe_cell(student), *cells, points_text(sum(points.values()))])
    return header, table


def gradebook_csv(rows: Sequence[GradedAnswer], maxima: Mapping[str, float]) -> str:
    """The gradebook as CSV text (see the module docstring)."""
    header, table = gradebook_rows(rows, maxima)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(table)
    return out.getvalue()


__all__ = ["gradebook_csv", "gradebook_rows", "points_text", "safe_cell", "unsafe_cell"]
