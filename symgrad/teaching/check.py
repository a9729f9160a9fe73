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
import time
from collections.abc import Mapping, Sequence

import sympy

from symgrad.errors import ParseError, ProblemError
from symgrad.exact.dag import symbols_of
from symgrad.exact.domain import domain_of
from symgrad.exact.evaluate import is_exact
from symgrad.exact.functions import drop_dirac
from symgrad.exact.printing import to_str
from symgrad.exact.sampling import Sampler, find_nonzero
from symgrad.exact.zero import prove_zero
from symgrad.results import CheckResult, CheckWitness, Component
from symgrad.runtime.budget import Budget, binds_timeout
from symgrad.teaching.diagnose import Diagnosis, diagnose, diagnose_step, wrong_symbols
from symgrad.text.parse import Parsed, normalize_name, parse_relation, read
from symgrad.text.suggest import as_product
from symgrad.ties import certify
from symgrad.ties.constraints import split_constraints
from symgrad.ties.problem import FLIPPED, SIGNS, named_parameters, quote, sort_symbols

_PREFIX_TEXT = re.compile(
    r"^\s*(?:d|\u2202)\s*([A-Za-z]\w*)?\s*/\s*(?:d|\u2202)\s*([A-Za-z\u0370-\u03ff]\w*)\s*=(?!=)"
)
_PREFIX_LATEX = re.compile(
    r"^\s*\\[dt]?frac\s*\{\s*(?:\\partial|d|\\mathrm\{d\})\s*([^{}]*?)\s*\}\s*"
    r"\{\s*(?:\\partial|d|\\mathrm\{d\})\s*([^{}]*?)\s*\}\s*([^=]*?)=(?!=)"
)
_PREFIX_NABLA = re.compile(r"^\s*\\nabla_\s*\{?\s*([^{}\s]+)\s*\}?\s*[A-Za-z]*\s*(\([^)]*\))?\s*=")
_LOSS_PREFIX = re.compile(r"^\s*(?:J|L|\\mathcal\{L\}|\\ell|loss)\s*(\([^)=]*\))?\s*=(?!=)")


def strip_claim_prefix(text: str, wrt: str, latex: bool) -> tuple[str, str | None]:
    """``dJ/dw = ...`` or ``\\frac{\\partial J}{\\partial w} = ...`` -> (the right side, a note)."""
    for pattern in (_PREFIX_LATEX, _PREFIX_NABLA) if latex else (_PREFIX_TEXT,):
        match = pattern.match(text)
        if not match:
            continue
        variable = match.group(2) if pattern is not _PREFIX_NABLA else match.group(1)
        name = normalize_name(variable.strip(), latex) if variable else None
        if name and name != wrt:
            raise ProblemError(
                f"the claim is a derivative with respect to {name}, but --wrt is {wrt}: "
                "give the right-hand side only, or the matching --wrt"
            )
        return text[
            match.end() :
        ], f"the leading '{match.group(0).strip()}' was read as the claim's name"
    return text, None


def _function_names(functions) -> tuple[str, ...]:
    from symgrad.ties.problem import _names_list

    return _names_list(functions, "functions")


def strip_loss_prefix(text: str) -> tuple[str, str | None]:
    match = _LOSS_PREFIX.match(text)
    if match:
        return text[match.end() :], f"the leading '{match.group(0).strip()}' names the loss"
    return text, None


