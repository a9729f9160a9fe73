"""Exact rationals and 200-bit enclosures: the numbers the exact passes compute with.

Every decision on a value goes through :func:`sign` or :func:`compare`, which answer
exactly for rationals and only when the enclosures decide for intervals (else they
raise :class:`Undecided`). The enclosures come from one interval engine
(:mod:`symgrad.torch.interval_engines`): FLINT's Arb balls when python-flint is
installed, mpmath's intervals otherwise (``SYMGRAD_INTERVALS=mpmath`` forces the
fallback); both are rigorous at 200 bits, and the passes reach them only through the
small functions here (:func:`as_interval`, :func:`interval_function`, :func:`hull`,
:func:`enclosure_ends`, :func:`working_precision`).
"""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction

import numpy as np

from symgrad.torch.graph import NEG_INF
from symgrad.torch.interval_engines import BITS, Undecided, available  # noqa: F401 - re-exported

try:  # gmpy2's rationals are several times faster than Fraction (an optional speed-up)
    from gmpy2 import mpq as _mpq

    RATIONALS: tuple[type, ...] = (Fraction, int, type(_mpq(0)))
except ImportError:  # pragma: no cover - depends on the environment
    _mpq = None
    RATIONALS = (Fraction, int)


def is_rational(value: object) -> bool:
    """An exact rational (Fraction, int or gmpy2 mpq), not an interval."""
    return isinstance(value, RATIONALS)


def kinds(array: np.ndarray) -> set[type]:
    """The types of the entries (one pass in C over the array)."""
    return set(map(type, array.reshape(-1)))


def all_rational(array: np.ndarray) -> bool:
    """Every entry is an exact rational (no interval)."""
    if not isinstance(array, np.ndarray):
        return is_rational(array)
    return all(issubclass(kind, RATIONALS) for kind in kinds(array))


def rational(numerator: int, denominator: int = 1):
    """The exact rational numerator/denominator in the passes' fastest type (gmpy2's mpq when
    installed: a Fraction in a pass of mpq values would turn every sum back into Fractions)."""
    return Fraction(numerator, denominator) if _mpq is None else _mpq(numerator, denominator)


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
    if not any(issubclass(kind, Fraction) for kind in kinds(array)):
        return array
    return _mapped(array, lambda v: _mpq(v) if isinstance(v, Fraction) else v)


def as_floats(array: np.ndarray) -> np.ndarray:
    """The entries as float64 (for torch's independent float64 runs; never for a decision)."""
    if array.dtype != object:
        return np.asarray(array, dtype=np.float64)
    return _mapped(array, float, np.float64)


def _mapped(array: np.ndarray, convert, dtype=object) -> np.ndarray:
    """``convert`` of each entry, called once per distinct object (a constant init holds one
    object many times)."""
    seen: dict[int, object] = {}

    def once(value):
        key = id(value)  # the entries stay alive in ``array`` for the whole call
        found = seen.get(key)
        if found is None:
            found = seen[key] = convert(value)
        return found

    flat = array.reshape(-1)
    out = np.fromiter(map(once, flat), dtype=dtype, count=flat.size)
    return out.reshape(array.shape)


ENGINES = available()
# SYMGRAD_INTERVALS=mpmath forces the fallback; any other value keeps the best engine there is
ENGINE = ENGINES.get(os.environ.get("SYMGRAD_INTERVALS", "").strip().lower()) or ENGINES.get(
    "arb", ENGINES["mpmath"]
)


def engine_name() -> str:
    """The interval engine in use: "arb" (python-flint) or "mpmath"."""
    return ENGINE.name


def interval_method(detail: str = "") -> str:
    """How an interval certificate was computed, in words."""
    return f"200-bit interval arithmetic ({ENGINE.description}{', ' + detail if detail else ''})"


@contextlib.contextmanager
def using_engine(name: str):
    """Run with the named engine (for tests comparing the two; not thread-safe)."""
    global ENGINE
    saved, ENGINE = ENGINE, ENGINES[name]
    try:
        yield ENGINE
    finally:
        ENGINE = saved


def working_precision():
    """The engine's 200-bit working precision for the duration of a pass."""
    return ENGINE.precision()


# ---------------------------------------------------------------- numbers
def is_interval(value) -> bool:
    """An enclosure of the current engine (not a rational, a mask or -inf)."""
    return ENGINE.is_interval(value)


def as_interval(value) -> object:
    """An enclosure of ``value`` (a rational becomes the tightest 200-bit enclosure)."""
    if isinstance(value, bool):
        return value  # a mask stays a mask
    if is_rational(value):
        return ENGINE.ball(int(value.numerator), int(value.denominator))
    return value


def intervals(array: np.ndarray) -> np.ndarray:
    """Each entry enclosed (a new array; one that holds only enclosures is copied as is)."""
    if not isinstance(array, np.ndarray):
        return as_interval(array)
    if not array.size:
        return array
    if all(ENGINE.is_interval_type(kind) for kind in kinds(array)):
        return array.copy()
    return _mapped(array, as_interval)


