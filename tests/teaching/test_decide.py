"""Kinks decide no grade (symgrad/teaching/decide.py, issue 22).

A claim that equals the derivative everywhere except on the loss's kinks, where the loss is
not differentiable, is correct almost everywhere (verdict correct, exit 0, the exceptional
set and the convention named); a claim that differs on a set of positive measure stays
incorrect; a claim wrong where the loss is differentiable is incorrect, kink or no kink.
Metamorphic cases build such claims from the true derivative by construction.
"""

import json

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.exact.printing import to_str
from symgrad.teaching.check import check
from symgrad.text.parse import parse_expression

runner = CliRunner()

# (loss, wrt, claim, zero set): right off the kinks, another value on them
ALMOST_EVERYWHERE = [
    ("max(0, w x)", "w", "x if w x > 0 else 0", "w*x = 0"),
    ("max(0, w x)", "w", "x [w x > 0]", "w*x = 0"),
    ("max(w x, 0)", "w", "x heaviside(w x)", "w*x = 0"),
    ("relu(w)", "w", "(sign(w) + 1)/2", "w = 0"),
    ("relu(w x)", "w", "x if w x >= 0 else 0", "w*x = 0"),
    ("max(0, 1 - y w x)", "w", "-y x if y w x < 1 else 0", "w*x*y = 1"),
    ("max(0, 1 - y w x)", "w", "-y x 𝟙[y w x < 1]", "w*x*y = 1"),
    ("max(0, 1 - y w x)", "w", "-y*x*np.heaviside(1 - y*w*x, 0)", "w*x*y = 1"),
    ("abs(w)", "w", "w/abs(w)", "w = 0"),
    ("abs(w - y)", "w", "(w - y)/|w - y|", "w = y"),
    ("abs(w) x", "w", "x w/abs(w)", "w = 0"),
    ("min(w, 0)", "w", "heaviside(-w)", "w = 0"),
    ("max(w, x)", "w", "1 if w > x else 0", "w = x"),
    ("clip(w, 0, 1)", "w", "1 if 0 < w < 1 else 0", "w = 0 or w = 1"),
    ("clip(w x, 0, 1)", "w", "x [0 < w x < 1]", None),
    ("torch.clamp(w, min=0)", "w", "[w > 0]", "w = 0"),
    ("w if w >= 0 else 0", "w", "heaviside(w)", "w = 0"),
]


@pytest.mark.parametrize("loss, wrt, claim, zero_set", ALMOST_EVERYWHERE)
def test_right_except_on_the_kinks_is_correct_almost_everywhere(loss, wrt, claim, zero_set):
    result = check(loss, wrt, claim)
    assert result.verdict == "correct" and result.almost_everywhere, result.reason
    exceptional = result.components[0].exceptional
    if zero_set:
        assert exceptional.zero_set == zero_set
    assert "CORRECT almost everywhere" in result.to_text()
    assert "not differentiable" in result.to_text()


@pytest.mark.parametrize(
    "loss, claim",
    [
        ("relu(w)", "heaviside(w)"),  # PyTorch's own convention: exactly right
        ("log(abs(w))", "1/w"),  # the kink is outside the loss's domain
        ("(w - y)^2/2 if abs(w - y) <= 1 else abs(w - y) - 1/2", "clip(w - y, -1, 1)"),  # Huber
        (
            "(w - y)^2/2 if abs(w - y) <= 1 else abs(w - y) - 1/2",
            "w - y if abs(w-y) < 1 else sign(w-y)",
        ),
        ("abs(w)", "sign(w)"),
    ],
)
def test_right_everywhere_is_plainly_correct(loss, claim):
    result = check(loss, "w", claim)
    assert result.verdict == "correct" and not result.almost_everywhere


@pytest.mark.parametrize(
    "loss, claim, code",
    [
        ("relu(w x)", "x", "only_on_a_region"),  # wrong wherever w x < 0
        ("max(0, 1 - y w x)", "-y x", "only_on_a_region"),
        ("abs(w)", "1", "only_on_a_region"),
        ("clip(w, 0, 1)", "1", "only_on_a_region"),
        ("w^2", "2w if w != 0 else 1", "wrong_at_a_kink"),  # w^2 is differentiable at 0
        ("max(0, w x)", "2x if w x > 0 else 0", None),
    ],
)
def test_wrong_on_a_region_or_where_differentiable_stays_incorrect(loss, claim, code):
    result = check(loss, "w", claim)
    assert result.verdict == "incorrect"
    if code:
        assert result.codes == (code,)


def test_the_convention_at_the_kink_is_named():
    result = check("max(0, w x)", "w", "x if w x > 0 else 0")
    convention = result.components[0].exceptional.convention
    assert convention == "at w = 0, x = 1 PyTorch's convention gives 1/2 and the claim gives 0"
    undefined = check("abs(w)", "w", "w/abs(w)").components[0].exceptional.convention
    assert undefined.endswith("the claim is undefined there")


