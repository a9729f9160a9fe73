"""A step of a derivation: does a line equal the line before it, under the question's setting?

Both lines are read on the claim's path (:mod:`symgrad.teaching.reading`): the names of the
function being derived (``J``), the parameters and the definitions are known, a run-together
name is read through them, a defined name (``p``, ``\\hat{y}``, ``J`` itself) is substituted,
and an unknown name is an :class:`~symgrad.errors.UndefinedSymbolError`. The comparison is
decided like a claim (:func:`symgrad.teaching.decide.decide_case`) in every data case of the
constraints, under the assumptions and on the function's real domain; a refutation's witness
is re-evaluated independently, a "correct" is cross-examined at fresh points.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence

import sympy

from symgrad.errors import ProblemError
from symgrad.exact.dag import symbols_of
from symgrad.exact.domain import domain_of
from symgrad.exact.evaluate import is_exact
from symgrad.exact.functions import drop_dirac
from symgrad.results import CheckWitness, Component
from symgrad.runtime.budget import Budget, binds_timeout
from symgrad.teaching.decide import decide_case, loss_kinks
from symgrad.teaching.diagnose import diagnose_step
from symgrad.teaching.reading import (
    Definitions,
    definition_items,
    read_claim,
    read_context,
    read_loss,
)
from symgrad.teaching.setting import Setting, function_names, make_setting, unify
from symgrad.text.parse import Parsed, read
from symgrad.ties import certify
from symgrad.ties.problem import quote, sort_symbols


@dataclasses.dataclass
class StepContext:
    """What the lines of one chain are read and judged under (built by :func:`step_context`)."""

    known: frozenset[str]
    definitions: Definitions
    setting: Setting
    kinks: tuple = ()
    present: dict = dataclasses.field(default_factory=dict)
    door: str = "derivation"


def step_context(
    loss: str,
    functions: Sequence[str] = (),
    latex: bool = False,
    let: object = None,
    assume: object = None,
    constraints: object = None,
    wrt: str = "",
    name: str = "J",
    door: str = "derivation",
) -> StepContext:
    """The context of the lines that restate ``loss`` or, with ``wrt``, continue dloss/dwrt.

    The lines may use the loss's names, the parameters and the definitions (``let``); the
    loss itself is known by ``name`` (a line ``= x*J`` means x times the loss).
    """
    functions = function_names(functions)
    items = definition_items(let)
    if isinstance(loss, str) and name and name not in {n.strip() for n, _ in items}:
        written = read_loss(loss, functions, latex, wrt == "e").names
        if name not in written:
            items = [*items, (name, loss)]
    names = [wrt] if wrt else []
    parsed, definitions, known = read_context(loss, names, functions, latex, items, door)
    present = {s.name: s for s in symbols_of(parsed.expr)}
    kinks: tuple = ()
    if wrt:
        parameter = present.setdefault(wrt, sympy.Symbol(wrt, real=True))
        kinks = tuple(loss_kinks(parsed.expr, drop_dirac(sympy.diff(parsed.expr, parameter))))
    setting = make_setting(present, parsed.domain, assume, constraints, functions, latex, 0.0)
    return StepContext(known, definitions, setting, kinks, present, door)


@binds_timeout
def compare_expressions(
    previous: str | sympy.Expr,
    current: str | sympy.Expr,
    functions: Sequence[str] = (),
    latex_input: bool = False,
    timeout: float = 30.0,
    context: StepContext | None = None,
) -> Component:
    """Whether ``current`` equals ``previous`` identically (a step of a derivation).

    Decided like a claimed derivative: a certified nonzero at a rational point
    refutes (the witness is re-evaluated independently), the zero-test ladder
    proves (cross-examined at fresh points); the diagnosis compares the two.
    """
    budget = Budget(timeout)
    functions = function_names(functions)
    before, after = (_expression(e, functions, latex_input, context) for e in (previous, current))
    present = dict(context.present) if context else {}
    for symbol in symbols_of(before.expr) | symbols_of(after.expr):
        present.setdefault(symbol.name, symbol)
    a, b = unify(before.expr, present), unify(after.expr, present)
    domain = [c.as_boolean() for c in (*before.domain, *after.domain)]
    setting = context.setting if context else Setting({}, [], [{}], 0.0)
    setting = dataclasses.replace(
        setting, conditions=[*setting.conditions, *domain], deadline=budget.share(0.8).deadline
    )
    kinks = context.kinks if context else ()
    for case in setting.cases:
        component = _compare_case(a, b, case, setting, kinks, budget)
        if component.verdict != "correct":
            return component
    return component


def _compare_case(a, b, case, setting: Setting, kinks, budget: Budget) -> Component:
    """The two lines in one data case (``y = 0``), decided and, when wrong, diagnosed."""
    a, b = (a.xreplace(case), b.xreplace(case)) if case else (a, b)
    kinks = [k.xreplace(case) for k in kinks if k.xreplace(case).free_symbols]
    symbols = sort_symbols(symbols_of(a) | symbols_of(b))
    conditions = setting.conditions
    outcome = decide_case(b - a, symbols, setting, conditions, kinks, claim=b, true=a)
    if outcome.verdict == "unknown":
        return Component("", "unknown", b, a, method="zero-test ladder", reason=outcome.reason)
    if outcome.verdict == "correct":
        try:
            _cross_examine_step(a, b, symbols, conditions, kinks, budget, setting.signs)
        except certify.CertificateFailure as error:
            if certify.strict():
                raise
            return Component("", "unknown", b, a, reason=f"the re-check failed ({error})")
        return Component("", "correct", b, a, method=outcome.method,
                         exceptional=outcome.exceptional)  # fmt: skip
    exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in outcome.found.point.items()}
    exact.update(case)
    witness = CheckWitness(
        point={str(s): exact[s] for s in sort_symbols(exact)},
        parameter="",
        claimed=b.xreplace(exact),
        true=a.xreplace(exact),
        certified_by="exact rational arithmetic"
        if is_exact(outcome.found.value)
        else "interval arithmetic",
    )
    try:
        if not certify.differ(certify.value_of(b, exact), certify.value_of(a, exact)):
            raise certify.CertificateFailure("re-evaluated, the two lines agree at the witness")
    except certify.CertificateFailure as error:
        if certify.strict():
            raise
        return Component("", "unknown", b, a, reason=f"the re-check failed ({error})")
    diagnoses = diagnose_step(a, b, setting.signs, conditions, budget.share(0.9).deadline)
    return Component(
        "",
        "incorrect",
        b,
        a,
        codes=tuple(d.code for d in diagnoses),
        diagnosis=tuple(d.text for d in diagnoses),
        witness=witness,
        method="exact evaluation at a rational point",
    )


def _expression(value, functions, latex, context: StepContext | None) -> Parsed:
    if isinstance(value, sympy.Expr):
        return Parsed(value, frozenset(s.name for s in symbols_of(value)), domain_of(value))
    if not isinstance(value, str):
        raise ProblemError(f"an expression must be text, not {type(value).__name__}")
    if context is not None:
        return read_claim(
            value, context.known, context.definitions, functions, latex,
            what=f"the line {quote(value, 40)}", door=context.door,
        )  # fmt: skip
    parsed = read(value, functions, latex=latex)
    if not isinstance(parsed.expr, sympy.Expr):
        raise ProblemError(f"{quote(value)} is a condition, not an expression")
    return parsed


def _cross_examine_step(a, b, symbols, conditions, kinks, budget, signs=None) -> None:
    """Fresh random rational points (off the kinks, with the assumed signs) where the two
    lines may not differ."""
    rng = random.Random(4099)
    off = [*conditions, *(sympy.Ne(k, 0) for k in kinks)]
    signs = signs or {}
    for _ in range(8):
        if budget.remaining() < 0.05:
            return
        point = {
            s: _signed(
                sympy.Rational(rng.randint(-9, 9), rng.choice((1, 2, 3, 5, 7))), signs.get(s)
            )
            for s in symbols
        }
        if not all(certify.holds(c, point) for c in off if c.free_symbols <= set(point)):
            continue
        try:
            apart = certify.differ(certify.value_of(a, point), certify.value_of(b, point))
        except certify.CertificateFailure:
            continue
        if apart:
            raise certify.CertificateFailure("at a fresh point the two lines differ")


def _signed(value: sympy.Rational, sign: str | None) -> sympy.Rational:
    """A random value moved to the assumed sign (x > 0: |value| or 1)."""
    if sign in ("positive", "nonnegative"):
        return abs(value) or sympy.S.One
    if sign in ("negative", "nonpositive"):
        return -abs(value) or sympy.S.NegativeOne
    return value


__all__ = ["StepContext", "compare_expressions", "step_context"]
