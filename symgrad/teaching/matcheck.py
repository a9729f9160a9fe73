"""Checking a claimed matrix gradient for every size, with diagnoses in matrix terms.

The loss and the claims are read with their shapes (:mod:`symgrad.teaching.matrices`).
Every size that the finite-size argument needs is instantiated, from the
smallest up: the true gradient is differentiated exactly there, compared with
the claim entry by entry (a certified nonzero at a rational point refutes,
with the smallest sizes and the matrices of the witness; the difference with
the nonlinear functions of contractions made independent must be identically
zero, by the zero-test ladder). When every needed size passes, the claim is
proven for every size. ``up_to_factor`` accepts a positive constant factor
(the seed's "∝") and says which.

>>> r = check_matrix("norm(X@w - y)**2", "w", "2*X.T@(X@w - y)", ["X=n,k", "w=k", "y=n"])
>>> r.verdict, r.scope
('correct', 'for all k >= 1, n >= 1')
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections.abc import Sequence
from fractions import Fraction

import sympy

from symgrad.errors import BudgetError, ProblemError
from symgrad.exact.calculus import gradients
from symgrad.exact.evaluate import is_exact
from symgrad.exact.printing import to_str
from symgrad.exact.sampling import Sampler, find_nonzero
from symgrad.exact.zero import prove_zero
from symgrad.results import CheckResult, CheckWitness, Component
from symgrad.runtime.budget import Budget, binds_timeout
from symgrad.teaching.matrices import (
    Instance,
    ShapeError,
    _same_size,
    equality_bounds,
    evaluate,
    parse_shapes,
    read_matrix,
    shape_text,
    size_bounds,
    size_combinations,
)
from symgrad.teaching.matrix_diagnose import diagnose_matrix
from symgrad.teaching.matrix_text import abstract, matrix_text, node_latex
from symgrad.text.parse import normalize_name
from symgrad.ties import certify


def _names(wrt) -> list[str]:
    if isinstance(wrt, str):
        wrt = wrt.split(",")
    if not isinstance(wrt, (list, tuple)) or not wrt:
        raise ProblemError("wrt must name the parameter(s)")
    return [normalize_name(str(w)) for w in wrt if str(w).strip()]


def _scope(bounds: dict) -> str:
    names = sorted(str(d) for d in bounds if isinstance(d, sympy.Symbol))
    return "for all " + ", ".join(f"{n} >= 1" for n in names) if names else "for these sizes"


def _claims(claim, count: int) -> list[str]:
    texts = [claim] if isinstance(claim, str) else list(claim)
    if len(texts) == 1 and count > 1 and ";" in texts[0]:
        texts = texts[0].split(";")
    if len(texts) != count or not all(isinstance(t, str) for t in texts):
        raise ProblemError(f"{count} parameter(s) in --wrt but {len(texts)} claim(s)")
    return texts


def _read_claim(
    name: str, text: str, declared: dict, functions, latex_input: bool, notes: list, known=None
):
    """The claimed gradient with respect to ``name``, which must have ``name``'s shape; read
    against the loss's ``known`` names (run-together names split, unknown ones refused)."""
    if name not in declared:
        raise ProblemError(f"--wrt {name}: give its shape with --shape {name}=...")
    claim_node, claim_notes = read_matrix(text, declared, functions, latex_input, known=known)
    notes += [n for n in claim_notes if n not in notes]
    wanted = declared[name]
    if not _same_shape(claim_node.shape, wanted):
        raise ShapeError(
            f"the claimed gradient {claim_node.text} is {shape_text(claim_node.shape)}, but "
            f"{name} is {shape_text(wanted)}{_shape_hint(claim_node, wanted)}"
        )
    return claim_node


