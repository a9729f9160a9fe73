"""The zero-test ladder: cheapest sound method first, heavy CAS work last and bounded.

1. structural: SymPy's canonical form already made the expression ``0``;
2. refutation by exact evaluation at rational points (:mod:`symgrad.sampling`):
   a certified nonzero value is a witness, so no simplification is spent on it;
3. rational normal form (``cancel``) for expressions built from ``+ - * /`` and
   integer powers, which decides zero-ness exactly;
4. ``simplify`` after rewriting activations in terms of ``exp``, in a worker
   process that is killed at the deadline (:mod:`symgrad.worker`).

Only steps 1, 3 and 4 can say "zero" and only when the result is exactly 0;
only step 2 can say "nonzero", with its point.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from symgrad.dag import dag_nodes
from symgrad.errors import BudgetError
from symgrad.functions import to_elementary
from symgrad.sampling import Nonzero, Sampler, find_nonzero  # noqa: F401 - re-exported
from symgrad.worker import run_with_budget  # noqa: F401 - re-exported


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


def _simplify_is_zero(expr: sympy.Expr) -> bool:
    elementary = to_elementary(expr)
    if sympy.expand(elementary) == 0:
        return True
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


def prove_zero(
    expr: sympy.Expr, seconds: float, signs: Mapping[sympy.Symbol, str] | None = None
) -> ZeroProof:
    """Try to show ``expr == 0`` identically: normal form, then bounded ``simplify``."""
    if expr == 0:
        return ZeroProof(True, "structural equality")
    expr = with_signs(expr, signs)
    deadline = time.monotonic() + seconds
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
