"""Exact rationals and 200-bit intervals: the numbers the exact passes compute with.

Every decision on a value goes through :func:`sign` or :func:`compare`, which answer
exactly for rationals and only when the enclosures decide for intervals (else they
raise :class:`Undecided`). The interval arithmetic sits behind a few small functions
(:func:`as_interval`, :func:`interval_function`, :func:`hull`, :func:`enclosure_ends`)
so that another interval library (Arb balls through python-flint) can replace
mpmath's without touching the passes.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import iv
from mpmath.libmp import to_rational

from symgrad.torch.graph import NEG_INF

BITS = 200

try:  # gmpy2's rationals are several times faster than Fraction (an optional speed-up)
    from gmpy2 import mpq as _mpq

    RATIONALS: tuple[type, ...] = (Fraction, int, type(_mpq(0)))
except ImportError:  # pragma: no cover - depends on the environment
    _mpq = None
    RATIONALS = (Fraction, int)


def is_rational(value: object) -> bool:
    """An exact rational (Fraction, int or gmpy2 mpq), not an interval."""
    return isinstance(value, RATIONALS)


_IS_RATIONAL = np.frompyfunc(lambda v: isinstance(v, RATIONALS), 1, 1)


def all_rational(array: np.ndarray) -> bool:
    """Every entry is an exact rational (no interval)."""
    return bool(np.all(_IS_RATIONAL(array))) if array.size else True


def as_fraction(value) -> Fraction:
    return (
        value
        if isinstance(value, Fraction)
        else Fraction(int(value.numerator), int(value.denominator))
    )


def fast_rationals(array: np.ndarray) -> np.ndarray:
    """The same exact values as gmpy2 rationals when gmpy2 is there."""
    if _mpq is None or not isinstance(array, np.ndarray) or not array.size:
        return array
    return np.vectorize(lambda v: _mpq(v) if isinstance(v, Fraction) else v, otypes=[object])(array)


class Undecided(Exception):
    """An interval comparison (or function) that cannot be decided at this precision."""


# ---------------------------------------------------------------- numbers
def as_interval(value) -> object:
    """An enclosure of ``value`` (a rational becomes the tightest 200-bit interval)."""
    if isinstance(value, bool):
        return value  # a mask stays a mask
    if is_rational(value):
        return iv.mpf(int(value.numerator)) / int(value.denominator)
    return value


def intervals(array: np.ndarray) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        return as_interval(array)
    return np.vectorize(as_interval, otypes=[object])(array) if array.size else array


def sign(value) -> int:
    """-1, 0 or 1, exactly (a rational) or when an interval decides it."""
    if value is NEG_INF:
        return -1
    if isinstance(value, bool):
        return int(value)
    if is_rational(value):
        return (value > 0) - (value < 0)
    if value.a > 0:
        return 1
    if value.b < 0:
        return -1
    if value.a == 0 and value.b == 0:
        return 0
    raise Undecided("the sign of a value near 0")


def greater(a, b) -> bool:
    if is_rational(a) and is_rational(b):
        return a > b
    return sign(as_interval(a) - as_interval(b)) > 0


def compare(a, b) -> int:
    """-1, 0 or 1: the sign of a - b, decided exactly or by disjoint enclosures."""
    if a is NEG_INF or b is NEG_INF:
        return (b is NEG_INF) - (a is NEG_INF)
    if is_rational(a) and is_rational(b):
        return (a > b) - (a < b)
    a, b = as_interval(a), as_interval(b)
    if a._mpi_ == b._mpi_ and a._mpi_[0] == a._mpi_[1]:
        return 0
    return sign(a - b)


def _erf(v):
    """An enclosure of erf on an interval: erf is increasing, so its values at the ends,
    computed with 60 guard bits and widened by far more than their error, enclose it."""
    with mpmath.workprec(BITS + 60):
        low, high = mpmath.erf(v.a), mpmath.erf(v.b)
    pad = mpmath.mpf(2) ** -(BITS + 20)
    return iv.mpf([low - pad, high + pad])


def _positive(v):
    if sign(v) <= 0:
        raise Undecided("a logarithm or root of a value that is not certainly positive")
    return v


def _exp(v):
    return 0 if v is NEG_INF else iv.exp(v)


INTERVAL_FUNCTIONS = {
    "exp": _exp,
    "log": lambda v: iv.log(_positive(v)),
    "log1p": lambda v: iv.log(_positive(1 + v)),
    "expm1": lambda v: iv.exp(v) - 1,
    "sqrt": lambda v: iv.sqrt(_positive(v)),
    "rsqrt": lambda v: 1 / iv.sqrt(_positive(v)),
    "sigmoid": lambda v: 1 / (1 + iv.exp(-v)),
    "tanh": lambda v: 1 - 2 / (iv.exp(2 * v) + 1),
    "erf": _erf,
}


def interval_function(name: str, value):
    """``name`` (exp, log, sqrt, tanh, sigmoid, erf, ...) of an enclosure, enclosed."""
    return INTERVAL_FUNCTIONS[name](as_interval(value))


def enclosure_ends(value) -> tuple[Fraction, Fraction]:
    """The ends of an enclosure as exact rationals."""
    return tuple(exact_endpoint(end) for end in value._mpi_)


def exact_endpoint(raw) -> Fraction:
    """An interval's raw endpoint as the exact rational it is."""
    numerator, denominator = to_rational(raw)
    return Fraction(int(numerator), int(denominator))


def hull(low, high):
    """The hull of the enclosures of two rationals (outward rounded, so it contains [low, high])."""
    return iv.make_mpf((as_interval(low)._mpi_[0], as_interval(high)._mpi_[1]))


def apply(array: np.ndarray, function) -> np.ndarray:
    """``function`` entry by entry (an object array of the same shape)."""
    out = np.empty(array.shape, dtype=object)
    flat_in, flat_out = array.reshape(-1), out.reshape(-1)
    for index, value in enumerate(flat_in):
        flat_out[index] = function(value)
    return out


def scalar_array(value) -> np.ndarray:
    array = np.empty((), dtype=object)
    array[()] = value
    return array


def as_array(value) -> np.ndarray:
    return value if isinstance(value, np.ndarray) else scalar_array(value)


SNAP = 1 << 256


def split_enclosures(enclosures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each interval [a, b] as a centre c on the grid 2**-256 and a radius r on that grid
    with [a, b] inside [c - r, c + r] (so the numbers stay small whatever a and b are)."""
    centre = np.empty(enclosures.shape, dtype=object)
    radius = np.empty(enclosures.shape, dtype=object)
    for index, value in np.ndenumerate(enclosures):
        if is_rational(value):
            centre[index], radius[index] = value, 0
            continue
        low, high = enclosure_ends(value)
        middle = (low + high) / 2
        snapped = Fraction(round(middle * SNAP), SNAP)
        reach = max(high - snapped, snapped - low)
        centre[index], radius[index] = snapped, Fraction(math.ceil(reach * SNAP), SNAP)
    return fast_rationals(centre), fast_rationals(radius)