@binds_timeout
def check_matrix(
    loss: str,
    wrt: str | Sequence[str],
    claim: str | Sequence[str],
    shapes: Sequence[str] | dict,
    functions: Sequence[str] = (),
    latex_input: bool = False,
    timeout: float = 60.0,
    up_to_factor: bool = False,
    hide_answer: bool = False,
) -> CheckResult:
    """Check claimed gradients of a scalar matrix loss, for every size of the named dimensions."""
    budget = Budget(timeout)
    declared = parse_shapes(shapes)
    known: set = set()
    loss_node, notes = read_matrix(loss, declared, functions, latex_input, names=known)
    if not loss_node.scalar:
        raise ShapeError(
            f"the loss {loss_node.text} is {shape_text(loss_node.shape)}, not a scalar"
        )
    names = _names(wrt)
    claim_texts = _claims(claim, len(names))
    components, claim_nodes = [], []
    factors: dict[str, sympy.Expr] = {}
    scope = ""
    for name, text in zip(names, claim_texts):
        claim_node = _read_claim(name, text, declared, functions, latex_input, notes, known)
        claim_nodes.append(claim_node)
        bounds = size_bounds(loss_node, claim_node, declared[name])
        component, scope = _component(
            loss_node,
            claim_node,
            name,
            declared,
            bounds,
            budget,
            up_to_factor,
            hide_answer,
            factors=factors,
        )
        components.append(component)
    verdicts = {c.verdict for c in components}
    verdict = (
        "incorrect"
        if "incorrect" in verdicts
        else "unknown"
        if "unknown" in verdicts
        else "correct"
    )
    wrong = next((c for c in components if c.verdict == "incorrect"), None)
    diagnosis = tuple(
        (f"dJ/d{c.parameter}: " if len(components) > 1 else "") + text
        for c in components
        if c.verdict == "incorrect"
        for text in c.diagnosis
    )
    result = CheckResult(
        verdict=verdict,
        loss=sympy.Symbol(loss_node.text),
        wrt=tuple(sympy.Symbol(n) for n in names),
        claims=tuple(sympy.Symbol(n.text) for n in claim_nodes),
        derivatives=(),
        witness=wrong.witness if wrong else None,
        diagnosis=diagnosis,
        method="; ".join(sorted({c.method for c in components})),
        reason=next((c.reason for c in components if c.verdict == "unknown"), ""),
        components=tuple(components),
        readings=tuple(notes),
        codes=tuple(dict.fromkeys(code for c in components for code in c.codes)),
        elapsed_s=round(budget.elapsed(), 4),
        hide_answer=hide_answer,
        scope=scope if verdict == "correct" else "",
        shapes={n: shape_text(s) for n, s in declared.items()},
        certificate=_certificate(components),
        tex=(node_latex(loss_node), *(node_latex(n) for n in claim_nodes)),
    )
    return _recheck(result, loss_node, dict(zip(names, claim_nodes)), declared, budget, factors)


@binds_timeout
def compare_matrix_expressions(
    previous: str,
    current: str,
    shapes: Sequence[str] | dict,
    functions: Sequence[str] = (),
    latex_input: bool = False,
    timeout: float = 30.0,
) -> Component:
    """Whether two matrix expressions are equal for every size (a step of a derivation)."""
    budget = Budget(timeout)
    declared = parse_shapes(shapes)
    before, _ = read_matrix(previous, declared, functions, latex_input)
    after, _ = read_matrix(current, declared, functions, latex_input)
    if not _same_shape(before.shape, after.shape):
        return Component(
            "",
            "incorrect",
            sympy.Symbol(after.text),
            sympy.Symbol(before.text),
            codes=("shape_changed",),
            diagnosis=(
                f"the shape changes from {shape_text(before.shape)} to "
                f"{shape_text(after.shape)}{_shape_hint(after, before.shape)}",
            ),
            method="shapes",
        )
    component = _equal_for_every_size(before, after, declared, budget)
    if component.verdict != "incorrect":
        return component

    def judge(repaired, share):
        return _equal_for_every_size(before, repaired, declared, share).verdict

    diagnoses = diagnose_matrix(before, after, None, declared, budget, judge)
    return dataclasses.replace(
        component,
        codes=tuple(code for code, _ in diagnoses),
        diagnosis=tuple(text.replace("the gradient", "the previous line") for _, text in diagnoses),
    )


def _equal_for_every_size(before, after, declared, budget) -> Component:
    bounds = equality_bounds(before, after)
    bounds = _every_size(bounds, declared)
    combos, complete = size_combinations(bounds)
    claim, previous = sympy.Symbol(after.text), sympy.Symbol(before.text)
    for sizes in combos:
        budget.check("comparing the lines at every size")
        instance = Instance(sizes=sizes, shapes=declared)
        expected, claimed = evaluate(before, instance), evaluate(after, instance)
        outcome = _compare(claimed, expected, instance, budget)
        if outcome[0] == "unknown":
            return Component(
                "", "unknown", claim, previous, method="zero-test ladder", reason=outcome[1]
            )
        if outcome[0] == "incorrect":
            exact = {
                s: sympy.Rational(v.numerator, v.denominator) for s, v in outcome[1].point.items()
            }
            for symbol in set().union(*(e.free_symbols for e in (*claimed, *expected))) - set(
                exact
            ):
                exact[symbol] = sympy.S.Zero
            witness = CheckWitness(
                point={str(s): v for s, v in sorted(exact.items(), key=lambda i: str(i[0]))},
                parameter="",
                claimed=claimed.xreplace(exact),
                true=expected.xreplace(exact),
                certified_by="exact rational arithmetic",
                sizes={str(k): int(v) for k, v in sizes.items()},
                matrices={n: instance.matrix(n).xreplace(exact) for n in sorted(instance.leaves)},
            )
            if all(
                certify.same(certify.value_of(c), certify.value_of(e))
                for c, e in zip(witness.claimed, witness.true)
            ):
                raise certify.CertificateFailure("re-evaluated, the two lines agree at the witness")
            return Component(
                "",
                "incorrect",
                claim,
                previous,
                witness=witness,
                method="exact evaluation at the smallest sizes",
            )
    if not complete:
        return Component(
            "",
            "unknown",
            claim,
            previous,
            method="exact checks at small sizes",
            reason=f"equal at the sizes checked, but the argument needs sizes up to "
            f"{_bounds_text(bounds)}",
        )
    method = "exact at the given sizes"
    if any(isinstance(d, sympy.Symbol) for d in bounds):
        method = f"exact at every size up to {_bounds_text(bounds)}, hence at every size"
    return Component("", "correct", claim, previous, method=method)


