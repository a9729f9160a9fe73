"""Exact evaluation at rational points: rationals where possible, intervals elsewhere.

:func:`evaluate` walks an expression DAG once. Rational arithmetic stays exact
(:class:`fractions.Fraction`); a transcendental function turns its value into a
rigorous mpmath interval that is guaranteed to contain the true value. So a
result is either an exact rational or an interval, and :func:`is_certainly_nonzero`
is a proof either way: ``Fraction != 0``, or an interval that excludes 0.
A discontinuity (Heaviside, sign) whose argument's interval straddles the jump,
or a singularity, raises :class:`Undecided`: that point proves nothing.

>>> from symgrad.parse import parse_expression, real_symbol
>>> x = real_symbol("x")
>>> evaluate(parse_expression("x**2/3 - 1"), {x: Fraction(1, 2)})
Fraction(-11, 12)
>>> value = evaluate(parse_expression("sin(x)**2 + cos(x)**2 - 1"), {x: Fraction(1)})
>>> is_certainly_nonzero(value)
False
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import sympy
from mpmath.ctx_iv import MPIntervalContext

from symgrad.functions import relu, sigmoid, softplus

Interval = object
Value = Fraction | Interval  # an exact rational, or a rigorous mpmath interval


class Undecided(Exception):
    """The expression cannot be evaluated rigorously at this point."""


def _context(bits: int) -> MPIntervalContext:
    ctx = MPIntervalContext()
    ctx.prec = bits
    return ctx


class Evaluator:
    """Evaluate SymPy expressions at one rational point, sharing work across calls."""

    def __init__(self, point: Mapping[sympy.Symbol, Fraction], bits: int = 256) -> None:
        self.point = {symbol: Fraction(value) for symbol, value in point.items()}
        self.ctx = _context(bits)
        self.cache: dict[sympy.Basic, Value] = {}

    def interval(self, value: Value):
        if isinstance(value, Fraction):
            ctx = self.ctx
            if value.denominator == 1:
                return ctx.mpf(value.numerator)
            return ctx.mpf(value.numerator) / ctx.mpf(value.denominator)
        return value

    def __call__(self, expr: sympy.Basic) -> Value:
        cache = self.cache
        stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
        while stack:
            node, expanded = stack.pop()
            if node in cache:
                continue
            if not node.args or expanded:
                cache[node] = self._node(node)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in cache)
        return cache[expr]

    def _node(self, node: sympy.Basic) -> Value:
        if node.is_Rational:
            return Fraction(int(node.p), int(node.q))
        if node.is_Symbol:
            try:
                return self.point[node]
            except KeyError:
                raise Undecided(f"no value for {node}") from None
        if node is sympy.pi:
            return self.ctx.pi
        if node is sympy.E:
            return self.ctx.e
        if node.is_Float:
            raise Undecided("floating-point constant in an exact computation")
        args = [self.cache[arg] for arg in node.args]
        if isinstance(node, sympy.Add):
            return self._sum(args)
        if isinstance(node, sympy.Mul):
            return self._product(args)
        if isinstance(node, sympy.Pow):
            return self._power(*args, exponent_node=node.exp)
        handler = _FUNCTIONS.get(type(node))
        if handler is None:
            raise Undecided(f"cannot evaluate {type(node).__name__}")
        return handler(self, *args) if type(node) not in _MULTI else handler(self, args)

    def _sum(self, args: list[Value]) -> Value:
        exact = sum((a for a in args if isinstance(a, Fraction)), Fraction(0))
        inexact = [a for a in args if not isinstance(a, Fraction)]
        if not inexact:
            return exact
        total = self.interval(exact)
        for item in inexact:
            total = total + item
        return total

    def _product(self, args: list[Value]) -> Value:
        exact = Fraction(1)
        for a in args:
            if isinstance(a, Fraction):
                exact *= a
        if exact == 0:
            return Fraction(0)
        inexact = [a for a in args if not isinstance(a, Fraction)]
        if not inexact:
            return exact
        total = self.interval(exact)
        for item in inexact:
            total = total * item
        return total

    def _power(self, base: Value, exponent: Value, exponent_node: sympy.Basic) -> Value:
        if isinstance(exponent, Fraction) and exponent.denominator == 1:
            n = exponent.numerator
            if isinstance(base, Fraction):
                if base == 0 and n < 0:
                    raise Undecided("division by zero")
                return base**n
            if n < 0 and self._contains_zero(base):
                raise Undecided("division by an interval containing zero")
            return base**n
        if isinstance(base, Fraction) and isinstance(exponent, Fraction):
            root = _exact_root(base, exponent.denominator)
            if root is not None:
                if root == 0 and exponent < 0:
                    raise Undecided("division by zero")
                return root**exponent.numerator
        b = self.interval(base)
        if self._positive(b):
            return self.ctx.exp(self.interval(exponent) * self.ctx.log(b))
        if isinstance(exponent, Fraction) and exponent > 0 and self._nonnegative(b):
            return self._root_interval(b, exponent)
        raise Undecided("power of a number that may be negative or zero")

    def _root_interval(self, b, exponent: Fraction):
        upper = self.ctx.mpf(b.b)
        top = self.ctx.exp(self.interval(exponent) * self.ctx.log(upper))
        return self.ctx.mpf([0, top.b])

    @staticmethod
    def _contains_zero(value) -> bool:
        return value.a <= 0 <= value.b

    @staticmethod
    def _positive(value) -> bool:
        return value.a > 0

    @staticmethod
    def _nonnegative(value) -> bool:
        return value.a >= 0

    # elementary functions -------------------------------------------------
    def exp(self, x: Value) -> Value:
        if _is(x, 0):
            return Fraction(1)
        return self.ctx.exp(self.interval(x))

    def log(self, x: Value) -> Value:
        if _is(x, 1):
            return Fraction(0)
        value = self.interval(x)
        if not self._positive(value):
            raise Undecided("log of a number that may be negative or zero")
        return self.ctx.log(value)

    def sin(self, x: Value) -> Value:
        return Fraction(0) if _is(x, 0) else self.ctx.sin(self.interval(x))

    def cos(self, x: Value) -> Value:
        return Fraction(1) if _is(x, 0) else self.ctx.cos(self.interval(x))

    def tanh(self, x: Value) -> Value:
        if _is(x, 0):
            return Fraction(0)
        # tanh x = 1 - 2/(exp(2x) + 1): x occurs once, so the interval is tight
        e = self.ctx.exp(2 * self.interval(x))
        return 1 - 2 / (e + 1)

    def sinh(self, x: Value) -> Value:
        if _is(x, 0):
            return Fraction(0)
        e = self.ctx.exp(self.interval(x))
        return (e - 1 / e) / 2

    def cosh(self, x: Value) -> Value:
        if _is(x, 0):
            return Fraction(1)
        e = self.ctx.exp(self.interval(x))
        return (e + 1 / e) / 2

    def tan(self, x: Value) -> Value:
        if _is(x, 0):
            return Fraction(0)
        c = self.ctx.cos(self.interval(x))
        if c.a <= 0 <= c.b:
            raise Undecided("tan at a pole")
        return self.ctx.sin(self.interval(x)) / c

    def sigmoid(self, x: Value) -> Value:
        if _is(x, 0):
            return Fraction(1, 2)
        return 1 / (1 + self.ctx.exp(-self.interval(x)))

    def softplus(self, x: Value) -> Value:
        if _is(x, 0):
            return self.ctx.log(self.ctx.mpf(2))
        return self.ctx.log(1 + self.ctx.exp(self.interval(x)))

    def relu(self, x: Value) -> Value:
        if isinstance(x, Fraction):
            return max(x, Fraction(0))
        return self.ctx.mpf([max(x.a, 0), max(x.b, 0)])

    def abs(self, x: Value) -> Value:
        return abs(x)

    def sign(self, x: Value) -> Value:
        return self._step(x, at_zero=Fraction(0), below=Fraction(-1))

    def heaviside(self, x: Value, at_zero: Value = Fraction(1, 2)) -> Value:
        return self._step(x, at_zero=at_zero, below=Fraction(0))

    def _step(self, x: Value, at_zero: Value, below: Fraction) -> Value:
        if isinstance(x, Fraction):
            if x > 0:
                return Fraction(1)
            return below if x < 0 else at_zero
        if x.a > 0:
            return Fraction(1)
        if x.b < 0:
            return below
        raise Undecided("a step function at an argument that may be 0")

    def extreme(self, args: list[Value], pick) -> Value:
        if all(isinstance(a, Fraction) for a in args):
            return pick(args)
        intervals = [self.interval(a) for a in args]
        low = pick(self.ctx.mpf(i.a) for i in intervals)
        high = pick(self.ctx.mpf(i.b) for i in intervals)
        return self.ctx.mpf([low.a, high.b])


def _is(value: Value, number: int) -> bool:
    return isinstance(value, Fraction) and value == number


def _exact_root(value: Fraction, degree: int) -> Fraction | None:
    """The exact real ``degree``-th root of a rational, if it is rational."""
    if value < 0:
        return None
    num = _integer_root(value.numerator, degree)
    den = _integer_root(value.denominator, degree)
    if num is None or den is None:
        return None
    return Fraction(num, den)


def _integer_root(n: int, degree: int) -> int | None:
    root = int(round(n ** (1.0 / degree))) if n < 2**1000 else None
    if root is None:
        return None
    for candidate in (root - 1, root, root + 1):
        if candidate >= 0 and candidate**degree == n:
            return candidate
    return None


_FUNCTIONS = {
    sympy.exp: Evaluator.exp,
    sympy.log: Evaluator.log,
    sympy.sin: Evaluator.sin,
    sympy.cos: Evaluator.cos,
    sympy.tanh: Evaluator.tanh,
    sympy.sinh: Evaluator.sinh,
    sympy.cosh: Evaluator.cosh,
    sympy.tan: Evaluator.tan,
    sigmoid: Evaluator.sigmoid,
    softplus: Evaluator.softplus,
    relu: Evaluator.relu,
    sympy.Abs: Evaluator.abs,
    sympy.sign: Evaluator.sign,
    sympy.Heaviside: Evaluator.heaviside,
    sympy.Max: lambda self, args: self.extreme(args, max),
    sympy.Min: lambda self, args: self.extreme(args, min),
}
_MULTI = {sympy.Max, sympy.Min}


def evaluate(expr: sympy.Basic, point: Mapping[sympy.Symbol, Fraction], bits: int = 256) -> Value:
    """The value of ``expr`` at ``point``: an exact Fraction or a rigorous interval."""
    return Evaluator(point, bits)(expr)


def is_certainly_nonzero(value: Value) -> bool:
    """True only when ``value`` is provably not zero."""
    if isinstance(value, Fraction):
        return value != 0
    return not (value.a <= 0 <= value.b)


def is_exact(value: Value) -> bool:
    return isinstance(value, Fraction)


def as_float(value: Value) -> float:
    """A float approximation, for evidence and display only."""
    if isinstance(value, Fraction):
        return float(value)
    return (float(value.a) + float(value.b)) / 2