def sign(value) -> int:
    """-1, 0 or 1, exactly (a rational) or when an interval decides it."""
    if value is NEG_INF:
        return -1
    if isinstance(value, bool):
        return int(value)
    if is_rational(value):
        return (value > 0) - (value < 0)
    return ENGINE.sign(value)


def greater(a, b) -> bool:
    if is_rational(a) and is_rational(b):
        return a > b
    return sign(as_interval(a) - as_interval(b)) > 0


def compare(a, b) -> int:
    """-1, 0 or 1: the sign of a - b, decided exactly or by disjoint enclosures (a - b of two
    equal exact points is exactly 0 in both engines)."""
    if a is NEG_INF or b is NEG_INF:
        return (b is NEG_INF) - (a is NEG_INF)
    if is_rational(a) and is_rational(b):
        return (a > b) - (a < b)
    return sign(as_interval(a) - as_interval(b))


def _positive(v):
    if sign(v) <= 0:
        raise Undecided("a logarithm or root of a value that is not certainly positive")
    return v


def _exp(v):
    return 0 if v is NEG_INF else ENGINE.exp(v)


INTERVAL_FUNCTIONS = {
    "exp": _exp,
    "log": lambda v: ENGINE.log(_positive(v)),
    "log1p": lambda v: ENGINE.log(_positive(1 + v)),
    "expm1": lambda v: ENGINE.exp(v) - 1,
    "sqrt": lambda v: ENGINE.sqrt(_positive(v)),
    "rsqrt": lambda v: 1 / ENGINE.sqrt(_positive(v)),
    "sigmoid": lambda v: 1 / (1 + ENGINE.exp(-v)),
    "tanh": lambda v: ENGINE.tanh(v),
    "erf": lambda v: ENGINE.erf(v),
}


def interval_function(name: str, value):
    """``name`` (exp, log, sqrt, tanh, sigmoid, erf, ...) of an enclosure, enclosed."""
    if value is NEG_INF:
        return INTERVAL_FUNCTIONS[name](value)
    return INTERVAL_FUNCTIONS[name](as_interval(value))


def interval_pi():
    """An enclosure of pi."""
    return ENGINE.pi()


def enclosure_ends(value) -> tuple[Fraction, Fraction]:
    """The ends of an enclosure as exact rationals (low <= every point <= high)."""
    return ENGINE.ends(value)


def enclosure_bounds(value) -> tuple:
    """Two exact points of the engine, low <= every point of the enclosure <= high, that
    compare exactly with each other (cheap even where the exact rational ends are huge: a
    value near exp(-2**25) has a 2**25-bit denominator)."""
    return ENGINE.bounds(as_interval(value))


def shown(value, digits: int = 60):
    """A value as SymPy shows it in a witness: a Rational (exact values), or an Interval of
    ``digits``-digit Floats around an enclosure (for display; no decision uses it)."""
    import sympy

    if is_rational(value) or ENGINE.is_point(value):
        exact = as_fraction(value) if is_rational(value) else enclosure_ends(value)[0]
        return sympy.Rational(exact.numerator, exact.denominator)
    for shown_digits in (digits, digits + 20, digits + 60):
        low, high = ENGINE.decimals(value, shown_digits)
        if low != high:
            return sympy.Interval(sympy.Float(low, shown_digits), sympy.Float(high, shown_digits))
    low, high = enclosure_ends(value)
    return sympy.Interval(sympy.Rational(low.numerator, low.denominator),
                          sympy.Rational(high.numerator, high.denominator))  # fmt: skip


def centre(value) -> float:
    """A rational or the middle of an enclosure, as a float (for float64 re-checks)."""
    if is_rational(value):
        return float(as_fraction(value))
    return ENGINE.centre(value)


def hull(low, high):
    """An enclosure of [low, high] for two rationals low <= high (outward rounded)."""
    return ENGINE.hull(as_interval(low), as_interval(high))


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


GRID_BITS = 256


def split_enclosures(enclosures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each interval [a, b] as a centre c on the grid 2**-256 and a radius r on that grid
    with [a, b] inside [c - r, c + r] (so the numbers stay small whatever a and b are):
    with L = floor(a * 2**256) and H = ceil(b * 2**256) (integer shifts of the ends'
    binary forms), c = floor((L + H) / 2) / 2**256 and r = max(H - c', c' - L) / 2**256."""
    centre = np.empty(enclosures.shape, dtype=object)
    radius = np.empty(enclosures.shape, dtype=object)
    unit = rational(1, 1 << GRID_BITS)
    for index, value in np.ndenumerate(enclosures):
        if is_rational(value):
            centre[index], radius[index] = value, 0
            continue
        low, high = ENGINE.grid_ends(value, GRID_BITS)
        middle = (low + high) >> 1
        centre[index] = rational(middle) * unit
        radius[index] = rational(max(high - middle, middle - low)) * unit
    return fast_rationals(centre), fast_rationals(radius)