def _recheck(
    result: CheckResult, loss_node, claims: dict, declared: dict, budget, factors: dict
) -> CheckResult:
    """The certificate check, by sympy.diff and independent exact/interval evaluation.

    A witness is re-derived at its sizes and point; a proof for every size is
    cross-examined at sizes one beyond the finite-size bound, at fresh random
    rational points. A failure withholds the verdict (raises in strict mode).
    """
    try:
        if result.verdict == "incorrect":
            witness = result.witness
            instance = Instance(
                sizes={
                    sympy.Symbol(k, integer=True, positive=True): v
                    for k, v in witness.sizes.items()
                },
                shapes=declared,
            )
            point = {sympy.Symbol(k, real=True): v for k, v in witness.point.items()}
            if not _differs_at(
                loss_node, claims[witness.parameter], witness.parameter, instance, point, witness,
                budget,
            ):  # fmt: skip
                return _withheld(
                    result, "the witness does not separate the claim from dJ/d" + witness.parameter
                )
        elif result.verdict == "correct":
            for name, claim_node in claims.items():
                bounds = _every_size(size_bounds(loss_node, claim_node, declared[name]), declared)
                sizes = {d: min(b + 1, 4) for d, b in bounds.items()}
                for seed in (11, 12):
                    budget.check("the certificate check")
                    if _differs_somewhere(
                        loss_node, claim_node, name, declared, sizes, seed, factors.get(name, 1),
                        budget,
                    ):  # fmt: skip
                        return _withheld(result, f"dJ/d{name} differs at the sizes {sizes}")
            return dataclasses.replace(
                result,
                certificate=result.certificate
                + (
                    "; cross-examined with sympy.diff at sizes beyond the bound, at random rational points"
                ),
            )
    except certify.CertificateFailure as error:
        if certify.strict():
            raise
        return _withheld(result, str(error))
    except BudgetError:
        return _withheld(result, "the independent re-check ran out of time")
    return result


def _withheld(result: CheckResult, reason: str) -> CheckResult:
    if certify.strict():
        raise certify.CertificateFailure(f"{result.verdict} failed its certificate check: {reason}")
    return dataclasses.replace(
        result,
        verdict="unknown",
        witness=None,
        scope="",
        reason=f"the independent certificate check failed ({reason}), so the verdict is withheld",
        certificate="failed: " + reason,
    )


def _differs_at(loss_node, claim_node, name, instance, point, witness, budget=None) -> bool:
    loss = evaluate(loss_node, instance)[0, 0]
    claimed = evaluate(claim_node, instance)
    entries = list(instance.matrix(name))
    apart = False
    for entry, claim, reported_claim, reported_true in zip(
        entries, claimed, witness.claimed, witness.true
    ):
        if witness.factor is not None:
            claim = claim / witness.factor
        if budget is not None:
            budget.check("the certificate check")
        value, true = certify.certify_values(loss, point, entry, claim)
        if not certify.same(value, certify.value_of(reported_claim)) or not certify.same(
            true, certify.value_of(reported_true)
        ):
            raise certify.CertificateFailure("the witness's reported values do not re-derive")
        apart = apart or certify.differ(value, true)
    return apart


