"""Ranges of real expressions over all real inputs: which factors can never be zero.

A :class:`Range` is an interval with exact rational (or infinite) ends, each
open or closed. :func:`value_range` bounds an expression over every real value
of its symbols (respecting sign assumptions) by interval arithmetic on the
known ranges of the functions: ``tanh`` lies in (-1, 1), ``sigmoid`` in (0, 1),
``exp`` in (0, oo), ``cosh`` in [1, oo), squares in [0, oo). The bound is
sound but not tight; :func:`never_zero` uses it to drop factors such as
``exp(z)``, ``1 - tanh(z)**2`` or ``x**2 + 1`` from a data condition.

>>> from symgrad.text.parse import parse_expression as P
>>> never_zero(P("1 - tanh(w*x)**2")), never_zero(P("x**2 + 1")), never_zero(P("x - 1"))
(True, True, False)
>>> never_zero(P("sigmoid(z)*(1 - sigmoid(z))")), never_zero(P("tanh(z) - 1"))
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symgrad.exact import functions as fn

INF = None  # an infinite end


@dataclass(frozen=True)
class Range:
    """The interval from ``low`` to ``high`` (None: infinite), each end open or closed."""

    low: Fraction | None
    high: Fraction | None
    low_open: bool = True
    high_open: bool = True

    def contains_zero(self) -> bool:
        below = self.low is None or self.low < 0 or (self.low == 0 and not self.low_open)
        above = self.high is None or self.high > 0 or (self.high == 0 and not self.high_open)
        return below and above

    @staticmethod
    def point(value: Fraction) -> Range:
        return Range(value, value, False, False)


EVERYTHING = Range(None, None)
POSITIVE = Range(Fraction(0), None, True, True)
NONNEGATIVE = Range(Fraction(0), None, False, True)
NEGATIVE = Range(None, Fraction(0), True, True)
NONPOSITIVE = Range(None, Fraction(0), True, False)
SIGN_RANGES = {
    "positive": POSITIVE,
    "nonnegative": NONNEGATIVE,
    "negative": NEGATIVE,
    "nonpositive": NONPOSITIVE,
}


def _add(a: Range, b: Range) -> Range:
    low = None if a.low is None or b.low is None else a.low + b.low
    high = None if a.high is None or b.high is None else a.high + b.high
    return Range(low, high, a.low_open or b.low_open, a.high_open or b.high_open)


def _negate(a: Range) -> Range:
    return Range(
        None if a.high is None else -a.high,
        None if a.low is None else -a.low,
        a.high_open,
        a.low_open,
    )


def _mul(a: Range, b: Range) -> Range:
    """Product of two ranges; exact when both are bounded, else a sound cover."""
    if a == Range.point(Fraction(0)) or b == Range.point(Fraction(0)):
        return Range.point(Fraction(0))
    ends = []
    for x, x_open in ((a.low, a.low_open), (a.high, a.high_open)):
        for y, y_open in ((b.low, b.low_open), (b.high, b.high_open)):
            ends.append(_end_product(x, y, x is a.low, y is b.low, a, b, x_open or y_open))
    if any(e is None for e in ends):
        return _mul_unbounded(a, b)
    values = [e[0] for e in ends]
    low = min(values)
    high = max(values)
    low_open = all(e[1] for e in ends if e[0] == low)
    high_open = all(e[1] for e in ends if e[0] == high)
    return Range(low, high, low_open, high_open)


def _end_product(x, y, x_low, y_low, a, b, is_open):
    if x is None or y is None:
        return None
    return (x * y, is_open)


def _sign_class(r: Range) -> str:
    if r.low is not None and (r.low > 0 or (r.low == 0 and r.low_open)):
        return "positive"
    if r.low is not None and r.low >= 0:
        return "nonnegative"
    if r.high is not None and (r.high < 0 or (r.high == 0 and r.high_open)):
        return "negative"
    if r.high is not None and r.high <= 0:
        return "nonpositive"
    return "any"


def _mul_unbounded(a: Range, b: Range) -> Range:
    """Products with an infinite end: keep only the sign information."""
    signs = (_sign_class(a), _sign_class(b))
    positive = {"positive"}
    nonneg = {"positive", "nonnegative"}
    negative = {"negative"}
    nonpos = {"negative", "nonpositive"}
    if (
        signs[0] in positive
        and signs[1] in positive
        or signs[0] in negative
        and signs[1] in negative
    ):
        return POSITIVE
    if signs[0] in nonneg and signs[1] in nonneg or signs[0] in nonpos and signs[1] in nonpos:
        return NONNEGATIVE
    if (
        signs[0] in positive
        and signs[1] in negative
        or signs[0] in negative
        and signs[1] in positive
    ):
        return NEGATIVE
    if signs[0] in nonneg and signs[1] in nonpos or signs[0] in nonpos and signs[1] in nonneg:
        return NONPOSITIVE
    return EVERYTHING


def _power(base: Range, n: int) -> Range:
    if n == 0:
        return Range.point(Fraction(1))
    if n < 0:
        inverse = _reciprocal(base)
        return _power(inverse, -n) if inverse is not None else EVERYTHING
    result = base
    for _ in range(min(n, 64) - 1):
        result = _mul(result, base)
    if n % 2 == 0:
        # an even power is nonnegative, and 0 only if the base can be 0
        zero = base.contains_zero()
        low = result.low if result.low is not None and result.low > 0 else Fraction(0)
        low_open = (not zero) if low == 0 else result.low_open
        return Range(low, result.high, low_open, result.high_open)
    return result


def _reciprocal(a: Range) -> Range | None:
    cls = _sign_class(a)
    if cls == "positive":
        high = None if a.low in (None, 0) else 1 / a.low
        low = Fraction(0) if a.high is None else 1 / a.high
        return Range(low, high, a.high_open if a.high is not None else True, a.low_open)
    if cls == "negative":
        return _negate(_reciprocal(_negate(a)))
    return None


_FUNCTION_RANGES = {
    sympy.tanh: Range(Fraction(-1), Fraction(1), True, True),
    fn.sigmoid: Range(Fraction(0), Fraction(1), True, True),
    sympy.exp: POSITIVE,
    sympy.cosh: Range(Fraction(1), None, False, True),
    sympy.sech: Range(Fraction(0), Fraction(1), True, False),
    fn.softplus: POSITIVE,
    sympy.sin: Range(Fraction(-1), Fraction(1), False, False),
    sympy.cos: Range(Fraction(-1), Fraction(1), False, False),
    sympy.atan: Range(Fraction(-8, 5), Fraction(8, 5), True, True),
    fn.relu: NONNEGATIVE,
    sympy.Abs: NONNEGATIVE,
    sympy.sign: Range(Fraction(-1), Fraction(1), False, False),
    sympy.Heaviside: Range(Fraction(0), Fraction(1), False, False),
}


def value_range(expr: sympy.Basic, signs: Mapping[sympy.Symbol, str] | None = None) -> Range:
    """A sound range of ``expr`` over all real values of its symbols."""
    signs = signs or {}
    cache: dict[sympy.Basic, Range] = {}

    def walk(node: sympy.Basic) -> Range:
        if node in cache:
            return cache[node]
        result = _node_range(node, walk, signs)
        cache[node] = result
        return result

    try:
        return walk(expr)
    except RecursionError:
        return EVERYTHING


def _node_range(node, walk, signs) -> Range:
    if node.is_Rational:
        return Range.point(Fraction(int(node.p), int(node.q)))
    if node is sympy.pi:
        return Range(Fraction(314159, 100000), Fraction(314160, 100000), False, False)
    if node is sympy.E:
        return Range(Fraction(271828, 100000), Fraction(271829, 100000), False, False)
    if node.is_Symbol:
        return SIGN_RANGES.get(signs.get(node), _symbol_range(node))
    if isinstance(node, sympy.Add):
        total = walk(node.args[0])
        for arg in node.args[1:]:
            total = _add(total, walk(arg))
        return total
    if isinstance(node, sympy.Mul):
        total = walk(node.args[0])
        for arg in node.args[1:]:
            total = _mul(total, walk(arg))
        return total
    if isinstance(node, sympy.Pow):
        base, exponent = node.args
        if exponent.is_Integer:
            return _power(walk(base), int(exponent))
        if exponent.is_Rational:
            inner = walk(base)
            cls = _sign_class(inner)
            if exponent > 0:
                return POSITIVE if cls == "positive" else NONNEGATIVE
            return POSITIVE
        if base.is_positive:
            return POSITIVE
        return EVERYTHING
    if isinstance(node, sympy.Abs):
        inner = walk(node.args[0])
        return POSITIVE if not inner.contains_zero() else NONNEGATIVE
    if isinstance(node, sympy.cosh) or isinstance(node, sympy.exp):
        return _FUNCTION_RANGES[type(node)]
    for kind, known in _FUNCTION_RANGES.items():
        if isinstance(node, kind):
            return known
    if isinstance(node, (fn.Max, fn.Min)):
        parts = [walk(arg) for arg in node.args]
        return _hull(parts)
    return EVERYTHING


def _symbol_range(symbol: sympy.Symbol) -> Range:
    if symbol.is_positive:
        return POSITIVE
    if symbol.is_negative:
        return NEGATIVE
    if symbol.is_nonnegative:
        return NONNEGATIVE
    if symbol.is_nonpositive:
        return NONPOSITIVE
    return EVERYTHING


def _hull(parts: list[Range]) -> Range:
    lows = [p.low for p in parts]
    highs = [p.high for p in parts]
    low = None if any(v is None for v in lows) else min(lows)
    high = None if any(v is None for v in highs) else max(highs)
    return (
        Range(low, high, True, True)
        if low is None or high is None
        else Range(low, high, False, False)
    )


def never_zero(expr: sympy.Basic, signs: Mapping[sympy.Symbol, str] | None = None) -> bool:
    """True only if ``expr`` is nonzero for every real value of its symbols."""
    if expr.is_number:
        return expr != 0 and expr.is_zero is False
    if expr.is_positive or expr.is_negative:
        return True
    return not value_range(expr, signs).contains_zero()


def always_holds(relation: sympy.Basic, signs: Mapping[sympy.Symbol, str] | None = None) -> bool:
    """True only if the relation (``a <= b``, ``a < b``, ``And``) holds for all real inputs."""
    if relation == sympy.true:
        return True
    if isinstance(relation, sympy.And):
        return all(always_holds(arg, signs) for arg in relation.args)
    if isinstance(relation, (sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt)):
        gap = relation.rhs - relation.lhs  # >= 0 needed for <=
        if isinstance(relation, (sympy.Ge, sympy.Gt)):
            gap = -gap
        r = value_range(gap, signs)
        strict = isinstance(relation, (sympy.Lt, sympy.Gt))
        if r.low is None:
            return False
        return r.low > 0 or (r.low == 0 and (r.low_open or not strict))
    return False
