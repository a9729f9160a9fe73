"""One test per defect class of the soundness review, with instances derived by hand.

Each case says why its answer is what it is. The certificate check runs in
every call (strict mode, see conftest.py).
"""

import json

import pytest
import sympy
from typer.testing import CliRunner

from symgrad import check, collapse, model, prove, prove_parametric
from symgrad.cli import app
from symgrad.errors import DatasetError, ProblemError, UndefinedSymbolError
from symgrad.ties.gradient import gradient_report

runner = CliRunner()


# 1. a refutation's witness must show different gradients --------------------------
@pytest.mark.parametrize(
    "loss, kwargs, verdict",
    [
        # dJ/dw0 - dJ/dw1 = 2x(w0 - w1)*2 = 0 on the tie: b free, w0 = w1 = 1
        (
            "(w0 - w1)**2*x + (w0 + w1)*y + b*z",
            {"params": "w0,w1,b", "init": "w0=1,w1=1"},
            "proven",
        ),
        # dJ/dw0 - dJ/dw1 = y - b*z: nonzero at the init for b = 0... b is free, any b
        ("w0*y + w1*b*z", {"params": "w0,w1,b", "init": "w0=1,w1=1"}, "refuted"),
        # symmetric in w0, w1 for every f: f(w0 x) + f(w1 x)
        (
            "(y - f(w0*x) - f(w1*x))**2",
            {"params": "w0,w1", "init": "w0=1,w1=1", "functions": ["f"]},
            "proven",
        ),
        # f(w0 x0) vs f(w1 x1): refuted by f(t) = t^2 + t
        (
            "(y - f(w0*x0) - f(w1*x1))**2",
            {"init": "w0=1,w1=1", "params": "w0,w1", "functions": ["f"]},
            "refuted",
        ),
        (
            "(y - f(w0*x0) - f(w1*x1)*b)**2",
            {"params": "w0,w1,b", "init": "w0=2,w1=2", "functions": ["f"]},
            "refuted",
        ),
    ],
)
def test_partial_inits_and_functions_keep_the_tie(loss, kwargs, verdict):
    result = prove(loss, **kwargs)
    assert result.verdict == verdict
    if verdict == "refuted":
        witness = result.witness
        first, second = witness.pair
        assert witness.point[first] == witness.point[second]
        assert witness.gradients[first] != witness.gradients[second]


# 2. assumptions through their complete real solution set ---------------------------
@pytest.mark.parametrize(
    "loss, assume, verdict",
    [
        # tan(x0) = 0 means x0 = n*pi, not only x0 = 0: at x0 = pi, x1 = 1 the tie breaks
        ("w0*x0 + w1*x1", "tan(x0) = 0", "refuted"),
        # sin(x0) = sin(x1) has x0 = x1 + 2*pi*n and x0 = pi - x1 + 2*pi*n: x0 = x1 + 2 pi breaks it
        ("w0*x0 + w1*x1", "sin(x0) = sin(x1)", "refuted"),
        # ... but w0*sin(x0) + w1*sin(x1) is symmetric on every branch
        ("w0*sin(x0) + w1*sin(x1)", "sin(x0) = sin(x1)", "proven"),
        # cos(x0) = 1 means x0 = 2*pi*n; then cos(x0)*w0 + w1 is symmetric
        ("w0*cos(x0) + w1", "cos(x0) = 1", "proven"),
        # x0^2 + x1^2 = 0 has the real solution x0 = x1 = 0 (not "no real solution")
        ("w0*x0 + w1*x1", "x0**2 + x1**2 = 0", "proven"),
        # x = x holds for all data: a valid, empty assumption
        ("w0*x0 + w1*x1", "x0 = x0", "refuted"),
        # x0*y = x1*y: y = 0 or x0 = x1; on y = 0 the tie breaks
        ("w0*x0 + w1*x1 + y", "x0*y = x1*y", "refuted"),
        ("w0*x0*y + w1*x1*y", "x0*y = x1*y", "proven"),
    ],
)
def test_assumptions_use_the_whole_real_solution_set(loss, assume, verdict):
    assert prove(loss, ties=["w0=w1"], assume=assume).verdict == verdict


