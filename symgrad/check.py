"""Checking a student's hand-derived derivative, with a diagnosis of the usual mistakes.

``correct`` means claim - true derivative is identically zero (the zero-test
ladder of :mod:`symgrad.zero`); ``incorrect`` comes with an exact rational point
where the two differ; ``unknown`` with the reason. A diagnosis is reported only
when it is exactly true (each is itself checked by the zero-test ladder).

>>> result = check("(y - w*x)**2", "w", "2*x*(y - w*x)")
>>> result.verdict, result.diagnosis[0]
('incorrect', 'sign error: the claim is exactly minus the true derivative')
>>> check("(y - w*x)**2", "w", "-2*x*(y - w*x)").verdict
'correct'
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from symgrad.calculus import substitute
from symgrad.errors import ProblemError
from symgrad.evaluate import Evaluator, Undecided, is_exact
from symgrad.parse import parse_expression, parse_latex_expression, parse_relation
from symgrad.problem import FLIPPED, SIGNS, named_parameters, sort_symbols
from symgrad.report import latex, short
from symgrad.zero import Sampler, find_nonzero, prove_zero, with_signs


@dataclass(frozen=True)
class CheckWitness:
    """A point where the claim and the true derivative differ, with both exact values."""

    point: Mapping[str, sympy.Expr]
    parameter: str
    claimed: sympy.Expr
    true: sympy.Expr
    certified_by: str

    def to_dict(self) -> dict:
        return {
            "point": {k: str(v) for k, v in self.point.items()},
            "parameter": self.parameter,
            "claimed": str(self.claimed),
            "true": str(self.true),
            "certified_by": self.certified_by,
        }


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a claimed derivative (or gradient vector)."""

    verdict: str
    loss: sympy.Expr
    wrt: tuple[sympy.Symbol, ...]
    claims: tuple[sympy.Expr, ...]
    derivatives: tuple[sympy.Expr, ...]
    witness: CheckWitness | None = None
    diagnosis: tuple[str, ...] = ()
    method: str = ""
    reason: str = ""
    steps: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    elapsed_s: float = 0.0

    @property
    def understood(self) -> str:
        """What was read, so that a typo is visible before the verdict."""
        parts = [f"J = {self.loss}"]
        for p, c in zip(self.wrt, self.claims):
            parts.append(f"claimed dJ/d{p} = {c}")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "loss": str(self.loss),
            "wrt": [str(p) for p in self.wrt],
            "claim": [str(c) for c in self.claims] if len(self.claims) > 1 else str(self.claims[0]),
            "derivative": [str(d) for d in self.derivatives]
            if len(self.derivatives) > 1
            else str(self.derivatives[0]),
            "understood": self.understood,
            "witness": self.witness.to_dict() if self.witness else None,
            "diagnosis": list(self.diagnosis),
            "method": self.method,
            "reason": self.reason or None,
            "assumptions": list(self.assumptions),
            "steps": list(self.steps),
            "elapsed_s": self.elapsed_s,
        }

    def headline(self) -> str:
        names = ", ".join(str(p) for p in self.wrt)
        if self.verdict == "correct":
            return f"CORRECT: the claimed derivative with respect to {names} is exactly right."
        if self.verdict == "incorrect":
            w = self.witness
            where = ", ".join(f"{k} = {v}" for k, v in w.point.items())
            return (
                f"INCORRECT: at {where} the claim gives {short(w.claimed, 80)} but dJ/d{w.parameter} "
                f"= {short(w.true, 80)}."
            )
        return f"UNKNOWN: could not decide ({self.reason})."

    def to_text(self) -> str:
        lines = [f"Understood: {self.understood}", self.headline()]
        if self.diagnosis:
            lines.append("Diagnosis:")
            lines += [f"  - {item}" for item in self.diagnosis]
        for p, d in zip(self.wrt, self.derivatives):
            lines.append(f"True derivative: dJ/d{p} = {short(d)}")
        if self.steps:
            lines.append("Derivation of the true derivative:")
            lines += [f"  {line}" for line in self.steps]
        if self.witness:
            lines.append(f"Certificate: the values differ by {self.witness.certified_by}.")
        else:
            lines.append(f"Certificate: {self.method}.")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = [f"**{self.verdict.capitalize()}.** {self.headline().split(': ', 1)[1]}", ""]
        for p, c, d in zip(self.wrt, self.claims, self.derivatives):
            lines.append(f"- claimed: $\\partial J/\\partial {latex(p)} = {latex(c)}$")
            lines.append(f"- true: $\\partial J/\\partial {latex(p)} = {latex(d)}$")
        lines += [f"- {item}" for item in self.diagnosis]
        return "\n".join(lines)

    def to_latex(self) -> str:
        rows = []
        for p, c, d in zip(self.wrt, self.claims, self.derivatives):
            rows.append(
                r"\text{claimed: } \frac{\partial J}{\partial %s} &= %s" % (latex(p), latex(c))
            )
            rows.append(
                r"\text{true: } \frac{\partial J}{\partial %s} &= %s" % (latex(p), latex(d))
            )
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _signs(assume: Sequence[str] | str | None, present: Mapping[str, sympy.Symbol]):
    signs: dict[sympy.Symbol, str] = {}
    texts: list[str] = []
    items = [assume] if isinstance(assume, str) else list(assume or [])
    for item in items:
        lhs, op, rhs = parse_relation(item)
        if op == "=":
            raise ProblemError(f"assumption {item!r}: check takes sign conditions such as 'x > 0'")
        if lhs.is_Symbol and rhs.is_zero:
            symbol, sign = lhs, SIGNS[op]
        elif rhs.is_Symbol and lhs.is_zero:
            symbol, sign = rhs, SIGNS[FLIPPED[op]]
        else:
            raise ProblemError(f"assumption {item!r}: compare one symbol with 0, e.g. 'x > 0'")
        if symbol.name not in present:
            raise ProblemError(f"assumption {item!r} names {symbol}, which the loss does not use")
        signs[present[symbol.name]] = sign
        texts.append(f"{symbol} {op} 0")
    return signs, tuple(texts)


