"""One-line reprs of the results at a prompt; ``str`` and ``print`` keep the full text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


# ---------------------------------------------------------------- the reviewer's cases
def test_model_attributes_are_the_sizes_given():
    two_layer = symgrad.model("two-layer", inputs=2, hidden=3)
    assert (two_layer.inputs, two_layer.hidden, two_layer.outputs) == (2, 3, 1)
    assert two_layer.has_hidden is True
    mlp = symgrad.model("mlp", inputs=2, hidden="8,8")
    assert (mlp.inputs, mlp.hidden) == (2, [8, 8])
    linear = symgrad.model("linear", inputs=3)
    assert (linear.inputs, linear.hidden, linear.has_hidden) == (3, None, False)


def test_a_long_tie_is_cut_at_a_name_and_gives_no_cli_advice():
    names = [f"weight_long_name_{i}" for i in range(12)]
    result = symgrad.prove("(" + " + ".join(names) + ")*x", ties=["=".join(names)])
    shown = repr(result)
    assert "--json" not in shown and "characters" not in shown
    assert shown.startswith("<ProofResult proven: weight_long_name_0 = weight_long_name_1")
    kept = shown.removeprefix("<ProofResult proven: ").split(" …")[0].removesuffix(" =")
    assert all(part in names for part in kept.split(" = ") if part), kept


def test_an_almost_everywhere_check_says_so_in_its_repr():
    result = check("abs(w)", "w", "w/abs(w)")
    assert result.almost_everywhere
    assert repr(result) == "<CheckResult correct almost everywhere: dJ/dw>"
    assert repr(check("w**2", "w", "2*w")) == "<CheckResult correct: dJ/dw>"


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True), min_size=1, max_size=12),
    limit=st.integers(10, 80),
)
def test_a_repr_cut_never_splits_a_name(names, limit):
    from symgrad.render.reprs import short

    text = " = ".join(names)
    cut = short(text, limit)
    if cut == text:
        return
    assert cut.endswith("…") and "--json" not in cut
    kept = cut.removesuffix("…").removesuffix(" ").removesuffix("=").strip()
    pieces = [p for p in kept.split(" = ") if p]
    assert all(p in names for p in pieces[:-1])
    assert not pieces or pieces[-1] in names or len(pieces) == 1
