"""The two interval engines behind :mod:`symgrad.torch.exact_numbers`: FLINT's Arb balls
(python-flint, optional) and mpmath's intervals (always there).

Both give rigorous enclosures at 200 bits: every operation returns a set that contains
the exact result of the same operation on every point of its inputs' sets (Arb: a ball
[m +- r] whose radius absorbs every rounding error; mpmath: an interval [a, b] with
outward rounded ends). An engine only answers questions a set can answer: the sign of a
value is known when the whole enclosure lies on one side of 0 (or is exactly {0}), and
its ends are exact binary rationals. Neither engine accepts a Fraction or an mpq in its
arithmetic (a TypeError), so an exact rational is turned into an enclosure only by
:meth:`ball`, never silently. Values of the two engines never meet: one engine serves a
whole pass.

Arb computes products and sums in C (a 256x784 ball product with tanh takes milliseconds,
entry by entry from Python tens of seconds with mpmath); mpmath is the fallback when
python-flint is absent, with the same verdicts.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction

import mpmath
from mpmath import iv
from mpmath.libmp import to_rational

BITS = 200


class Undecided(Exception):
    """An interval comparison (or function) that cannot be decided at this precision."""


class MpmathIntervals:
    """mpmath's ``iv`` intervals [a, b] with outward rounded 200-bit ends."""

    name = "mpmath"
    description = "mpmath intervals"

    def __init__(self) -> None:
        self.kind = type(iv.mpf(0))

    def ball(self, numerator: int, denominator: int):
        return iv.mpf(numerator) / denominator

    def is_interval(self, value) -> bool:
        return isinstance(value, self.kind)

    def is_interval_type(self, kind: type) -> bool:
        return issubclass(kind, self.kind)

    def sign(self, value) -> int:
        if value.a > 0:
            return 1
        if value.b < 0:
            return -1
        if value.a == 0 and value.b == 0:
            return 0
        raise Undecided("the sign of a value near 0")

    def ends(self, value) -> tuple[Fraction, Fraction]:
        return tuple(_binary_rational(*to_rational(end)) for end in value._mpi_)

    def hull(self, low, high):
        return iv.make_mpf((low._mpi_[0], high._mpi_[1]))

    def bounds(self, value) -> tuple:
        return value.a, value.b

    def is_point(self, value) -> bool:
        return value._mpi_[0] == value._mpi_[1]

    def grid_ends(self, value, bits: int) -> tuple[int, int]:
        (low_sign, low_man, low_exp, _), (high_sign, high_man, high_exp, _) = value._mpi_
        if not (_finite(value._mpi_[0]) and _finite(value._mpi_[1])):
            raise Undecided("an enclosure that is not finite")
        low = _scaled_floor(int(-low_man if low_sign else low_man), low_exp + bits)
        high = -_scaled_floor(int(high_man if high_sign else -high_man), high_exp + bits)
        return low, high

    def decimals(self, value, digits: int) -> tuple[str, str]:
        return tuple(mpmath.nstr(mpmath.mp.make_mpf(end), digits) for end in value._mpi_)

    def centre(self, value) -> float:
        return float(value.mid)

    def exp(self, v):
        return iv.exp(v)

    def log(self, v):
        return iv.log(v)

    def sqrt(self, v):
        return iv.sqrt(v)

    def tanh(self, v):
        return 1 - 2 / (iv.exp(2 * v) + 1)

    def erf(self, v):
        """erf is increasing: its values at the ends, computed with 60 guard bits and
        widened (at those 260 bits) by far more than their error, enclose it; the ends are
        then rounded outward to the interval's precision."""
        with mpmath.workprec(BITS + 60):
            pad = mpmath.mpf(2) ** -(BITS + 20)
            low, high = mpmath.erf(v.a) - pad, mpmath.erf(v.b) + pad
        return iv.mpf([low, high])

    def pi(self):
        return iv.pi

    @contextlib.contextmanager
    def precision(self):
        saved = iv.prec
        iv.prec = BITS
        try:
            with mpmath.workprec(BITS):
                yield
        finally:
            iv.prec = saved