def _is_zero(expr: sympy.Expr, signs, seconds: float) -> bool:
    """Sound zero test: sampling may only disprove, the ladder proves."""
    if expr == 0:
        return True
    found, _ = find_nonzero([expr], Sampler(expr.free_symbols, signs=signs), tries=4)
    if found is not None:
        return False
    return bool(prove_zero(expr, seconds, signs=signs).zero)


def _constant_ratio(claim, true, symbols, signs) -> sympy.Rational | None:
    """The rational c with claim = c * true, if the samples suggest one (then verified)."""
    ratios = set()
    for point in Sampler(symbols, signs=signs).points(4):
        evaluator = Evaluator(point)
        try:
            a, b = evaluator(claim), evaluator(true)
        except Undecided:
            continue
        if not (is_exact(a) and is_exact(b)) or b == 0:
            continue
        ratios.add(a / b)
    if len(ratios) != 1:
        return None
    ratio = ratios.pop()
    return sympy.Rational(ratio.numerator, ratio.denominator)


def _inner_functions(loss: sympy.Expr, w: sympy.Symbol) -> list[sympy.Expr]:
    """Arguments of functions and bases of powers that depend on w: chain-rule inner parts."""
    inner = []
    for node in sympy.preorder_traversal(loss):
        if isinstance(node, sympy.Pow) and node.base.has(w) and node.base != w:
            inner.append(node.base)
        elif isinstance(node, sympy.Function):
            inner.extend(arg for arg in node.args if arg.has(w) and arg != w)
    seen, unique = set(), []
    for item in inner:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique[:12]


