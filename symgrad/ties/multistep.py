"""Refutations after several steps: ties whose gradients agree at the init but not later.

From θ0 (the init, a point of T) gradient descent gives θ1(η), θ2(η), ...
If a tied pair has equal gradients at θ0, it is still equal at θ1, and the
tie may break only later. symgrad runs k = 1, ..., K steps at η* = 1/10 from
rational data and init, in exact rational arithmetic while the numbers stay
small and in rigorous interval arithmetic after that, and stops at the first
step where the pair's values are certified different.

For a loss built from functions analytic on the whole real line
(polynomials, exp, tanh, sigmoid, softplus, sin, cos, ...), η ↦ θk(η) is
analytic; the difference of the pair's values is not identically zero once
it is nonzero at η*, so its zeros are isolated and it is nonzero for every
η ≠ 0 small enough. That is the certificate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symgrad.exact import functions as fn
from symgrad.exact.calculus import gradients
from symgrad.exact.dag import dag_nodes
from symgrad.exact.evaluate import Evaluator, Undecided, certainly_differ
from symgrad.runtime.budget import Budget

ETA_STAR = Fraction(1, 10)
DEFAULT_STEPS = 6
_ANALYTIC = (
    sympy.Add,
    sympy.Mul,
    sympy.exp,
    sympy.tanh,
    sympy.sin,
    sympy.cos,
    sympy.sinh,
    sympy.cosh,
    fn.sigmoid,
    fn.softplus,
)
_EXACT_DIGITS = 200


def is_entire(loss: sympy.Expr) -> bool:
    """True if every node is analytic on the whole real line (no log, sqrt, kinks, poles)."""
    for node in dag_nodes(loss):
        if node.is_Symbol or node.is_Number or node.is_NumberSymbol:
            continue
        if isinstance(node, sympy.Pow):
            if node.exp.is_Integer and node.exp >= 0:
                continue
            return False
        if not isinstance(node, _ANALYTIC):
            return False
    return True


@dataclass(frozen=True)
class StepWitness:
    """From ``theta0`` and ``data`` the pair's values differ after ``steps`` steps of size ``eta``."""

    pair: tuple[sympy.Symbol, sympy.Symbol]
    theta0: Mapping[sympy.Symbol, Fraction]
    data: tuple[Mapping[sympy.Symbol, Fraction], ...]
    steps: int
    gradients: Mapping[sympy.Symbol, object]
    values: Mapping[sympy.Symbol, object]
    certified_by: str
    eta: Fraction = ETA_STAR
    analytic: bool = True


def _shrink(value):
    """Keep exact values while small; past that, an interval enclosure."""
    if isinstance(value, Fraction):
        size = max(value.numerator.bit_length(), value.denominator.bit_length())
        if size * 0.30103 > _EXACT_DIGITS:
            ctx = Evaluator({}).ctx
            return ctx.mpf(value.numerator) / ctx.mpf(value.denominator)
    return value


def _step(grads, parameters, theta, rows, eta, budget):
    """One gradient step; returns (new theta, gradient values)."""
    totals: dict[sympy.Symbol, object] = {p: Fraction(0) for p in parameters}
    for row in rows:
        evaluator = Evaluator({**row, **theta}, deadline=budget.deadline if budget else None)
        for p in parameters:
            totals[p] = _add(evaluator, totals[p], evaluator(grads[p]))
    evaluator = Evaluator({})
    new = {
        p: _shrink(_add(evaluator, theta[p], _scale(evaluator, -eta, totals[p])))
        for p in parameters
    }
    return new, totals


def _add(evaluator: Evaluator, a, b):
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a + b
    return evaluator.interval(a) + evaluator.interval(b)


def _scale(evaluator: Evaluator, factor: Fraction, value):
    if isinstance(value, Fraction):
        return factor * value
    return evaluator.interval(factor) * value


def run_steps(
    grads: Mapping[sympy.Symbol, sympy.Expr],
    parameters: Sequence[sympy.Symbol],
    theta0: Mapping[sympy.Symbol, Fraction],
    schedule: Sequence[Sequence[Mapping[sympy.Symbol, Fraction]]],
    pairs: Sequence[tuple[sympy.Symbol, sympy.Symbol]],
    eta: Fraction = ETA_STAR,
    budget: Budget | None = None,
):
    """Steps of GD (step t uses the rows ``schedule[t]``) until a pair is certified apart.

    Returns (step, pair, gradients at the last point, values) or None.
    """
    theta = dict(theta0)
    for step, rows in enumerate(schedule, start=1):
        if budget is not None and budget.expired():
            return None
        try:
            theta, grad_values = _step(grads, parameters, theta, rows, eta, budget)
        except (Undecided, ZeroDivisionError, ValueError, OverflowError):
            return None
        for first, second in pairs:
            if certainly_differ(theta[first], theta[second]):
                return step, (first, second), grad_values, theta
    return None


def separation_witness(
    loss: sympy.Expr,
    parameters: Sequence[sympy.Symbol],
    starts: Sequence[tuple[Mapping[sympy.Symbol, Fraction], Mapping[sympy.Symbol, Fraction]]],
    pairs: Sequence[tuple[sympy.Symbol, sympy.Symbol]],
    steps: int = DEFAULT_STEPS,
    dataset: Sequence[Mapping[sympy.Symbol, object]] | None = None,
    mode: str = "sgd",
    budget: Budget | None = None,
) -> StepWitness | None:
    """Search start points (θ0, data) for a pair that separates within ``steps`` steps.

    The witness is exact for its learning rate ``eta``; for an analytic loss the
    pair then separates for every small enough eta != 0 too (``analytic``).
    """
    if steps < 1:
        return None
    analytic = is_entire(loss)
    grads = gradients(loss, parameters, budget=budget)
    for theta0, data in starts:
        for rows in _schedules(data, dataset, mode):
            schedule = [rows] * steps
            found = run_steps(grads, parameters, theta0, schedule, pairs, ETA_STAR, budget)
            if found is None:
                continue
            step, pair, grad_values, theta = found
            exact = all(isinstance(theta[p], Fraction) for p in pair)
            return StepWitness(
                pair=pair,
                theta0=dict(theta0),
                data=tuple(rows),
                steps=step,
                gradients={p: grad_values[p] for p in pair},
                values={p: theta[p] for p in pair},
                certified_by="exact rational arithmetic" if exact else "interval arithmetic",
                analytic=analytic,
            )
    return None


def _schedules(data, dataset, mode):
    """The rows fed at each step: one data point, one dataset row (SGD), or all rows."""
    if dataset is None:
        return [[data]]
    rows = [{s: Fraction(int(v.p), int(v.q)) for s, v in row.items()} for row in dataset]
    if mode == "full-batch":
        return [rows]
    return [[row] for row in rows]