def test_json_adds_keys_and_exit_0():
    result = runner.invoke(
        app, ["check", "max(0, w x)", "--wrt", "w", "--claim", "x if w x > 0 else 0", "--json"]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["verdict"] == "correct" and data["almost_everywhere"] is True
    assert data["exceptional_set"] == "w*x = 0" and "PyTorch" in data["convention"]
    plain = json.loads(
        runner.invoke(app, ["check", "w^2", "--wrt", "w", "--claim", "2w", "--json"]).stdout
    )
    assert plain["almost_everywhere"] is False and plain["exceptional_set"] is None


def test_every_component_of_a_gradient_is_judged_almost_everywhere():
    result = check("max(0, w x + b)", "w,b", ["x [w x + b > 0]", "[w x + b > 0]"])
    assert result.verdict == "correct"
    assert all(c.exceptional is not None for c in result.components)


# ---------------------------------------------------------------- metamorphic
_KINKED = [
    "relu(w*x - K)",
    "max(w*x, K)",
    "abs(w - K)*x",
    "max(0, 1 - K*w*x)",
    "clip(w*x, K, K + 1)",
]


@pytest.mark.slow
@given(
    st.sampled_from(_KINKED),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from(["0", "7", "x", "-1/3"]),
)
def test_a_derivative_changed_only_on_the_kink_is_correct_almost_everywhere(loss, shift, other):
    """By construction: take the true derivative, replace its value on the kink set by an
    arbitrary one; the claim is correct almost everywhere (or exactly, when the value chosen
    is the convention's), never incorrect."""
    text = loss.replace("K", f"({shift})")
    expr = parse_expression(text)
    w = sympy.Symbol("w", real=True)
    true = sympy.diff(expr, w)
    kink = {
        "relu": f"w*x - ({shift})",
        "max(w": f"w*x - ({shift})",
        "abs(": f"w - ({shift})",
        "max(0": f"1 - ({shift})*w*x",
        "clip(": f"w*x - ({shift})",
    }
    condition = next(v for k, v in kink.items() if loss.startswith(k))
    claim = f"({other}) if {condition} == 0 else ({to_str(true)})"
    result = check(text, "w", claim)
    assert result.verdict == "correct", (text, claim, result.reason)


@pytest.mark.slow
@given(st.sampled_from(_KINKED), st.integers(min_value=-3, max_value=3))
def test_a_derivative_changed_on_a_half_space_is_incorrect(loss, shift):
    """By construction: changing the derivative where w > 5 (a set of positive measure)
    makes the claim incorrect, with a witness where the loss is differentiable."""
    text = loss.replace("K", f"({shift})")
    w = sympy.Symbol("w", real=True)
    true = sympy.diff(parse_expression(text), w)
    claim = f"({to_str(true)}) + (1 if w > 5 else 0)"
    result = check(text, "w", claim)
    assert result.verdict == "incorrect"


@pytest.mark.parametrize(
    "loss, claim",
    [
        ("max(0, sin(w) - x)", "cos(w) if sin(w) > x else 0"),  # a kink no solver describes
        ("relu(exp(w) - 2)", "exp(w) [exp(w) > 2]"),
    ],
)
def test_transcendental_kinks_are_handled_without_a_crash(loss, claim):
    result = check(loss, "w", claim)
    assert result.verdict == "correct" and result.almost_everywhere


@pytest.mark.slow
def test_wrong_on_a_huber_seam_where_the_loss_is_differentiable_is_incorrect():
    """Huber is differentiable at |w - y| = 1: a claim that differs only there is wrong."""
    huber = "(w-y)^2/2 if abs(w-y) <= 1 else abs(w-y) - 1/2"
    claim = "(w - y) if abs(w-y) < 1 else (5 if abs(w-y) == 1 else sign(w-y))"
    assert check(huber, "w", claim).verdict == "incorrect"


def test_wrong_on_a_seam_where_the_loss_is_differentiable_is_incorrect():
    """max(0, w x) is differentiable where x = 0 (it is 0 for every w there)."""
    kinked = check("max(0, w*x)", "w", "x if w*x > 0 else (0 if x != 0 else 7)")
    assert kinked.verdict == "incorrect" and kinked.witness.point["x"] == 0


def test_a_region_diagnosis_needs_every_cell_seen():
    """cos(w) is wrong wherever sin(w) < x: never 'wrong only at the kink'."""
    result = check("max(0, sin(w) - x)", "w", "cos(w)")
    assert result.verdict == "incorrect" and "wrong_at_a_kink" not in result.codes