def _diagnose(loss, w, claim, true, symbols, signs, deadline) -> list[str]:
    def left() -> float:
        return max(deadline - time.monotonic(), 0.2)

    notes: list[str] = []
    if true != 0 and _is_zero(claim + true, signs, left()):
        return ["sign error: the claim is exactly minus the true derivative"]
    ratio = _constant_ratio(claim, true, symbols, signs)
    if (
        ratio is not None
        and ratio not in (0, 1, -1)
        and _is_zero(claim - ratio * true, signs, left())
    ):
        text = f"constant factor: the claim is exactly {ratio} times the true derivative"
        if abs(ratio - 1) < sympy.Rational(1, 50):
            text += (
                " (a rounded decimal? decimals are exact in symgrad: 0.333 is 333/1000, not "
                "1/3; write fractions such as 1/3)"
            )
        elif ratio == sympy.Rational(1, 2):
            text += " (a forgotten factor 2, e.g. from differentiating a square)"
        elif ratio == 2:
            text += " (an extra factor 2)"
        return [text]
    for inner in _inner_functions(loss, w):
        inner_derivative = sympy.diff(inner, w)
        if inner_derivative.is_number and inner_derivative in (1, 0):
            continue
        if _is_zero(claim * inner_derivative - true, signs, left()):
            return [
                f"missing chain-rule factor: the claim lacks d({inner})/d{w} = {inner_derivative}"
            ]
    for other in sort_symbols(loss.free_symbols - {w}):
        if _is_zero(claim - sympy.diff(loss, other), signs, left()):
            return [f"wrong variable: the claim is the derivative with respect to {other}, not {w}"]
    if _is_zero(sympy.diff(claim, w) - loss, signs, left()):
        return ["antiderivative: the derivative of the claim is the loss; differentiate instead"]
    for symbol in sort_symbols(true.free_symbols - claim.free_symbols):
        for value in (0, 1):
            if _is_zero(claim - true.xreplace({symbol: sympy.Integer(value)}), signs, left()):
                notes.append(
                    f"only right at a point: the claim is the derivative at {symbol} = {value}, "
                    "not for every value"
                )
                return notes
    difference = claim - true
    if time.monotonic() < deadline:
        try:
            from symgrad.zero import run_with_budget

            difference = run_with_budget(
                lambda: sympy.simplify(difference), min(left(), 5.0), "simplify"
            )
        except Exception:  # noqa: BLE001 - the plain difference is shown instead
            pass
    notes.append(f"claim - true derivative = {short(difference)}")
    return notes


def derivation_steps(expr: sympy.Expr, w: sympy.Symbol, limit: int = 30) -> tuple[str, ...]:
    """The true derivative step by step: sum, product, power and chain rules."""
    lines: list[str] = []
    queue = [expr]
    seen = set()
    while queue and len(lines) < limit:
        node = queue.pop(0)
        if node in seen or not node.has(w) or node == w:
            continue
        seen.add(node)
        derivative = sympy.diff(node, w)
        if isinstance(node, sympy.Add):
            terms = [t for t in node.args if t.has(w)]
            lines.append(
                f"d/d{w}[{node}] = "
                + " + ".join(f"d/d{w}[{t}]" for t in terms)
                + f" = {derivative}   (sum rule)"
            )
            queue.extend(terms)
        elif isinstance(node, sympy.Mul):
            factors = [f for f in node.args if f.has(w)]
            const = sympy.Mul(*(f for f in node.args if not f.has(w)))
            if len(factors) == 1:
                lines.append(
                    f"d/d{w}[{node}] = {const} * d/d{w}[{factors[0]}] = {derivative}"
                    "   (constant factor)"
                )
            else:
                lines.append(
                    f"d/d{w}[{node}] = {derivative}   (product rule over "
                    + ", ".join(str(f) for f in factors)
                    + ")"
                )
            queue.extend(factors)
        elif isinstance(node, sympy.Pow):
            base, exponent = node.args
            if not exponent.has(w):
                lines.append(
                    f"d/d{w}[{node}] = {exponent * sympy.Pow(sympy.Symbol('u'), exponent - 1)}"
                    f" with u = {base}, times d/d{w}[{base}] = {derivative}"
                    "   (power rule and chain rule)"
                )
                queue.append(base)
            else:
                lines.append(f"d/d{w}[{node}] = {derivative}   (exponential rule)")
                queue.extend(node.args)
        elif isinstance(node, sympy.Function) and len(node.args) == 1:
            inner = node.args[0]
            outer = sympy.diff(node.func(sympy.Symbol("u")), sympy.Symbol("u"))
            lines.append(
                f"d/d{w}[{node}] = {node.func.__name__}'(u) * d/d{w}[u] with u = {inner}, "
                f"{node.func.__name__}'(u) = {outer} = {derivative}   (chain rule)"
            )
            queue.append(inner)
        else:
            lines.append(f"d/d{w}[{node}] = {derivative}")
    return tuple(lines)


