"""Every claim of the seed threads (../shared/seeds) as a named test."""

import sympy

from symgrad import model, prove
from symgrad.text.parse import real_symbol

eta = sympy.Symbol("eta", positive=True)


def test_seed_linear_counterexample_refuted_at_zero_init():
    # J = x̂0 x0 + x̂1 x1 from zero: after one step -λ x0 != -λ x1.
    result = prove("w0*x0 + w1*x1", ties=["w0=w1"], init="zero")
    assert result.verdict == "refuted"
    witness = result.witness
    assert witness.point["w0"] == 0 and witness.point["w1"] == 0
    x0, x1 = witness.point["x0"], witness.point["x1"]
    assert witness.gradients["w0"] == x0 and witness.gradients["w1"] == x1
    assert witness.after_step["w0"] == -eta * x0
    assert witness.after_step["w1"] == -eta * x1
    assert x0 != x1
    assert result.condition.text == "x0 = x1"
    assert result.condition.measure_zero


def test_seed_linear_proven_when_x0_equals_x1():
    result = prove("w0*x0 + w1*x1", ties=["w0=w1"], assume="x0=x1")
    assert result.verdict == "proven"


def test_seed_linear_without_init_refuted_with_condition():
    result = prove("w0*x0 + w1*x1", ties=[("w0", "w1")])
    assert result.verdict == "refuted"
    assert result.condition.text == "x0 = x1"
    assert result.witness.difference != 0


def test_seed_general_case_symmetric_roles_proven_for_arbitrary_f():
    # J = (x1 - f(θ, x0))**2 where θi, θj enter f symmetrically: gradients agree.
    result = prove("(y - f(a*x + b*x))**2", ties=["a=b"], functions=["f"])
    assert result.verdict == "proven"


def test_seed_mse_network_with_equal_weights_proven():
    result = prove("(y - v0*tanh(w0*x) - v1*tanh(w1*x))**2", ties=["w0=w1", "v0=v1"])
    assert result.verdict == "proven"


def test_seed_two_layer_identity_identical_init_proven_for_several_widths():
    for inputs, hidden in [(1, 2), (2, 3), (3, 4), (2, 6)]:
        net = model("two-layer", inputs=inputs, hidden=hidden, activation="identity", bias=False)
        result = prove(net, init="identical")
        assert result.verdict == "proven", (inputs, hidden)


def test_seed_two_layer_identical_init_not_necessarily_zero():
    net = model("two-layer", inputs=2, hidden=3, activation="identity", bias=False)
    result = prove(net, init="identical")
    assert all(v.free_symbols for v in result.problem.init.values())
    assert result.verdict == "proven"


def test_seed_two_layer_random_init_breaks():
    # Input weights tied but output weights free: the neurons separate.
    net = model("two-layer", inputs=2, hidden=2, activation="identity", bias=False)
    result = prove(net, ties=["W1_0_0=W1_0_1", "W1_1_0=W1_1_1"])
    assert result.verdict == "refuted"


def test_seed_vector_rows_at_zero_init_elements_split_unless_inputs_equal():
    result = prove(model("rows", loss="linear"), ties=["t0_0=t0_1"], init=None)
    assert result.verdict == "refuted"
    assert result.condition.text == "x0_0 = x0_1"


def test_seed_vector_rows_zero_init_refuted():
    result = prove(model("rows", loss="linear"), init="zero")
    assert result.verdict == "refuted"
    assert result.witness.point["t0_0"] == 0


def test_seed_softmax_rows_elements_split():
    result = prove(model("rows", loss="cross-entropy"), ties=["t0_0=t0_1"])
    assert result.verdict == "refuted"


def test_seed_w1_hidden_weights_formula_matches():
    # ∇_{W2} (y - x'W W2)^2 = -2 x'W (y - x'W W2) for the identity network.
    net = model("two-layer", inputs=2, hidden=2, activation="identity", bias=False)
    from symgrad import gradients

    w2 = real_symbol("W2_0_0")
    g = gradients(net.loss, [w2])[w2]
    x0, x1, y = (real_symbol(n) for n in ("x0", "x1", "y"))
    h0 = x0 * real_symbol("W1_0_0") + x1 * real_symbol("W1_1_0")
    f = h0 * w2 + (x0 * real_symbol("W1_0_1") + x1 * real_symbol("W1_1_1")) * real_symbol("W2_1_0")
    assert sympy.expand(g - (-2 * h0 * (y - f))) == 0
