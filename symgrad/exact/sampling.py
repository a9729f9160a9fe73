"""Rational sample points, and the search for a certified nonzero value.

A :class:`Sampler` gives deterministic rational points for a set of symbols:
the data first at 1, 2, 3, ... (witnesses read well), then points with
negative and mixed signs, then random ones; integer symbols (the ``n`` of a
periodic assumption) get small integers; sign conditions and side conditions
(a branch's ``y != 0``, the loss's domain) are respected by skipping points
that violate them. Sampling can only refute: :func:`find_nonzero` returns a
point where an expression is certified nonzero, exactly or by intervals.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symgrad.exact.evaluate import Evaluator, Undecided, Value, as_float, is_certainly_nonzero
from symgrad.runtime.budget import Budget

VISIBLE = 1e-6
_INTEGERS = (0, 1, -1, 2, -2, 3)


def _natural_key(symbol: sympy.Symbol) -> tuple:
    parts = re.split(r"(\d+)", symbol.name)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


class Sampler:
    """Rational points for ``symbols``, deterministic for a seed.

    ``fixed`` pins symbols; ``signs`` restricts symbols to ``positive``,
    ``nonnegative``, ``negative`` or ``nonpositive`` values; ``conditions``
    are SymPy relations a point must satisfy (checked exactly).
    """

    def __init__(
        self,
        symbols: Iterable[sympy.Symbol],
        fixed: Mapping[sympy.Symbol, Fraction] | None = None,
        signs: Mapping[sympy.Symbol, str] | None = None,
        seed: int = 0,
        leading: Iterable[sympy.Symbol] = (),
        conditions: Sequence[sympy.Basic] = (),
    ) -> None:
        self.fixed = dict(fixed or {})
        symbols = set(symbols)
        first = [s for s in leading if s in symbols and s not in self.fixed]
        rest = sorted(
            (s for s in symbols if s not in self.fixed and s not in first), key=_natural_key
        )
        self.leading = first
        self.symbols = first + rest
        self.signs = dict(signs or {})
        self.seed = seed
        self.conditions = [c for c in conditions if c != sympy.true]

    def _value(
        self, index: int, position: int, symbol: sympy.Symbol, rng: random.Random
    ) -> Fraction:
        if symbol.is_integer:
            return Fraction(
                _INTEGERS[(index + position) % len(_INTEGERS)] if index < 6 else rng.randint(-4, 4)
            )
        lead = position < len(self.leading)
        schedule = [
            lambda: Fraction(position + 1) if lead else Fraction(0),
            lambda: Fraction(position + 1) if lead else Fraction(1, position + 2),
            lambda: Fraction(position + 1) if lead else Fraction(-1, position + 2),
            lambda: Fraction((-1) ** position * (2 * position + 1), 2 + position % 3),
            lambda: Fraction(-(position + 1)) if lead else Fraction(-(position + 1), 3),
            lambda: Fraction(position + 2, position + 1) * (-1 if position % 2 else 1),
        ]
        if index < len(schedule):
            return schedule[index]()
        return Fraction(rng.randint(-12, 12), rng.randint(1, 5))

    def points(self, count: int) -> Iterable[dict[sympy.Symbol, Fraction]]:
        rng = random.Random(self.seed)
        produced = 0
        attempts = 0
        while produced < count and attempts < 4 * count + 8:
            index = attempts
            attempts += 1
            point = dict(self.fixed)
            for position, symbol in enumerate(self.symbols):
                value = self._value(index, position, symbol, rng)
                point[symbol] = self._respect_sign(symbol, value)
            if self.conditions and not self._admissible(point):
                continue
            produced += 1
            yield point

    def _admissible(self, point: Mapping[sympy.Symbol, Fraction]) -> bool:
        evaluator = Evaluator(point)
        for condition in self.conditions:
            try:
                if evaluator(condition) is not True:
                    return False
            except (Undecided, ZeroDivisionError, ValueError, OverflowError, TypeError):
                return False
        return True

    def _respect_sign(self, symbol: sympy.Symbol, value: Fraction) -> Fraction:
        sign = self.signs.get(symbol)
        if sign in ("positive", "nonnegative"):
            value = abs(value) or Fraction(1)
        elif sign in ("negative", "nonpositive"):
            value = -(abs(value) or Fraction(1))
        return value


@dataclass(frozen=True)
class Nonzero:
    """A certificate that ``expressions[index]`` is not identically zero."""

    index: int
    point: dict
    value: Value


def find_nonzero(
    expressions: Sequence[sympy.Expr],
    sampler: Sampler,
    tries: int = 10,
    budget: Budget | None = None,
) -> tuple[Nonzero | None, list[list[float]]]:
    """Evaluate every expression at up to ``tries`` points; the first certified nonzero.

    Returns the certificate (or None) and the float evidence gathered, one
    list of values per point, for reporting only.
    """
    evidence: list[list[float]] = []
    fallback: Nonzero | None = None
    deadline = budget.deadline if budget is not None else None
    for point in sampler.points(tries):
        if budget is not None and budget.expired():
            break
        evaluator = Evaluator(point, deadline=deadline)
        row: list[float] = []
        for index, expression in enumerate(expressions):
            try:
                value = evaluator(expression)
            except (Undecided, ZeroDivisionError, ValueError, OverflowError, TypeError):
                row.append(float("nan"))
                continue
            if isinstance(value, bool):
                row.append(float("nan"))
                continue
            if is_certainly_nonzero(value):
                found = Nonzero(index, point, value)
                # A difference too small to see in floating point is still a proof,
                # but a witness that float64 engines can confirm is more useful.
                if abs(as_float(value)) >= VISIBLE:
                    return found, evidence
                fallback = fallback or found
            row.append(as_float(value))
        evidence.append(row)
    return fallback, evidence
