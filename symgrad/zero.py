"""The zero-test ladder: cheapest sound method first, heavy CAS work last and bounded.

1. structural: SymPy's canonical form already made the expression ``0``;
2. refutation by exact evaluation at rational points (:mod:`symgrad.evaluate`):
   a certified nonzero value is a witness, so no simplification is spent on it;
3. rational normal form (``cancel``) for expressions built from ``+ - * /`` and
   integer powers, which decides zero-ness exactly;
4. ``simplify`` after rewriting activations in terms of ``exp``, in a worker
   process that is killed at the deadline.

Only steps 1, 3 and 4 can say "zero" and only when the result is exactly 0;
only step 2 can say "nonzero", with its point.
"""

from __future__ import annotations

import multiprocessing
import random
import resource
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symgrad.errors import BudgetError
from symgrad.evaluate import Evaluator, Undecided, Value, is_certainly_nonzero
from symgrad.functions import to_elementary

WORKER_MEMORY_BYTES = 4 * 2**30
VISIBLE = 1e-6


class Sampler:
    """Rational points for the free symbols, deterministic for a seed.

    ``fixed`` pins symbols (an init); ``signs`` restricts symbols to
    ``positive``, ``nonnegative``, ``negative`` or ``nonpositive`` values.
    The first point gives the ``leading`` symbols (the data) the values
    1, 2, 3, ... and every other symbol 0, so witnesses read well.
    """

    def __init__(
        self,
        symbols: Iterable[sympy.Symbol],
        fixed: Mapping[sympy.Symbol, Fraction] | None = None,
        signs: Mapping[sympy.Symbol, str] | None = None,
        seed: int = 0,
        leading: Iterable[sympy.Symbol] = (),
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

    def points(self, count: int) -> Iterable[dict[sympy.Symbol, Fraction]]:
        rng = random.Random(self.seed)
        lead = len(self.leading)
        for index in range(count):
            point = dict(self.fixed)
            for position, symbol in enumerate(self.symbols):
                if index == 0:
                    value = Fraction(position + 1) if position < lead else Fraction(0)
                elif index == 1:
                    value = Fraction(position + 1) if position < lead else Fraction(1, position + 2)
                elif index == 2:
                    value = Fraction(2 * position + 1, 2 + position % 3)
                else:
                    value = Fraction(rng.randint(-12, 12), rng.randint(1, 5))
                point[symbol] = self._respect_sign(symbol, value)
            yield point

    def _respect_sign(self, symbol: sympy.Symbol, value: Fraction) -> Fraction:
        sign = self.signs.get(symbol)
        if sign in ("positive", "nonnegative"):
            value = abs(value) or Fraction(1)
        elif sign in ("negative", "nonpositive"):
            value = -(abs(value) or Fraction(1))
        return value


def _natural_key(symbol: sympy.Symbol) -> tuple:
    import re

    parts = re.split(r"(\d+)", symbol.name)
    return tuple(int(p) if p.isdigit() else p for p in parts)


@dataclass(frozen=True)
class Nonzero:
    """A certificate that ``expressions[index]`` is not identically zero."""

    index: int
    point: dict
    value: Value


def find_nonzero(
    expressions: Sequence[sympy.Expr], sampler: Sampler, tries: int = 6
) -> tuple[Nonzero | None, list[list[float]]]:
    """Evaluate every expression at up to ``tries`` points; the first certified nonzero.

    Returns the certificate (or None) and the float evidence gathered, one
    list of values per point, for reporting only.
    """
    from symgrad.evaluate import as_float

    evidence: list[list[float]] = []
    fallback: Nonzero | None = None
    for point in sampler.points(tries):
        evaluator = Evaluator(point)
        row: list[float] = []
        for index, expression in enumerate(expressions):
            try:
                value = evaluator(expression)
            except (Undecided, ZeroDivisionError, ValueError, OverflowError):
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


def is_rational_function(expr: sympy.Basic) -> bool:
    """True if ``expr`` uses only symbols, rationals, + and * and integer powers."""
    from symgrad.calculus import dag_nodes

    for node in dag_nodes(expr):
        if node.is_Symbol or node.is_Rational:
            continue
        if isinstance(node, (sympy.Add, sympy.Mul)):
            continue
        if isinstance(node, sympy.Pow) and node.exp.is_Integer:
            continue
        return False
    return True


def run_with_budget(function: Callable[[], object], seconds: float, stage: str) -> object:
    """Run ``function()`` in a forked worker; kill it and raise BudgetError at the deadline."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def target() -> None:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
        except (ValueError, OSError):
            pass
        try:
            sender.send(("ok", function()))
        except MemoryError:
            sender.send(("memory", None))
        except Exception as error:  # noqa: BLE001 - reported to the parent as a failure
            sender.send(("error", f"{type(error).__name__}: {error}"))

    worker = context.Process(target=target, daemon=True)
    worker.start()
    sender.close()
    deadline = time.monotonic() + max(seconds, 0.01)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BudgetError(f"{stage} ran out of its {seconds:g} s budget")
            if receiver.poll(min(remaining, 0.05)):
                try:
                    status, payload = receiver.recv()
                except EOFError:
                    raise BudgetError(f"{stage} stopped without an answer") from None
                break
            if not worker.is_alive() and not receiver.poll(0):
                raise BudgetError(f"{stage} stopped without an answer (out of memory?)")
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(1)
        receiver.close()
    if status == "memory":
        raise BudgetError(f"{stage} ran out of memory")
    if status == "error":
        raise BudgetError(f"{stage} failed: {payload}")
    return payload


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