def _differs_somewhere(
    loss_node, claim_node, name, declared, sizes, seed, factor, budget=None
) -> bool:
    instance = Instance(sizes=sizes, shapes=declared)
    loss = evaluate(loss_node, instance)[0, 0]
    claimed = evaluate(claim_node, instance)
    entries = list(instance.matrix(name))
    symbols = set(loss.free_symbols) | set().union(*(c.free_symbols for c in claimed))
    rng = random.Random(seed)
    point = {s: sympy.Rational(rng.randint(-9, 9), rng.randint(1, 7)) for s in symbols}
    for entry, claim in zip(entries, claimed):
        if budget is not None:
            budget.check("the certificate check")
        value, true = certify.certify_values(loss, point, entry, claim / factor)
        if certify.differ(value, true):
            return True
    return False


def _certificate(components) -> str:
    if all(c.verdict == "correct" for c in components):
        return (
            "every size the finite-size argument needs was checked exactly, with the nonlinear "
            "functions of contractions as independent entries"
        )
    if any(c.verdict == "incorrect" for c in components):
        return "the witness was re-derived with sympy.diff and evaluated exactly or with intervals"
    return ""


def _same_shape(a: tuple, b: tuple) -> bool:
    return all(_same_size(x, y) for x, y in zip(a, b))


def _shape_hint(node, wanted: tuple) -> str:
    if _same_shape((node.shape[1], node.shape[0]), wanted):
        return f"; did you mean ({node.text}).T?"
    return ""


def _component(
    loss_node,
    claim_node,
    name,
    declared,
    bounds,
    budget,
    up_to_factor,
    hide,
    diagnose=True,
    factors=None,
):
    bounds = _every_size(bounds, declared)
    combos, complete = size_combinations(bounds)
    scope = _scope(bounds)
    factor = None
    checked = []
    for sizes in combos:
        budget.check("checking the claim at every size")
        instance = Instance(sizes=sizes, shapes=declared)
        loss_value = evaluate(loss_node, instance)[0, 0]
        parameter = instance.matrix(name)
        entries = list(parameter)
        grads = gradients(loss_value, entries, budget=budget)
        true = sympy.Matrix(parameter.rows, parameter.cols, [grads[e] for e in entries])
        claimed = evaluate(claim_node, instance)
        if up_to_factor:
            factor, claimed = _scaled(claimed, true, factor)
        outcome = _compare(claimed, true, instance, budget)
        if outcome[0] == "incorrect":
            component = _incorrect(
                loss_node,
                claim_node,
                name,
                instance,
                claimed,
                true,
                outcome[1],
                declared,
                hide,
                budget,
                diagnose,
            )
            if factor not in (None, 1) and component.witness is not None:
                witness = dataclasses.replace(component.witness, factor=factor)
                component = dataclasses.replace(component, witness=witness)
            return component, scope
        if outcome[0] == "unknown":
            return Component(
                name,
                "unknown",
                sympy.Symbol(claim_node.text),
                sympy.S.Zero,
                method="zero-test ladder",
                reason=outcome[1],
            ), scope
        checked.append(sizes)
    if not complete and any(isinstance(d, sympy.Symbol) for d in bounds):
        return Component(
            name,
            "unknown",
            sympy.Symbol(claim_node.text),
            sympy.S.Zero,
            method="exact checks at the smallest sizes",
            reason=f"right at every size checked ({len(checked)} size combinations), but the "
            f"all-sizes argument needs sizes up to {_bounds_text(bounds)}",
        ), scope
    if any(isinstance(d, sympy.Symbol) for d in bounds):
        method = f"exact at every size up to {_bounds_text(bounds)}, hence at every size"
    else:
        method = "exact at the given sizes"
    if up_to_factor and factor == 1:
        method += " (the constant factor is 1)"
    if factor is not None and factor != 1:
        method += f" (the claim is {factor} times the gradient)"
        if factors is not None:
            factors[name] = factor
    return Component(
        name, "correct", sympy.Symbol(claim_node.text), sympy.S.Zero, method=method
    ), scope


def _every_size(bounds: dict, declared: dict) -> dict:
    """Every declared size symbol gets a bound; one that no term indexes needs only 1."""
    complete = dict(bounds)
    for shape in declared.values():
        for size in shape:
            if isinstance(size, sympy.Symbol):
                complete.setdefault(size, 1)
    return complete


def _bounds_text(bounds: dict) -> str:
    return ", ".join(
        f"{d} = {b}" if b != math.inf else f"every {d} ({d} enters inside a function or exponent)"
        for d, b in sorted(bounds.items(), key=lambda i: str(i[0]))
    )


def _scaled(claimed, true, factor):
    """The claim divided by the positive constant factor that makes it the gradient (if one)."""
    if factor is None:
        for c, t in zip(claimed, true):
            if t != 0 and c != 0:
                ratio = sympy.cancel(c / t)
                if ratio.is_number and ratio.is_positive:
                    factor = ratio
                    break
        if factor is None:
            return None, claimed
    return factor, claimed.applyfunc(lambda e: e / factor)