def check(
    loss: str | sympy.Expr,
    wrt: str | Sequence[str],
    claim: str | Sequence[str],
    assume: Sequence[str] | str | None = None,
    functions: Sequence[str] = (),
    steps: bool = False,
    latex_input: bool = False,
    timeout: float = 30.0,
) -> CheckResult:
    """Check claimed derivative(s) of ``loss`` with respect to ``wrt``."""
    start = time.monotonic()
    deadline = start + timeout
    parse = parse_latex_expression if latex_input else parse_expression
    loss_expr = parse(loss, functions) if isinstance(loss, str) else loss
    names = [n.strip() for n in (wrt.split(",") if isinstance(wrt, str) else wrt) if n.strip()]
    claim_texts = [claim] if isinstance(claim, str) else list(claim)
    if not names:
        raise ProblemError("--wrt needs a parameter name")
    if len(claim_texts) != len(names):
        raise ProblemError(
            f"{len(names)} parameter(s) in --wrt but {len(claim_texts)} --claim(s): give one "
            "claim per parameter, in the same order"
        )
    present = {s.name: s for s in loss_expr.free_symbols}
    params = named_parameters(names, present)
    claims = [parse(text, functions) for text in claim_texts]
    for text, expr in zip(claim_texts, claims):
        unknown = sorted(s.name for s in expr.free_symbols if s.name not in present)
        if unknown:
            raise ProblemError(
                f"the claim {text!r} uses {', '.join(unknown)}, which the loss does not use"
            )
    signs, assumption_texts = _signs(assume, present)
    derivatives = [sympy.diff(loss_expr, p) for p in params]
    symbols = set(loss_expr.free_symbols)
    base = dict(
        loss=loss_expr,
        wrt=tuple(params),
        claims=tuple(claims),
        derivatives=tuple(derivatives),
        assumptions=assumption_texts,
        steps=tuple(line for p in params for line in derivation_steps(loss_expr, p))
        if steps
        else (),
    )
    differences = [c - d for c, d in zip(claims, derivatives)]
    sampler = Sampler(symbols, signs=signs, leading=sort_symbols(symbols - set(params)))
    found, evidence = find_nonzero(differences, sampler, tries=8)
    if found is None and not all(d == 0 for d in differences):
        proofs = [
            prove_zero(d, max(deadline - time.monotonic(), 0.2), signs=signs) for d in differences
        ]
        if all(p.zero for p in proofs):
            return CheckResult(
                verdict="correct",
                method="; ".join(sorted({p.method for p in proofs})),
                elapsed_s=round(time.monotonic() - start, 4),
                **base,
            )
        found, evidence = find_nonzero(
            differences, Sampler(symbols, signs=signs, seed=11), tries=40
        )
        if found is None:
            reason = next(p.reason for p in proofs if not p.zero) or "no sound method decided"
            return CheckResult(
                verdict="unknown",
                method="zero-test ladder",
                reason=reason,
                elapsed_s=round(time.monotonic() - start, 4),
                **base,
            )
    if found is None:
        return CheckResult(
            verdict="correct",
            method="structural equality",
            elapsed_s=round(time.monotonic() - start, 4),
            **base,
        )
    index = found.index
    exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in found.point.items()}
    witness = CheckWitness(
        point={str(s): exact[s] for s in sort_symbols(exact)},
        parameter=str(params[index]),
        claimed=substitute(claims[index], exact),
        true=substitute(derivatives[index], exact),
        certified_by="exact rational arithmetic"
        if is_exact(found.value)
        else "interval arithmetic",
    )
    diagnosis = _diagnose(
        loss_expr, params[index], claims[index], derivatives[index], symbols, signs, deadline
    )
    partial = _domain_note(claims[index], derivatives[index], signs, found.point)
    if partial:
        diagnosis.append(partial)
    return CheckResult(
        verdict="incorrect",
        witness=witness,
        diagnosis=tuple(diagnosis),
        method="exact evaluation at a rational point",
        elapsed_s=round(time.monotonic() - start, 4),
        **base,
    )


def _domain_note(claim, true, signs, point: Mapping[sympy.Symbol, Fraction]) -> str | None:
    """If the claim is right where every symbol is positive, say so and suggest --assume."""
    if signs:
        return None
    positive = {s: "positive" for s in claim.free_symbols | true.free_symbols}
    difference = with_signs(claim - true, positive)
    if prove_zero(difference, 5.0).zero:
        negatives = [str(s) for s, v in point.items() if v < 0]
        where = f" (the witness has {', '.join(negatives)} < 0)" if negatives else ""
        return (
            "the claim is right when every symbol is positive, not everywhere"
            + where
            + '; state the assumption with --assume "x > 0" if that is intended'
        )
    return None
