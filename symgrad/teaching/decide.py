"""Deciding ``claim = dJ/dw`` in one data case: correct, correct almost everywhere, incorrect
or unknown.

The true derivative follows PyTorch's conventions at kinks (relu'(0) = 0, a tie of max/min
shares the gradient). Where the loss is not differentiable (the zero set of a kink of the
loss: relu, abs, max, min, clip, a piecewise seam) no value is *the* derivative, so:

- ``incorrect`` needs a witness where the loss is differentiable: sampling keeps off the
  loss's kinks, and a point on a kink counts only where the derivative's pieces on the two
  sides agree there;
- ``correct`` is an exact identity (the zero-test ladder, kinks with their conventions);
- ``correct almost everywhere`` holds when the claim equals the derivative on every cell
  between the kinks (each cell's piece proven zero, or the cell proven empty) and, on the
  kinks that are the claim's own, on the seam itself: then the two differ at most on the
  loss's kinks, a set of measure zero where the loss is not differentiable. The exceptional
  set is named, with the convention's value and the claim's at one exact point.

Anything else is ``unknown`` with the reason.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import sympy

from symgrad.exact.evaluate import Undecided, evaluate, is_certainly_nonzero
from symgrad.exact.kinks import kink_arguments, on_cell, zero_set_text
from symgrad.exact.printing import to_str
from symgrad.exact.sampling import Nonzero, Sampler, find_nonzero
from symgrad.exact.zero import prove_zero, with_signs
from symgrad.results import Exceptional
from symgrad.teaching.setting import Setting
from symgrad.ties.problem import sort_symbols

MAX_AE_KINKS = 5


@dataclass(frozen=True)
class Outcome:
    """The decision in one case: ``verdict`` with its method, witness or reason."""

    verdict: str
    method: str = ""
    found: Nonzero | None = None
    reason: str = ""
    exceptional: Exceptional | None = None
    instance: dict | None = None  # declared function -> the concrete one that refutes


def loss_kinks(loss: sympy.Expr, true: sympy.Expr) -> list[sympy.Expr]:
    """Where the loss may fail to be differentiable: the kink arguments of J and of dJ/dw."""
    return kink_arguments(loss, true)


def decide_case(
    difference: sympy.Expr,
    symbols,
    setting: Setting,
    point_conditions,
    kinks=(),
    claim: sympy.Expr | None = None,
    true: sympy.Expr | None = None,
    loss_conditions=None,
) -> Outcome:
    """The outcome for ``difference = claim - true`` (``kinks``: the loss's kink arguments;
    ``loss_conditions``: the loss's domain and the assumptions, without the claim's domain)."""
    off_kinks = [*point_conditions, *(sympy.Ne(k, 0) for k in kinks)]
    data = sort_symbols(set(symbols))
    sampler = Sampler(symbols, signs=setting.signs, leading=data, conditions=off_kinks)
    found, _ = find_nonzero([difference], sampler, tries=10)
    if found is not None:
        return Outcome("incorrect", found=found)
    if difference == 0:
        return Outcome("correct", "structural equality")
    if kinks and claim is not None and true is not None:  # cells first: cheaper than simplify
        outcome = almost_everywhere(
            claim, true, list(kinks), setting, point_conditions,
            point_conditions if loss_conditions is None else loss_conditions,
        )  # fmt: skip
        if outcome is not None and outcome.verdict != "unknown":
            return outcome
    left = max(setting.deadline - time.monotonic(), 0.2)
    proof = prove_zero(difference, left, signs=setting.signs)
    if proof.zero:
        return Outcome("correct", proof.method)
    sampler = Sampler(symbols, signs=setting.signs, seed=11, conditions=off_kinks)
    found, _ = find_nonzero([difference], sampler, tries=40)
    if found is not None:
        return Outcome("incorrect", found=found)
    refutation = _with_concrete_functions(difference, symbols, setting, off_kinks)
    if refutation is not None:
        return refutation
    return Outcome("unknown", reason=proof.reason or "no sound method decided")


def _with_concrete_functions(difference, symbols, setting: Setting, conditions) -> Outcome | None:
    """A claim about arbitrary functions refuted by concrete ones (u**3, exp, ...)."""
    from symgrad.exact.instances import choices, concrete, declared_functions

    for choice in choices(declared_functions(difference)):
        if time.monotonic() > setting.deadline:
            return None
        try:
            instance = concrete(difference, choice)
        except (TypeError, ValueError, NotImplementedError):
            continue
        if declared_functions(instance):
            continue
        sampler = Sampler(set(symbols), signs=setting.signs, conditions=conditions)
        found, _ = find_nonzero([instance], sampler, tries=8)
        if found is not None:
            return Outcome("incorrect", found=found, instance=choice)
    return None


# ---------------------------------------------------------------- almost everywhere
def almost_everywhere(
    claim, true, kinks, setting: Setting, conditions, loss_conditions=()
) -> Outcome | None:
    """Correct (almost everywhere) by cells and seams, an incorrect seam point, or None."""
    difference = claim - true
    every = kink_arguments(claim, true, *kinks)
    for kink in kinks:
        if kink not in every:
            every.append(kink)
    if not every or len(every) > MAX_AE_KINKS:
        return None
    for cell in itertools.product((1, -1), repeat=len(every)):
        if time.monotonic() > setting.deadline or not _cell_right(
            difference, every, cell, setting, conditions
        ):
            return None
    own = [k for k in every if k not in kinks]
    for kink in own:
        seam = _seam_outcome(difference, kink, kinks, setting, conditions)
        if seam is not None:
            return seam
    return _on_the_loss_kinks(claim, true, kinks, every, loss_conditions, setting)


def _signs_of_cell(setting: Setting, kinks, cell) -> dict:
    signs = dict(setting.signs)
    for kink, sign in zip(kinks, cell):
        if kink.is_Symbol:
            if kink in signs and signs[kink] != ("positive" if sign > 0 else "negative"):
                continue
            signs[kink] = "positive" if sign > 0 else "negative"
    return signs


def _cell_right(difference, kinks, cell, setting: Setting, conditions) -> bool:
    """The difference's piece on the cell is proven zero, or the cell is proven empty."""
    from symgrad.exact.kinks import cell_is_empty

    if cell_is_empty(kinks, cell):
        return True
    piece = on_cell(difference, kinks, cell)
    if piece is None:
        return False
    signs = _signs_of_cell(setting, kinks, cell)
    piece = with_signs(piece, signs)
    if piece == 0:
        return True
    inside = [*conditions, *((k > 0) if s > 0 else (k < 0) for k, s in zip(kinks, cell))]
    sampler = Sampler(piece.free_symbols | _symbols(kinks), signs=signs, conditions=inside)
    found, _ = find_nonzero([piece], sampler, tries=6)
    if found is None:
        left = min(max(setting.deadline - time.monotonic(), 0.1), 5.0)
        if prove_zero(piece, left, signs=signs).zero:
            return True
    return _cell_empty(kinks, cell, conditions)


