"""One-line reprs of the results at a prompt; ``str`` and ``print`` keep the full text."""

from __future__ import annotations

import symgrad
from symgrad.teaching.check import check
from symgrad.ties.simulate import compare, simulate


def _one_line(value) -> str:
    text = repr(value)
    assert "\n" not in text and len(text) < 200 and text.startswith("<") and text.endswith(">")
    return text


def test_proof_results():
    refuted = symgrad.prove("w0*x0 + w1*x1", ties=["w0=w1"])
    assert _one_line(refuted) == "<ProofResult refuted: w0 = w1 breaks at step 1>"
    proven = symgrad.prove("w0*x0 + w1*x1", ties=["w0=w1"], assume="x0=x1")
    assert _one_line(proven) == "<ProofResult proven: w0 = w1 holds at every step>"
    assert str(refuted) == refuted.to_text() and "Re-checked:" in str(refuted)
    assert repr([refuted]) == "[<ProofResult refuted: w0 = w1 breaks at step 1>]"


def test_check_results():
    wrong = check("(y - w*x)**2", "w", "2*x*(y - w*x)")
    assert _one_line(wrong) == "<CheckResult incorrect: dJ/dw differs at w = 1, x = 2, y = 3>"
    assert _one_line(check("(y - w*x)**2", "w", "-2*x*(y - w*x)")) == "<CheckResult correct: dJ/dw>"
    assert str(wrong).startswith("INCORRECT: at w = 1, x = 2, y = 3")


def test_collapse_and_simulate():
    net = symgrad.model("two-layer", inputs=2, hidden=3)
    result = symgrad.collapse(net, init="identical")
    assert _one_line(result) == "<CollapseResult proven: 5 groups, effective width 1 of 3>"
    run = simulate(net, init="identical", steps=3)
    assert _one_line(run).startswith("<Trajectory two-layer(")
    both = compare(net, ["identical", "random"], steps=3)
    assert _one_line(both) == "<Comparison identical vs random: 3 steps each>"


def test_every_result_type_has_a_one_line_repr():
    from symgrad import results

    kinds = [
        value
        for value in vars(results).values()
        if isinstance(value, type) and issubclass(value, results.Renderable)
    ]
    assert len(kinds) >= 10
    for kind in kinds:
        assert kind.__repr__ is results.Renderable.__repr__, kind
