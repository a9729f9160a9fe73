"""Data constraints of a question: finite value sets and one-hot labels, as exact cases.

``y in {0, 1}`` (or ``y ∈ {0, 1}``) lets y take only those values; ``one-hot(y0,
y1, y2)`` lets exactly one of the labels be 1 and the others 0. A claim is then
correct when it equals the true derivative in every case, which symgrad checks
case by case (exactly, since the cases are finite), and witness points take
their values from the cases. Any other relation (``x > 0``) is an assumption.

>>> split_constraints(["y in {0, 1}", "x > 0"])
([{y: 0}, {y: 1}], ['x > 0'])
>>> split_constraints(["one-hot(a, b)"])[0]
[{a: 1, b: 0}, {a: 0, b: 1}]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import sympy

from symgrad.errors import ProblemError
from symgrad.text.parse import check_name, normalize_name, parse_number, real_symbol
from symgrad.ties.problem import membership_shape_error, quote

MAX_CASES = 256
_MEMBER = re.compile(r"^\s*([^\s{}]+)\s*(?:\bin\b|\u2208)\s*\{([^{}]*)\}\s*$")
_ONE_HOT = re.compile(r"^\s*one[-_ ]?hot\s*\(([^()]*)\)\s*$", re.I)


def split_constraints(
    constraints: Sequence[str] | str | None,
) -> tuple[list[dict[sympy.Symbol, sympy.Expr]], list[str]]:
    """(the exact cases of the finite constraints, the remaining relations)."""
    if constraints is None:
        return [{}], []
    if isinstance(constraints, str):
        constraints = [constraints]
    if not isinstance(constraints, (list, tuple)):
        raise ProblemError(f"constraints must be a list of texts, not {type(constraints).__name__}")
    choices: list[list[dict[sympy.Symbol, sympy.Expr]]] = []
    relations: list[str] = []
    for item in constraints:
        if not isinstance(item, str):
            raise ProblemError(f"a constraint must be text, not {type(item).__name__}")
        problem = membership_shape_error(item)
        if problem:
            raise ProblemError(f"constraint {quote(item)}: {problem}")
        member = _MEMBER.match(item)
        one_hot = _ONE_HOT.match(item)
        if member:
            symbol = real_symbol(check_name(normalize_name(member.group(1)), "constrained symbol"))
            texts = [v for v in member.group(2).split(",") if v.strip()]
            _check_count(len(texts), item)
            values = [parse_number(v) for v in texts]
            if not values:
                raise ProblemError(f"constraint {quote(item)} lists no values")
            choices.append([{symbol: v} for v in dict.fromkeys(values)])
        elif one_hot:
            texts = [n for n in one_hot.group(1).split(",") if n.strip()]
            _check_count(len(texts), item)
            names = [check_name(n.strip(), "label") for n in texts]
            if len(names) < 2:
                raise ProblemError(f"constraint {quote(item)} needs two or more labels")
            symbols = [real_symbol(n) for n in names]
            choices.append(
                [{s: sympy.S.One if s == hot else sympy.S.Zero for s in symbols} for hot in symbols]
            )
        else:
            relations.append(item)
    count = 1
    for options in choices:  # counted before any case is built
        count *= len(options)
        if count > MAX_CASES:
            raise ProblemError(f"the constraints allow more than {MAX_CASES} cases")
    cases: list[dict[sympy.Symbol, sympy.Expr]] = [{}]
    for options in choices:
        cases = [{**case, **option} for case, option in itertools.product(cases, options)]
    return cases, relations


def _check_count(count: int, item: str) -> None:
    """Refuse a constraint with more values or labels than cases are checked, before any
    of them is read."""
    if count > MAX_CASES:
        raise ProblemError(
            f"constraint {quote(item)} allows {count} cases; at most {MAX_CASES} are checked"
        )
