"""Reverse-mode gradients: against SymPy's diff and against high-precision finite differences."""

from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symgrad import model
from symgrad.exact.calculus import gradients, reference_gradients, substitute
from symgrad.text.parse import parse_expression, real_symbol

w0, w1, x = (real_symbol(n) for n in ("w0", "w1", "x"))


@pytest.mark.parametrize("activation", ["identity", "tanh", "sigmoid", "softplus", "generic"])
def test_matches_sympy_diff_on_two_layer(activation):
    net = model("two-layer", inputs=2, hidden=2, activation=activation, samples=2)
    fast = gradients(net.loss, net.parameters)
    slow = reference_gradients(net.loss, net.parameters)
    point = {
        s: sympy.Rational(k + 2, 3 + k % 2)
        for k, s in enumerate(sorted(net.loss.free_symbols, key=str))
    }
    for p in net.parameters:
        difference = substitute(fast[p] - slow[p], point)
        if activation == "generic":
            assert sympy.simplify(fast[p] - slow[p]) == 0
        else:
            assert abs(sympy.N(difference, 50)) < 1e-40


def test_restricted_gradients_equal_substituted_full_gradients():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    tie = {p: group[0] for group in net.identical_groups() for p in group[1:]}
    on_tie = gradients(net.loss, net.parameters, at=tie)
    full = reference_gradients(net.loss, net.parameters, at=tie)
    for p in net.parameters:
        assert sympy.simplify(on_tie[p] - full[p]) == 0


def test_tied_neurons_give_structurally_equal_gradients():
    net = model("two-layer", inputs=2, hidden=4, activation="sigmoid")
    tie = {p: group[0] for group in net.identical_groups() for p in group[1:]}
    g = gradients(net.loss, net.parameters, at=tie)
    for group in net.identical_groups():
        assert len({g[p] for p in group}) == 1


LEAVES = st.sampled_from(["w0", "w1", "x", "2", "1/3", "-1"])


def _expressions():
    return st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})/(1 + ({t[1]})**2)"),
            st.tuples(
                st.sampled_from(["exp", "tanh", "sigmoid", "softplus", "sin", "cos"]), inner
            ).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.integers(2, 3)).map(lambda t: f"({t[0]})**{t[1]}"),
        ),
        max_leaves=8,
    )


def _value(expr, point, digits=60):
    return sympy.N(substitute(expr, point), digits)


@given(
    _expressions(),
    st.fractions(-2, 2, max_denominator=7),
    st.fractions(-2, 2, max_denominator=7),
    st.fractions(-2, 2, max_denominator=7),
)
def test_gradients_match_central_finite_differences(text, a, b, c):
    loss = parse_expression(text)
    point = {
        w0: sympy.Rational(a.numerator, a.denominator),
        w1: sympy.Rational(b.numerator, b.denominator),
        x: sympy.Rational(c.numerator, c.denominator),
    }
    grads = gradients(loss, [w0, w1])
    h = sympy.Rational(1, 10**20)
    with mpmath.workdps(60):
        for p in (w0, w1):
            up = _value(loss, {**point, p: point[p] + h})
            down = _value(loss, {**point, p: point[p] - h})
            numeric = (up - down) / (2 * h)
            exact = _value(grads[p], point)
            assert abs(numeric - exact) <= sympy.Float("1e-25") * (1 + abs(exact))


def test_fraction_inputs_are_supported():
    assert gradients(w0 * x, [w0], at={x: sympy.Rational(Fraction(1, 2).numerator, 2)})[
        w0
    ] == sympy.Rational(1, 2)
