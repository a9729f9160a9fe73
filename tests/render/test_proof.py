"""A tie verdict in plain words first: what happens, at which numbers, and why."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad import model, prove
from symgrad.render.levels import text_at
from symgrad.render.proof import plain_sentence


@pytest.mark.parametrize(
    "loss, ties, options, sentence",
    [
        (
            "w0*x0 + w1*x1", ["w0=w1"], {},
            "w0 and w1 get different gradients at the first step (1 and 2 at w0 = w1 = 0, "
            "x0 = 1, x1 = 2), so gradient descent separates them; for them to stay equal from "
            "every equal start, every data point needs x0 = x1; random data almost surely "
            "does not.",
        ),
        (
            "w0*x0 + w1*x1", ["w0=w1"], {"assume": "x0=x1"},
            "w0 and w1 stay equal at every step, for any data with x0 = x1: swapping them "
            "leaves the loss unchanged.",
        ),
        (
            "(w0 + w1 + w2)*x", ["w0=w1=w2"], {},
            "w0, w1 and w2 stay equal at every step, for any data: exchanging tied "
            "parameters leaves the loss unchanged.",
        ),
        (
            "w0*x0 + w1*x1", ["w0=w1"], {"dataset": [{"x0": 1, "x1": 2}, {"x0": 2, "x1": 1}],
                                         "mode": "full-batch"},
            "w0 and w1 stay equal at every step, for the given dataset: whenever they are "
            "equal, their gradients are equal too.",
        ),
    ],
)  # fmt: skip
def test_sentences_worked_out_by_hand(loss, ties, options, sentence):
    assert plain_sentence(prove(loss, ties=ties, **options)) == sentence


def test_a_stationary_init_says_nothing_moves():
    net = model("two-layer", inputs=2, hidden=2, activation="tanh", bias=False)
    result = prove(net, init="zero")
    assert result.verdict == "proven"
    assert plain_sentence(result).startswith("nothing ever moves: every gradient is 0 at the init")


def test_a_tie_that_breaks_later_says_at_which_step():
    # from zero, W1_0_0 and W1_1_0 both have gradient 0 (W2 = 0); after W2 moves they differ
    net = model("two-layer", inputs=2, hidden=1, activation="sigmoid", bias=False)
    result = prove(net, ties=["W1_0_0=W1_1_0"], init="zero")
    sentence = plain_sentence(result)
    assert sentence == (
        "W1_0_0 and W1_1_0 get equal gradients at first, but from W1_0_0 = W1_1_0 = 0, "
        "W2_0_0 = 0, x0 = 1, x1 = 2, y = 3, after 1 step with learning rate eta = 1/10 their "
        "gradients are -171/400 and -171/200, so gradient descent separates them at step 2."
    )


def test_the_condition_sentence_only_when_random_data_breaks_the_tie():
    # (w0 - w1)**2 * x: the gradients differ only off the tie, so it is proven; the loss
    # w0*x**2 + w1*x*y breaks unless x**2 = x*y, i.e. x = 0 or x = y: measure zero
    result = prove("w0*x**2 + w1*x*y", ties=["w0=w1"])
    assert result.verdict == "refuted"
    assert "; random data almost surely does not." in plain_sentence(result)


@settings(max_examples=25, deadline=None)
@given(
    a=st.integers(-5, 5).filter(bool),
    b=st.integers(-5, 5).filter(bool),
)
def test_a_linear_tie_sentence_quotes_the_witness_gradients(a, b):
    """For J = a*w0*x0 + b*w1*x1 the plain sentence names the pair, the certified values of
    the two gradients (as in the JSON witness) and the first step; it comes first at every
    level of detail."""
    result = prove(f"{a}*w0*x0 + {b}*w1*x1", ties=["w0=w1"])
    assert result.verdict == "refuted"
    sentence = plain_sentence(result)
    data = result.to_dict()["witness"]["gradients"]
    assert sentence.startswith("w0 and w1 get different gradients at the first step (")
    assert f"({data['w0']} and {data['w1']} at " in sentence
    for level in ("quiet", "normal", "verbose"):
        first = text_at(result, level, timing=False).splitlines()[0]
        assert first == f"REFUTED: {sentence}"
    assert re.search(r"\(-?\d+(/\d+)? and -?\d+(/\d+)? at w0 = w1 = ", sentence)


def test_the_json_summary_is_unchanged():
    """Scripts read ``summary``: it keeps the precise headline."""
    result = prove("w0*x0 + w1*x1", ties=["w0=w1"])
    assert result.to_dict()["summary"] == (
        "The tie w0 = w1 breaks: at w0 = w1 = 0 and x0 = 1, x1 = 2 the gradients are 1 and 2."
    )


def test_a_refutation_by_one_function_names_that_function():
    result = prove("sigma(w0*x0) + sigma(w1*x1)", ties=["w0=w1"], functions=["sigma"])
    assert result.verdict == "refuted" and result.witness.instance
    instance = ", ".join(f"{k}(t) = {v}" for k, v in result.witness.instance.items())
    assert f", with {instance}), so gradient descent separates them" in plain_sentence(result)


def test_a_verdict_the_recheck_refused_reads_as_undecided(monkeypatch):
    """A forged witness (equal gradients) fails the independent re-check: the sentence and
    the repr say undecided, never 'separates them'."""
    import dataclasses

    from symgrad.runtime.budget import Budget
    from symgrad.ties.certify import certify_proof

    monkeypatch.setenv("SYMGRAD_STRICT_CERTIFICATES", "0")
    result = prove("w0*x0 + w1*x1", ties=["w0=w1"])
    forged = dataclasses.replace(result.witness, point={**result.witness.point, "x0": 2, "x1": 2})
    checked = certify_proof(dataclasses.replace(result, witness=forged), Budget(10))
    assert checked.verdict == "unknown"
    sentence = plain_sentence(checked)
    assert sentence.startswith("symgrad could not decide whether w0 and w1 stay equal: ")
    assert "separates" not in text_at(checked, "normal", timing=False)
    assert repr(checked) == "<ProofResult unknown: w0 = w1 undecided>"
    assert text_at(checked, "quiet").startswith("UNKNOWN: symgrad could not decide")


# ---------------------------------------------------------------- the condition's scope
SCOPE = "for them to stay equal from every equal start, every data point needs "


def _assert_no_stronger_than_the_condition(result) -> None:
    """The plain sentence states the data condition only with the Condition line's scope
    (every start on the tie) and its exact text; never 'only if' or 'never' unscoped."""
    sentence = plain_sentence(result)
    assert " only if " not in sentence and " never " not in sentence
    if "every data point" in sentence:
        assert SCOPE + result.condition.text in sentence
        assert "from every start on the tie" in text_at(result, "normal", False)


def test_a_start_that_keeps_the_tie_on_more_data_is_not_denied():
    # by construction: from w0 = w1 = 0 with y = 0 every gradient is 0, so the tie holds
    # for any x; the condition 'x0 = x1 or (x0 = -x1 and y = 0)' is about every start
    loss, ties = "(y - w0*x0 - w1*x1)^2", ["w0=w1"]
    assert prove(loss, ties=ties, init="w0=0,w1=0", assume="y=0").verdict == "proven"
    for init in (None, "w0=0,w1=0"):
        result = prove(loss, ties=ties, init=init)
        assert result.verdict == "refuted"
        assert plain_sentence(result).endswith(
            SCOPE + "x0 = x1 or (x0 = -x1 and y = 0); random data almost surely does not."
        )
        assert text_at(result, "quiet", False).startswith("REFUTED: " + plain_sentence(result))
        _assert_no_stronger_than_the_condition(result)


@settings(max_examples=15, deadline=None)
@given(
    a=st.integers(-3, 3).filter(bool),
    b=st.integers(-3, 3).filter(bool),
    c=st.integers(0, 2),
    power=st.sampled_from([1, 2]),
)
def test_the_sentence_never_claims_more_than_the_condition_line(a, b, c, power):
    loss = f"({a}*w0*x0 + {b}*w1*x1 - {c}*y)^{power}"
    _assert_no_stronger_than_the_condition(prove(loss, ties=["w0=w1"]))


# ---------------------------------------------------------------- a condition cut short
BUDGET_NOTE = "Note: the data condition was not solved within the time budget (raise --timeout)."


@pytest.mark.parametrize(
    "reason",
    [
        "out of its share of the time budget (0.19 s)",
        "not attempted: too little of the time budget was left (raise --timeout)",
    ],
)
def test_a_condition_cut_short_by_the_budget_is_said_not_dropped(reason):
    import dataclasses

    from symgrad.ties.condition import unsolved

    result = prove("w0*x0 + w1*x1", ties=["w0=w1"])
    cut = dataclasses.replace(result, condition=unsolved(reason))
    assert BUDGET_NOTE in text_at(cut, "normal", False).splitlines()
    assert f"Condition: not solved ({reason})." in text_at(cut, "verbose", False)
    assert "every data point" not in plain_sentence(cut)


def test_a_condition_unsolved_for_another_reason_claims_no_budget():
    import dataclasses

    from symgrad.ties.condition import unsolved

    result = prove("w0*x0 + w1*x1", ties=["w0=w1"])
    cut = dataclasses.replace(result, condition=unsolved("the differences are too large"))
    assert "time budget" not in text_at(cut, "normal", False)


def test_a_short_budget_notes_the_missing_condition():
    result = prove("tanh(w0*x0 + w1*x1 + b)^2 * (y - sigmoid(w0*x1))", ties=["w0=w1"], timeout=0.2)
    assert result.verdict == "refuted" and result.condition is not None
    assert not result.condition.solved and "time budget" in result.condition.note
    assert BUDGET_NOTE in text_at(result, "normal", False)
