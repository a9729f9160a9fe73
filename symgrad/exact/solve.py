"""Complete real solution sets of equations in the data, branch by branch.

An assumption such as ``tan(x0) = 0`` or ``sin(x0) = sin(x1)`` is used only
through its *whole* real solution set: every branch is returned, periodic
families included (``x0 = pi*n0`` for an integer n0), or :class:`Unsolved` is
raised with the reason. Nothing is dropped silently.

Each step is an equivalence: a product is zero iff one factor is (factors that
never vanish for real arguments are dropped); a sum of nonnegative terms is
zero iff every term is; an equation linear in an unknown with a nonzero
constant coefficient is solved for it; a symbolic coefficient splits into
two cases; otherwise ``solveset`` over the reals gives the set, whose finite,
``Intersection(..., Reals)``, union and ``ImageSet`` parts are understood.

>>> from symgrad.text.parse import parse_expression as P, real_symbol as R
>>> x0, x1 = R("x0"), R("x1")
>>> [b.text() for b in real_solutions([P("tan(x0)")], [x0, x1])]
['x0 = pi*n0 (n0 an integer)']
>>> [b.text() for b in real_solutions([P("x0**2 + x1**2")], [x0, x1])]
['x0 = 0, x1 = 0']
>>> [b.text() for b in real_solutions([P("x0 - x0")], [x0])]
['(always)']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy

from symgrad.exact.domain import domain_of
from symgrad.exact.printing import to_str
from symgrad.exact.ranges import always_holds, never_zero

MAX_BRANCHES = 64


class Unsolved(Exception):
    """The real solution set could not be determined completely."""


def _distinct(conditions) -> tuple[sympy.Basic, ...]:
    """The conditions without repeats; ``-x != 0`` is ``x != 0``."""
    seen: list[sympy.Basic] = []
    for condition in conditions:
        if isinstance(condition, sympy.Ne) and condition.rhs == 0:
            lhs = condition.lhs
            condition = sympy.Ne(-lhs if lhs.could_extract_minus_sign() else lhs, 0)
        if condition not in seen:
            seen.append(condition)
    return tuple(seen)


@dataclass(frozen=True)
class Branch:
    """One part of a solution set: a substitution, its integer parameters and side conditions."""

    substitution: dict = field(default_factory=dict)
    integers: tuple[sympy.Symbol, ...] = ()
    conditions: tuple[sympy.Basic, ...] = ()

    def then(self, symbol: sympy.Symbol, value: sympy.Expr, integers=(), conditions=()) -> Branch:
        updated = {s: v.xreplace({symbol: value}) for s, v in self.substitution.items()}
        updated[symbol] = value
        kept = tuple(c.xreplace({symbol: value}) for c in self.conditions)
        new = _distinct(c for c in (*kept, *conditions) if c != sympy.true)
        return Branch(updated, self.integers + tuple(integers), new)

    def with_condition(self, condition: sympy.Basic) -> Branch:
        if condition == sympy.true:
            return self
        return Branch(self.substitution, self.integers, _distinct((*self.conditions, condition)))

    def text(self) -> str:
        parts = [
            f"{s} = {to_str(v)}"
            for s, v in sorted(self.substitution.items(), key=lambda i: i[0].name)
        ]
        parts += [to_str(c) for c in self.conditions]
        text = ", ".join(parts) if parts else "(always)"
        if self.integers:
            names = ", ".join(str(n) for n in self.integers)
            text += f" ({names} an integer{'s' if len(self.integers) > 1 else ''})"
        return text


class _Solver:
    def __init__(self, unknowns: Sequence[sympy.Symbol], signs=None, taken=()) -> None:
        self.unknowns = list(unknowns)
        self.signs = dict(signs or {})
        self.counter = itertools.count()
        self.taken = {str(s) for s in taken} | {str(u) for u in unknowns}

    def integer(self) -> sympy.Symbol:
        while True:
            name = f"n{next(self.counter)}"
            if name not in self.taken:
                self.taken.add(name)
                return sympy.Symbol(name, integer=True)

    # ------------------------------------------------------------ recursion
    def solve(self, equations: list[sympy.Expr], branch: Branch) -> list[Branch]:
        pending = []
        for equation in equations:
            value = _normal(equation.xreplace(branch.substitution))
            if value == 0:
                continue
            if value.is_number:
                if never_zero(value) or value.is_zero is False:
                    return []
                raise Unsolved(f"cannot decide whether {to_str(value)} is 0")
            pending.append(value)
        if not pending:
            return [branch]
        first, rest = pending[0], pending[1:]
        results: list[Branch] = []
        for alternative, extra in self.alternatives(first):
            start = branch
            for condition in extra:
                start = start.with_condition(condition)
            if alternative is None:
                continue
            if isinstance(alternative, _Solved):
                start = start.then(
                    alternative.symbol,
                    alternative.value,
                    alternative.integers,
                    alternative.conditions,
                )
                results.extend(self.solve(rest, start))
            else:
                results.extend(self.solve(list(alternative) + rest, start))
            if len(results) > MAX_BRANCHES:
                raise Unsolved(f"more than {MAX_BRANCHES} solution branches")
        return results

    def alternatives(self, equation: sympy.Expr):
        """Ways the equation can hold: lists of equations (a conjunction) or a solved symbol."""
        numerator, denominator = sympy.fraction(sympy.together(equation))
        extra = [sympy.Ne(f, 0) for f in _factors(denominator) if not never_zero(f, self.signs)]
        terms = _nonnegative_terms(numerator, self.signs)
        if terms is not None:
            return [(terms, extra)]
        factors = [f for f in _factors(numerator) if not never_zero(f, self.signs)]
        if not factors:
            return []
        if len(factors) > 1:
            return [([f], extra) for f in factors]
        factor = factors[0]
        terms = _nonnegative_terms(factor, self.signs)
        if terms is not None:
            return [(terms, extra)]
        return [(solved, extra + list(conditions)) for solved, conditions in self.eliminate(factor)]

    def eliminate(self, factor: sympy.Expr):
        """Solve an irreducible equation for one unknown (all real solutions)."""
        present = [u for u in self.unknowns if u in factor.free_symbols]
        if not present:
            raise Unsolved(f"cannot decide for which values {to_str(factor)} = 0")
        linear = _linear_choice(factor, present)
        if linear is not None:
            symbol, coefficient, rest = linear
            if coefficient.is_number:
                return [(_Solved(symbol, -rest / coefficient), [])]
            nonzero = [
                sympy.Ne(f, 0) for f in _factors(coefficient) if not never_zero(f, self.signs)
            ]
            if not nonzero:
                return [(_Solved(symbol, -rest / coefficient), [])]
            return [
                (_Solved(symbol, -rest / coefficient), nonzero),
                ([coefficient, rest], []),
            ]
        for symbol in present:
            found = self.solveset(factor, symbol)
            if found is not None:
                return found
        raise Unsolved(f"symgrad cannot solve {to_str(factor)} = 0 completely over the reals")

    def solveset(self, factor: sympy.Expr, symbol: sympy.Symbol):
        if len(_transcendental_parts(factor, symbol)) > 1:
            return None  # several transcendental functions of the unknown: no closed form
        try:
            result = sympy.solveset(factor, symbol, sympy.S.Reals)
        except (NotImplementedError, ValueError, TypeError):
            return None
        try:
            found = self.set_branches(result, symbol)
        except Unsolved:
            return None
        return self.with_degenerate_cases(found, factor, symbol)

    def with_degenerate_cases(self, found, factor: sympy.Expr, symbol: sympy.Symbol):
        """SymPy solves for ``symbol`` with the other unknowns generic: its solutions hold
        where every coefficient of a ``symbol``-term is nonzero. Where one vanishes the
        equation is a different one (``x1*x3**7 = c`` at ``x1 = 0``): add that branch."""
        terms = _terms_in(factor, symbol)
        varying = [(g, c) for g, c in terms if not c.is_number and not never_zero(c, self.signs)]
        if not varying:
            return found
        nonzero = [sympy.Ne(c, 0) for _, c in varying]
        generic = [(solved, list(extra) + nonzero) for solved, extra in found]
        degenerate = [([c, sympy.expand(factor - c * g)], []) for g, c in varying]
        return generic + degenerate

    def set_branches(self, result, symbol):
        if result == sympy.S.EmptySet:
            return []
        if result == sympy.S.Reals:
            return [([], [])]
        if isinstance(result, sympy.Union):
            parts = []
            for part in _pair_inverse_trig(result.args):
                parts.extend(self.set_branches(part, symbol))
            return parts
        if isinstance(result, sympy.FiniteSet):
            return [(_Solved(symbol, v, (), _real_conditions(v)), []) for v in result.args]
        if isinstance(result, sympy.Intersection) and sympy.S.Reals in result.args:
            others = [a for a in result.args if a != sympy.S.Reals]
            if len(others) == 1 and isinstance(others[0], sympy.FiniteSet):
                return [(_Solved(symbol, v, (), _real_conditions(v)), []) for v in others[0].args]
        if isinstance(result, sympy.ImageSet):
            lamda = result.lamda
            if result.base_sets == (sympy.S.Integers,) and len(lamda.variables) == 1:
                n = self.integer()
                value = lamda.expr.xreplace({lamda.variables[0]: n})
                return [(_Solved(symbol, value, (n,), _real_conditions(value)), [])]
        if isinstance(result, sympy.ConditionSet):
            if always_holds(result.condition, self.signs):
                return self.set_branches(result.base_set, symbol)
        raise Unsolved(f"the real solution set {result} is not understood")


@dataclass(frozen=True)
class _Solved:
    symbol: sympy.Symbol
    value: sympy.Expr
    integers: tuple = ()
    conditions: tuple = ()


def _terms_in(expr: sympy.Expr, symbol: sympy.Symbol) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """``expr`` = sum of c_i * g_i(symbol) + r: the pairs (g_i, c_i), c_i free of ``symbol``."""
    coefficients: dict[sympy.Expr, sympy.Expr] = {}
    for term in sympy.Add.make_args(sympy.expand(expr)):
        independent, dependent = term.as_independent(symbol, as_Add=False)
        if dependent != 1:
            coefficients[dependent] = coefficients.get(dependent, 0) + independent
    return [(g, sympy.expand(c)) for g, c in coefficients.items()]


def _transcendental_parts(expr: sympy.Expr, symbol: sympy.Symbol) -> set:
    """The distinct function applications (and symbolic powers) that contain ``symbol``."""
    parts = set()
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Function) and node.has(symbol):
            parts.add(node)
        elif isinstance(node, sympy.Pow) and not node.exp.is_Rational and node.has(symbol):
            parts.add(node)
    return parts


def _normal(expr: sympy.Expr) -> sympy.Expr:
    if expr.is_number:
        return sympy.nsimplify(expr) if expr.has(sympy.Float) else sympy.simplify(expr)
    return expr


def _factors(expr: sympy.Expr) -> list[sympy.Expr]:
    """The distinct non-constant factors of ``expr``."""
    try:
        _, factors = sympy.factor_list(expr)
    except (sympy.PolynomialError, NotImplementedError, ValueError):
        return [expr]
    unique = []
    for factor, _ in factors:
        if factor.is_number:
            continue
        if factor not in unique:
            unique.append(factor)
    return unique or [expr]


def _nonnegative_terms(expr: sympy.Expr, signs) -> list[sympy.Expr] | None:
    """For a sum of terms that are each >= 0 (or each <= 0): the terms, else None."""
    if not isinstance(expr, sympy.Add):
        return None
    terms = list(expr.args)
    from symgrad.exact.ranges import value_range

    ranges = [value_range(t, signs) for t in terms]
    nonneg = all(r.low is not None and r.low >= 0 for r in ranges)
    nonpos = all(r.high is not None and r.high <= 0 for r in ranges)
    if not (nonneg or nonpos):
        return None
    return (
        [t for t in terms if not t.is_number]
        if not any(t.is_number and t != 0 for t in terms)
        else [sympy.S.One]
    )


def _linear_choice(factor: sympy.Expr, present):
    """(u, a, b) with factor = a*u + b and a free of u; constant a preferred."""
    best = None
    for symbol in present:
        try:
            polynomial = sympy.Poly(factor, symbol)
        except (sympy.PolynomialError, sympy.GeneratorsNeeded):
            continue
        if polynomial.degree() != 1:
            continue
        coefficient, rest = polynomial.all_coeffs()
        if coefficient.has(symbol) or rest.has(symbol):
            continue
        if coefficient.is_number:
            return symbol, coefficient, rest
        if best is None:
            best = (symbol, coefficient, rest)
    return best


def _real_conditions(value: sympy.Expr) -> tuple:
    """Conditions under which ``value`` is a real number (log arguments positive, ...)."""
    if value.has(sympy.I):
        raise Unsolved(f"the solution {to_str(value)} is not real in general")
    return tuple(c.as_boolean() for c in domain_of(value))


def _pair_inverse_trig(parts):
    """{2nπ + asin(sin u)} ∪ {2nπ + π - asin(sin u)} is {2nπ + u} ∪ {2nπ + π - u}."""

    def undo(part):
        if not isinstance(part, sympy.ImageSet):
            return part
        expr = part.lamda.expr.replace(
            lambda e: isinstance(e, sympy.asin) and isinstance(e.args[0], sympy.sin),
            lambda e: e.args[0].args[0],
        ).replace(
            lambda e: isinstance(e, sympy.acos) and isinstance(e.args[0], sympy.cos),
            lambda e: e.args[0].args[0],
        )
        return sympy.ImageSet(sympy.Lambda(part.lamda.variables, expr), *part.base_sets)

    has_asin = [p for p in parts if isinstance(p, sympy.ImageSet) and p.lamda.expr.has(sympy.asin)]
    has_acos = [p for p in parts if isinstance(p, sympy.ImageSet) and p.lamda.expr.has(sympy.acos)]
    if len(has_asin) == 2 or len(has_acos) == 2:
        return [undo(p) for p in parts]
    return list(parts)


def real_solutions(
    equations: Sequence[sympy.Expr],
    unknowns: Sequence[sympy.Symbol],
    signs=None,
    taken=(),
) -> list[Branch]:
    """Every real solution of ``equations == 0`` for ``unknowns``, as branches; or Unsolved."""
    solver = _Solver(unknowns, signs, taken)
    return solver.solve([sympy.sympify(e) for e in equations], Branch())