def _signs(assume, present, functions, latex):
    """Sign conditions (used by the zero tests) and other relations (used by sampling)."""
    signs: dict[sympy.Symbol, str] = {}
    relations: list[sympy.Basic] = []
    texts: list[str] = []
    if assume is not None and not isinstance(assume, (str, list, tuple)):
        raise ProblemError(f"assume must be text or a list of texts, not {type(assume).__name__}")
    items = [assume] if isinstance(assume, str) else list(assume or [])
    for item in items:
        if not isinstance(item, str):
            raise ProblemError(f"an assumption must be text, not {type(item).__name__}")
        lhs, op, rhs = parse_relation(item, functions, latex=latex)
        unknown = sorted(s.name for s in (lhs - rhs).free_symbols if s.name not in present)
        if unknown:
            raise ProblemError(
                f"assumption {quote(item)} names {', '.join(unknown)}, which the loss does not use"
            )
        mapping = {sympy.Symbol(n, real=True): present[n] for n in present}
        lhs, rhs = lhs.xreplace(mapping), rhs.xreplace(mapping)
        texts.append(f"{to_str(lhs)} {op} {to_str(rhs)}")
        if op in SIGNS and rhs.is_zero and lhs.is_Symbol:
            signs[lhs] = SIGNS[op]
        elif op in SIGNS and lhs.is_zero and rhs.is_Symbol:
            signs[rhs] = SIGNS[FLIPPED[op]]
        else:
            relation = {
                "=": sympy.Eq,
                "!=": sympy.Ne,
                ">": sympy.Gt,
                ">=": sympy.Ge,
                "<": sympy.Lt,
                "<=": sympy.Le,
            }[op]
            relations.append(relation(lhs, rhs))
    return signs, relations, tuple(texts)


def _product_notes(names: set[str], wrt: Sequence[str]) -> list[str]:
    """'wx is read as one symbol; did you mean w*x?' when a name splits into known names."""
    known = (set(names) | set(wrt)) - {n for n in names if len(n) > 1 and n.isalpha()}
    notes = []
    for name in sorted(names):
        product = as_product(name, known | set(wrt))
        if product:
            notes.append(f"{name} is read as one symbol; did you mean {product}?")
    return notes


@dataclasses.dataclass
class _Reading:
    loss: Parsed
    claims: list[Parsed]
    wrt: list[sympy.Symbol]
    notes: list[str]


def _read(loss, wrt, claim, functions, latex) -> _Reading:
    wrt_names = _wrt_names(wrt, latex)
    if isinstance(claim, str):
        claim_texts = [claim]
    elif isinstance(claim, (list, tuple)):
        claim_texts = list(claim)
    else:
        raise ProblemError(f"claim must be text or a list of texts, not {type(claim).__name__}")
    if len(claim_texts) == 1 and len(wrt_names) > 1 and ";" in claim_texts[0]:
        claim_texts = [c for c in claim_texts[0].split(";")]
    if len(claim_texts) != len(wrt_names):
        raise ProblemError(
            f"{len(wrt_names)} parameter(s) in --wrt but {len(claim_texts)} --claim(s): give one "
            "claim per parameter, in the same order"
        )
    notes: list[str] = []
    e_symbol = "e" in wrt_names
    if isinstance(loss, str):
        text, note = strip_loss_prefix(loss)
        notes += [note] if note else []
        parsed_loss = read(text, functions, e_is_symbol=e_symbol, latex=latex)
    elif isinstance(loss, sympy.Expr):
        parsed_loss = Parsed.of_sympy(loss)
    else:
        raise ProblemError(
            f"the loss must be text or a SymPy expression, not {type(loss).__name__}"
        )
    if not isinstance(parsed_loss.expr, sympy.Expr):
        raise ProblemError("the loss must be an expression, not a condition")
    notes += list(parsed_loss.notes)
    present = {s.name: s for s in parsed_loss.symbols}
    params = named_parameters(wrt_names, present, parsed_loss.names)
    for p in params:
        if p.name not in present:
            notes.append(f"{p} cancels out of the loss: its derivative is 0")
    known = set(parsed_loss.names) | set(wrt_names)
    claims = []
    for text, name in zip(claim_texts, wrt_names):
        if not isinstance(text, str):
            raise ProblemError(f"a claim must be text, not {type(text).__name__}")
        body, note = strip_claim_prefix(text, name, latex)
        notes += [note] if note else []
        try:
            parsed = read(body, functions, symbols=known, e_is_symbol=e_symbol, latex=latex)
        except ParseError as error:
            raise ParseError(
                f"the claim for dJ/d{name}: {error.message}", error.text, error.position
            ) from None
        if not isinstance(parsed.expr, sympy.Expr):
            raise ProblemError(f"the claim for dJ/d{name} must be an expression, not a condition")
        notes += [n for n in parsed.notes if n not in notes]
        claims.append(parsed)
    all_names = set(parsed_loss.names).union(*(c.names for c in claims))
    notes += _product_notes(all_names, wrt_names)
    return _Reading(parsed_loss, claims, params, list(dict.fromkeys(notes)))