def _symbols(kinks) -> set:
    return set().union(*(k.free_symbols for k in kinks))


def _cell_empty(kinks, cell, conditions=()) -> bool:
    """The sign pattern has no admissible point: a sign it needs contradicts a condition on
    the same expression (``w < x`` against ``w >= x``), or, for kinks in one symbol, the
    solution sets do not meet."""
    from symgrad.exact.kinks import cell_is_empty
    from symgrad.exact.zero import _empty

    if cell_is_empty(kinks, cell):
        return True
    relations = [c for c in conditions if isinstance(c, sympy.core.relational.Relational)]
    signs = [(k > 0) if s > 0 else (k < 0) for k, s in zip(kinks, cell)]
    try:
        if _empty(sympy.And(*relations, *signs)):
            return True
    except (TypeError, ValueError, NotImplementedError):
        pass
    symbols = _symbols(kinks)
    if len(symbols) != 1:
        return False
    (symbol,) = symbols
    region = sympy.S.Reals
    try:
        for kink, sign in zip(kinks, cell):
            relation = kink > 0 if sign > 0 else kink < 0
            region = region.intersect(relation.as_set())
    except (NotImplementedError, TypeError, ValueError):
        return False
    return region == sympy.S.EmptySet


def _solvable(kink) -> bool:
    """Built from symbols, numbers, + * integer powers and |.|: solved at once, never slowly."""
    for node in sympy.preorder_traversal(kink):
        if node.is_Symbol or node.is_Number or isinstance(node, (sympy.Add, sympy.Mul, sympy.Abs)):
            continue
        if isinstance(node, sympy.Pow) and node.exp.is_Integer and abs(node.exp) <= 4:
            continue
        return False
    return True


def _solutions(kink) -> list[tuple]:
    """(symbol, solution) pairs whose union is ``kink = 0``: every symbol solved for, every
    branch (``w*x = 0`` is w = 0 or x = 0; ``|w - y| = 1`` has two branches in w). Empty when
    the seam cannot be described so (then nothing is concluded about it)."""
    pairs = []
    if not _solvable(kink):
        return pairs
    for symbol in sort_symbols(kink.free_symbols):
        try:
            solutions = sympy.solve(kink, symbol)
        except (NotImplementedError, TypeError, ValueError):
            continue
        pairs += [(symbol, s) for s in solutions if not s.has(symbol)]
    return pairs


