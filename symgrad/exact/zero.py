"""The zero-test ladder: cheapest sound method first, heavy CAS work last and bounded.

1. structural: SymPy's canonical form already made the expression ``0``;
2. refutation by exact evaluation at rational points (:mod:`symgrad.exact.sampling`):
   a certified nonzero value is a witness, so no simplification is spent on it;
3. rational normal form (``cancel``) for expressions built from ``+ - * /`` and
   integer powers, which decides zero-ness exactly;
4. ``simplify`` after rewriting activations in terms of ``exp``, in a worker
   process that is killed at the deadline (:mod:`symgrad.runtime.worker`).

Only steps 1, 3 and 4 can say "zero" and only when the result is exactly 0;
only step 2 can say "nonzero", with its point.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from symgrad.errors import BudgetError
from symgrad.exact.dag import dag_nodes
from symgrad.exact.functions import to_elementary
from symgrad.exact.sampling import Nonzero, Sampler, find_nonzero  # noqa: F401 - re-exported
from symgrad.runtime.worker import run_with_budget  # noqa: F401 - re-exported


def is_rational_function(expr: sympy.Basic) -> bool:
    """True if ``expr`` uses only symbols, rationals, + and * and integer powers."""
    for node in dag_nodes(expr):
        if node.is_Symbol or node.is_Rational:
            continue
        if isinstance(node, (sympy.Add, sympy.Mul)):
            continue
        if isinstance(node, sympy.Pow) and node.exp.is_Integer:
            continue
        return False
    return True


@dataclass(frozen=True)
class ZeroProof:
    """The outcome of the symbolic stages: ``zero`` is True (proven), or None (undecided)."""

    zero: bool | None
    method: str
    reason: str = ""


def _cancel_is_zero(expr: sympy.Expr) -> bool:
    return sympy.cancel(sympy.together(expr)) == 0


_KINKS = (sympy.Heaviside, sympy.sign, sympy.Abs, sympy.Piecewise, sympy.Max, sympy.Min)


def _as_pieces(expr: sympy.Expr) -> sympy.Expr:
    """Kinks as Piecewise (PyTorch's values at the seams), folded into one Piecewise."""
    from symgrad.exact import functions as fn

    def share(pick):
        def rewrite(k, *args):
            k = int(k)
            others = [a for j, a in enumerate(args) if j != k]
            beats = [args[k] > o if pick is max else args[k] < o for o in others]
            if len(args) == 2:
                return sympy.Piecewise(
                    (1, beats[0]), (sympy.S.Half, sympy.Eq(args[0], args[1])), (0, True)
                )
            return None

        return rewrite

    expr = expr.replace(fn.relu, lambda z: sympy.Piecewise((z, z > 0), (0, True)))
    expr = expr.replace(fn.clip, lambda *a: fn.clip(*a).rewrite(sympy.Piecewise))
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Heaviside),
        lambda e: sympy.Piecewise(
            (1, e.args[0] > 0),
            (e.args[1] if len(e.args) > 1 else sympy.S.Half, sympy.Eq(e.args[0], 0)),
            (0, True),
        ),
    )
    expr = expr.replace(
        lambda e: isinstance(e, sympy.sign),
        lambda e: sympy.Piecewise((1, e.args[0] > 0), (0, sympy.Eq(e.args[0], 0)), (-1, True)),
    )
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Abs),
        lambda e: sympy.Piecewise((e.args[0], e.args[0] >= 0), (-e.args[0], True)),
    )
    expr = expr.replace(
        lambda e: isinstance(e, (fn.Max, fn.Min)) and len(e.args) == 2,
        lambda e: sympy.Piecewise(
            (
                e.args[0],
                e.args[0] >= e.args[1] if isinstance(e, fn.Max) else e.args[0] <= e.args[1],
            ),
            (e.args[1], True),
        ),
    )
    return sympy.piecewise_fold(expr)


def _pieces_are_zero(expr: sympy.Expr) -> bool:
    """Zero on every piece: open pieces by the identity theorem, seams by substitution."""
    folded = _as_pieces(expr)
    if not isinstance(folded, sympy.Piecewise):
        return _smooth_is_zero(folded)
    earlier = []
    for piece, condition in folded.args:
        region = sympy.And(condition, *(sympy.Not(c) for c in earlier))
        earlier.append(condition)
        if region == sympy.false:
            continue
        dnf = sympy.logic.boolalg.to_dnf(region)
        for part in dnf.args if isinstance(dnf, sympy.Or) else (dnf,):
            if part == sympy.false or _empty(part):
                continue
            value = _on_region(piece, part)
            if value is None or not _smooth_is_zero(value):
                return False
    return True


_SIGNS = {">": {1}, ">=": {0, 1}, "<": {-1}, "<=": {-1, 0}, "==": {0}, "!=": {-1, 1}}


def _empty(region) -> bool:
    """A conjunction of sign conditions on the same expressions that no point satisfies."""
    parts = region.args if isinstance(region, sympy.And) else (region,)
    allowed: dict[sympy.Expr, set[int]] = {}
    for part in parts:
        if not isinstance(part, sympy.core.relational.Relational):
            continue
        difference = sympy.expand(part.lhs - part.rhs)
        signs = set(_SIGNS[part.rel_op])
        if difference.could_extract_minus_sign():
            difference = -difference
            signs = {-s for s in signs}
        allowed[difference] = allowed.get(difference, {-1, 0, 1}) & signs
        if not allowed[difference]:
            return True
    if len(region.free_symbols) == 1:
        try:
            return region.as_set() == sympy.S.EmptySet
        except (NotImplementedError, TypeError, ValueError):
            return False
    return False


