"""The prover's verdicts beyond the seeds: traps, conditions, datasets, inits."""

import pytest
import sympy

from symgrad import ProblemError, TieError, model, prove


def test_mse_linear_disjunctive_condition():
    result = prove("(y - w0*x0 - w1*x1)**2", ties=["w0=w1"])
    assert result.verdict == "refuted"
    assert result.condition.text == "x0 = x1 or (x0 = -x1 and y = 0)"
    assert result.condition.measure_zero


def test_dataset_full_batch_keeps_tie_sgd_breaks_it():
    rows = [{"x0": 1, "x1": 2}, {"x0": 2, "x1": 1}]
    full = prove("w0*x0 + w1*x1", ties=["w0=w1"], dataset=rows, mode="full-batch")
    sgd = prove("w0*x0 + w1*x1", ties=["w0=w1"], dataset=rows, mode="sgd")
    assert full.verdict == "proven"
    assert sgd.verdict == "refuted"
    assert sgd.witness.sample == 0
    assert "full-batch gradient descent" in full.optimizers
    assert "SGD" not in full.optimizers


def test_two_layer_tanh_tied_inputs_free_outputs_refuted():
    net = model("two-layer", inputs=2, hidden=2, activation="tanh", samples=2)
    result = prove(net, ties=["W1_0_0=W1_0_1", "W1_1_0=W1_1_1"])
    assert result.verdict == "refuted"
    assert result.witness.certified_by.startswith("interval")


def test_quadratic_from_zero_is_stationary_and_proven():
    result = prove("w0**2 + 2*w1**2", init="w0=0,w1=0")
    assert result.verdict == "proven"
    assert result.stationary is True
    assert "stationary" in result.method


def test_quadratic_from_symbolic_c_refuted():
    result = prove("w0**2 + 2*w1**2", init="w0=c,w1=c")
    assert result.verdict == "refuted"
    assert result.witness.gradients["w0"] != result.witness.gradients["w1"]


def test_trig_identity_tie_never_refuted():
    result = prove("w0*x*(sin(x)**2 + cos(x)**2) + w1*x", ties=["w0=w1"])
    assert result.verdict == "proven"


def test_tiny_coefficient_difference_refuted_exactly():
    result = prove("w0*x + (1 + 10**-40)*w1*x", ties=["w0=w1"])
    assert result.verdict == "refuted"
    assert result.witness.certified_by == "exact rational arithmetic"
    assert result.witness.difference != 0
    assert abs(result.witness.difference) < sympy.Rational(1, 10**30)


def test_float_literal_is_exact():
    # 0.1 is 1/10, so 0.1*w0 + w1/10 is symmetric.
    assert prove("0.1*w0*x + w1*x/10", ties=["w0=w1"]).verdict == "proven"


def test_zero_init_tanh_without_bias_is_stationary():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh", bias=False)
    result = prove(net, init="zero")
    assert result.verdict == "proven" and result.stationary


def test_zero_init_sigmoid_moves_and_breaks_the_all_equal_tie():
    net = model("two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False)
    result = prove(net, init="zero")
    assert result.verdict == "refuted"
    assert result.stationary is False


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "softplus", "generic"])
def test_identical_init_persists_for_every_activation(activation):
    net = model("two-layer", inputs=2, hidden=3, activation=activation)
    assert prove(net, init="identical").verdict == "proven"


def test_output_neurons_of_single_layer_split_unless_targets_equal():
    net = model("single-layer", inputs=2, outputs=2)
    result = prove(net, init="identical")
    assert result.verdict == "refuted"
    assert "y0 = y1" in result.condition.text
    assert prove(net, init="identical", assume="y0=y1").verdict == "proven"


def test_generic_activation_refuted_by_concrete_activation():
    result = prove(
        "(y - v0*sigma(w0*x0) - v1*sigma(w1*x1))**2", ties=["w0=w1", "v0=v1"], functions=["sigma"]
    )
    assert result.verdict == "refuted"
    assert "one function that breaks the tie" in result.witness.note
    assert result.witness.instance == {"sigma": "t**2 + t"}


def test_relu_kink_convention_noted():
    result = prove("relu(w0*x) + relu(w1*x)", ties=["w0=w1"])
    assert result.verdict == "proven"
    assert any("relu'(0) = 0" in note for note in result.notes)


def test_unknown_tie_name_is_an_error_naming_it():
    with pytest.raises(TieError, match="w2"):
        prove("w0*x0 + w1*x1", ties=["w0=w2"])


def test_parameter_tied_to_itself_is_an_error():
    with pytest.raises(TieError, match="tied to itself"):
        prove("w0*x0 + w1*x1", ties=["w0=w0"])


def test_parameter_in_two_ties_is_an_error():
    with pytest.raises(TieError, match="two ties"):
        prove("w0*x0 + w1*x1 + w2*x2", ties=["w0=w1", "w1=w2"])


