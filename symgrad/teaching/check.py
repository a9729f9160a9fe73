"""Checking a student's hand-derived derivative, with a diagnosis of the usual mistakes.

``correct`` means claim - true derivative is identically zero on the loss's
real domain (the zero-test ladder of :mod:`symgrad.exact.zero`); ``incorrect`` comes
with an exact point where the two differ; ``unknown`` with the reason. Every
component of a gradient vector is judged and diagnosed on its own; every
diagnosis is exactly true (:mod:`symgrad.teaching.diagnose`). Before it is returned, the
verdict is re-checked independently (:mod:`symgrad.ties.certify`): the witness is
re-evaluated with plain ``sympy.diff``, and a ``correct`` is cross-examined at
fresh rational points.

>>> result = check("(y - w*x)**2", "w", "2*x*(y - w*x)")
>>> result.verdict, result.diagnosis[0]
('incorrect', 'sign error: the claim is exactly minus the true derivative')
>>> check("(y - w x)^2", "w", "-2x(y - w x)").verdict
'correct'
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Mapping, Sequence

import sympy

from symgrad.errors import ProblemError
from symgrad.exact.dag import symbols_of
from symgrad.exact.evaluate import is_exact
from symgrad.exact.functions import drop_dirac
from symgrad.exact.instances import concrete, describe, function_named
from symgrad.exact.printing import to_str
from symgrad.results import CheckResult, CheckWitness, Component
from symgrad.runtime.budget import Budget, binds_timeout
from symgrad.teaching.decide import decide_case, loss_kinks
from symgrad.teaching.diagnose import diagnose
from symgrad.teaching.reading import (  # noqa: F401 - re-exported
    Reading,
    read_problem,
    strip_claim_prefix,
    strip_loss_prefix,
)
from symgrad.teaching.setting import Setting, function_names, make_setting, unify
from symgrad.teaching.steps import compare_expressions  # noqa: F401 - re-exported
from symgrad.ties import certify
from symgrad.ties.problem import sort_symbols


def _component(reading, index, loss, setting: Setting) -> Component:
    """The verdict on one claimed derivative (in every case), with its witness and diagnosis."""
    p = reading.wrt[index]
    parsed = reading.claims[index]
    claim = parsed.expr
    true = drop_dirac(sympy.diff(loss, p))
    point_conditions = setting.conditions + [c.as_boolean() for c in parsed.domain]
    kinks = loss_kinks(loss, true)
    methods, wrong, right, exceptional = [], [], [], None
    for case in setting.cases:
        difference = (claim - true).xreplace(case) if case else claim - true
        symbols = sorted(
            (symbols_of(loss) | symbols_of(claim) | {p}) - set(case), key=lambda s: s.name
        )
        case_kinks = [k.xreplace(case) for k in kinks if k.xreplace(case).free_symbols]
        outcome = decide_case(
            difference, symbols, setting, point_conditions, case_kinks,
            claim.xreplace(case), true.xreplace(case), setting.conditions,
        )  # fmt: skip
        if outcome.verdict == "unknown":
            return Component(
                str(p), "unknown", claim, true, method="zero-test ladder", reason=outcome.reason
            )
        if outcome.verdict == "incorrect":
            wrong.append((case, outcome.found, outcome.instance))
        else:
            right.append(case)
            methods.append(outcome.method)
            exceptional = exceptional or outcome.exceptional
    if wrong:
        return _incorrect(reading, parsed, p, loss, claim, true, wrong, right, setting,
                          point_conditions)  # fmt: skip
    method = "; ".join(sorted(set(methods)))
    return Component(str(p), "correct", claim, true, method=method, exceptional=exceptional)


def _case_text(case: Mapping) -> str:
    return ", ".join(f"{s} = {v}" for s, v in sorted(case.items(), key=lambda i: str(i[0])))


def _witness(p, claim, true, case, found, instance) -> CheckWitness:
    """The exact point (in its data case) where claim and dJ/dp differ, with the concrete
    functions that stand for declared ones when those refute the claim."""
    exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in found.point.items()}
    exact.update(case)
    named, described = {}, {}
    if instance:
        described = describe(instance, claim + true)
        claim, true = concrete(claim, instance), concrete(true, instance)
        named = {f.__name__: kind for f, kind in instance.items()}
    return CheckWitness(
        point={str(s): exact[s] for s in sort_symbols(exact)},
        parameter=str(p),
        claimed=sympy.sympify(claim).xreplace(exact),
        true=true.xreplace(exact),
        certified_by="exact rational arithmetic"
        if is_exact(found.value)
        else "interval arithmetic",
        functions=described,
        instance=named,
    )


def _incorrect(reading, parsed, p, loss, claim, true, wrong, right, setting, point_conditions):
    witness = _witness(p, claim, true, *wrong[0])
    per_case = [
        (
            case,
            diagnose(
                loss.xreplace(case),
                p,
                claim.xreplace(case),
                true.xreplace(case),
                setting.signs,
                point_conditions,
                setting.deadline,
                setting.hide,
                decimals=bool(re.search(r"\d\.\d|\.\d", parsed.text)),
            ),
        )
        for case, *_ in wrong
    ]
    codes = list(dict.fromkeys(d.code for _, found_ in per_case for d in found_))
    texts = _case_diagnoses(per_case, right)
    return Component(
        str(p),
        "incorrect",
        claim,
        true,
        codes=tuple(codes),
        diagnosis=tuple(texts),
        witness=witness,
        method="exact evaluation at a rational point",
    )


def _case_diagnoses(per_case, right) -> list[str]:
    """The diagnoses, qualified by the data case where they hold when they do not hold in all."""
    texts = [[d.text for d in found] for _, found in per_case]
    if not right and all(t == texts[0] for t in texts):
        return texts[0]
    lines = [
        f"when {_case_text(case)}: {text}"
        for (case, _), found in zip(per_case, texts)
        for text in found
    ]
    if right:
        lines.append("right when " + " or when ".join(_case_text(c) for c in right))
    return lines


def _check_shapes(
    loss,
    wrt,
    claim,
    assume,
    constraints,
    steps,
    shapes,
    functions,
    latex_input,
    timeout,
    up_to_factor,
    hide_answer,
) -> CheckResult:
    from symgrad.teaching.matcheck import check_matrix

    for given, option in ((assume, "--assume"), (constraints, "constraints"), (steps, "--steps")):
        if given:
            raise ProblemError(f"{option} is not available for matrix claims (with --shape)")
    if not isinstance(loss, str):
        raise ProblemError("a matrix loss is given as text, e.g. 'norm(X@w - y)**2'")
    return check_matrix(
        loss,
        wrt,
        claim,
        shapes,
        functions=functions,
        latex_input=latex_input,
        timeout=timeout,
        up_to_factor=up_to_factor,
        hide_answer=hide_answer,
    )


@binds_timeout
def check(
    loss: str | sympy.Expr,
    wrt: str | Sequence[str],
    claim: str | Sequence[str],
    assume: Sequence[str] | str | None = None,
    functions: Sequence[str] = (),
    steps: bool = False,
    latex_input: bool = False,
    timeout: float = 30.0,
    hide_answer: bool = False,
    constraints: Sequence[str] | None = None,
    shapes: Sequence[str] | Mapping[str, object] | None = None,
    up_to_factor: bool = False,
    let: Mapping[str, str] | Sequence[str] | str | None = None,
    hint: bool = False,
) -> CheckResult:
    """Check claimed derivative(s) of ``loss`` with respect to ``wrt``, every component judged.

    ``constraints`` restrict the data: ``"y in {0, 1}"``, ``"one-hot(y0, y1)"`` (finite
    cases, each checked exactly) or any relation such as ``"x > 0"``. ``let`` defines
    intermediate names (``{"p": "sigmoid(w*x + b)"}`` or ``["p = sigmoid(w*x + b)"]``) that
    the claim may use; they are substituted before comparing. ``hint`` names the mistake
    without the true derivative (as ``hide_answer``). ``shapes`` (``["X=n,k", "w=k"]``) makes
    it a matrix claim, decided for every size (:func:`symgrad.teaching.matcheck.check_matrix`);
    ``up_to_factor`` then accepts a positive constant factor (the "∝" of a course).
    """
    hide_answer = hide_answer or hint
    if shapes:
        if let:
            raise ProblemError("--let is not available for matrix claims (with --shape)")
        return _check_shapes(
            loss, wrt, claim, assume, constraints, steps, shapes, functions, latex_input,
            timeout, up_to_factor, hide_answer,
        )  # fmt: skip
    if up_to_factor:
        raise ProblemError(
            "--up-to-factor applies to matrix claims: declare the shapes with --shape"
        )
    budget = Budget(timeout)
    functions = function_names(functions)
    reading = read_problem(loss, wrt, claim, functions, latex_input, let)
    present = {s.name: s for s in reading.loss.symbols}
    present.update({p.name: p for p in reading.wrt})
    reading.claims = [
        dataclasses.replace(parsed, expr=unify(parsed.expr, present)) for parsed in reading.claims
    ]
    deadline = budget.share(0.8, floor=0.05).deadline
    setting = make_setting(
        present, reading.loss.domain, assume, constraints, functions, latex_input, deadline
    )
    setting.hide = hide_answer
    components = []
    for index in range(len(reading.wrt)):
        budget.check("checking the claim")
        components.append(_component(reading, index, reading.loss.expr, setting))
    result = _assemble(reading, components, setting.assumption_texts, steps, hide_answer)
    result = dataclasses.replace(result, hint=hint)
    result = _certify(result, reading, setting, budget)
    return dataclasses.replace(result, elapsed_s=round(budget.elapsed(), 4))


def _assemble(reading, components, assumption_texts, steps, hide) -> CheckResult:
    verdicts = {c.verdict for c in components}
    verdict = (
        "incorrect"
        if "incorrect" in verdicts
        else "unknown"
        if "unknown" in verdicts
        else "correct"
    )
    first_wrong = next((c for c in components if c.verdict == "incorrect"), None)
    diagnosis: list[str] = []
    codes: list[str] = []
    for c in components:
        if c.verdict != "incorrect":
            continue
        prefix = f"dJ/d{c.parameter}: " if len(components) > 1 else ""
        diagnosis += [prefix + text for text in c.diagnosis]
        codes += list(c.codes)
    unknown = next((c for c in components if c.verdict == "unknown"), None)
    method = "; ".join(sorted({c.method for c in components if c.verdict == "correct"})) or (
        first_wrong.method if first_wrong else "zero-test ladder"
    )
    loss = reading.loss.expr
    return CheckResult(
        verdict=verdict,
        loss=loss,
        wrt=tuple(reading.wrt),
        claims=tuple(c.claim for c in components),
        derivatives=tuple(c.derivative for c in components),
        witness=first_wrong.witness if first_wrong else None,
        diagnosis=tuple(diagnosis),
        method=method,
        reason=unknown.reason if unknown and verdict == "unknown" else "",
        steps=tuple(line for p in reading.wrt for line in derivation_steps(loss, p))
        if steps
        else (),
        assumptions=assumption_texts,
        components=tuple(components),
        readings=tuple(reading.notes),
        definitions=reading.definitions.texts,
        written=tuple(reading.written) if reading.definitions else (),
        domain=tuple(c.text for c in reading.loss.domain),
        codes=tuple(dict.fromkeys(codes)),
        hide_answer=hide,
    )


def _certify(result: CheckResult, reading, setting: Setting, budget) -> CheckResult:
    """Independent re-check: the witness re-evaluated, a 'correct' cross-examined."""
    loss = reading.loss.expr
    signs, conditions, cases = setting.signs, setting.conditions, setting.cases
    try:
        if result.verdict == "incorrect":
            for component in result.components:
                if component.verdict != "incorrect":
                    continue
                witness = component.witness
                point = {sympy.Symbol(k, real=True): v for k, v in witness.point.items()}
                point = {
                    unify(s, {p.name: p for p in (*symbols_of(loss), *reading.wrt)}): v
                    for s, v in point.items()
                }
                for condition in conditions:
                    if condition.free_symbols <= set(point) and not certify.holds(condition, point):
                        raise certify.CertificateFailure(
                            "the witness is outside the domain or the assumptions"
                        )
                p = next(q for q in reading.wrt if str(q) == component.parameter)
                instance = {function_named(f): kind for f, kind in witness.instance.items()}
                claimed, true = certify.certify_values(
                    concrete(loss, instance), point, p, concrete(component.claim, instance)
                )
                if not certify.differ(claimed, true):
                    raise certify.CertificateFailure(
                        f"re-derived with sympy.diff, the claim and dJ/d{p} agree at the witness"
                    )
            return dataclasses.replace(
                result,
                certificate="the witness was re-evaluated independently (sympy.diff, exact or "
                "interval arithmetic): the values differ",
            )
        if result.verdict == "correct":
            if result.almost_everywhere:  # the claim may differ on the kinks: examine off them
                conditions = [
                    *conditions,
                    *(sympy.Ne(k, 0) for c in result.components
                      for k in loss_kinks(loss, c.derivative)),
                ]  # fmt: skip
            checked = _cross_examine(result, loss, signs, conditions, cases, budget)
            return dataclasses.replace(
                result,
                certificate=f"cross-examined at {checked} fresh random rational points "
                "(sympy.diff, exact or interval arithmetic)",
            )
    except certify.CertificateFailure as error:
        if certify.strict():
            raise
        return dataclasses.replace(
            result,
            verdict="unknown",
            reason=f"the independent certificate check failed ({error})",
            certificate=f"failed: {error}",
        )
    return result


def _cross_examine(result, loss, signs, conditions, cases, budget) -> int:
    rng = random.Random(20240613)
    checked = 0
    symbols = sort_symbols(
        symbols_of(loss).union(*(symbols_of(c) for c in result.claims)) | set(result.wrt)
    )
    for _ in range(12):
        if checked >= 3 or budget.remaining() < 0.05:
            break
        point = {}
        for s in symbols:
            value = sympy.Rational(rng.randint(1, 9), rng.choice((1, 2, 3, 4, 7, 11)))
            sign = signs.get(s)
            if sign in ("negative", "nonpositive") or (sign is None and rng.random() < 0.4):
                value = -value
            point[s] = value
        point.update(rng.choice(cases))
        if not all(certify.holds(c, point) for c in conditions if c.free_symbols <= set(point)):
            continue
        try:
            for p, claim in zip(result.wrt, result.claims):
                claimed, true = certify.certify_values(loss, point, p, claim)
                if certify.differ(claimed, true):
                    raise certify.CertificateFailure(
                        f"at a fresh point the claim and dJ/d{p} differ"
                    )
        except certify.CertificateFailure as error:
            if "could not" in str(error) or "no value" in str(error):
                continue
            raise
        checked += 1
    return checked


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
        derivative = drop_dirac(sympy.diff(node, w))
        d = f"d/d{w}"
        if isinstance(node, sympy.Add):
            terms = [t for t in node.args if t.has(w)]
            lines.append(
                f"{d}[{to_str(node)}] = "
                + " + ".join(f"{d}[{to_str(t)}]" for t in terms)
                + f" = {to_str(derivative)}   (sum rule)"
            )
            queue.extend(terms)
        elif isinstance(node, sympy.Mul):
            factors = [f for f in node.args if f.has(w)]
            const = sympy.Mul(*(f for f in node.args if not f.has(w)))
            if len(factors) == 1:
                lines.append(
                    f"{d}[{to_str(node)}] = {to_str(const)} * {d}[{to_str(factors[0])}] = "
                    f"{to_str(derivative)}   (constant factor)"
                )
            else:
                lines.append(
                    f"{d}[{to_str(node)}] = {to_str(derivative)}   (product rule over "
                    + ", ".join(to_str(f) for f in factors)
                    + ")"
                )
            queue.extend(factors)
        elif isinstance(node, sympy.Pow):
            base, exponent = node.args
            if not exponent.has(w):
                u = sympy.Symbol("u")
                lines.append(
                    f"{d}[{to_str(node)}] = {to_str(exponent * sympy.Pow(u, exponent - 1))}"
                    f" with u = {to_str(base)}, times {d}[{to_str(base)}] = {to_str(derivative)}"
                    "   (power rule and chain rule)"
                )
                queue.append(base)
            else:
                lines.append(f"{d}[{to_str(node)}] = {to_str(derivative)}   (exponential rule)")
                queue.extend(node.args)
        elif isinstance(node, sympy.Function) and len(node.args) == 1:
            inner = node.args[0]
            u = sympy.Symbol("u", real=True)
            outer = drop_dirac(sympy.diff(node.func(u), u))
            name = node.func.__name__
            lines.append(
                f"{d}[{to_str(node)}] = {name}'(u) * {d}[u] with u = {to_str(inner)}, "
                f"{name}'(u) = {to_str(outer)}; so {to_str(derivative)}   (chain rule)"
            )
            queue.append(inner)
        else:
            lines.append(f"{d}[{to_str(node)}] = {to_str(derivative)}")
    return tuple(lines)


__all__ = ["CheckResult", "check"]