class ArbBalls:
    """FLINT's Arb balls [m +- r] at 200 bits (python-flint)."""

    name = "arb"
    description = "FLINT's Arb balls"

    def __init__(self) -> None:
        import flint

        self.flint = flint
        self.kind = flint.arb

    def ball(self, numerator: int, denominator: int):
        return self.kind(self.flint.fmpq(numerator, denominator))

    def is_interval(self, value) -> bool:
        return isinstance(value, self.kind)

    def is_interval_type(self, kind: type) -> bool:
        return issubclass(kind, self.kind)

    def sign(self, value) -> int:
        if value > 0:  # Arb's comparisons are true only when every point of the balls agrees
            return 1
        if value < 0:
            return -1
        if value.is_exact() and value.is_zero():
            return 0
        raise Undecided("the sign of a value near 0")

    def ends(self, value) -> tuple[Fraction, Fraction]:
        if not value.is_finite():
            raise Undecided("an enclosure that is not finite")
        middle, radius = self._exact(value.mid()), self._exact(value.rad())
        return middle - radius, middle + radius

    def _exact(self, point) -> Fraction:
        """An exact ball (radius 0, as ``mid`` and ``rad`` return) as the rational it is
        (exactly, whatever the working precision)."""
        mantissa, exponent = point.man_exp()
        mantissa, exponent = int(mantissa), int(exponent)
        if exponent >= 0:
            return Fraction(mantissa << exponent)
        return Fraction(mantissa, 1 << -exponent)

    def hull(self, low, high):
        return low.union(high)

    def bounds(self, value) -> tuple:
        with self.precision():  # rounded outward (down, up) at 200 bits: exact points
            return value.lower(), value.upper()

    def is_point(self, value) -> bool:
        return value.is_exact()

    def grid_ends(self, value, bits: int) -> tuple[int, int]:
        if not value.is_finite():
            raise Undecided("an enclosure that is not finite")
        # [m - r, m + r] with m and r exact binary numbers: floor(m) - ceil(r) and
        # ceil(m) + ceil(r) on the grid enclose it (each within two grid steps)
        mid_man, mid_exp = (int(v) for v in value.mid().man_exp())
        rad_man, rad_exp = (int(v) for v in value.rad().man_exp())
        reach = -_scaled_floor(-rad_man, rad_exp + bits)
        low = _scaled_floor(mid_man, mid_exp + bits) - reach
        high = -_scaled_floor(-mid_man, mid_exp + bits) + reach
        return low, high

    def decimals(self, value, digits: int) -> tuple[str, str]:
        context = self.flint.ctx
        saved, context.prec = context.prec, 2 * BITS  # m - r and m + r nearly exactly
        try:
            return tuple(end.str(digits, radius=False) for end in (value.lower(), value.upper()))
        finally:
            context.prec = saved

    def centre(self, value) -> float:
        return float(value.mid())

    def exp(self, v):
        return v.exp()

    def log(self, v):
        return v.log()

    def sqrt(self, v):
        return v.sqrt()

    def tanh(self, v):
        return v.tanh()

    def erf(self, v):
        return v.erf()

    def pi(self):
        return self.kind.pi()

    @contextlib.contextmanager
    def precision(self):
        context = self.flint.ctx
        saved = context.prec
        context.prec = BITS
        try:
            yield
        finally:
            context.prec = saved


def _scaled_floor(mantissa: int, shift: int) -> int:
    """floor(mantissa * 2**shift), exactly (a shift, however far)."""
    return mantissa << shift if shift >= 0 else mantissa >> -shift


def _finite(raw) -> bool:
    """A raw mpmath end is finite (a zero or a number; not an infinity or NaN)."""
    sign, mantissa, exponent, bits = raw
    return bool(mantissa) or (exponent == 0 and bits == 0)


def _binary_rational(numerator, denominator) -> Fraction:
    return Fraction(int(numerator), int(denominator))


def available() -> dict[str, object]:
    """The engines this environment has, by name (Arb only with python-flint)."""
    engines: dict[str, object] = {"mpmath": MpmathIntervals()}
    try:
        engines["arb"] = ArbBalls()
    except Exception:  # noqa: BLE001 - a missing or broken python-flint: mpmath serves
        pass
    return engines
