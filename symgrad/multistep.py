"""Two-step refutations: ties whose gradients agree at the init but not after one step.

From θ0 (the init, a point of T) one step gives θ1(η) = θ0 - η g(θ0). If the
pair's gradients agree at θ0, the pair is still equal at θ1, and after the
second step the two values differ by -η (g_i - g_j)(θ1(η)). For a loss built
from functions analytic on the whole real line (polynomials, exp, tanh,
sigmoid, softplus, sin, cos, ...), η ↦ (g_i - g_j)(θ1(η)) is analytic; if it is
nonzero at one rational η* (certified exactly or with intervals) it is not
identically zero, so its zeros are isolated and it is nonzero for every η ≠ 0
small enough. That is the certificate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symgrad.calculus import dag_nodes, gradients, substitute
from symgrad.evaluate import Evaluator, Undecided, is_certainly_nonzero, is_exact
from symgrad.functions import sigmoid, softplus

ETA = sympy.Symbol("eta", positive=True)
ETA_STAR = sympy.Rational(1, 10)
_ANALYTIC = (
    sympy.Add,
    sympy.Mul,
    sympy.exp,
    sympy.tanh,
    sympy.sin,
    sympy.cos,
    sympy.sinh,
    sympy.cosh,
    sigmoid,
    softplus,
)


def is_entire(loss: sympy.Expr) -> bool:
    """True if every node is analytic on the whole real line (no log, sqrt, kinks, poles)."""
    for node in dag_nodes(loss):
        if node.is_Symbol or node.is_Number:
            continue
        if isinstance(node, sympy.Pow):
            if node.exp.is_Integer and node.exp >= 0:
                continue
            return False
        if not isinstance(node, _ANALYTIC):
            return False
    return True


@dataclass(frozen=True)
class TwoStepWitness:
    """At ``point`` (θ0 and data) the pair's gradients agree, but at θ1(1/10) they differ."""

    pair: tuple[sympy.Symbol, sympy.Symbol]
    point: Mapping[str, sympy.Expr]
    gradients: Mapping[str, sympy.Expr]
    difference: sympy.Expr
    certified_by: str
    eta: sympy.Expr = ETA_STAR


def two_step_witness(
    loss: sympy.Expr,
    parameters: Sequence[sympy.Symbol],
    start: Mapping[sympy.Symbol, sympy.Expr],
    pairs: Sequence[tuple[sympy.Symbol, sympy.Symbol]],
    points: Sequence[Mapping[sympy.Symbol, Fraction]],
) -> TwoStepWitness | None:
    """Search data points for a pair whose gradients differ after one step from ``start``."""
    if not is_entire(loss):
        return None
    members = sorted({p for pair in pairs for p in pair}, key=lambda s: s.name)
    for point in points:
        exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in point.items()}
        theta0 = {p: substitute(start.get(p, p), exact) for p in parameters}
        exact = {s: v for s, v in exact.items() if s not in theta0}
        at_theta0 = gradients(loss, parameters, at={**exact, **theta0})
        if any(value.free_symbols for value in at_theta0.values()):
            continue
        theta1 = {p: theta0[p] - ETA_STAR * at_theta0[p] for p in parameters}
        at_theta1 = gradients(loss, members, at={**exact, **theta1})
        evaluator = Evaluator({})
        for first, second in pairs:
            # the pair must still be equal after the first step: exactly equal gradients at θ0
            try:
                if evaluator(at_theta0[first] - at_theta0[second]) != Fraction(0):
                    continue
            except (Undecided, ZeroDivisionError, ValueError, OverflowError):
                continue
            if theta0[first] != theta0[second]:
                continue
            difference = at_theta1[first] - at_theta1[second]
            try:
                value = evaluator(difference)
            except (Undecided, ZeroDivisionError, ValueError, OverflowError):
                continue
            if is_certainly_nonzero(value):
                data = {str(s): v for s, v in exact.items() if s not in set(parameters)}
                return TwoStepWitness(
                    pair=(first, second),
                    point={**{str(p): theta0[p] for p in parameters}, **data},
                    gradients={str(first): at_theta1[first], str(second): at_theta1[second]},
                    difference=difference,
                    certified_by=(
                        "exact rational arithmetic" if is_exact(value) else "interval arithmetic"
                    ),
                )
    return None
