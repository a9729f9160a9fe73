"""Arbitrary functions made concrete (symgrad/exact/instances.py, issue 22): a claim about every
differentiable F is refuted by one F, and the refutation is re-checked with that F."""

import pytest
import sympy

from symgrad.exact.instances import choices, concrete, declared_functions, describe
from symgrad.teaching.check import check
from symgrad.text.parse import read

F = sympy.Function("F", real=True)
G = sympy.Function("G", real=True)
w, x, y = sympy.symbols("w x y", real=True)


def test_concrete_functions_replace_values_and_derivatives():
    expr = read("x F'(w x) + F(w)", functions=["F"]).expr
    assert declared_functions(expr) == [F]
    assert concrete(expr, {F: "cube"}) == 3 * x * (w * x) ** 2 + w**3
    assert concrete(sympy.diff(F(w * x, y), w), {F: "exp"}) == x * sympy.exp(w * x + 2 * y)


def test_choices_and_descriptions():
    assert len(choices([F, G])) == 16 and choices([]) == []
    assert describe({F: "cube"}, F(w)) == {"F": "F(u) = u**3"}
    assert describe({F: "exp"}, F(w, x)) == {"F": "F(u1, u2) = exp(u1 + 2*u2)"}


@pytest.mark.parametrize(
    "loss, claim, functions",
    [
        ("F(w x)", "F'(w x)", ["F"]),  # the chain-rule factor is missing
        ("F(w) G(w)", "F'(w) G'(w)", ["F", "G"]),  # the product rule is not this
        ("F(w x, y)", "D_1 F(w x, y)", ["F"]),  # two arguments, the factor x missing
        ("F(w)^2", "2 F'(w)", ["F"]),
    ],
)
def test_a_false_claim_about_every_f_is_refuted_by_one_f(loss, claim, functions):
    result = check(loss, "w", claim, functions=functions)
    assert result.verdict == "incorrect" and result.witness.functions
    assert "for which the claim fails" in result.to_text()
    assert "re-evaluated independently" in result.certificate


@pytest.mark.parametrize(
    "loss, claim, functions",
    [
        ("F(w x)", "x F'(w x)", ["F"]),
        ("F(w) G(w)", "F'(w) G(w) + F(w) G'(w)", ["F", "G"]),
        ("F(w x, y)", "x D_1 F(w x, y)", ["F"]),
        ("F(G(w))", "F'(G(w)) G'(w)", ["F", "G"]),
    ],
)
def test_a_true_claim_about_every_f_stays_correct(loss, claim, functions):
    assert check(loss, "w", claim, functions=functions).verdict == "correct"