def _seam_points(kink, conditions, count: int = 3):
    """A few exact points on ``kink = 0`` (one symbol solved from the others), admissible."""
    from symgrad.ties import certify

    points = []
    others = sort_symbols(kink.free_symbols)
    for symbol, solution in _solutions(kink):
        rest = [s for s in others if s != symbol]
        for values in ((1, 2, 3), (2, -1, 1), (-1, 3, 2), (3, 1, -2)):
            point = {s: sympy.Integer(v) for s, v in zip(rest, itertools.cycle(values))}
            value = solution.xreplace(point)
            if not value.is_Rational:
                continue
            point[symbol] = value
            if all(certify.holds(c, point) for c in conditions if c.free_symbols <= set(point)):
                points.append(point)
            if len(points) >= count:
                return points
    return points


def _seam_right(difference, kink, setting: Setting) -> bool:
    """The difference is 0 on the whole seam ``kink = 0`` (each branch substituted, proven)."""
    pairs = _solutions(kink)
    if not pairs:
        return False
    for symbol, solution in pairs:
        restricted = difference.xreplace({symbol: solution})
        left = min(max(setting.deadline - time.monotonic(), 0.1), 5.0)
        if restricted != 0 and not prove_zero(restricted, left, signs=setting.signs).zero:
            return False
    return True


def _value(expr, point):
    try:
        return evaluate(expr, _complete(expr, point))
    except (Undecided, ZeroDivisionError, ValueError, OverflowError):
        return None


def _complete(expr, point) -> dict:
    """The point, with the symbols it leaves free set to small distinct values."""
    full = dict(point)
    for index, symbol in enumerate(sort_symbols(expr.free_symbols - set(point))):
        full[symbol] = sympy.Rational(index + 2, 3)
    return full


def _seam_outcome(difference, kink, kinks, setting, conditions) -> Outcome | None:
    """On a seam of the claim's own (where the loss is differentiable): a differing point
    refutes; a seam that cannot be shown right leaves the claim undecided."""
    seam_conditions = [*conditions, *(sympy.Ne(k, 0) for k in kinks)]
    points = _seam_points(kink, seam_conditions)
    for point in points:
        full = _complete(difference, point)
        value = _value(difference, full)
        if value is not None and is_certainly_nonzero(value):
            return Outcome("incorrect", found=Nonzero(0, _fractions(full), value))
    if _seam_right(difference, kink, setting):
        return None
    return Outcome("unknown", reason=f"the claim's own seam {zero_set_text([kink])} is undecided")


def _fractions(point) -> dict:
    from fractions import Fraction

    return {s: Fraction(int(v.p), int(v.q)) for s, v in point.items()}


def _on_the_loss_kinks(claim, true, kinks, every, conditions, setting) -> Outcome:
    """Right off the loss's kinks: name the kinks in the loss's domain where the claim may
    differ from the convention, with the convention's value there."""
    difference = claim - true
    inside = [k for k in kinks if not _solutions(k) or _seam_points(k, conditions, 1)]
    inside = [k for k in inside if not _seam_right(difference, k, setting)]
    if not inside:
        return Outcome("correct", "equal on every region between the kinks and on the kinks")
    convention = ""
    for kink in inside:
        for point in _seam_points(kink, conditions):
            full = _complete(difference, point)
            value = _value(difference, full)
            if value is not None and not is_certainly_nonzero(value):
                continue
            if value is not None and _differentiable_at(true, every, full):
                return Outcome("incorrect", found=Nonzero(0, _fractions(full), value))
            convention = _convention_text(claim, true, full)
            break
        if convention:
            break
    method = "equal on every region between the kinks (each piece exactly 0)"
    return Outcome("correct", method, exceptional=Exceptional(zero_set_text(inside), convention))


def _differentiable_at(true, kinks, point) -> bool:
    """The derivative's pieces on the two sides of the one kink through ``point`` agree there."""
    signs = []
    for kink in kinks:
        value = kink.xreplace(point)
        if not value.is_Rational:
            return False
        signs.append(0 if value == 0 else (1 if value > 0 else -1))
    if signs.count(0) != 1:
        return False
    sides = []
    for side in (1, -1):
        cell = tuple(side if s == 0 else s for s in signs)
        piece = on_cell(true, kinks, cell)
        if piece is None:
            return False
        sides.append(_value(piece, point))
    from fractions import Fraction

    first, second = sides
    return isinstance(first, Fraction) and isinstance(second, Fraction) and first == second


def _convention_text(claim, true, point) -> str:
    """``at w = 0, x = 1 PyTorch's convention gives 1/2 and the claim gives 0``."""
    where = ", ".join(
        f"{s} = {to_str(v)}" for s, v in sorted(point.items(), key=lambda i: str(i[0]))
    )
    convention = f"at {where} PyTorch's convention gives {to_str(true.xreplace(point))}"
    if _value(claim, point) is None:
        return f"{convention}; the claim is undefined there"
    return f"{convention} and the claim gives {to_str(claim.xreplace(point))}"


__all__ = ["Outcome", "almost_everywhere", "decide_case", "loss_kinks"]