def test_assumption_violated_by_the_dataset_is_an_error_naming_the_row():
    with pytest.raises(DatasetError, match="row 2"):
        prove(
            "w0*x0 + w1*x1",
            ties=["w0=w1"],
            assume="x0 = x1",
            dataset=[{"x0": 1, "x1": 1}, {"x0": 1, "x1": 2}],
        )
    with pytest.raises(DatasetError, match="row 1"):
        prove("w0*x0 + w1*x1", ties=["w0=w1"], assume="x0 > 0", dataset=[{"x0": -1, "x1": 1}])


def test_no_real_solution_is_an_error():
    with pytest.raises(ProblemError, match="no real solution"):
        prove("w0*x0 + w1*x1", ties=["w0=w1"], assume="x0**2 + 1 = 0")


# 3. conditions: the real zero set of the differences on T ---------------------------
@pytest.mark.parametrize(
    "loss, condition",
    [
        # difference (x0 - x1)(1 - tanh^2(...)): the sech^2 factor never vanishes
        ("tanh(w0*x0 + w1*x1)", "x0 = x1"),
        ("exp(w0*x0 + w1*x1)", "x0 = x1"),
        ("sigmoid(w0*x0 + w1*x1)", "x0 = x1"),
        # difference x0*y - x1: solved for x1, no division by y
        ("w0*x0*y + w1*x1", "x1 = x0*y"),
        # difference x0^2 + x1^2 (a sum of squares): both zero
        ("w0*x0**2 - w1*x1**2", "x0 = 0 and x1 = 0"),
        # difference (x0 - x1)(x0^2 + 1): the second factor never vanishes
        ("w0*x0*(x0**2 + 1) + w1*x1*(x0**2 + 1)", "x0 = x1"),
        ("(y - w0*x0 - w1*x1)**2", "x0 = x1 or (x0 = -x1 and y = 0)"),
    ],
)
def test_conditions_are_real_zero_sets(loss, condition):
    result = prove(loss, ties=["w0=w1"])
    assert result.verdict == "refuted"
    assert result.condition.text == condition
    assert result.condition.measure_zero


