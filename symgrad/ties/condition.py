"""The data condition under which a tie persists: the real zero set of the differences.

The tie persists from every point of the tied subspace T exactly when every
gradient difference on T vanishes for every parameter value there. Each
difference is split into that condition exactly:

- its numerator is factored; a product of functions analytic in the
  parameters vanishes identically iff one factor does, so the condition is the
  union over factors; factors that never vanish for real arguments (``exp``,
  ``1 - tanh(z)**2``, ``sigmoid``, ``x**2 + 1``) are dropped, with a note;
- a factor polynomial in the parameters vanishes identically iff every
  coefficient (an expression in the data) does;
- a factor that is not (``tanh(w*(x0 + x1))``) gives necessary equations at
  sampled parameter values, and every solution branch is verified by
  substituting it back; an unverified branch makes the condition partial;
- the equations in the data are solved over the reals (:mod:`symgrad.exact.solve`):
  sums of squares split, divisions split by cases; what cannot be solved is
  kept as an implicit equation, which is still exact.

A branch with at least one equation is a proper analytic subset of data space,
so a condition whose every branch has one has measure zero.

>>> from symgrad.text.parse import parse_expression as P, real_symbol as R
>>> w0 = R("w0")
>>> d = P("-2*(x0 - x1)*(y - w0*(x0 + x1))")
>>> tie_condition([d], [w0], [R("x0"), R("x1"), R("y")]).text
'x0 = x1 or (x0 = -x1 and y = 0)'
>>> tie_condition([P("(x0 - x1)*(1 - tanh(w0*(x0 + x1))**2)")], [w0], [R("x0"), R("x1")]).text
'x0 = x1'
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from symgrad.errors import BudgetError
from symgrad.exact.dag import tree_size
from symgrad.exact.printing import to_str
from symgrad.exact.ranges import never_zero
from symgrad.exact.solve import Unsolved, real_solutions
from symgrad.exact.zero import run_with_budget
from symgrad.results import Condition, ConditionBranch
from symgrad.runtime.budget import Budget
from symgrad.ties.problem import natural_key

MAX_CONJUNCTIONS = 128
MAX_SIZE = 1500
MAX_SAMPLED_DATA = 6
_NON_ANALYTIC = (
    sympy.Abs,
    sympy.sign,
    sympy.Heaviside,
    sympy.Piecewise,
    sympy.Max,
    sympy.Min,
)


class _Partial(Exception):
    """The condition cannot be determined exactly."""


def _analytic(expr: sympy.Basic) -> bool:
    from symgrad.exact import functions as fn

    return not expr.has(*_NON_ANALYTIC, fn.relu, fn.Max, fn.Min, fn.argmax_share, fn.argmin_share)


def _factor_conditions(
    factor: sympy.Expr, parameters: Sequence[sympy.Symbol], data, notes: list[str]
) -> list[list[sympy.Expr]] | None:
    """Alternatives (each a conjunction of data equations) for ``factor == 0 for all θ``."""
    present = [p for p in parameters if p in factor.free_symbols]
    if not present:
        return [[factor]]
    try:
        polynomial = sympy.Poly(factor, *present)
        coefficients = polynomial.coeffs()
        if not any(c.has(*present) for c in coefficients):
            return [[c for c in coefficients if c != 0]]
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        pass
    if not _analytic(factor):
        raise _Partial("the difference is not analytic in the parameters (kinks)")
    return _sampled_conditions(factor, present, data, notes)


def _sampled_conditions(factor, present, data, notes):
    """Necessary equations from sampled parameter values, each solution verified."""
    involved = [s for s in data if s in factor.free_symbols]
    if len(involved) > MAX_SAMPLED_DATA or tree_size(factor, MAX_SIZE) > MAX_SIZE // 3:
        raise _Partial("the difference is too large to solve for every parameter value")
    equations = []
    for k, values in enumerate(((1, 2), (-1, 3), (2, -1), (1, 1), (3, -2))):
        point = {p: sympy.Rational(values[i % 2] + i, 1 + k) for i, p in enumerate(present)}
        equation = sympy.numer(sympy.together(factor.xreplace(point)))
        functions = {n for n in sympy.preorder_traversal(equation) if isinstance(n, sympy.Function)}
        if len(functions) > 2:
            raise _Partial("the difference is not polynomial in the data")
        equations.append(equation)
    try:
        branches = real_solutions(equations, data)
    except Unsolved as error:
        raise _Partial(str(error)) from None
    verified = []
    for branch in branches:
        if branch.integers:
            raise _Partial("periodic solutions of a sampled equation")
        value = factor.xreplace(branch.substitution)
        if value == 0 or sympy.simplify(value) == 0:
            verified.append([s - v for s, v in branch.substitution.items()])
        else:
            raise _Partial("a solution of the sampled equations could not be verified")
    if not any(f for f in verified):
        return []
    notes.append("equations from sampled parameter values; every branch verified")
    return verified


def _difference_alternatives(difference, parameters, data, notes) -> list[list[sympy.Expr]]:
    """``difference == 0 for all θ`` as alternatives of conjunctions of data equations."""
    numerator = sympy.numer(sympy.together(difference))
    if numerator == 0:
        return [[]]
    try:
        _, factors = sympy.factor_list(numerator)
    except (sympy.PolynomialError, NotImplementedError):
        factors = [(numerator, 1)]
    alternatives: list[list[sympy.Expr]] = []
    for factor, _ in factors:
        if factor.is_number:
            continue
        if never_zero(factor):
            notes.append(
                f"dropped the factor {to_str(factor)}, which is never 0 for real arguments"
            )
            continue
        if not (
            parameters and set(parameters) & factor.free_symbols
        ) and not factor.free_symbols & set(data):
            continue
        alternatives.extend(_factor_conditions(factor, parameters, data, notes))
    return alternatives


def _conjunctions(per_difference: list[list[list[sympy.Expr]]]) -> list[list[sympy.Expr]]:
    combined: list[list[sympy.Expr]] = [[]]
    for alternatives in per_difference:
        combined = [left + right for left in combined for right in alternatives]
        if len(combined) > MAX_CONJUNCTIONS:
            raise _Partial(f"more than {MAX_CONJUNCTIONS} cases")
    return combined


def _branch(equations: list[sympy.Expr], data) -> list[ConditionBranch]:
    """Solved branches of one conjunction, or the implicit equations when unsolvable."""
    if not equations:
        return [ConditionBranch()]
    try:
        solutions = real_solutions(equations, data)
    except Unsolved:
        implicit = tuple(
            sorted(
                {(e, sympy.S.Zero) for e in equations}, key=lambda p: sympy.default_sort_key(p[0])
            )
        )
        return [ConditionBranch(equations=implicit)]
    result = []
    for solution in solutions:
        pairs = tuple(sorted(solution.substitution.items(), key=lambda item: natural_key(item[0])))
        result.append(
            ConditionBranch(
                equations=pairs, conditions=solution.conditions, integers=solution.integers
            )
        )
    return result


def _holds_on(branch: ConditionBranch, other: ConditionBranch) -> bool:
    """Every equation of ``branch`` holds on the set described by ``other``."""
    if branch.conditions or branch.integers or other.integers:
        return False
    substitution = dict(other.equations)
    for lhs, rhs in branch.equations:
        value = (lhs - rhs).xreplace(substitution)
        if value != 0 and sympy.cancel(sympy.together(value)) != 0:
            return False
    return True


def drop_subsumed(branches: list[ConditionBranch]) -> list[ConditionBranch]:
    """Remove branches contained in another (e.g. x0 = x1 = 0 inside x0 = x1)."""
    kept: list[ConditionBranch] = []
    for index, branch in enumerate(branches):
        others = [b for k, b in enumerate(branches) if k != index]
        if any(
            other != branch
            and len(other.equations) < len(branch.equations)
            and _holds_on(other, branch)
            for other in others
        ):
            continue
        if branch not in kept:
            kept.append(branch)
    return kept


def _solve_condition(differences, parameters, data) -> Condition:
    notes: list[str] = []
    try:
        per_difference = [_difference_alternatives(d, parameters, data, notes) for d in differences]
        conjunctions = _conjunctions(per_difference)
    except _Partial as error:
        return Condition(
            branches=(), measure_zero=False, exact=False, solved=False, note=f"not solved: {error}"
        )
    branches: list[ConditionBranch] = []
    for conjunction in conjunctions:
        branches.extend(_branch(conjunction, data))
    if any(not b.equations and not b.conditions for b in branches):
        return Condition(branches=(ConditionBranch(),), measure_zero=False, notes=tuple(notes))
    branches = drop_subsumed(branches)
    measure_zero = all(b.equations for b in branches)
    return Condition(
        branches=tuple(branches), measure_zero=measure_zero, notes=tuple(dict.fromkeys(notes))
    )


def tie_condition(
    differences: Sequence[sympy.Expr],
    parameters: Sequence[sympy.Symbol],
    data: Sequence[sympy.Symbol],
    budget: Budget | float | None = None,
) -> Condition | None:
    """Solve ``differences == 0 for all parameter values`` for the data; None if out of budget."""
    seconds = budget.remaining() if isinstance(budget, Budget) else (budget or 10.0)
    differences = [d for d in differences if d != 0]
    if not differences:
        return Condition(branches=(ConditionBranch(),), measure_zero=False)
    if sum(tree_size(d, MAX_SIZE) for d in differences) > MAX_SIZE:
        return unsolved("the differences are too large to solve")
    parameters = sorted(parameters, key=natural_key)
    data = sorted(data, key=natural_key)
    try:
        return run_with_budget(
            lambda: _solve_condition(differences, parameters, data),
            max(seconds, 0.05),
            "solving the condition",
        )
    except BudgetError:
        return unsolved(f"out of its share of the time budget ({seconds:.2g} s)")


def unsolved(reason: str) -> Condition:
    """A condition not solved, with the reason (``not solved: ...``)."""
    return Condition(
        branches=(), measure_zero=False, exact=False, solved=False, note=f"not solved: {reason}"
    )
