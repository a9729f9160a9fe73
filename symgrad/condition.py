"""The data condition under which a tie persists, solved exactly.

The tie persists from every point of the tied subspace T exactly when every
gradient difference vanishes for every θ in T. For a difference polynomial in
the parameters that means every coefficient (an expression in the data)
vanishes; otherwise the difference is sampled at several rational θ, which
gives necessary equations, and each solution branch is then verified by
substituting it back. The solution set is reported as a disjunction of
conjunctions and called measure-zero when every branch pins at least one
data symbol (a proper algebraic subset of data space).

>>> from symgrad.parse import parse_expression as P, real_symbol as R
>>> w0 = R("w0")
>>> d = P("-2*(x0 - x1)*(y - w0*(x0 + x1))")
>>> tie_condition([d], [w0], [R("x0"), R("x1"), R("y")]).text
'x0 = x1 or (x0 = -x1 and y = 0)'
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from symgrad.errors import BudgetError
from symgrad.problem import natural_key
from symgrad.zero import run_with_budget


@dataclass(frozen=True)
class Condition:
    """A solved data condition: ``branches`` are alternatives, each a conjunction."""

    branches: tuple[tuple[tuple[sympy.Expr, sympy.Expr], ...], ...]
    measure_zero: bool
    exact: bool = True
    note: str = ""

    @property
    def text(self) -> str:
        if not self.branches:
            return "never (no data keeps the tie)"
        parts = []
        for branch in self.branches:
            if not branch:
                return "always"
            equations = " and ".join(f"{lhs} = {rhs}" for lhs, rhs in branch)
            parts.append(
                f"({equations})" if len(branch) > 1 and len(self.branches) > 1 else equations
            )
        return " or ".join(parts)

    def latex(self) -> str:
        from symgrad.report import latex as tex

        if not self.branches:
            return r"\text{never}"
        parts = []
        for branch in self.branches:
            if not branch:
                return r"\text{always}"
            inner = r" \wedge ".join(f"{tex(a)} = {tex(b)}" for a, b in branch)
            parts.append(f"({inner})" if len(branch) > 1 and len(self.branches) > 1 else inner)
        return r" \vee ".join(parts)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "measure_zero": self.measure_zero,
            "exact": self.exact,
            "branches": [{str(a): str(b) for a, b in branch} for branch in self.branches],
        }


def _equations(
    differences: Sequence[sympy.Expr], parameters: Sequence[sympy.Symbol]
) -> tuple[list[sympy.Expr], bool]:
    """Equations in the data alone; the flag says whether they were sampled (necessary only)."""
    equations: list[sympy.Expr] = []
    sampled = False
    for difference in differences:
        numerator = sympy.numer(sympy.together(difference))
        present = [p for p in parameters if p in numerator.free_symbols]
        if not present:
            equations.append(sympy.factor(numerator))
            continue
        try:
            polynomial = sympy.Poly(numerator, *present)
            equations.extend(sympy.factor(c) for c in polynomial.coeffs())
        except sympy.PolynomialError:
            sampled = True
            for k, values in enumerate(((1, 2), (-1, 3), (2, -1), (1, 1))):
                point = {p: sympy.Rational(values[i % 2] + i, 1 + k) for i, p in enumerate(present)}
                equations.append(numerator.xreplace(point))
    return [e for e in equations if e != 0], sampled


MAX_BRANCHES = 256


def solve_union(equations: Sequence[sympy.Expr], unknowns: Sequence[sympy.Symbol]) -> list[dict]:
    """All solutions of a system of equations ``e == 0``, branch by branch.

    Each equation is factored; the solution set is the union, over one chosen
    factor per equation, of the solutions of the chosen factors. (SymPy's
    ``solve`` on the whole system can miss branches, e.g. ``a = b`` in
    ``{S*(a - b) = 0, y*(a - b) = 0}``.)
    """
    wanted = set(unknowns)
    factor_lists = []
    for equation in equations:
        if equation == 0:
            continue
        _, factors = sympy.factor_list(equation)
        relevant = [f for f, _ in factors if f.free_symbols & wanted]
        if not relevant:
            return []
        factor_lists.append(sorted(set(relevant), key=sympy.default_sort_key))
    if not factor_lists:
        return [{}]
    count = 1
    for options in factor_lists:
        count *= len(options)
    if count > MAX_BRANCHES:
        return sympy.solve(list(equations), list(unknowns), dict=True)
    solutions: list[dict] = []
    for choice in itertools.product(*factor_lists):
        for solution in sympy.solve(
            sorted(set(choice), key=sympy.default_sort_key), list(unknowns), dict=True
        ):
            if solution not in solutions:
                solutions.append(solution)
    return solutions


def _solve(equations: list[sympy.Expr], data: Sequence[sympy.Symbol]):
    unknowns = sorted({s for e in equations for s in e.free_symbols} & set(data), key=natural_key)
    if not unknowns:
        return []
    solutions = solve_union(equations, unknowns)
    real = []
    for solution in solutions:
        if any(value.has(sympy.I) for value in solution.values()):
            continue
        real.append(solution)
    return real


def _holds_on(branch, other) -> bool:
    """Every equation of ``branch`` holds on the set described by ``other``."""
    substitution = dict(other)
    return all(sympy.cancel((lhs - rhs).xreplace(substitution)) == 0 for lhs, rhs in branch)


def _drop_subsumed(branches: list) -> list:
    """Remove branches contained in another branch (e.g. x0 = x1 = 0 inside x0 = x1)."""
    kept: list = []
    for index, branch in enumerate(branches):
        others = [b for k, b in enumerate(branches) if k != index]
        if any(
            other != branch and len(other) < len(branch) and _holds_on(other, branch)
            for other in others
        ):
            continue
        if branch not in kept:
            kept.append(branch)
    return kept


def tie_condition(
    differences: Sequence[sympy.Expr],
    parameters: Sequence[sympy.Symbol],
    data: Sequence[sympy.Symbol],
    seconds: float = 10.0,
) -> Condition | None:
    """Solve ``differences == 0 for all parameter values`` for the data; None if out of budget."""
    deadline = time.monotonic() + seconds
    equations, sampled = _equations(differences, parameters)
    exact = True
    if not equations:
        return Condition(branches=((),), measure_zero=False)
    if any(e.is_number for e in equations):
        return Condition(branches=(), measure_zero=True)
    try:
        solutions = run_with_budget(
            lambda: _solve(equations, data), seconds, "solving the condition"
        )
    except BudgetError:
        return None
    branches = []
    for solution in solutions:
        ok = True
        for difference in differences:
            value = difference.xreplace(solution)
            if value != 0 and sympy.cancel(sympy.together(value)) != 0:
                if time.monotonic() > deadline:
                    return None
                ok = False
                break
        if not ok:
            exact = False
            continue
        branch = tuple(
            sorted(((s, v) for s, v in solution.items()), key=lambda item: natural_key(item[0]))
        )
        branches.append(branch)
    branches = _drop_subsumed(branches)
    measure_zero = all(len(branch) > 0 for branch in branches)
    return Condition(
        branches=tuple(branches),
        measure_zero=measure_zero,
        exact=exact,
        note=("" if exact else "some solution branches could not be verified and were left out")
        + (" (equations from sampled parameter values; branches verified)" if sampled else ""),
    )