def test_assumption_on_a_parameter_is_an_error():
    with pytest.raises(ProblemError, match="parameter"):
        prove("w0*x0 + w1*x1", ties=["w0=w1"], assume="w0=1")


def test_init_outside_the_tie_is_an_error():
    with pytest.raises(TieError, match="does not lie in the tie"):
        prove("w0*x0 + w1*x1", ties=["w0=w1"], init="w0=0,w1=1")


def test_result_renders_every_format():
    result = prove("w0*x0 + w1*x1", ties=["w0=w1"])
    assert result.to_text().startswith("REFUTED: w0 and w1 get different gradients")
    assert "Re-checked:" in result.to_text() and "Re-checked:" in str(result)
    assert repr(result) == "<ProofResult refuted: w0 = w1 breaks at step 1>"
    assert "$" in result.to_markdown()
    assert r"\begin{align*}" in result.to_latex()
    assert result._repr_markdown_() == result.to_markdown()
    data = result.to_dict()
    for key in (
        "verdict",
        "parameters",
        "data",
        "ties",
        "differences",
        "condition",
        "witness",
        "stationary",
        "method",
        "optimizers",
        "elapsed_s",
    ):
        assert key in data
    assert data["condition"]["text"] == "x0 = x1"
    assert data["condition"]["measure_zero"] is True and data["condition"]["exact"] is True
    assert data["condition"]["branches"] == [
        {"equations": {"x0": "x1"}, "conditions": [], "integers": []}
    ]
    assert data["witness"]["steps"] == 1


def test_two_step_refutation_when_gradients_agree_at_the_init():
    # From zero, W1_0_0 and W1_1_0 both have gradient 0 (W2 = 0); after W2 moves they differ.
    net = model("two-layer", inputs=2, hidden=1, activation="sigmoid", bias=False)
    result = prove(net, ties=["W1_0_0=W1_1_0"], init="zero")
    assert result.verdict == "refuted"
    assert result.witness.steps == 2
    first, second = result.witness.pair
    assert result.witness.gradients[first] != result.witness.gradients[second]


def test_no_two_step_claim_for_non_analytic_losses():
    from symgrad.text.parse import parse_expression
    from symgrad.ties.multistep import is_entire

    assert is_entire(parse_expression("tanh(w*x)**2 + sigmoid(w)"))
    assert not is_entire(parse_expression("relu(w*x)"))
    assert not is_entire(parse_expression("log(1 + w**2)"))


# ---------------------------------------------------------------- y in {0, 1} as an assumption
@pytest.mark.parametrize(
    "loss, membership, equation",
    [
        ("w0*x0 + w1*x1", ["x0 in {0, 1}", "x1 in {0, 1}"], ["x0*(x0 - 1) = 0", "x1*(x1 - 1) = 0"]),
        ("w0*x0 + w1*x1", ["x0 in {2}", "x1 in {2}"], ["x0 = 2", "x1 = 2"]),
        ("(y - w0*x - w1*x)**2", ["y in {0, 1}"], ["y*(y - 1) = 0"]),
        ("w0*x0**2 + w1*x1**2", ["x0 ∈ {-1, 1}", "x1 in {-1, 1}"], ["x0**2 = 1", "x1**2 = 1"]),
    ],
)
def test_membership_is_decided_as_its_equation(loss, membership, equation):
    """Metamorphic: ``y in {a, b}`` has the real solution set of ``(y - a)(y - b) = 0``, so
    both give the same verdict (and the same witness data where one exists)."""
    as_set = prove(loss, ties=["w0=w1"], assume=membership)
    as_equation = prove(loss, ties=["w0=w1"], assume=equation)
    assert as_set.verdict == as_equation.verdict
    if as_set.witness is not None:
        for name, value in as_set.witness.point.items():
            if name.startswith(("x", "y")):
                assert value in {sympy.Integer(v) for v in (-1, 0, 1, 2)}


def test_membership_verdicts_by_hand():
    # x0, x1 each 0 or 1: (1, 0) breaks w0 = w1; x0 = x1 = 2 keeps it (the condition x0 = x1)
    assert (
        prove("w0*x0 + w1*x1", ties=["w0=w1"], assume=["x0 in {0, 1}", "x1 in {0, 1}"]).verdict
        == "refuted"
    )
    assert (
        prove("w0*x0 + w1*x1", ties=["w0=w1"], assume=["x0 in {2}", "x1 in {2}"]).verdict
        == "proven"
    )


def test_an_empty_or_huge_set_is_bad_input():
    with pytest.raises(ProblemError, match="list 1 to 16 values"):
        prove("w0*x0 + w1*x1", ties=["w0=w1"], assume="x0 in {}")
    with pytest.raises(ProblemError, match="list 1 to 16 values"):
        prove(
            "w0*x0 + w1*x1", ties=["w0=w1"], assume="x0 in {" + ",".join(map(str, range(17))) + "}"
        )
