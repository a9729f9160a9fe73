"""What a claim is judged under, shared by ``check``, derivation steps and ``grade``.

The loss's real domain, the assumptions (``--assume``: sign conditions feed the zero tests,
other relations restrict the points), the data constraints (finite cases such as
``y in {0, 1}``, each checked exactly, and relations) and the deadline. One
:class:`Setting` is built per question and used for every claim and every step, so that a
derivation line and a single ``check`` of the same claim see the same domain, assumptions and
conventions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import sympy

from symgrad.errors import ProblemError
from symgrad.exact.printing import to_str
from symgrad.text.parse import parse_relation
from symgrad.ties.constraints import split_constraints
from symgrad.ties.problem import FLIPPED, SIGNS, quote

_RELATIONS = {
    "=": sympy.Eq,
    "!=": sympy.Ne,
    ">": sympy.Gt,
    ">=": sympy.Ge,
    "<": sympy.Lt,
    "<=": sympy.Le,
}


@dataclasses.dataclass
class Setting:
    """What every component is judged under: signs, conditions, finite cases, the deadline."""

    signs: dict
    conditions: list
    cases: list
    deadline: float
    hide: bool = False
    assumption_texts: tuple = ()


def function_names(functions) -> tuple[str, ...]:
    """The declared function names (a list, or comma-separated text)."""
    from symgrad.ties.problem import _names_list

    return _names_list(functions, "functions")


def assumptions(assume, present, functions, latex):
    """(sign conditions used by the zero tests, other relations used by sampling, texts)."""
    signs: dict[sympy.Symbol, str] = {}
    relations: list[sympy.Basic] = []
    texts: list[str] = []
    if assume is not None and not isinstance(assume, (str, list, tuple)):
        raise ProblemError(f"assume must be text or a list of texts, not {type(assume).__name__}")
    items = [assume] if isinstance(assume, str) else list(assume or [])
    for item in items:
        if not isinstance(item, str):
            raise ProblemError(f"an assumption must be text, not {type(item).__name__}")
        lhs, op, rhs = parse_relation(item, functions, latex=latex)
        unknown = sorted(s.name for s in (lhs - rhs).free_symbols if s.name not in present)
        if unknown:
            raise ProblemError(
                f"assumption {quote(item)} names {', '.join(unknown)}, which the loss does not use"
            )
        mapping = {sympy.Symbol(n, real=True): present[n] for n in present}
        lhs, rhs = lhs.xreplace(mapping), rhs.xreplace(mapping)
        texts.append(f"{to_str(lhs)} {op} {to_str(rhs)}")
        if op in SIGNS and rhs.is_zero and lhs.is_Symbol:
            signs[lhs] = SIGNS[op]
        elif op in SIGNS and lhs.is_zero and rhs.is_Symbol:
            signs[rhs] = SIGNS[FLIPPED[op]]
        else:
            relations.append(_RELATIONS[op](lhs, rhs))
    return signs, relations, tuple(texts)


def unify(expr: sympy.Expr, present: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Give an expression's symbols the loss's symbol objects (same names, same assumptions)."""
    mapping = {
        s: present[s.name] for s in expr.free_symbols if s.name in present and present[s.name] != s
    }
    return expr.xreplace(mapping) if mapping else expr


def _case(case, present) -> dict:
    unknown = [str(s) for s in case if s.name not in present]
    if unknown:
        raise ProblemError(
            f"the constraint names {', '.join(unknown)}, which the loss does not use"
        )
    return {present[s.name]: v for s, v in case.items()}


def make_setting(
    present: Mapping[str, sympy.Symbol],
    domain: Sequence,
    assume,
    constraints,
    functions: Sequence[str],
    latex: bool,
    deadline: float,
) -> Setting:
    """The setting of a question: its assumptions, constraints and domain (constraints)."""
    cases, extra = split_constraints(constraints)
    if assume is not None and not isinstance(assume, (str, list, tuple)):
        raise ProblemError(f"assume must be text or a list of texts, not {type(assume).__name__}")
    assume = [*([assume] if isinstance(assume, str) else (assume or [])), *extra]
    if any(isinstance(item, str) for item in assume):  # y in {0, 1} among the assumptions
        assumed_cases, assume = split_constraints(assume)
        cases = [{**a, **b} for a in cases for b in assumed_cases]
    signs, relations, texts = assumptions(assume, present, functions, latex)
    for constraint in domain:  # the loss is real only there: w > 0 for log(w) is a sign
        if constraint.expr.is_Symbol and constraint.relation in (">", ">="):
            signs.setdefault(
                constraint.expr, "positive" if constraint.relation == ">" else "nonnegative"
            )
    conditions = relations + [c.as_boolean() for c in domain]
    return Setting(signs, conditions, [_case(c, present) for c in cases], deadline, False, texts)


__all__ = ["Setting", "assumptions", "function_names", "make_setting", "unify"]
