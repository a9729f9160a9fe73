"""Exact evaluation at rational points: rationals where possible, intervals elsewhere.

:func:`evaluate` walks an expression DAG once. Rational arithmetic stays exact
(:class:`fractions.Fraction`); a transcendental function turns its value into a
rigorous mpmath interval that is guaranteed to contain the true value. So a
result is either an exact rational or an interval, and :func:`is_certainly_nonzero`
is a proof either way: ``Fraction != 0``, or an interval that excludes 0.
A discontinuity (Heaviside, sign, a piecewise seam) whose argument's interval
straddles the jump, or a singularity, raises :class:`Undecided`: that point
proves nothing. Point values may themselves be intervals (for trajectories).

Exact numbers are bounded in size (:data:`MAX_DIGITS`): a value that would
grow beyond it is :class:`Undecided` rather than a runaway computation.

>>> from symgrad.text.parse import parse_expression, real_symbol
>>> x = real_symbol("x")
>>> evaluate(parse_expression("x**2/3 - 1"), {x: Fraction(1, 2)})
Fraction(-11, 12)
>>> value = evaluate(parse_expression("sin(x)**2 + cos(x)**2 - 1"), {x: Fraction(1)})
>>> is_certainly_nonzero(value)
False
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from fractions import Fraction

import sympy
from mpmath.ctx_iv import MPIntervalContext

from symgrad.exact import functions as fn

Interval = object
Value = Fraction | Interval  # an exact rational, or a rigorous mpmath interval
MAX_DIGITS = 5_000


class Undecided(Exception):
    """The expression cannot be evaluated rigorously at this point."""


@functools.lru_cache(maxsize=8)
def _context(bits: int) -> MPIntervalContext:
    """One interval context per precision (shared: nothing changes its precision)."""
    ctx = MPIntervalContext()
    ctx.prec = bits
    return ctx


def _digits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length()) * 30103 // 100000


class Evaluator:
    """Evaluate SymPy expressions at one point, sharing work across calls.

    ``deadline`` (a ``time.monotonic()`` value) bounds the work: past it the
    evaluation raises :class:`Undecided`.
    """

    def __init__(
        self,
        point: Mapping[sympy.Symbol, object],
        bits: int = 256,
        deadline: float | None = None,
    ) -> None:
        self.ctx = _context(bits)
        self.point = {symbol: self._input(value) for symbol, value in point.items()}
        self.cache: dict[sympy.Basic, Value] = {}
        self.deadline = deadline
        self.steps = 0

    def _input(self, value: object) -> Value:
        if isinstance(value, Fraction):
            return value
        if isinstance(value, int):
            return Fraction(value)
        if isinstance(value, sympy.Rational):
            return Fraction(int(value.p), int(value.q))
        if isinstance(value, sympy.Basic):
            return Evaluator({}, self.ctx.prec)(value)
        return value  # an interval

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
            self._tick()
            if isinstance(node, sympy.Piecewise):
                cache[node] = self._piecewise(node)
                continue
            if not node.args or expanded:
                cache[node] = self._node(node)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in cache)
        return cache[expr]

    def _tick(self) -> None:
        self.steps += 1
        if self.deadline is not None and self.steps % 256 == 0:
            if time.monotonic() > self.deadline:
                raise Undecided("out of time")

    def _exact(self, value: Fraction) -> Fraction:
        if _digits(value) > MAX_DIGITS:
            raise Undecided(f"an exact value of more than {MAX_DIGITS} digits")
        return value

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
        if node is sympy.true or node is sympy.false:
            return bool(node)
        if node.is_Float:
            raise Undecided("floating-point constant in an exact computation")
        args = [self.cache[arg] for arg in node.args]
        if isinstance(node, sympy.Add):
            return self._sum(args)
        if isinstance(node, sympy.Mul):
            return self._product(args)
        if isinstance(node, sympy.Pow):
            return self._power(*args)
        if isinstance(node, sympy.core.relational.Relational):
            return self._compare(type(node), *args)
        if isinstance(node, (sympy.And, sympy.Or, sympy.Not)):
            return self._logic(node, args)
        handler = _FUNCTIONS.get(type(node))
        if handler is None:
            for kind, function in _FUNCTIONS.items():
                if isinstance(node, kind):
                    handler = function
                    break
        if handler is None:
            raise Undecided(f"cannot evaluate {type(node).__name__}")
        return handler(self, args)

    def _sum(self, args: list[Value]) -> Value:
        exact = sum((a for a in args if isinstance(a, Fraction)), Fraction(0))
        inexact = [a for a in args if not isinstance(a, Fraction)]
        if not inexact:
            return self._exact(exact)
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
            return self._exact(exact)
        total = self.interval(exact)
        for item in inexact:
            total = total * item
        return total

    def _power(self, base: Value, exponent: Value) -> Value:
        if isinstance(exponent, Fraction) and exponent.denominator == 1:
            n = exponent.numerator
            if isinstance(base, Fraction):
                if base == 0 and n < 0:
                    raise Undecided("division by zero")
                if _digits(base) * abs(n) > MAX_DIGITS:
                    raise Undecided(f"an exact power of more than {MAX_DIGITS} digits")
                return base**n
            if n < 0 and self._contains_zero(base):
                raise Undecided("division by an interval containing zero")
            return base**n
        if isinstance(base, Fraction) and isinstance(exponent, Fraction):
            root = _exact_root(base, exponent.denominator)
            if root is not None:
                if root == 0 and exponent < 0:
                    raise Undecided("division by zero")
                if _digits(root) * abs(exponent.numerator) > MAX_DIGITS:
                    raise Undecided(f"an exact power of more than {MAX_DIGITS} digits")
                return root**exponent.numerator
        b = self.interval(base)
        if b.a > 0:
            return self.ctx.exp(self.interval(exponent) * self.ctx.log(b))
        if isinstance(exponent, Fraction) and exponent > 0 and b.a >= 0:
            upper = self.ctx.mpf(b.b)
            top = self.ctx.exp(self.interval(exponent) * self.ctx.log(upper))
            return self.ctx.mpf([0, top.b])
        raise Undecided("power of a number that may be negative or zero")

    @staticmethod
    def _contains_zero(value) -> bool:
        return value.a <= 0 <= value.b

    # comparisons and logic -------------------------------------------------
    def _compare(self, kind: type, left: Value, right: Value) -> bool:
        if isinstance(left, Fraction) and isinstance(right, Fraction):
            difference = left - right
            sign = (difference > 0) - (difference < 0)
        else:
            gap = self.interval(left) - self.interval(right)
            if gap.a > 0:
                sign = 1
            elif gap.b < 0:
                sign = -1
            else:
                raise Undecided("a comparison of values that may be equal")
        return {
            sympy.StrictGreaterThan: sign > 0,
            sympy.GreaterThan: sign >= 0,
            sympy.StrictLessThan: sign < 0,
            sympy.LessThan: sign <= 0,
            sympy.Equality: sign == 0,
            sympy.Unequality: sign != 0,
        }[kind]

    @staticmethod
    def _logic(node: sympy.Basic, args: list) -> bool:
        if isinstance(node, sympy.And):
            return all(args)
        if isinstance(node, sympy.Or):
            return any(args)
        return not args[0]

    def _piecewise(self, node: sympy.Piecewise) -> Value:
        for pair in node.args:
            if self._truth(pair.cond):
                return self(pair.expr)
        raise Undecided("the point is outside every piece of a piecewise expression")

    def _truth(self, condition: sympy.Basic) -> bool:
        value = self(condition)
        if not isinstance(value, bool):
            raise Undecided(f"not a condition: {condition}")
        return value

    # elementary functions -------------------------------------------------
    def exp(self, args: list[Value]) -> Value:
        (x,) = args
        return Fraction(1) if _is(x, 0) else self.ctx.exp(self.interval(x))

    def log(self, args: list[Value]) -> Value:
        (x,) = args
        if _is(x, 1):
            return Fraction(0)
        value = self.interval(x)
        if not value.a > 0:
            raise Undecided("log of a number that may be negative or zero")
        return self.ctx.log(value)

    def sin(self, args: list[Value]) -> Value:
        (x,) = args
        return Fraction(0) if _is(x, 0) else self.ctx.sin(self.interval(x))

    def cos(self, args: list[Value]) -> Value:
        (x,) = args
        return Fraction(1) if _is(x, 0) else self.ctx.cos(self.interval(x))

    def tan(self, args: list[Value]) -> Value:
        (x,) = args
        if _is(x, 0):
            return Fraction(0)
        c = self.ctx.cos(self.interval(x))
        if c.a <= 0 <= c.b:
            raise Undecided("tan at a pole")
        return self.ctx.sin(self.interval(x)) / c

    def tanh(self, args: list[Value]) -> Value:
        (x,) = args
        if _is(x, 0):
            return Fraction(0)
        # tanh x = 1 - 2/(exp(2x) + 1): x occurs once, so the interval is tight
        e = self.ctx.exp(2 * self.interval(x))
        return 1 - 2 / (e + 1)

    def sinh(self, args: list[Value]) -> Value:
        (x,) = args
        if _is(x, 0):
            return Fraction(0)
        e = self.ctx.exp(self.interval(x))
        return (e - 1 / e) / 2

    def cosh(self, args: list[Value]) -> Value:
        (x,) = args
        if _is(x, 0):
            return Fraction(1)
        e = self.ctx.exp(self.interval(x))
        return (e + 1 / e) / 2

    def sech(self, args: list[Value]) -> Value:
        value = self.cosh(args)
        return 1 / self.interval(value) if not isinstance(value, Fraction) else 1 / value

    def _monotone(self, function, value, increasing: bool = True):
        """An enclosure of an increasing (or decreasing) function on an interval.

        mpmath's real functions are accurate to about one unit in the last
        place; evaluating 40 bits above the interval precision and widening by
        2**-prec relative keeps the enclosure rigorous.
        """
        import mpmath

        interval = self.interval(value)
        bits = self.ctx.prec
        with mpmath.workprec(bits + 40):
            low, high = function(mpmath.mpf(interval.a)), function(mpmath.mpf(interval.b))
            if not increasing:
                low, high = high, low
            pad_low = abs(low) * mpmath.ldexp(1, -bits) + mpmath.ldexp(1, -bits - 20)
            pad_high = abs(high) * mpmath.ldexp(1, -bits) + mpmath.ldexp(1, -bits - 20)
            return self.ctx.mpf([low - pad_low, high + pad_high])

    def asin(self, args: list[Value]) -> Value:
        import mpmath

        (x,) = args
        if _is(x, 0):
            return Fraction(0)
        value = self.interval(x)
        if value.a < -1 or value.b > 1:
            raise Undecided("asin outside [-1, 1]")
        return self._monotone(mpmath.asin, value)

    def acos(self, args: list[Value]) -> Value:
        import mpmath

        (x,) = args
        if _is(x, 1):
            return Fraction(0)
        value = self.interval(x)
        if value.a < -1 or value.b > 1:
            raise Undecided("acos outside [-1, 1]")
        return self._monotone(mpmath.acos, value, increasing=False)

    def atan(self, args: list[Value]) -> Value:
        import mpmath

        (x,) = args
        return Fraction(0) if _is(x, 0) else self._monotone(mpmath.atan, x)

    def sigmoid(self, args: list[Value]) -> Value:
        (x,) = args
        if _is(x, 0):
            return Fraction(1, 2)
        return 1 / (1 + self.ctx.exp(-self.interval(x)))

    def softplus(self, args: list[Value]) -> Value:
        (x,) = args
        if _is(x, 0):
            return self.ctx.log(self.ctx.mpf(2))
        return self.ctx.log(1 + self.ctx.exp(self.interval(x)))

    def relu(self, args: list[Value]) -> Value:
        (x,) = args
        if isinstance(x, Fraction):
            return max(x, Fraction(0))
        return self.ctx.mpf([max(x.a, 0), max(x.b, 0)])

    def abs(self, args: list[Value]) -> Value:
        (x,) = args
        return abs(x)

    def sign(self, args: list[Value]) -> Value:
        return self._step(args[0], at_zero=Fraction(0), below=Fraction(-1))

    def heaviside(self, args: list[Value]) -> Value:
        at_zero = args[1] if len(args) > 1 else Fraction(1, 2)
        return self._step(args[0], at_zero=at_zero, below=Fraction(0))

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

    def clip(self, args: list[Value]) -> Value:
        value = self.extreme(args[:2], max)
        return value if len(args) == 2 else self.extreme([value, args[2]], min)

    def atan2(self, args: list[Value]) -> Value:
        """atan2(y, x), the angle of (x, y) in (-pi, pi]: decided by the signs of x and y."""
        import mpmath

        y, x = (self.interval(a) for a in args)
        if x.a > 0:
            return self._monotone(mpmath.atan, y / x)
        if y.a > 0:
            return self.ctx.pi / 2 - self._monotone(mpmath.atan, x / y)
        if y.b < 0:
            return -self.ctx.pi / 2 - self._monotone(mpmath.atan, x / y)
        raise Undecided("atan2 where the signs of its arguments are not decided")

    def share(self, args: list[Value], pick) -> Value:
        """The tie share of max/min: 1/m for one of m tied extremes, else 0."""
        k, values = int(args[0]), args[1:]
        if all(isinstance(a, Fraction) for a in values):
            best = pick(values)
            if values[k] != best:
                return Fraction(0)
            return Fraction(1, sum(1 for a in values if a == best))
        intervals = [self.interval(a) for a in values]
        mine = intervals[k]
        others = [i for j, i in enumerate(intervals) if j != k]
        if pick is max:
            if all(mine.a > o.b for o in others):
                return Fraction(1)
            if any(o.a > mine.b for o in others):
                return Fraction(0)
        else:
            if all(mine.b < o.a for o in others):
                return Fraction(1)
            if any(o.b < mine.a for o in others):
                return Fraction(0)
        raise Undecided("max/min at arguments that may tie")


def _factorial(n: int) -> Fraction:
    import math

    if n > 500:
        raise Undecided("a factorial beyond 500!")
    return Fraction(math.factorial(n))


def _whole(value: Value, function) -> Value:
    """``function`` of a nonnegative integer value; elsewhere undecided."""
    if isinstance(value, Fraction) and value.denominator == 1 and value >= 0:
        return function(int(value))
    raise Undecided("a factorial of a number that is not a nonnegative integer")


def _binomial(args: list[Value]) -> Value:
    import math

    n, k = args
    if all(isinstance(v, Fraction) and v.denominator == 1 for v in (n, k)) and n >= 0:
        if int(n) > 5000:
            raise Undecided("a binomial coefficient beyond n = 5000")
        return Fraction(math.comb(int(n), int(k))) if k >= 0 else Fraction(0)
    raise Undecided("a binomial coefficient of numbers that are not integers")


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
    if n.bit_length() > 4000:
        return None
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
    sympy.tan: Evaluator.tan,
    sympy.tanh: Evaluator.tanh,
    sympy.sinh: Evaluator.sinh,
    sympy.cosh: Evaluator.cosh,
    sympy.sech: Evaluator.sech,
    sympy.asin: Evaluator.asin,
    sympy.acos: Evaluator.acos,
    sympy.atan: Evaluator.atan,
    fn.sigmoid: Evaluator.sigmoid,
    fn.softplus: Evaluator.softplus,
    fn.relu: Evaluator.relu,
    sympy.Abs: Evaluator.abs,
    sympy.sign: Evaluator.sign,
    sympy.Heaviside: Evaluator.heaviside,
    fn.Max: lambda self, args: self.extreme(args, max),
    fn.Min: lambda self, args: self.extreme(args, min),
    sympy.Max: lambda self, args: self.extreme(args, max),
    sympy.Min: lambda self, args: self.extreme(args, min),
    fn.clip: lambda self, args: self.clip(args),
    sympy.atan2: lambda self, args: self.atan2(args),
    sympy.factorial: lambda self, args: _whole(args[0], _factorial),
    sympy.binomial: lambda self, args: _binomial(args),
    fn.argmax_share: lambda self, args: self.share(args, max),
    fn.argmin_share: lambda self, args: self.share(args, min),
    sympy.DiracDelta: lambda self, args: Fraction(0),
}


def evaluate(
    expr: sympy.Basic,
    point: Mapping[sympy.Symbol, object],
    bits: int = 256,
    deadline: float | None = None,
) -> Value:
    """The value of ``expr`` at ``point``: an exact Fraction or a rigorous interval."""
    return Evaluator(point, bits, deadline)(expr)


def is_certainly_nonzero(value: Value) -> bool:
    """True only when ``value`` is provably not zero."""
    if isinstance(value, bool):
        return False
    if isinstance(value, Fraction):
        return value != 0
    return not (value.a <= 0 <= value.b)


def _raw_fraction(raw) -> Fraction:
    sign, mantissa, exponent, _ = raw
    # int(): mpmath's mantissa is a gmpy2 mpz when gmpy2 is installed, and a Fraction that
    # holds an mpz breaks SymPy under other ground types (python, flint)
    value = Fraction(int(mantissa)) * (Fraction(2) ** int(exponent))
    return -value if sign else value


def bounds(value: Value) -> tuple[Fraction, Fraction]:
    """Exact rational ends of a value's enclosure (a rational is its own enclosure)."""
    if isinstance(value, Fraction):
        return value, value
    low, high = value._mpi_
    return _raw_fraction(low), _raw_fraction(high)


def is_exact(value: Value) -> bool:
    return isinstance(value, Fraction)


def as_float(value: Value) -> float:
    """A float approximation, for evidence and display only."""
    if isinstance(value, Fraction):
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    return (float(value.a) + float(value.b)) / 2


def certainly_differ(a: Value, b: Value) -> bool:
    """True only when the two values are provably different."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a != b
    ctx = _context(256)

    def enclose(value):
        if isinstance(value, Fraction):
            return ctx.mpf(value.numerator) / ctx.mpf(value.denominator)
        return value

    ia, ib = enclose(a), enclose(b)
    return ia.b < ib.a or ib.b < ia.a