def _wrt_names(wrt, latex: bool) -> list[str]:
    if isinstance(wrt, str):
        raw = wrt.split(",")
    elif isinstance(wrt, (list, tuple)):
        raw = list(wrt)
    else:
        raise ProblemError(f"wrt must be a name or a list of names, not {type(wrt).__name__}")
    names = []
    for item in raw:
        if not isinstance(item, str):
            raise ProblemError(f"wrt must be names (text), got {type(item).__name__}")
        if item.strip():
            names.append(normalize_name(item, latex))
    if not names:
        raise ProblemError("--wrt needs a parameter name")
    return names


def _unify(expr: sympy.Expr, present: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Give the claim's symbols the loss's symbol objects (same names, same assumptions)."""
    mapping = {
        s: present[s.name] for s in expr.free_symbols if s.name in present and present[s.name] != s
    }
    return expr.xreplace(mapping) if mapping else expr


@dataclasses.dataclass
class _Setting:
    """What every component is judged under: signs, conditions, finite cases, the deadline."""

    signs: dict
    conditions: list
    cases: list
    deadline: float
    hide: bool


def _decide_case(difference, symbols, setting, point_conditions):
    """('correct', method) / ('incorrect', found) / ('unknown', reason) for one case."""
    data = sort_symbols(set(symbols))
    sampler = Sampler(symbols, signs=setting.signs, leading=data, conditions=point_conditions)
    found, _ = find_nonzero([difference], sampler, tries=10)
    if found is not None:
        return "incorrect", found
    if difference == 0:
        return "correct", "structural equality"
    left = max(setting.deadline - time.monotonic(), 0.2)
    proof = prove_zero(difference, left, signs=setting.signs)
    if proof.zero:
        return "correct", proof.method
    found, _ = find_nonzero(
        [difference],
        Sampler(symbols, signs=setting.signs, seed=11, conditions=point_conditions),
        tries=40,
    )
    if found is not None:
        return "incorrect", found
    return "unknown", proof.reason or "no sound method decided"


def _component(reading, index, loss, setting: _Setting) -> Component:
    """The verdict on one claimed derivative (in every case), with its witness and diagnosis."""
    p = reading.wrt[index]
    parsed = reading.claims[index]
    claim = parsed.expr
    true = drop_dirac(sympy.diff(loss, p))
    point_conditions = setting.conditions + [c.as_boolean() for c in parsed.domain]
    methods, wrong, right = [], [], []
    for case in setting.cases:
        difference = (claim - true).xreplace(case) if case else claim - true
        symbols = sorted(
            (symbols_of(loss) | symbols_of(claim) | {p}) - set(case), key=lambda s: s.name
        )
        outcome, detail = _decide_case(difference, symbols, setting, point_conditions)
        if outcome == "unknown":
            return Component(
                str(p), "unknown", claim, true, method="zero-test ladder", reason=detail
            )
        if outcome == "incorrect":
            wrong.append((case, detail))
        else:
            right.append(case)
            methods.append(detail)
    if wrong:
        return _incorrect(reading, parsed, p, loss, claim, true, wrong, right, setting,
                          point_conditions)  # fmt: skip
    return Component(str(p), "correct", claim, true, method="; ".join(sorted(set(methods))))


def _case_text(case: Mapping) -> str:
    return ", ".join(f"{s} = {v}" for s, v in sorted(case.items(), key=lambda i: str(i[0])))


def _incorrect(reading, parsed, p, loss, claim, true, wrong, right, setting, point_conditions):
    case, found = wrong[0]
    exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in found.point.items()}
    exact.update(case)
    witness = CheckWitness(
        point={str(s): exact[s] for s in sort_symbols(exact)},
        parameter=str(p),
        claimed=sympy.sympify(claim).xreplace(exact),
        true=true.xreplace(exact),
        certified_by="exact rational arithmetic"
        if is_exact(found.value)
        else "interval arithmetic",
    )
    diagnoses: list[Diagnosis] = wrong_symbols(
        parsed.names, reading.loss.names, [str(q) for q in reading.wrt]
    )
    codes, texts = [d.code for d in diagnoses], [d.text for d in diagnoses]
    if not diagnoses:
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
            for case, _ in wrong
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


@binds_timeout
def compare_expressions(
    previous: str | sympy.Expr,
    current: str | sympy.Expr,
    functions: Sequence[str] = (),
    latex_input: bool = False,
    timeout: float = 30.0,
) -> Component:
    """Whether ``current`` equals ``previous`` identically (a step of a derivation).

    Decided like a claimed derivative: a certified nonzero at a rational point
    refutes (the witness is re-evaluated independently), the zero-test ladder
    proves (cross-examined at fresh points); the diagnosis compares the two.
    """
    budget = Budget(timeout)
    functions = _function_names(functions)
    before, after = (_expression(e, functions, latex_input) for e in (previous, current))
    present = {s.name: s for s in symbols_of(before.expr) | symbols_of(after.expr)}
    a, b = _unify(before.expr, present), _unify(after.expr, present)
    conditions = [c.as_boolean() for c in (*before.domain, *after.domain)]
    setting = _Setting({}, conditions, [{}], budget.share(0.8).deadline, False)
    symbols = sort_symbols(symbols_of(a) | symbols_of(b))
    outcome, detail = _decide_case(b - a, symbols, setting, conditions)
    if outcome == "unknown":
        return Component("", "unknown", b, a, method="zero-test ladder", reason=detail)
    if outcome == "correct":
        _cross_examine_step(a, b, symbols, conditions, budget)
        return Component("", "correct", b, a, method=detail)
    exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in detail.point.items()}
    witness = CheckWitness(
        point={str(s): exact[s] for s in sort_symbols(exact)},
        parameter="",
        claimed=b.xreplace(exact),
        true=a.xreplace(exact),
        certified_by="exact rational arithmetic"
        if is_exact(detail.value)
        else "interval arithmetic",
    )
    if not certify.differ(certify.value_of(b, exact), certify.value_of(a, exact)):
        raise certify.CertificateFailure("re-evaluated, the two lines agree at the witness")
    diagnoses = diagnose_step(a, b, {}, conditions, budget.share(0.9).deadline)
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


def _expression(value, functions, latex) -> Parsed:
    if isinstance(value, sympy.Expr):
        return Parsed(value, frozenset(s.name for s in symbols_of(value)), domain_of(value))
    if not isinstance(value, str):
        raise ProblemError(f"an expression must be text, not {type(value).__name__}")
    parsed = read(value, functions, latex=latex)
    if not isinstance(parsed.expr, sympy.Expr):
        raise ProblemError(f"{quote(value)} is a condition, not an expression")
    return parsed


def _cross_examine_step(a, b, symbols, conditions, budget) -> None:
    """Fresh random rational points where the two lines may not certainly differ."""
    rng = random.Random(4099)
    for _ in range(8):
        if budget.remaining() < 0.05:
            return
        point = {
            s: sympy.Rational(rng.randint(-9, 9), rng.choice((1, 2, 3, 5, 7))) for s in symbols
        }
        if not all(certify.holds(c, point) for c in conditions if c.free_symbols <= set(point)):
            continue
        try:
            apart = certify.differ(certify.value_of(a, point), certify.value_of(b, point))
        except certify.CertificateFailure:
            continue
        if apart:
            raise certify.CertificateFailure("at a fresh point the two lines differ")


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
) -> CheckResult:
    """Check claimed derivative(s) of ``loss`` with respect to ``wrt``, every component judged.

    ``constraints`` restrict the data: ``"y in {0, 1}"``, ``"one-hot(y0, y1)"`` (finite
    cases, each checked exactly) or any relation such as ``"x > 0"``. ``shapes``
    (``["X=n,k", "w=k"]``) makes it a matrix claim, decided for every size
    (:func:`symgrad.teaching.matcheck.check_matrix`); ``up_to_factor`` then accepts a
    positive constant factor (the "∝" of a course).
    """
    if shapes:
        return _check_shapes(
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
        )
    if up_to_factor:
        raise ProblemError(
            "--up-to-factor applies to matrix claims: declare the shapes with --shape"
        )
    budget = Budget(timeout)
    functions = _function_names(functions)
    reading = _read(loss, wrt, claim, functions, latex_input)
    loss_expr = reading.loss.expr
    present = {s.name: s for s in reading.loss.symbols}
    present.update({p.name: p for p in reading.wrt})
    reading.claims = [
        dataclasses.replace(parsed, expr=_unify(parsed.expr, present)) for parsed in reading.claims
    ]
    cases, extra = split_constraints(constraints)
    if assume is not None and not isinstance(assume, (str, list, tuple)):
        raise ProblemError(f"assume must be text or a list of texts, not {type(assume).__name__}")
    assume = [*([assume] if isinstance(assume, str) else (assume or [])), *extra]
    signs, relations, assumption_texts = _signs(assume, present, functions, latex_input)
    conditions = relations + [c.as_boolean() for c in reading.loss.domain]
    cases = [_case(case, present) for case in cases]
    deciding = budget.share(0.8, floor=0.05)
    setting = _Setting(signs, conditions, cases, deciding.deadline, hide_answer)
    components = []
    for index in range(len(reading.wrt)):
        budget.check("checking the claim")
        components.append(_component(reading, index, loss_expr, setting))
    result = _assemble(reading, components, assumption_texts, steps, hide_answer)
    result = _certify(result, reading, signs, conditions, cases, budget)
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
        domain=tuple(c.text for c in reading.loss.domain),
        codes=tuple(dict.fromkeys(codes)),
        hide_answer=hide,
    )


def _case(case, present) -> dict:
    unknown = [str(s) for s in case if s.name not in present]
    if unknown:
        raise ProblemError(
            f"the constraint names {', '.join(unknown)}, which the loss does not use"
        )
    return {present[s.name]: v for s, v in case.items()}


def _certify(result: CheckResult, reading, signs, conditions, cases, budget) -> CheckResult:
    """Independent re-check: the witness re-evaluated, a 'correct' cross-examined."""
    loss = reading.loss.expr
    try:
        if result.verdict == "incorrect":
            for component in result.components:
                if component.verdict != "incorrect":
                    continue
                witness = component.witness
                point = {sympy.Symbol(k, real=True): v for k, v in witness.point.items()}
                point = {
                    _unify(s, {p.name: p for p in (*symbols_of(loss), *reading.wrt)}): v
                    for s, v in point.items()
                }
                for condition in conditions:
                    if condition.free_symbols <= set(point) and not certify.holds(condition, point):
                        raise certify.CertificateFailure(
                            "the witness is outside the domain or the assumptions"
                        )
                p = next(q for q in reading.wrt if str(q) == component.parameter)
                claimed, true = certify.certify_values(loss, point, p, component.claim)
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
