"""Kink conventions: PyTorch's, identical in every command, checked against torch at the kink.

relu'(0) = 0, abs'(0) = 0, sign' = heaviside' = 0, and max/min of k tied
arguments give each 1/k of the gradient. Every case below is evaluated at a
point where an argument sits exactly on its kink, and the gradient must be the
same from ``grad`` (reverse mode), ``check`` (plain sympy.diff), the
certificate's independent path, ``simulate --exact`` and torch autograd.
"""

from fractions import Fraction

import pytest
import sympy
import torch

from symgrad import check, collapse, model, prove
from symgrad.text.parse import parse_expression, real_symbol
from symgrad.ties.certify import certify_values
from symgrad.ties.gradient import gradient_report
from symgrad.ties.simulate import simulate
from tests.exact.test_gradients_against_torch import to_torch

KINKS = [
    # (loss, parameter, point, derivative known by hand)
    ("relu(w*x)", "w", {"w": 0, "x": 2}, 0),
    ("abs(w)*x", "w", {"w": 0, "x": 3}, 0),
    ("sign(w)*x + w", "w", {"w": 0, "x": 3}, 1),
    ("heaviside(w)*x + w", "w", {"w": 0, "x": 3}, 1),
    ("max(w, v)*x", "w", {"w": 1, "v": 1, "x": 2}, 1),
    ("max(w, v, u)*x", "w", {"w": 1, "v": 1, "u": 1, "x": 3}, 1),
    ("max(w, v, u)*x", "w", {"w": 1, "v": 1, "u": 0, "x": 2}, 1),
    ("min(w, 0) + max(w, 0)", "w", {"w": 0}, 1),
    ("max(w, w, v)*x", "w", {"w": 2, "v": 2, "x": 3}, 2),
    ("min(w, v, u, t)", "w", {"w": 0, "v": 0, "u": 0, "t": 0}, Fraction(1, 4)),
    ("(w - y)**2/2 if abs(w - y) <= 1 else abs(w - y) - 1/2", "w", {"w": 2, "y": 1}, 1),
    ("(w - y)**2/2 if abs(w - y) <= 1 else abs(w - y) - 1/2", "w", {"w": 3, "y": 1}, 1),
]


def _symbols(point):
    return {real_symbol(k): sympy.Rational(v) for k, v in point.items()}


@pytest.mark.parametrize("loss, wrt, point, expected", KINKS)
def test_every_command_uses_the_same_convention_at_a_kink(loss, wrt, point, expected):
    at = ",".join(f"{k}={v}" for k, v in point.items())
    assert gradient_report(loss, wrt, at=at).values[wrt] == expected
    expr = parse_expression(loss)
    exact = _symbols(point)
    claim, true = certify_values(expr, exact, real_symbol(wrt), sympy.Integer(0))
    assert true == Fraction(expected)
    reference = sympy.diff(expr, real_symbol(wrt)).xreplace(exact)
    reference = reference.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: 0)
    assert reference == expected


@pytest.mark.parametrize("loss, wrt, point, expected", KINKS)
def test_torch_agrees_at_the_kink(loss, wrt, point, expected):
    expr = parse_expression(loss)
    leaves = {
        real_symbol(k): torch.tensor(float(v), dtype=torch.float64, requires_grad=(k == wrt))
        for k, v in point.items()
    }
    value = to_torch(expr, leaves)
    value.backward()
    assert leaves[real_symbol(wrt)].grad.item() == pytest.approx(float(expected), abs=1e-12)


def test_check_accepts_the_convention_and_refuses_the_other_one():
    assert check("min(w, 0) + max(w, 0)", "w", "1").verdict == "correct"
    assert check("relu(w)", "w", "heaviside(w)").verdict == "correct"
    # issue 22 changed this rule (it was INCORRECT at w = 0): relu is not differentiable at
    # 0, so a claim that differs only there is correct almost everywhere, and the output
    # says what PyTorch's convention gives there and what the claim gives
    other = check("relu(w)", "w", "Heaviside(w, 1/2)")
    assert other.verdict == "correct" and other.almost_everywhere
    exceptional = other.components[0].exceptional
    assert exceptional.zero_set == "w = 0"
    assert "convention gives 0 and the claim gives 1/2" in exceptional.convention


def test_max_of_three_does_not_crash_anywhere():
    assert prove("max(w0, w1, w2)*x", params="w0,w1,w2", init="zero").verdict == "proven"
    assert gradient_report("max(a, b, c)", "a", at="a=1,b=1,c=1").values["a"] == sympy.Rational(
        1, 3
    )
    assert check("max(a, b, c)", "a", "argmax_share(0, a, b, c)").verdict == "correct"


def test_tied_max_and_min_are_not_stationary_at_zero():
    result = prove("max(w0, w1)*x + min(w0, w1)*x", init="w0=0,w1=0")
    assert result.verdict == "proven"
    assert result.stationary is False
    assert result.kind != "stationary"


def test_relu_tie_at_the_kink_in_collapse_and_simulate():
    net = model("two-layer", inputs=1, hidden=2, activation="relu", bias=False)
    result = collapse(net, init="zero")
    assert result.stationary is True
    run = simulate(net, init="zero", steps=3, lr="1/10", exact=True, rows=2)
    assert all(run.exactly_equal)
    assert all(v == 0 for v in run.values[-1][: len(net.parameters) - 2])
