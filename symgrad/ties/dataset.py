"""Concrete datasets: CSV files with a header naming data symbols, read exactly.

Cells are read as exact rationals (``0.1`` is 1/10, ``1/3`` is allowed) of at most
60 characters; a UTF-8 byte order mark (Excel's export) is ignored; errors name the
row and the column.

>>> rows = read_rows("x0,x1\\n1,2\\n0.5,1/3\\n")
>>> rows
[{'x0': Fraction(1, 1), 'x1': Fraction(2, 1)}, {'x0': Fraction(1, 2), 'x1': Fraction(1, 3)}]
"""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction
from pathlib import Path

from symgrad.errors import DatasetError

MAX_ROWS = 10_000
MAX_BYTES = 5 * 2**20
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?")
_FRACTION = re.compile(r"[+-]?\d+/\d+")
MAX_CELL = 60
MAX_EXPONENT = 2000


def exact_number(text: object, row: int, column: str) -> Fraction:
    """The exact rational written in a cell, or a DatasetError naming row and column."""
    if isinstance(text, bool):
        raise DatasetError(f"dataset row {row}, column {column!r}: {text!r} is not a number")
    if isinstance(text, (int, Fraction)):
        return Fraction(text)
    if isinstance(text, float) and (text != text or text in (float("inf"), float("-inf"))):
        raise DatasetError(f"dataset row {row}, column {column!r}: {text!r} is not a finite number")
    cell = repr(text) if isinstance(text, float) else str(text).strip()
    shown = cell if len(cell) <= 40 else cell[:37] + "..."
    if len(cell) > MAX_CELL:
        raise DatasetError(
            f"dataset row {row}, column {column!r}: the cell {shown!r} has {len(cell)} "
            f"characters, more than the limit of {MAX_CELL} for one number"
        )
    if not (_DECIMAL.fullmatch(cell) or _FRACTION.fullmatch(cell)):
        raise DatasetError(
            f"dataset row {row}, column {column!r}: {shown!r} is not a number "
            "(write decimals like 0.5, 1e-3, or fractions of whole numbers like 1/3)"
        )
    exponent = re.search(r"[eE]([+-]?\d+)", cell)
    if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
        raise DatasetError(
            f"dataset row {row}, column {column!r}: {shown!r} has an exponent beyond {MAX_EXPONENT}"
        )
    try:
        return Fraction(cell)
    except ZeroDivisionError:
        raise DatasetError(
            f"dataset row {row}, column {column!r}: {shown!r} divides by zero"
        ) from None
    except ValueError:
        raise DatasetError(
            f"dataset row {row}, column {column!r}: {shown!r} is not a number"
        ) from None


def read_rows(text: str) -> list[dict[str, Fraction]]:
    """Parse CSV text with a header into rows of exact numbers."""
    if not isinstance(text, str):
        raise DatasetError(f"dataset text must be a string, not {type(text).__name__}")
    if len(text) > MAX_BYTES:
        raise DatasetError(f"dataset of {len(text)} bytes exceeds the limit of {MAX_BYTES}")
    if "\x00" in text:
        raise DatasetError("the dataset contains NUL bytes: it is not a CSV text file")
    text = text.removeprefix("\ufeff")  # the byte order mark of an Excel "CSV UTF-8" export
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise DatasetError(
            "the dataset file is empty: it needs a header line such as x0,x1"
        ) from None
    except csv.Error as error:
        raise DatasetError(f"the dataset header is not valid CSV ({str(error)[:80]})") from None
    header = [name.strip() for name in header]
    if not any(header):
        raise DatasetError("the dataset header is empty: name the data symbols, e.g. x0,x1")
    for index, name in enumerate(header, start=1):
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or len(name) > 60:
            shown = name if len(name) <= 40 else name[:37] + "..."
            raise DatasetError(f"dataset header, column {index}: {shown!r} is not a symbol name")
    if len(set(header)) < len(header):
        duplicate = next(n for n in header if header.count(n) > 1)
        raise DatasetError(f"dataset header names column {duplicate!r} twice")
    rows = []
    try:
        return _rows(reader, header, rows)
    except csv.Error as error:
        raise DatasetError(
            f"dataset row {len(rows) + 1} is not valid CSV ({str(error)[:80]})"
        ) from None


def _rows(reader, header, rows):
    for number, cells in enumerate(reader, start=1):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise DatasetError(
                f"the dataset has more than {MAX_ROWS} rows: exact verdicts need a smaller "
                "sample (SGD needs every row's gradient to agree)"
            )
        if len(cells) != len(header):
            raise DatasetError(
                f"dataset row {number} has {len(cells)} cells, the header has {len(header)}"
            )
        rows.append({name: exact_number(cell, number, name) for name, cell in zip(header, cells)})
    if not rows:
        raise DatasetError("the dataset has a header but no rows")
    return rows


def read_csv(path: str | Path) -> list[dict[str, Fraction]]:
    """Read a CSV dataset file (see :func:`read_rows`): a regular file of at most 5 MB."""
    import os
    import stat

    shown = quote_path(path)
    try:
        info = os.stat(path)
    except (OSError, ValueError) as error:
        raise DatasetError(
            f"cannot read dataset {shown}: {getattr(error, 'strerror', None) or error}"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise DatasetError(f"dataset {shown} is not a regular file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise DatasetError(f"cannot read dataset {shown}: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise DatasetError(f"dataset {shown} exceeds the limit of {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetError(f"dataset {shown} is not UTF-8 text") from None
    return read_rows(text)


def quote_path(path: object) -> str:
    text = str(path)
    return repr(text if len(text) <= 80 else text[:77] + "...")
