"""What is wrong with a claimed derivative: named mistakes, each checked to be exactly true.

Every diagnosis states an identity between the claim and the true derivative
(``claim = -true``, ``claim * x = true``, ...) and is reported only after
that identity passes the zero test (sampling may only refute it, the ladder
of :mod:`symgrad.exact.zero` proves it). Each has a stable code for graders:

==================== =========================================================
code                 the identity that was proven
==================== =========================================================
sign_error           claim = -true
constant_factor      claim = c * true for a rational c (not 0, 1, -1)
rounded_decimal      the same, with c within 2% of 1 and a decimal in the claim
missing_chain_factor claim * (d inner / dw) = true
missing_factor       claim * f = true for a symbol or small number f
extra_factor         claim = f * true for a symbol f
wrong_variable       claim = dJ/d(other symbol)
antiderivative       d(claim)/dw = J
only_on_a_region     claim = true on some cells of the kinks (or of the symbols' signs)
wrong_at_a_kink      claim = true off the kinks, not on one (the convention there)
evaluated_at_a_point claim = true with one symbol set to 0 or 1
one_term_wrong       claim and true differ in exactly one term of a sum
wrong_symbol         the claim uses a symbol the loss does not contain
==================== =========================================================
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sympy

from symgrad.exact.functions import drop_dirac
from symgrad.exact.kinks import MAX_KINKS, cell_text, kink_arguments, on_cell, zero_set_text
from symgrad.exact.printing import to_str
from symgrad.exact.sampling import Sampler, find_nonzero
from symgrad.exact.zero import prove_zero, with_signs
from symgrad.text.suggest import as_product, closest
from symgrad.ties.problem import sort_symbols

CODES = (
    "sign_error",
    "constant_factor",
    "rounded_decimal",
    "missing_chain_factor",
    "missing_factor",
    "extra_factor",
    "wrong_variable",
    "antiderivative",
    "only_on_a_region",
    "wrong_at_a_kink",
    "evaluated_at_a_point",
    "one_term_wrong",
    "wrong_symbol",
)


@dataclass(frozen=True)
class Diagnosis:
    """A named, verified mistake: a stable ``code`` and a sentence for the student."""

    code: str
    text: str


@dataclass
class _Context:
    loss: sympy.Expr
    wrt: sympy.Symbol
    claim: sympy.Expr
    true: sympy.Expr
    signs: Mapping
    conditions: Sequence
    deadline: float
    hide: bool
    decimals: bool

    def left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.2)

    def is_zero(self, expr: sympy.Expr, signs=None) -> bool:
        """Sound: sampling may only disprove, the ladder proves."""
        if expr == 0:
            return True
        signs = self.signs if signs is None else signs
        if time.monotonic() > self.deadline:
            return False
        sampler = Sampler(expr.free_symbols, signs=signs, conditions=self.conditions)
        found, _ = find_nonzero([expr], sampler, tries=5)
        if found is not None:
            return False
        return bool(prove_zero(expr, min(self.left(), 5.0), signs=signs).zero)


def _sign(c: _Context) -> Diagnosis | None:
    if c.true != 0 and c.is_zero(c.claim + c.true):
        return Diagnosis("sign_error", "sign error: the claim is exactly minus the true derivative")
    return None


def _ratio(c: _Context) -> sympy.Rational | None:
    """The rational r with claim = r * true that the samples point to (verified afterwards).

    Exact samples must all give the same ratio; interval samples must all contain
    the simplest fraction near their midpoint.
    """
    from fractions import Fraction

    from symgrad.exact.evaluate import Evaluator, Undecided, bounds, is_exact

    exact_ratios, enclosures = set(), []
    sampler = Sampler(
        c.claim.free_symbols | c.true.free_symbols, signs=c.signs, conditions=c.conditions
    )
    for point in sampler.points(4):
        evaluator = Evaluator(point)
        try:
            a, b = evaluator(c.claim), evaluator(c.true)
            if is_exact(a) and is_exact(b):
                if b != 0:
                    exact_ratios.add(a / b)
                continue
            low_b, high_b = bounds(b)
            if low_b <= 0 <= high_b:
                continue
            ratio = evaluator.interval(a) / evaluator.interval(b)
            enclosures.append(bounds(ratio))
        except (Undecided, ZeroDivisionError, ValueError, OverflowError):
            continue
    if len(exact_ratios) > 1:
        return None
    if exact_ratios:
        ratio = exact_ratios.pop()
    elif enclosures:
        low, high = enclosures[0]
        ratio = ((low + high) / 2).limit_denominator(1000)
    else:
        return None
    if not all(low <= ratio <= high for low, high in enclosures):
        return None
    ratio = Fraction(ratio)
    return sympy.Rational(int(ratio.numerator), int(ratio.denominator))


def _constant_factor(c: _Context) -> Diagnosis | None:
    ratio = _ratio(c)
    if ratio is None or ratio in (0, 1, -1) or not c.is_zero(c.claim - ratio * c.true):
        return None
    text = f"constant factor: the claim is exactly {ratio} times the true derivative"
    if abs(ratio - 1) < sympy.Rational(1, 50) and c.decimals:
        return Diagnosis(
            "rounded_decimal",
            text + " (a rounded decimal? decimals are exact in symgrad: 0.333 is 333/1000, "
            "not 1/3; write fractions such as 1/3)",
        )
    if ratio == sympy.Rational(1, 2):
        text += " (a forgotten factor 2, e.g. from differentiating a square)"
    elif ratio == 2:
        text += " (an extra factor 2)"
    elif ratio.p == 1:
        text += f" (a missing factor {ratio.q})"
    return Diagnosis("constant_factor", text)


def _inner_functions(loss: sympy.Expr, w: sympy.Symbol) -> list[sympy.Expr]:
    """Arguments of functions and bases of powers that depend on w: chain-rule inner parts."""
    inner = []
    for node in sympy.preorder_traversal(loss):
        if isinstance(node, sympy.Pow) and node.base.has(w) and node.base != w:
            inner.append(node.base)
        elif isinstance(node, sympy.Function):
            inner.extend(arg for arg in node.args if arg.has(w) and arg != w)
        if len(inner) > 24:
            break
    return list(dict.fromkeys(inner))[:12]


def _chain(c: _Context) -> Diagnosis | None:
    for inner in _inner_functions(c.loss, c.wrt):
        derivative = drop_dirac(sympy.diff(inner, c.wrt))
        if derivative.is_number and derivative in (1, 0, -1):
            continue
        if c.is_zero(c.claim * derivative - c.true):
            shown = "" if c.hide else f" = {to_str(derivative)}"
            return Diagnosis(
                "missing_chain_factor",
                f"missing chain-rule factor: the claim lacks d({to_str(inner)})/d{c.wrt}{shown}",
            )
    return None


def _factors(c: _Context) -> Diagnosis | None:
    """Off by one multiplicative factor: a symbol, a small integer or 1/n."""
    symbols = sort_symbols(c.loss.free_symbols | c.claim.free_symbols)
    for factor in symbols:
        if c.is_zero(c.claim * factor - c.true):
            return Diagnosis("missing_factor", f"your answer is missing a factor {factor}")
        if c.is_zero(c.claim - factor * c.true):
            return Diagnosis("extra_factor", f"your answer has an extra factor {factor}")
    return None


def _wrong_variable(c: _Context) -> Diagnosis | None:
    for other in sort_symbols(c.loss.free_symbols - {c.wrt}):
        derivative = drop_dirac(sympy.diff(c.loss, other))
        if derivative != 0 and c.is_zero(c.claim - derivative):
            return Diagnosis(
                "wrong_variable",
                f"wrong variable: the claim is the derivative with respect to {other}, not {c.wrt}",
            )
    return None


def _antiderivative(c: _Context) -> Diagnosis | None:
    if c.claim.has(c.wrt) and c.is_zero(drop_dirac(sympy.diff(c.claim, c.wrt)) - c.loss):
        return Diagnosis(
            "antiderivative",
            "antiderivative: the derivative of the claim is the loss; differentiate instead",
        )
    return None


def _region(c: _Context) -> Diagnosis | None:
    """Right on some cells of the kinks (where every kink argument has a strict sign).

    The cells are found by sampling admissible points; on each the piece of the
    difference is proven zero or shown nonzero. The right cells are described
    with only the kinks that matter. When every cell is right the claim is wrong
    only on a kink itself, which is shown by a point there.
    """
    difference = drop_dirac(c.claim - c.true)
    kinks = kink_arguments(c.claim, c.true) or sort_symbols(
        (c.claim.free_symbols | c.true.free_symbols) - set(c.signs)
    )
    if not kinks or len(kinks) > MAX_KINKS:
        return None
    cells = _inhabited_cells(c, kinks)
    right, wrong = [], []
    for cell in cells:
        piece = on_cell(difference, kinks, cell)
        if piece is None:
            return None
        signs = {
            **c.signs,
            **{
                k: ("positive" if s > 0 else "negative") for k, s in zip(kinks, cell) if k.is_Symbol
            },
        }
        (right if c.is_zero(with_signs(piece, signs), signs=signs) else wrong).append(cell)
    if not right:
        return None
    if not wrong:
        if not _every_cell_seen(kinks, cells):  # a cell the samples missed may be the wrong one
            return None
        return _wrong_at_a_kink(c, kinks, difference)
    where = _cells_text(kinks, right, cells)
    hint = (
        f'; state the assumption with --assume "{where}" if that is intended'
        if (" or " not in where and " and " not in where)
        else ""
    )
    return Diagnosis(
        "only_on_a_region",
        f"only on a region: the claim is right where {where}, not everywhere{hint}",
    )


def _every_cell_seen(kinks, cells) -> bool:
    """Every sign pattern of the kinks was met by a sample or is provably empty."""
    import itertools

    from symgrad.exact.kinks import cell_is_empty

    return all(
        cell in cells or cell_is_empty(kinks, cell)
        for cell in itertools.product((1, -1), repeat=len(kinks))
    )


def _inhabited_cells(c: _Context, kinks) -> list[tuple[int, ...]]:
    """The sign patterns of the kinks met at admissible sample points (exact signs)."""
    symbols = set().union(*(k.free_symbols for k in kinks))
    sampler = Sampler(symbols, signs=c.signs, conditions=c.conditions)
    found: list[tuple[int, ...]] = []
    for sample in sampler.points(48):
        point = {s: sympy.Rational(v.numerator, v.denominator) for s, v in sample.items()}
        values = [k.xreplace(point) for k in kinks]
        if not all(v.is_Rational for v in values) or any(v == 0 for v in values):
            continue
        cell = tuple(1 if v > 0 else -1 for v in values)
        if cell not in found:
            found.append(cell)
    return sorted(found, reverse=True)


def _cells_text(kinks, right, cells) -> str:
    """The right cells, with a kink dropped where its sign does not matter."""
    keep = [
        i
        for i in range(len(kinks))
        if any(_flipped(cell, i) in cells and _flipped(cell, i) not in right for cell in right)
    ] or [0]
    described = []
    for cell in right:
        text = cell_text(kinks, cell, keep)
        if text not in described:
            described.append(text)
    return " or ".join(f"({t})" if " and " in t and len(described) > 1 else t for t in described)


def _flipped(cell, index):
    return tuple(-s if i == index else s for i, s in enumerate(cell))


def _wrong_at_a_kink(c: _Context, kinks, difference) -> Diagnosis | None:
    """The claim is right off the kinks; show a point on a kink where it is wrong."""
    for kink in kinks:
        for symbol in sort_symbols(kink.free_symbols):
            solutions = sympy.solve(kink, symbol)
            if len(solutions) != 1:
                continue
            others = sort_symbols(difference.free_symbols - {symbol})
            for value in (1, 2, -1):
                point = {s: sympy.Integer(value) for s in others}
                point[symbol] = solutions[0].xreplace(point)
                gap = difference.xreplace(point)
                if gap.is_number and gap.is_zero is False:
                    at = ", ".join(
                        f"{s} = {to_str(v)}"
                        for s, v in sorted(point.items(), key=lambda i: i[0].name)
                    )
                    detail = (
                        ""
                        if c.hide
                        else (
                            f": at {at} the claim gives {to_str(c.claim.xreplace(point))} but the "
                            f"derivative is {to_str(c.true.xreplace(point))}"
                        )
                    )
                    return Diagnosis(
                        "wrong_at_a_kink",
                        f"wrong only at the kink {zero_set_text([kink])}{detail} "
                        "(the value at a kink follows PyTorch's convention)",
                    )
    return None


def _at_a_point(c: _Context) -> Diagnosis | None:
    for symbol in sort_symbols(c.true.free_symbols - c.claim.free_symbols):
        for value in (0, 1):
            if c.is_zero(c.claim - c.true.xreplace({symbol: sympy.Integer(value)})):
                return Diagnosis(
                    "evaluated_at_a_point",
                    f"evaluated at a point: the claim is the true derivative with {symbol} = "
                    f"{value} substituted, so it is right where {symbol} = {value}, not for every "
                    f"{symbol}",
                )
    return None


def _written_terms(expr: sympy.Expr) -> list[sympy.Expr]:
    return list(expr.args) if isinstance(expr, sympy.Add) else [expr]


def _terms(expr: sympy.Expr) -> list[sympy.Expr]:
    expanded = sympy.expand(expr)
    return list(expanded.args) if isinstance(expanded, sympy.Add) else [expanded]


def _one_term(c: _Context) -> Diagnosis | None:
    """Exactly one term of the sum is wrong, missing or extra (terms of the sums as
    written, with a high power such as (x - a)**5999 kept whole)."""
    from symgrad.exact.zero import atomized

    if atomized(c.claim + c.true) is not c.claim + c.true:
        claim_terms, true_terms = _written_terms(c.claim), _written_terms(c.true)
    else:
        claim_terms, true_terms = _terms(c.claim), _terms(c.true)
    if len(claim_terms) + len(true_terms) > 40 or len(true_terms) < 2 and len(claim_terms) < 2:
        return None
    missing = [t for t in true_terms if t not in claim_terms]
    extra = [t for t in claim_terms if t not in true_terms]
    if len(missing) == 1 and len(extra) == 1:
        wrong, right = extra[0], missing[0]
        if c.is_zero(c.claim - wrong + right - c.true):
            if c.hide:
                return Diagnosis("one_term_wrong", f"one term is wrong: the term {to_str(wrong)}")
            return Diagnosis(
                "one_term_wrong",
                f"one term is wrong: the term {to_str(wrong)} should be {to_str(right)}",
            )
    if len(missing) == 1 and not extra and c.is_zero(c.claim + missing[0] - c.true):
        what = "a term is missing" if c.hide else f"a term is missing: {to_str(missing[0])}"
        return Diagnosis("one_term_wrong", what)
    if len(extra) == 1 and not missing and c.is_zero(c.claim - extra[0] - c.true):
        return Diagnosis("one_term_wrong", f"one term too many: {to_str(extra[0])}")
    return None


_LADDER = (
    _sign,
    _constant_factor,
    _chain,
    _factors,
    _wrong_variable,
    _antiderivative,
    _one_term,
    _region,
    _at_a_point,
)


def wrong_symbols(
    claim_names: Iterable[str], loss_names: Iterable[str], wrt: Iterable[str]
) -> list[Diagnosis]:
    """The claim uses symbols the loss does not contain (with 'did you mean')."""
    known = set(loss_names) | set(wrt)
    unused = sorted(set(loss_names) - set(claim_names) - set(wrt))
    result = []
    for name in sorted(set(claim_names) - known):
        guess = as_product(name, known) or closest(name, known)
        if guess is None and len(unused) == 1:
            guess = unused[0]
        hint = f"; did you mean {guess}?" if guess else ""
        result.append(
            Diagnosis("wrong_symbol", f"uses {name}, which the loss does not contain{hint}")
        )
    return result


def diagnose(
    loss: sympy.Expr,
    wrt: sympy.Symbol,
    claim: sympy.Expr,
    true: sympy.Expr,
    signs: Mapping | None = None,
    conditions: Sequence = (),
    deadline: float | None = None,
    hide: bool = False,
    decimals: bool = False,
) -> list[Diagnosis]:
    """The first named mistake that is exactly true, or an honest fallback."""
    context = _Context(
        loss,
        wrt,
        claim,
        true,
        dict(signs or {}),
        list(conditions),
        deadline if deadline is not None else time.monotonic() + 10,
        hide,
        decimals,
    )
    for step in _LADDER:
        if time.monotonic() > context.deadline:
            break
        found = step(context)
        if found is not None:
            return [found]
    if hide:
        return [Diagnosis("other", "the claim differs from the true derivative")]
    return [Diagnosis("other", f"claim - true derivative = {_difference(claim - true, context)}")]


def _difference(difference: sympy.Expr, context: _Context) -> str:
    from symgrad.runtime.worker import run_with_budget
    from symgrad.text.display import short

    if time.monotonic() < context.deadline:
        try:
            difference = run_with_budget(
                lambda: sympy.factor_terms(sympy.simplify(difference)),
                min(context.left(), 0.5),
                "simplify",
            )
        except Exception:  # noqa: BLE001 - the plain difference is shown instead
            pass
    return short(difference)


_STEP_LADDER = (_sign, _constant_factor, _factors, _one_term, _region, _at_a_point)
_STEP_WORDS = (
    ("the true derivative", "the previous line"),
    ("true derivative", "previous line"),
    ("the derivative is", "the previous line gives"),
    ("the claim", "this line"),
)


def diagnose_step(
    previous: sympy.Expr,
    current: sympy.Expr,
    signs: Mapping | None = None,
    conditions: Sequence = (),
    deadline: float | None = None,
    decimals: bool = False,
) -> list[Diagnosis]:
    """What is wrong with a step ``previous = current`` of a derivation: the rungs that
    compare two expressions (sign, factor, one term, region, a substituted value)."""
    context = _Context(
        previous,
        sympy.Dummy("unused"),
        current,
        previous,
        dict(signs or {}),
        list(conditions),
        deadline if deadline is not None else time.monotonic() + 10,
        False,
        decimals,
    )
    for rung in _STEP_LADDER:
        if time.monotonic() > context.deadline:
            break
        found = rung(context)
        if found is not None:
            return [Diagnosis(found.code, _step_words(found.text))]
    gap = _difference(current - previous, context)
    return [Diagnosis("other", f"this line - previous line = {gap}")]


def _step_words(text: str) -> str:
    for old, new in _STEP_WORDS:
        text = text.replace(old, new)
    return text
