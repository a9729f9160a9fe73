"""One reading path for claims (symgrad/teaching/reading.py, issue 22): definitions that are
substituted before comparing, and names a claim may not use.

A name the loss neither contains nor defines makes a claim not gradable as written
(UndefinedSymbolError, exit 2, grade code undefined_symbol), never INCORRECT.
"""

import pytest
from typer.testing import CliRunner

import symgrad
from symgrad.cli import app
from symgrad.errors import ProblemError, UndefinedSymbolError
from symgrad.teaching.check import check
from symgrad.teaching.reading import definition_items, read_claim, read_definitions
from symgrad.text.parse import real_symbol

runner = CliRunner()
S = "sigmoid(w*x + b)"
LOGISTIC = f"-y*log({S}) - (1 - y)*log(1 - {S})"
MSE_SIGMOID = f"({S} - y)^2/2"


# ---------------------------------------------------------------- undefined names
@pytest.mark.parametrize(
    "loss, wrt, claim, name",
    [
        (LOGISTIC, "w", "(p - y)*x", "p"),
        (LOGISTIC, "w", "(a - y) x", "a"),
        (MSE_SIGMOID, "w", "(p - y) p (1 - p) x", "p"),
        ("-log(exp(z0)/(exp(z0) + exp(z1)))", "z0", "p0 - 1", "p0"),
        ("(y - w*x)^2", "w", "-2x(z - w x)", "z"),
        ("(y - w*x)^2", "w", "-2x(y - q)", "q"),
        ("(y - w*x)^2/n", "w", "-2x(y - w x)/m", "m"),
    ],
)
def test_a_name_the_loss_lacks_is_not_gradable(loss, wrt, claim, name):
    with pytest.raises(UndefinedSymbolError) as error:
        check(loss, wrt, claim)
    assert error.value.names == (name,)
    assert f"uses {name}, which the loss does not contain" in error.value.message
    assert f'--let "{name} = ..."' in error.value.message


def test_latex_hat_names_are_named_as_read():
    with pytest.raises(UndefinedSymbolError, match="y_hat"):
        check(LOGISTIC, "w", r"(\hat{y} - y)x", latex_input=True)


def test_several_undefined_names_are_listed_together():
    with pytest.raises(UndefinedSymbolError) as error:
        check("(y - w*x)^2", "w", "2 p q")
    assert error.value.names == ("p", "q") and "define them" in error.value.message


def test_no_did_you_mean_to_an_unrelated_symbol():
    """The old reading suggested the one unused loss symbol (b for p): never guess."""
    with pytest.raises(UndefinedSymbolError) as error:
        check(LOGISTIC, "w", "(p - y)*x")
    assert "did you mean" not in error.value.message


def test_cli_undefined_symbol_is_one_line_exit_2_and_json():
    args = ["check", LOGISTIC, "--wrt", "w", "--claim", "(p - y)*x"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("symgrad: error: ")
    shown = runner.invoke(app, [*args, "--json"])
    assert shown.exit_code == 2 and '"kind": "UndefinedSymbolError"' in shown.stdout


# ---------------------------------------------------------------- definitions
@pytest.mark.parametrize(
    "let",
    [
        "p = sigmoid(w*x + b)",
        ["p = sigmoid(w x + b)"],
        {"p": "σ(wx + b)"},
        [("p", "1/(1 + exp(-(w x + b)))")],
        "let p = sigmoid(w*x + b)",
        "p := sigmoid(w*x + b)",
    ],
)
def test_definitions_in_every_form_are_substituted(let):
    result = check(LOGISTIC, "w", "(p - y)*x", let=let)
    assert result.verdict == "correct"
    assert result.definitions and result.definitions[0].startswith("p = ")
    assert "with p = " in result.understood


@pytest.mark.parametrize(
    "claim, let, latex",
    [
        ("(p - y) x", {"p": S}, False),
        ("(a - y) x", ["z = w x + b", "a = σ(z)"], False),
        (r"(\hat{y} - y) x", [r"\hat{y} = \sigma(w x + b)"], True),
        ("(ŷ - y) x", ["ŷ = sigmoid(w x + b)"], False),
        ("(yhat - y) x", ["yhat = sigmoid(w x + b)"], False),
    ],
)
def test_intermediate_names_as_derivations_use_them(claim, let, latex):
    assert check(LOGISTIC, "w", claim, let=let, latex_input=latex).verdict == "correct"


def test_a_wrong_claim_through_a_definition_is_diagnosed_by_name():
    result = check(LOGISTIC, "w", "p - y", let="p = sigmoid(w x + b)")
    assert result.verdict == "incorrect" and result.codes == ("missing_chain_factor",)


def test_a_definition_the_loss_uses_brings_its_symbols():
    result = check("(p - y)^2", "w", "2(p - y) p (1 - p) x", let="p = sigmoid(w x)")
    assert result.verdict == "correct"
    assert result.loss.free_symbols == {real_symbol(n) for n in "w x y".split()}


@pytest.mark.parametrize(
    "let, fragment",
    [
        ("w = 3", "is a parameter"),
        (["p = x", "p = y"], "defined twice"),
        ("p = q + 1", "the definition of p uses q"),
        ("sigmoid(w)", "write it as 'p = expression'"),
        ("2p = w", "cannot define"),
        (42, "let must be text"),
    ],
)
def test_bad_definitions_are_input_errors(let, fragment):
    with pytest.raises((ProblemError, UndefinedSymbolError), match=fragment):
        check(LOGISTIC, "w", "(p - y) x", let=let)


def test_definitions_read_in_order_and_with_their_domain():
    known = {"w", "x", "y"}
    let = read_definitions(["z = w x", "a = log(z)"], known)
    assert let.texts == ("z = w*x", "a = log(w*x)")
    claim = read_claim("a + 1", known, let)
    assert [c.text for c in claim.domain] == ["w*x > 0"]


def test_definition_items_accept_every_shape():
    assert definition_items(None) == []
    assert definition_items({"p": "w"}) == [("p", "w")]
    assert definition_items(["where p = w"]) == [("p", " w")]


def test_the_public_api_passes_let_and_assume_through():
    result = symgrad.check("x log(w)", "w", "x/p", let="p = w", assume="x > 0")
    assert result.verdict == "correct" and result.assumptions == ("x > 0",)


@pytest.mark.parametrize(
    "loss, claim, latex",
    [
        ("exp(w x)", "x J", False),
        ("exp(w x)", "dJ/dw = x J", False),
        ("e^{wx}", r"\frac{\partial J}{\partial w} = xJ", True),
    ],
)
def test_a_claim_may_name_the_loss_j_as_a_derivation_does(loss, claim, latex):
    result = check(loss, "w", claim, latex_input=latex)
    assert result.verdict == "correct" and result.definitions == ("J = exp(w*x)",)


def test_j_is_not_shown_when_the_claim_does_not_use_it():
    assert check("(y - w x)^2", "w", "dJ/dw = 2x(wx - y)").definitions == ()


def test_cyrillic_look_alikes_from_phone_keyboards_read_as_latin():
    assert check("(y - w x)^2", "w", "2х(wх − у)").verdict == "correct"
