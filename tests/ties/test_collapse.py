"""Collapse: which parameters stay equal forever, checked against the prover."""

import json

from typer.testing import CliRunner

from symgrad import collapse, model, prove
from symgrad.cli import app


def test_identical_init_collapses_to_width_one():
    net = model("two-layer", inputs=3, hidden=8, activation="tanh")
    result = collapse(net, init="identical")
    assert result.effective_width == [1]
    assert "8 neurons behave as 1" in result.summary()[0]
    assert "permutation" in result.method


def test_zero_init_tanh_is_stationary():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh", bias=False)
    result = collapse(net, init="zero")
    assert result.stationary is True
    assert len(result.groups) == 1


def test_zero_init_sigmoid_outputs_move_hidden_stay_identical():
    net = model("two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False)
    result = collapse(net, init="zero")
    assert result.stationary is False
    assert result.effective_width == [1]
    groups = {frozenset(g) for g in result.groups}
    assert frozenset({"W2_0_0", "W2_1_0", "W2_2_0"}) in groups
    assert frozenset({"W1_0_0", "W1_0_1", "W1_0_2"}) in groups
    # W1 and W2 start equal (zero) but separate, with a witness
    assert any(w.pair == ("W1_0_0", "W2_0_0") and w.point is not None for w in result.witnesses)


def test_input_weights_tied_output_weights_free_split():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    result = collapse(net, init="W1_0_0=W1_0_1=W1_0_2;W1_1_0=W1_1_1=W1_1_2")
    assert all(len(g) == 1 for g in result.groups)
    assert result.effective_width == [3]


def test_collapse_groups_are_proven_by_the_prover():
    net = model("two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False, samples=2)
    result = collapse(net, init="zero")
    ties = ["=".join(g) for g in result.groups if len(g) > 1]
    assert prove(net, ties=ties, init="zero").verdict == "proven"


def test_mlp_identical_collapses_every_layer():
    net = model("mlp", inputs=2, hidden="3,4", activation="tanh")
    assert collapse(net, init="identical").effective_width == [1, 1]


def test_cli_collapse_json():
    result = CliRunner().invoke(
        app,
        [
            "collapse",
            "--model",
            "two-layer",
            "--inputs",
            "3",
            "--hidden",
            "8",
            "--activation",
            "tanh",
            "--init",
            "identical",
            "--json",
        ],
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["effective_width"] == [1]
    assert {"groups", "effective_width", "method", "witnesses"} <= set(data)


def test_split_inside_w1_has_a_two_step_witness():
    net = model("two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False)
    result = collapse(net, init="zero")
    witness = next(w for w in result.witnesses if w.pair == ("W1_0_0", "W1_1_0"))
    assert witness.point is not None and witness.steps == 2