def test_tanh_condition_in_json():
    result = runner.invoke(app, ["prove", "tanh(w0*x0 + w1*x1)", "--tie", "w0=w1", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["condition"]["text"] == "x0 = x1"


def test_symbolic_size_conditions_are_data_only():
    result = prove_parametric("mse-linear", init="zero", inputs="k")
    assert "c" not in sympy.sympify(0).free_symbols  # sanity
    assert " c*" not in result.condition and "c*x" not in result.condition


# 4. kinks: see test_conventions.py; 3-argument max in every command ------------------
def test_kink_tie_of_three_arguments_is_proven_and_not_stationary():
    result = prove("max(w0, w1, w2)*x", params="w0,w1,w2", init="zero")
    assert result.verdict == "proven" and result.stationary is False


# 5. side claims -------------------------------------------------------------------
def test_stationary_nonzero_init_does_not_claim_weight_decay():
    # J = (w0 - 1)^2 (w1 - 1)^2 x^2 + (w0 - w1)^4 is stationary at w0 = w1 = 1
    result = prove("(w0 - 1)**2*(w1 - 1)**2*x**2 + (w0 - w1)**4", init="w0=1,w1=1")
    assert result.verdict == "proven" and result.stationary
    assert "weight decay" not in result.optimizers
    zero = prove("w0**2 + 2*w1**2", init="w0=0,w1=0")
    assert zero.stationary and "weight decay" in zero.optimizers


def test_check_diagnoses_are_exactly_true():
    # sqrt(w^2) = |w| has derivative sign(w): the claim 1 is right on w > 0, a half-line
    result = check("sqrt(w**2)", "w", "1")
    assert result.verdict == "incorrect"
    assert result.codes == ("only_on_a_region",)
    assert "only right at a point" not in " ".join(result.diagnosis)


def test_grad_at_refuses_values_that_are_not_real():
    with pytest.raises(ProblemError, match="not real"):
        gradient_report("x**w", "w", at="x=-1,w=1/2")
    with pytest.raises(ProblemError, match="not real"):
        gradient_report("sqrt(w)**2", "w", at="w=-1")


def test_no_user_text_cites_the_seed():
    text = prove("w0*x0 + w1*x1", ties=["w0=w1"]).to_text()
    assert "seed" not in text.lower()


# 6. collapse: pinned values and witnesses over several steps -------------------------
def test_zero_init_tanh_with_biases_only_the_output_bias_moves():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh", bias=True)
    result = collapse(net, init="zero")
    (group,) = [g for g in result.groups if len(g) > 1]
    assert "b2_0" not in group and len(group) == 12
    assert all(result.pinned[name] == 0 for name in group)


def test_mlp_sigmoid_zero_init_pair_splits_at_step_three():
    net = model("mlp", inputs=2, hidden="2,2", activation="sigmoid", bias=False)
    result = collapse(net, init="zero", steps=5)
    witness = next(w for w in result.witnesses if w.pair == ("W1_0_0", "W1_1_0"))
    assert witness.steps == 3
    assert "not known" not in witness.note


# 7. symbolic sizes at small concrete values --------------------------------------
def test_symbolic_sizes_with_one_input_answer_as_the_concrete_case():
    with pytest.raises(ProblemError, match="nothing is tied"):
        prove_parametric("linear", init="zero", inputs=1, samples="n")
    result = prove_parametric("linear", init="zero", inputs=3, samples="n")
    assert result.verdict == "refuted" and result.instance == "k = 3, n = 1"


# 8. CSV cells -------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["1e2/3", "1.5/2", "1/0", "0x10", "1e99999", "nan", "inf"])
def test_malformed_csv_cells_are_dataset_errors(tmp_path, cell):
    path = tmp_path / "d.csv"
    path.write_text(f"x0,x1\n{cell},1\n")
    result = runner.invoke(
        app, ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--dataset", str(path)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("symgrad: error: ")
    assert "Error" not in result.stderr  # plain words on stderr; the class is in --json


# 9. answers, not usage errors ------------------------------------------------------
def test_a_parameter_that_cancels_has_derivative_zero():
    report = gradient_report("(w1 + w2) - (w1 + 1)", "w1")
    assert report.gradients == {"w1": 0}
    assert check("(w1 + w2) - (w1 + 1)", "w1", "0").verdict == "correct"
    with pytest.raises(ProblemError):
        gradient_report("(w1 + w2) - (w1 + 1)", "w3")


def test_a_claim_with_a_foreign_symbol_is_not_gradable():
    """Issue 22 changed this rule: a name the loss does not contain (z) was graded INCORRECT
    with wrong_symbol; such a claim is not gradable as written (exit 2, its own error)."""
    with pytest.raises(UndefinedSymbolError, match="uses z, which the loss does not contain"):
        check("(y - w*x)**2", "w", "-2*x*(z - w*x)")
    cli = runner.invoke(app, ["check", "(y - w*x)**2", "--wrt", "w", "--claim", "-2*x*(z - w*x)"])
    assert cli.exit_code == 2 and "--let" in cli.stderr


# 10. presets build what was asked ---------------------------------------------------
def test_cross_entropy_keeps_the_requested_output_activation():
    net = model(
        "two-layer",
        inputs=1,
        hidden=1,
        outputs=2,
        activation="identity",
        output_activation="tanh",
        loss="cross-entropy",
        bias=False,
    )
    assert net.loss.has(sympy.tanh)
    sig = model(
        "single-layer", inputs=1, outputs=2, activation="sigmoid", loss="cross-entropy", bias=False
    )
    assert not sig.loss.has(sympy.log)  # per-output binary cross-entropy, no softmax
    listing = runner.invoke(app, ["models", "two-layer"])
    assert "loss with the defaults" in listing.stdout


# 11. domains and easy unknowns ----------------------------------------------------
def test_negative_points_are_tried_before_unknown():
    # (w^2)^(3/2) = |w|^3: gradient 3 w |w| vs 3 w^2, different for w < 0
    result = prove("(w0**2)**(3/2)*x + w1**3*x", ties=["w0=w1"])
    assert result.verdict == "refuted"
    assert result.witness.point["w0"] < 0


def test_domain_is_stated_and_respected():
    result = prove("sqrt(w0)**2*x + w1*x", ties=["w0=w1"])
    assert result.verdict == "proven"
    assert any("w0 >= 0" in note for note in result.notes)


def test_witness_values_are_printed_evaluated():
    result = prove("w0*x0 + w1*x1", ties=["w0=w1"], assume="cos(x0) = -1")
    assert result.verdict == "refuted"
    assert "cos" not in str(result.witness.point["x0"])


def test_adam_text_states_its_epsilon_dependence():
    text = prove("w0*x0 + w1*x1", ties=["w0=w1"]).to_text()
    assert "eps" in text


# 13. second review: equal starts written differently are equal -------------------
@pytest.mark.parametrize(
    "init",
    ["w0=(1+sqrt(2))**2,w1=3+2*sqrt(2),w2=0", "w0=sin(1)**2+cos(1)**2,w1=1,w2=0"],
)
def test_equal_init_values_written_differently_are_tied(init):
    # the loss is symmetric in w0, w1, so the pair starting equal stays equal
    result = collapse("w0*x + w1*x + w2*y", init=init, params="w0,w1,w2")
    assert result.verdict == "proven"
    assert ("w0", "w1") in result.groups
    assert prove("w0*x + w1*x", init=init.rsplit(",", 1)[0]).verdict == "proven"


def test_a_cancelled_parameter_has_gradient_zero_in_prove():
    # J = w1*x - 1: dJ/dw0 = 0, dJ/dw1 = x, both start at 0, so x = 1 refutes
    result = prove("(w0 + w1*x) - (w0 + 1)", init="w0=0,w1=0")
    assert result.verdict == "refuted"
    assert any("w0 cancels out" in note for note in result.notes)


# 14. a condition is the whole real zero set, degenerate coefficients included ---
def test_condition_keeps_the_branch_where_a_coefficient_vanishes():
    # difference x0**9 + x0*x1**7 + 2 - x1*x3**7: at x1 = 0 it is x0**9 + 2 for every x3
    result = prove("w0*(x0**9 + x0*x1**7 + 3) + w1*(x1*x3**7 + 1)", ties=["w0=w1"])
    x0 = sympy.Symbol("x0", real=True)
    x1 = sympy.Symbol("x1", real=True)
    branches = [dict(b.equations) for b in result.condition.branches]
    assert any(b.get(x1) == 0 and sympy.simplify(b.get(x0, x0) ** 9 + 2) == 0 for b in branches), (
        result.condition.text
    )


# 15. a region diagnosis names exactly where the claim is right --------------------
# (issue 22 changed the rule for the first five: a claim that differs from the derivative
# only on the kink, where the loss is not differentiable, is correct almost everywhere;
# these cases were INCORRECT with wrong_at_a_kink before)
@pytest.mark.parametrize(
    "loss, claim, assume, zero_set",
    [
        ("min(w,0)", "heaviside(-w)", None, "w = 0"),
        ("max(w,0)", "heaviside(w)", None, "w = 0"),
        ("relu(w)", "(sign(w)+1)/2", None, "w = 0"),
        ("w if w >= 0 else 0", "heaviside(w)", None, "w = 0"),
        ("max(w,x)", "1", "w>=x", "w = x"),
    ],
)
def test_a_claim_wrong_only_on_the_kink_is_correct_almost_everywhere(loss, claim, assume, zero_set):
    result = check(loss, "w", claim, assume=assume)
    assert result.verdict == "correct" and result.almost_everywhere
    assert result.components[0].exceptional.zero_set == zero_set


@pytest.mark.parametrize(
    "loss, claim, assume, code, where",
    [
        ("relu(w)*x", "x", None, "only_on_a_region", "right where w > 0,"),
        ("max(w,x)", "1", None, "only_on_a_region", "right where w > x,"),
        ("w**2", "2*w if w != 0 else 1", None, "wrong_at_a_kink", "w = 0"),
    ],
)
def test_region_diagnoses_name_the_true_region(loss, claim, assume, code, where):
    result = check(loss, "w", claim, assume=assume)
    assert result.verdict == "incorrect"
    assert result.codes == (code,)
    assert where in result.diagnosis[0]


# 16. easy refutations are found, kinks and domains included ----------------------
@pytest.mark.parametrize(
    "loss, kwargs",
    [
        ("log(w0 - w1 + 1)*x + w0*y + w1*y", {"ties": ["w0=w1"]}),  # difference 2x
        ("w0**x0 + w1**x1", {"ties": ["w0=w1"]}),  # w = 1: x0 vs x1
        ("sqrt(1-w0^2)*x + sqrt(1-w1^2)*y", {"ties": ["w0=w1"]}),
        ("acos(w0)*x + asin(w1)*x", {"ties": ["w0=w1"]}),  # w = 0: -x vs x
        ("w0*abs(x0) + w1*x0", {"ties": ["w0=w1"], "assume": "x0 > -1"}),  # x0 = -1/2
        ("max(w0, 0) + min(w1, 0)", {"init": "w0=0,w1=0"}),  # 1/2, 1/2, then 0 vs 1
        ("heaviside(w0-1)*x + w1", {"ties": ["w0=w1"]}),  # w = 2: x vs 1
        ("w0^2*x0 + w1*x1", {"init": "w0=1,w1=1", "dataset": [{"x0": 1, "x1": 2}]}),
    ],
)
def test_easy_refutations_are_found(loss, kwargs):
    assert prove(loss, **kwargs).verdict == "refuted"


def test_collapse_finds_split_witnesses_with_kinks():
    result = collapse("relu(w0)*x + relu(w1)*x + w2*y", init="w0=1,w1=1,w2=1", params="w0,w1,w2")
    assert ("w0", "w1") in result.groups
    assert all(w.point is not None for w in result.witnesses)


@pytest.mark.slow
def test_multistep_witness_reports_the_data_it_used():
    # the search tries several data points; the witness must show the one that separates
    result = prove(
        model("two-layer", inputs=2, hidden=3, activation="sigmoid"),
        init="zero",
        ties=["W1_0_0=b1_0"],
    )
    assert result.verdict == "refuted"
    assert result.witness.point["x0"] != 1  # the difference has a factor 1 - x0


# 17. crashes found by the second review ------------------------------------------
@pytest.mark.parametrize(
    "loss, claim",
    [
        ("heaviside(w)", "0"),
        ("heaviside(w)*x", "0"),
        ("asin(w)", "1/sqrt(1-w^2)"),
        ("acos(w)", "-1/sqrt(1-w^2)"),
        ("sqrt(1-w^2)", "-w/sqrt(1-w^2)"),
        ("w*sqrt(1-w^2)", "sqrt(1-w^2) - w^2/sqrt(1-w^2)"),
    ],
)
def test_textbook_answers_with_domains_are_correct(loss, claim):
    assert check(loss, "w", claim).verdict == "correct"


def test_sympy_loss_with_an_undeclared_function_is_a_clear_error():
    w0, w1 = sympy.symbols("w0 w1", real=True)
    g = sympy.Function("g")
    with pytest.raises(ProblemError, match="declare it"):
        prove(g(w0) + w1, ties=["w0=w1"])
    assert prove(g(w0) + w1, ties=["w0=w1"], functions=["g"]).verdict == "refuted"


def test_a_huge_timeout_means_no_practical_limit():
    assert prove("w0*x + w1", ties=["w0=w1"], timeout=10**400).verdict == "refuted"
