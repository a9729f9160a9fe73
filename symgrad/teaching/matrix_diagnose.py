"""What is wrong with a claimed matrix gradient, in matrix terms.

Each diagnosis is a repaired claim (the claim negated, divided by 2 or by n,
with one factor transposed, one product's order swapped) that is then checked
for every size by the same finite-size argument as the claim itself: a
diagnosis is reported only when the repaired claim is proven right.

=================== =========================================================
code                the repair that is proven right
=================== =========================================================
sign_error          minus the claim
constant_factor     the claim divided by a rational constant (a missing 2)
missing_mean        the claim divided by n (the mean over n samples)
extra_mean          the claim times n
missing_transpose   one factor of the claim transposed
wrong_order         the two factors of one product swapped
missing_sum         right for one sample only: the sum over the samples is missing
=================== =========================================================
"""

from __future__ import annotations

import itertools

import sympy

from symgrad.errors import SymgradError
from symgrad.teaching.matrices import Node, ShapeError, _transposed, evaluate, matmul, scalar, scale


def _walk(node: Node):
    yield node
    for part in node.parts:
        yield from _walk(part)


def _replace(node: Node, target: Node, new: Node) -> Node:
    if node is target:
        return new
    if not node.parts:
        return node
    parts = tuple(_replace(p, target, new) for p in node.parts)
    if all(a is b for a, b in zip(parts, node.parts)):
        return node
    return Node(node.kind, node.shape, parts, node.data, node.text)


def _candidates(claim: Node, declared: dict):
    """(code, sentence, repaired claim) in the order they are tried."""
    if claim.shape[0] == claim.shape[1] and claim.shape[0] != 1:
        yield (
            "missing_transpose",
            "missing transpose: the claim is the transpose of the gradient",
            _transposed(claim),
        )
    yield (
        "sign_error",
        "sign error: the claim is exactly minus the gradient",
        scale(scalar(sympy.S.NegativeOne), claim),
    )
    for factor, sentence in (
        (
            sympy.Rational(1, 2),
            "constant factor: a factor 2 is missing (from differentiating a square)",
        ),
        (sympy.Integer(2), "constant factor: the claim is twice the gradient"),
        (sympy.Rational(1, 3), "constant factor: a factor 3 is missing"),
    ):
        yield "constant_factor", sentence, scale(scalar(1 / factor), claim)
    sizes = sorted(
        {s for shape in declared.values() for s in shape if isinstance(s, sympy.Symbol)}, key=str
    )
    for size in sizes:
        yield (
            "missing_mean",
            f"missing factor 1/{size}: the loss is a mean over {size}",
            scale(scalar(1 / size), claim),
        )
        yield (
            "extra_mean",
            f"an extra factor 1/{size}: the loss is a sum, not a mean",
            scale(scalar(size), claim),
        )
    for node in _walk(claim):
        if node.kind == "leaf" and node.shape[0] == node.shape[1] and node.shape[0] != 1:
            yield (
                "missing_transpose",
                f"missing transpose: {node.text} should be {node.text}.T",
                _replace(claim, node, _transposed(node)),
            )
        if node.kind == "transpose" and node.parts[0].kind == "leaf":
            inner = node.parts[0]
            if inner.shape[0] == inner.shape[1]:
                yield (
                    "missing_transpose",
                    f"wrong transpose: {node.text} should be {inner.text}",
                    _replace(claim, node, inner),
                )
    for node in _walk(claim):
        if node.kind == "matmul":
            a, b = node.parts
            try:
                swapped = matmul(b, a)
            except ShapeError:
                continue
            if swapped.shape == node.shape:
                yield (
                    "wrong_order",
                    (
                        f"wrong order of a product: {a.text} @ {b.text} should be {b.text} @ {a.text}"
                    ),
                    _replace(claim, node, swapped),
                )


def diagnose_matrix(loss: Node, claim: Node, name: str, declared: dict, budget, judge):
    """The first repair proven right for every size, as (code, sentence); else a fallback.

    ``judge(repaired, budget)`` is the verdict on a repaired claim by the same
    finite-size argument as the claim itself.
    """
    for code, sentence, repaired in _candidates(claim, declared):
        if budget.remaining() < 0.5:
            break
        try:
            verdict = judge(repaired, budget.share(0.3))
        except SymgradError:
            continue
        if verdict == "correct":
            return [(code, sentence)]
    sample = _right_for_one_sample(loss, claim, name, declared, budget) if name else ""
    if sample:
        return [
            (
                "missing_sum",
                f"right for one sample ({sample} = 1) only: check how the samples are combined "
                "(a missing sum over them, or a missing 1/" + sample + ")",
            )
        ]
    return [("other", "the claim differs from the gradient")]


def _right_for_one_sample(loss, claim, name, declared, budget) -> str:
    """A size that the parameter does not have (the samples) at which the claim is exact when
    that size is 1, for every other size up to 3; '' when there is none."""
    from symgrad.exact.calculus import gradients
    from symgrad.teaching.matrices import Instance

    dims = {s for shape in declared.values() for s in shape if isinstance(s, sympy.Symbol)}
    own = {s for s in declared[name] if isinstance(s, sympy.Symbol)}
    for sample in sorted(dims - own, key=str):
        others = sorted(dims - {sample}, key=str)
        exact = True
        for values in itertools.product(range(1, 4), repeat=len(others)):
            budget.check("diagnosing")
            sizes = {sample: 1, **dict(zip(others, values))}
            instance = Instance(sizes=sizes, shapes=declared)
            value = evaluate(loss, instance)[0, 0]
            entries = list(instance.matrix(name))
            grads = gradients(value, entries, budget=budget)
            claimed = evaluate(claim, instance)
            if any(sympy.expand(c - grads[e]) != 0 for c, e in zip(claimed, entries)):
                exact = False
                break
        if exact:
            return str(sample)
    return ""
