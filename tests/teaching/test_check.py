"""symgrad check: verdicts, witnesses and each diagnosis (triggered and not triggered)."""

import json

import pytest
from typer.testing import CliRunner

from symgrad import check
from symgrad.cli import app
from symgrad.errors import ParseError, ProblemError

runner = CliRunner()


def test_issue_example_sign_error():
    result = check("(y - w*x)**2", "w", "2*x*(y - w*x)")
    assert result.verdict == "incorrect"
    assert result.diagnosis[0].startswith("sign error")
    w = result.witness
    assert w.claimed != w.true and w.claimed == -w.true


def test_issue_example_correct():
    assert check("(y - w*x)**2", "w", "-2*x*(y - w*x)").verdict == "correct"


def test_seed_derivation_general_case_is_correct():
    # ∇J = 2 ∇f (f - x1) for J = (x1 - f)^2, with f = w*x0
    assert check("(x1 - w*x0)**2", "w", "2*x0*(w*x0 - x1)").verdict == "correct"


def test_seed_derivation_w2_is_correct():
    # ∂/∂W2 (y - x W W2)^2 = 2 x W (x W W2 - y), one input, one hidden neuron
    assert check("(y - x*W*W2)**2", "W2", "2*x*W*(x*W*W2 - y)").verdict == "correct"


def test_correct_after_simplification():
    result = check("tanh(w*x)", "w", "x/cosh(w*x)**2")
    assert result.verdict == "correct"


@pytest.mark.parametrize(
    "loss, claim, fragment",
    [
        ("(y - w*x)**2", "2*x*(y - w*x)", "sign error"),
        ("(y - w*x)**2", "-x*(y - w*x)", "forgotten factor 2"),
        ("tanh(w*x)", "1 - tanh(w*x)**2", "missing chain-rule factor"),
        ("(y - w*x)**2", "-2*w*(y - w*x)", "wrong variable"),
        ("w**2*x", "w**3*x/3", "antiderivative"),
        ("w**2*x", "2*w", "missing a factor x"),
        ("w**2*exp(x)", "2*w", "evaluated at a point"),
        ("w**2*x + lambda*w**2", "2*w*x + 2*w", "the term 2*w should be 2*lambda*w"),
        ("sqrt(w**2)", "1", "only on a region"),
    ],
)
def test_each_diagnosis_triggers(loss, claim, fragment):
    result = check(loss, "w", claim)
    assert result.verdict == "incorrect"
    assert any(fragment in item for item in result.diagnosis), result.diagnosis


@pytest.mark.parametrize(
    "loss, claim, fragment",
    [
        ("(y - w*x)**2", "-2*x*(y - w*x) + 1", "sign error"),
        ("(y - w*x)**2", "-x*(y - 2*w*x)", "constant factor"),
        ("tanh(w*x)", "x*(1 - tanh(w*x))", "chain-rule"),
        ("(y - w*x)**2", "-2*w*(y - w*x) + x", "wrong variable"),
        ("w**2*x", "w**3*x", "antiderivative"),
        ("w**2*x", "3*w", "evaluated at a point"),
    ],
)
def test_each_diagnosis_not_triggered_by_other_mistakes(loss, claim, fragment):
    result = check(loss, "w", claim)
    assert result.verdict == "incorrect"
    assert not any(fragment in item for item in result.diagnosis), result.diagnosis


def test_rounded_decimal_is_compared_exactly():
    result = check("w/3", "w", "0.333")
    assert result.verdict == "incorrect"
    assert "333/1000" in result.diagnosis[0]


def test_partial_domain_is_incorrect_unless_assumed():
    result = check("x**2/2", "x", "sqrt(x**2)")
    assert result.verdict == "incorrect"
    assert result.witness.point["x"] < 0
    assert any("--assume" in item for item in result.diagnosis)
    assert check("x**2/2", "x", "sqrt(x**2)", assume="x>0").verdict == "correct"


def test_gradient_vector():
    result = check("w0*x0 + w1**2", "w0,w1", ["x0", "2*w1"])
    assert result.verdict == "correct"
    result = check("w0*x0 + w1**2", "w0,w1", ["x0", "w1"])
    assert result.verdict == "incorrect" and result.witness.parameter == "w1"


def test_claim_count_must_match():
    with pytest.raises(ProblemError, match="one claim per parameter"):
        check("w0*x0 + w1", "w0,w1", "x0")


def test_equation_claim_is_bad_input():
    with pytest.raises(ParseError, match="equation"):
        check("w*x", "w", "x = 1")


def test_latex_input():
    assert (
        check(r"\frac{1}{2} (y - w x)^{2}", "w", r"-x \cdot (y - w x)", latex_input=True).verdict
        == "correct"
    )
    result = check(r"\tanh(w x)", "w", r"1 - \tanh(w x)^{2}", latex_input=True)
    assert result.verdict == "incorrect"


def test_latex_size_limits():
    with pytest.raises(ParseError, match="digits"):
        check(r"w", "w", r"9^{9^{9}}", latex_input=True)


def test_steps_show_rules():
    result = check("(y - w*x)**2", "w", "-2*x*(y - w*x)", steps=True)
    text = "\n".join(result.steps)
    assert "power rule" in text and "sum rule" in text


def test_cli_exit_codes_and_json():
    bad = runner.invoke(
        app, ["check", "(y - w*x)**2", "--wrt", "w", "--claim", "2*x*(y - w*x)", "--json"]
    )
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["verdict"] == "incorrect"
    assert set(data) >= {"verdict", "derivative", "witness", "diagnosis"}
    good = runner.invoke(app, ["check", "(y - w*x)**2", "--wrt", "w", "--claim", "-2*x*(y - w*x)"])
    assert good.exit_code == 0
    first, second = good.stdout.splitlines()[:2]
    assert first.startswith("CORRECT: ")
    assert second.startswith("Understood: J = (-w*x + y)**2; claimed dJ/dw = ")
    equation = runner.invoke(app, ["check", "w*x", "--wrt", "w", "--claim", "x = 1"])
    assert equation.exit_code == 2 and "equation" in equation.stderr


def test_a_set_of_values_in_assume_is_a_constraint():
    """By hand: J = y**2 * w has dJ/dw = y**2, which is y exactly when y is 0 or 1."""
    from symgrad.teaching.check import check as check_api

    assert check_api("y**2 * w", "w", "y").verdict == "incorrect"
    assumed = check_api("y**2 * w", "w", "y", assume=["y in {0, 1}"])
    constrained = check_api("y**2 * w", "w", "y", constraints=["y in {0, 1}"])
    assert assumed.verdict == constrained.verdict == "correct"
    assert check_api("y**2 * w", "w", "y", assume=["y in {0, 2}"]).verdict == "incorrect"
    cli = runner.invoke(app, ["check", "y^2 w", "--wrt", "w", "--claim", "y",
                              "--assume", "y in {0, 1}", "-q"])  # fmt: skip
    assert cli.exit_code == 0 and cli.stdout.startswith("CORRECT")