def _compare(claimed, true, instance, budget):
    """('correct',) / ('incorrect', found) / ('unknown', reason) at one concrete size."""
    differences = [
        sympy.expand(c - t) if c.is_polynomial() and t.is_polynomial() else c - t
        for c, t in zip(claimed, true)
    ]
    open_ones = [d for d in differences if d != 0]
    if not open_ones:
        return ("correct",)
    symbols = set().union(*(d.free_symbols for d in open_ones))
    found, _ = find_nonzero(open_ones, Sampler(symbols), tries=8, budget=budget)
    if found is not None:
        return ("incorrect", found)
    abstracted, _ = abstract(open_ones)
    for expression in abstracted:
        if sympy.expand(expression) == 0 or _rationally_zero(expression):
            continue
        proof = prove_zero(expression, max(budget.remaining() / 4, 0.1))
        if not proof.zero:
            found, _ = find_nonzero(open_ones, Sampler(symbols, seed=5), tries=30, budget=budget)
            if found is not None:
                return ("incorrect", found)
            return ("unknown", proof.reason or "no sound method decided")
    return ("correct",)


def _rationally_zero(expression: sympy.Expr) -> bool:
    """Zero with every function application taken as an independent variable (a stronger
    identity, so a sound proof), decided by rational normal form."""
    applications = {
        node: sympy.Dummy("f", real=True)
        for node in sympy.preorder_traversal(expression)
        if isinstance(node, sympy.Function)
        or (isinstance(node, sympy.Pow) and not node.exp.is_Integer)
    }
    if not applications:
        return False
    rational = expression.xreplace(applications)
    groups: dict[sympy.Expr, list[sympy.Expr]] = {}
    for term in sympy.Add.make_args(sympy.expand(rational)):
        numerator, denominator = sympy.fraction(sympy.together(term))
        groups.setdefault(sympy.expand(denominator), []).append(numerator)
    # each denominator's terms are reduced on their own, then the reduced parts summed
    try:
        reduced = [sympy.cancel(sympy.Add(*nums) / den) for den, nums in groups.items()]
        return sympy.expand(sympy.Add(*reduced)) == 0
    except sympy.PolynomialError:
        return False


def _incorrect(
    loss_node,
    claim_node,
    name,
    instance,
    claimed,
    true,
    found,
    declared,
    hide,
    budget,
    diagnose=True,
):
    exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in found.point.items()}
    for symbol in set().union(*(e.free_symbols for e in (*claimed, *true))) - set(exact):
        exact[symbol] = sympy.S.Zero
    matrices = {n: instance.matrix(n).xreplace(exact) for n in sorted(instance.leaves)}
    witness = CheckWitness(
        point={str(s): v for s, v in sorted(exact.items(), key=lambda i: str(i[0]))},
        parameter=name,
        claimed=claimed.xreplace(exact),
        true=true.xreplace(exact),
        certified_by="exact rational arithmetic"
        if is_exact(found.value)
        else "interval arithmetic",
        sizes={str(k): int(v) for k, v in instance.sizes.items()},
        matrices=matrices,
    )

    def judge(repaired, share):
        bounds = size_bounds(loss_node, repaired, declared[name])
        component, _ = _component(
            loss_node, repaired, name, declared, bounds, share, False, hide, diagnose=False
        )
        return component.verdict

    diagnoses = (
        diagnose_matrix(loss_node, claim_node, name, declared, budget, judge) if diagnose else []
    )
    return Component(
        name,
        "incorrect",
        sympy.Symbol(claim_node.text),
        sympy.S.Zero,
        codes=tuple(code for code, _ in diagnoses),
        diagnosis=tuple(text for _, text in diagnoses),
        witness=witness,
        method="exact evaluation at the smallest sizes",
    )


def witness_lines(witness: CheckWitness, hide: bool = False) -> list[str]:
    """The witness as small matrices, for the text report."""
    sizes = ", ".join(f"{k} = {v}" for k, v in witness.sizes.items())
    lines = [f"at the sizes {sizes}:" if sizes else "at the point:"]
    for name, matrix in witness.matrices.items():
        lines.append(f"  {name} = {matrix_text(matrix)}")
    lines.append(f"  the claim gives {matrix_text(witness.claimed)}")
    if not hide:
        lines.append(f"  but dJ/d{witness.parameter} = {matrix_text(witness.true)}")
    return lines


__all__ = ["check_matrix", "witness_lines", "Fraction", "time", "to_str"]