def _on_region(piece: sympy.Expr, region) -> sympy.Expr | None:
    """The piece on its region: equalities substituted (a seam), inequalities kept open."""
    parts = region.args if isinstance(region, sympy.And) else (region,)
    for part in parts:
        if isinstance(part, sympy.Eq):
            difference = part.lhs - part.rhs
            for symbol in sorted(difference.free_symbols, key=str):
                solutions = sympy.solve(difference, symbol)
                if len(solutions) == 1:
                    return piece.xreplace({symbol: solutions[0]})
            return None
    return piece


def _algebraic_is_zero(expr: sympy.Expr) -> bool:
    """Zero as a polynomial in its symbols whose coefficients are algebraic numbers, each
    shown to be 0 by its minimal polynomial (``(2 + sqrt(5))**(1/3) - (1 + sqrt(5))/2``)."""
    symbols = sorted(expr.free_symbols, key=str)
    expanded = sympy.expand(expr)
    if expanded == 0:
        return True
    if symbols:
        poly = expanded.as_poly(*symbols)
        if poly is None:
            return False
        coefficients = poly.coeffs()
    else:
        coefficients = [expanded]
    x = sympy.Dummy("x")
    for coefficient in coefficients:
        if coefficient == 0:
            continue
        if not coefficient.is_algebraic:
            return False
        if sympy.minimal_polynomial(coefficient, x) != x:
            return False
    return True


def _constants_in(expr: sympy.Expr) -> bool:
    """Some number in ``expr`` is an irrational algebraic constant (a root, or pi in a trig)."""
    return any(
        node.is_number and not node.is_Rational for node in expr.atoms(sympy.Pow, sympy.Function)
    )


def _smooth_is_zero(expr: sympy.Expr) -> bool:
    if expr == 0:
        return True
    if expr.has(*_KINKS):
        return False
    return _simplify_is_zero(expr)


def _simplify_is_zero(expr: sympy.Expr) -> bool:
    from symgrad.exact import functions as fn

    if expr.has(*_KINKS, fn.relu, fn.Max, fn.Min, fn.clip):
        try:
            if _pieces_are_zero(expr):
                return True
        except (TypeError, ValueError, NotImplementedError, RecursionError):
            pass
    elementary = to_elementary(expr)
    if sympy.expand(elementary) == 0:
        return True
    if _constants_in(elementary):
        try:
            if _algebraic_is_zero(elementary):
                return True
        except (NotImplementedError, ValueError, TypeError, sympy.PolynomialError):
            pass
    rewritten = elementary.rewrite(sympy.exp)
    if sympy.cancel(sympy.expand(rewritten)) == 0:
        return True
    return sympy.simplify(elementary) == 0


_SIGN_ASSUMPTIONS = {
    "positive": {"positive": True},
    "nonnegative": {"nonnegative": True},
    "negative": {"negative": True},
    "nonpositive": {"nonpositive": True},
}


def with_signs(expr: sympy.Expr, signs: Mapping[sympy.Symbol, str] | None) -> sympy.Expr:
    """Replace symbols by copies that carry their sign assumption (x > 0 -> positive x)."""
    if not signs:
        return expr
    mapping = {
        s: sympy.Symbol(s.name, real=True, **_SIGN_ASSUMPTIONS[sign]) for s, sign in signs.items()
    }
    return expr.xreplace(mapping)


HIGH_POWER = 40


def atomized(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each sum raised to a high power given its own fresh symbol:
    ``(x - a)**5999`` becomes ``u**5999``. An identity of the result is an identity of
    ``expr`` (set u back to x - a), and its normal form needs no expansion of the power."""
    bases = {
        node.base
        for node in expr.atoms(sympy.Pow)
        if isinstance(node.base, sympy.Add) and node.exp.is_Integer and abs(node.exp) > HIGH_POWER
    }
    if not bases:
        return expr
    return expr.xreplace({base: sympy.Dummy("u", real=True) for base in bases})


def prove_zero(
    expr: sympy.Expr, seconds: float, signs: Mapping[sympy.Symbol, str] | None = None
) -> ZeroProof:
    """Try to show ``expr == 0`` identically: normal form, then bounded ``simplify``."""
    if expr == 0:
        return ZeroProof(True, "structural equality")
    expr = with_signs(expr, signs)
    deadline = time.monotonic() + seconds
    light = atomized(expr)
    if light is not expr and is_rational_function(light):
        try:
            if run_with_budget(lambda: _cancel_is_zero(light), seconds / 2, "normal form"):
                return ZeroProof(True, "rational normal form (high powers kept whole)")
        except BudgetError:
            pass
    if is_rational_function(expr):
        try:
            zero = run_with_budget(lambda: _cancel_is_zero(expr), seconds, "rational normal form")
        except BudgetError as error:
            return ZeroProof(None, "rational normal form", str(error))
        if zero:
            return ZeroProof(True, "rational normal form")
        return ZeroProof(None, "rational normal form", "normal form is not 0")
    remaining = max(deadline - time.monotonic(), 0.05)
    try:
        zero = run_with_budget(lambda: _simplify_is_zero(expr), remaining, "simplify")
    except BudgetError as error:
        return ZeroProof(None, "simplify", str(error))
    if zero:
        return ZeroProof(True, "CAS simplification to exactly 0")
    return ZeroProof(None, "simplify", "simplification did not reach 0")
